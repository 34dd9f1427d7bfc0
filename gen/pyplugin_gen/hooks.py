# SPDX-License-Identifier: BSD-3-Clause
"""Imports made by names computed at run time, which reading the code
cannot follow: the known ones of common packages, in the manner of
PyInstaller's hooks.  When a standalone plugin freezes a hook's trigger
module, it also freezes the submodules of the hook's package whose last
name matches the hook's pattern.  The closure (freeze.py) reads this
table; for a package it lacks, `--collect PACKAGE` freezes the whole
package, and `--freeze MODULE` one module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hook:
    trigger: str  # a module whose import leads to the dynamic imports
    package: str  # where the imported modules are
    pattern: str  # their last names, a regular expression
    why: str  # what imports them, for the chain -v shows

    def matches(self, module: str) -> bool:
        parent, _, last = module.rpartition(".")
        return parent == self.package and re.fullmatch(self.pattern, last) \
            is not None


# What numpy's _multiarray_umath imports from C (npy_cache_import).
_NUMPY_CORE_IMPORTS = (r"_dtype|_dtype_ctypes|_exceptions|_internal|_methods|"
                       r"_ufunc_config|arrayprint|numeric|printoptions")

HOOKS: tuple[Hook, ...] = (
    Hook("PIL.Image", "PIL", r"\w+ImagePlugin",
         "PIL.Image.init() imports every image format plugin by name"),
    # Compiled (Cython) code imports what Python code never names.
    Hook("numpy.random.bit_generator", "", "secrets",
         "numpy.random.bit_generator (compiled) imports secrets"),
    # Imports inside functions, which the closure does not follow.
    Hook("importlib.metadata", "email", "parser|message",
         "importlib.metadata reads metadata with email.message_from_string()"
         ", which imports email.parser when called"),
    Hook("importlib.metadata", "importlib.metadata", "_adapters|_text",
         "importlib.metadata imports its adapters when metadata is read "
         "(Python 3.13 and later)"),
    Hook("importlib.resources", "importlib.resources",
         "_adapters|_itertools|readers",
         "importlib.resources.files() imports its adapters when called "
         "(Python 3.13 and later)"),
    # numpy's compiled core imports these modules of its Python side
    # (numpy.core up to numpy 1, numpy._core from numpy 2).
    Hook("numpy._core._multiarray_umath", "numpy", "dtypes",
         "numpy's compiled core imports numpy.dtypes (numpy 2)"),
    *(Hook(f"{core}._multiarray_umath", core, _NUMPY_CORE_IMPORTS,
           "numpy's compiled core imports them")
      for core in ("numpy.core", "numpy._core")),
    # add_newdoc("MODULE", ...) imports MODULE to document it.
    Hook("numpy.core._add_newdocs", "numpy.core", "_multiarray_tests",
         "numpy.core._add_newdocs documents it through add_newdoc()"),
    # Codecs are imported by their normalized name on first lookup
    # (encodings.search_function).  UTF-8 is frozen always; these are
    # the others that open() and bytes.decode() name most.  A script
    # that needs more: --collect encodings.
    Hook("encodings", "encodings",
         r"ascii|latin_1|utf_8_sig|utf_(16|32)(_[bl]e)?",
         "codecs.lookup() imports a codec by its name"),
    Hook("dbm", "dbm", r"gnu|ndbm|dumb",
         "dbm.open() imports the module of a database's kind"),
)

BY_TRIGGER: dict[str, list[Hook]] = {}
for _hook in HOOKS:
    BY_TRIGGER.setdefault(_hook.trigger, []).append(_hook)

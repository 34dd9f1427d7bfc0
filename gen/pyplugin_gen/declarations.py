# SPDX-License-Identifier: BSD-3-Clause
"""What a script declares at module level, besides its callbacks: the API
version (and so its dialect) and the metadata strings baked into the
plugin.  Read from the bindings script.py found, never by running the
script; what is invalid is reported where it is written."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .callbacks import Dialect
from .reporter import Reporter, describe_literal

if TYPE_CHECKING:
    from .script import Definition

# Module-level strings nbdkit python ignores and the generated plugin uses.
METADATA = ("longname", "description", "version", "config_help",
            "magic_config_key")

# The two ways to declare the API version (README: the three dialects).
API_FORMS = ("API_VERSION", "api_version")

# What nbdkit accepts as a key in key=value (man 3 nbdkit-plugin, .config):
# anything else on the command line is a bare parameter, so a magic key
# outside this grammar could never be given as key=value.
CONFIG_KEY = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")


@dataclass(frozen=True)
class Metadata:
    value: str
    line: int
    col: int


class DeclarationReader(Reporter):
    """Reads the API declaration and the metadata into the Script."""

    def api_declaration(self) -> None:
        """The dialect, from API_VERSION or api_version()."""
        decls = []
        for form in API_FORMS:
            for d in self.script.candidates.get(form, []):
                decls.append(d)
        if not decls:
            return
        decls.sort(key=lambda d: (d.line, d.col))
        ok = True
        for d in decls:
            if d.conditional is not None:
                self.error_at(d, f"the API version must be declared at top "
                              f"level, not inside '{d.conditional}': "
                              "pyplugin-gen fixes it at build time", rule="api-declaration")
                ok = False
        forms = {d.name for d in decls}
        if len(forms) > 1:
            first = next(d for d in decls if d.name != decls[-1].name)
            self.error_at(decls[-1], "both API_VERSION and api_version() "
                          "are declared; declare the API version once",
                          [self.note_at(first, "the other declaration is "
                                        "here")], rule="api-declaration")
            ok = False
        if not ok:
            self.script.dialect_known = False
            return
        d = decls[-1]
        version = (self.api_version_constant(d) if d.name == "API_VERSION"
                   else self.api_version_function(d))
        if version is None:
            self.script.dialect_known = False
        elif version == 1:
            self.script.dialect = Dialect.API1
        elif d.name == "API_VERSION":
            self.script.dialect = Dialect.RELEASED
        else:
            self.script.dialect = Dialect.SEED

    def api_version_constant(self, d: Definition) -> int | None:
        value = d.value
        if d.kind not in ("literal", "other", "lambda", "alias") or \
                value is None:
            self.error_at(d, "API_VERSION must be assigned the integer "
                          "literal 1 or 2 (API_VERSION = 2)", rule="api-declaration")
            return None
        if not isinstance(value, ast.Constant):
            self.error(value, "API_VERSION must be the integer literal 1 "
                       "or 2, not an expression", rule="api-declaration")
            return None
        return self.version_literal(value, "API_VERSION")

    def api_version_function(self, d: Definition) -> int | None:
        fn = d.node
        if d.kind == "literal" and isinstance(d.value, ast.Constant) and \
                type(d.value.value) is int:
            self.error_at(d, f"api_version is not a function; to declare "
                          f"the API version write API_VERSION = "
                          f"{d.value.value} (or def api_version(): return "
                          f"{d.value.value})", rule="api-declaration")
            return None
        if d.kind != "def" or not isinstance(fn, ast.FunctionDef) or \
                d.decorated:
            self.error_at(d, "api_version must be declared as a plain "
                          "'def api_version(): return 2'", rule="api-declaration")
            return None
        if not d.signature or not d.signature.accepts(0):
            self.error_at(d, "api_version() takes no parameters; it is "
                          "called as api_version()", rule="api-declaration")
            return None
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and \
                isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        if len(body) == 1 and isinstance(body[0], ast.Return) and \
                body[0].value is not None:
            value = body[0].value
            if isinstance(value, ast.Constant):
                return self.version_literal(value, "api_version()")
            self.error(value, "api_version() must return the integer "
                       "literal 1 or 2, not an expression", rule="api-declaration")
            return None
        self.error_at(d, "api_version() must be a single return of the "
                      "integer literal 1 or 2, so that the version is known "
                      "without running the script", rule="api-declaration")
        return None

    def version_literal(self, value: ast.Constant, form: str) -> int | None:
        v = value.value
        if type(v) is not int:
            self.error(value, f"{form} must be the integer literal 1 or 2, "
                       f"not {describe_literal(value)} ({v!r})", rule="api-declaration")
            return None
        if v not in (1, 2):
            self.error(value, f"{form} declares API version {v}; only "
                       "1 and 2 exist", rule="api-declaration")
            return None
        return v

    def read_metadata(self, docstring_node: ast.AST | None) -> None:
        """The metadata strings, and the docstring standing for
        config_help."""
        for name in METADATA:
            cands = self.script.candidates.get(name)
            if not cands:
                continue
            d = cands[-1]
            if any(c.conditional for c in cands):
                c = next(c for c in cands if c.conditional)
                self.error_at(c, f"'{name}' must be assigned at top level, "
                              f"not inside '{c.conditional}': pyplugin-gen "
                              "bakes it into the plugin at build time", rule="metadata")
                continue
            value = d.value
            if not (isinstance(value, ast.Constant) and
                    isinstance(value.value, str)):
                at = value if value is not None else d.node
                what = (describe_literal(value) if value is not None
                        else None) or d.what or "an expression"
                message = f"'{name}' must be a string literal, not {what}"
                if value is not None:
                    self.error(at, message, rule="metadata")
                else:
                    self.error_at(d, message, rule="metadata")
                continue
            text = value.value
            if not self.c_safe(value, f"'{name}'", text):
                continue
            if name == "magic_config_key" and not CONFIG_KEY.match(text):
                self.error(value, f"magic_config_key {text!r} is not a key "
                           "nbdkit accepts: a key must begin with an ASCII "
                           "letter and contain only ASCII letters, digits, "
                           "'.', '_' and '-'", rule="metadata")
                continue
            self.script.metadata[name] = Metadata(text, d.line, d.col)
        doc = self.script.docstring
        if doc is not None and "config_help" not in self.script.metadata:
            self.c_safe(docstring_node, "the module docstring (used "
                        "as config_help)", doc)

    def c_safe(self, node: ast.AST | None, what: str, text: str) -> bool:
        """A C string must carry text unchanged: no NUL, valid UTF-8."""
        problem = None
        if "\0" in text:
            problem = "contains a NUL character, which a C string cannot carry"
        else:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                problem = "contains a lone surrogate, which UTF-8 cannot encode"
        if problem is None:
            return True
        if node is not None:
            self.error(node, f"{what} {problem}", rule="metadata")
        else:
            self.diags.error(self.script.path, 1, 1, f"{what} {problem}", rule="metadata")
        return False

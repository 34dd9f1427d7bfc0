# SPDX-License-Identifier: BSD-3-Clause
"""What the installed nbdkit offers, from the record make wrote.

make reads nbdkit's header with libclang once (header_record.py) and
installs the record, DATA_DIR/nbdkit-header.json, with the templates.
This module loads it, and uses it:

- check_against_header(): a callback (or metadata field) the script
  defines that this nbdkit's struct nbdkit_plugin lacks is a build
  error naming the callback and the nbdkit version; so is a callback
  pyplugin-gen always registers, or one whose C signature in the
  callback table is not the header's.
- signature_mismatches(): the callback table against the header, for
  the tests (make check fails on any disagreement).
- python_helpers(): the functions the plugin's built-in nbdkit module
  has with this header: the rows of the helper table (helpers.py) whose
  nbdkit_* function it declares.  runtime/module.c wraps each under
  PYP_HAVE_<FUNCTION> of the C header made from the same record, and the
  tests hold the two to each other.
- unexplained(): functions of the header that are neither a helper nor
  in NOT_FOR_PYTHON (a newer nbdkit's; the tests fail on any).

PYPLUGIN_GEN_NBDKIT_RECORD names another record to use instead (the
tests generate against reduced headers with it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass

from . import helpers
from .callbacks import CALLBACKS, Callback
from .diagnostics import Diagnostics
from .script import METADATA, Script

RECORD_FILE = "nbdkit-header.json"
RECORD_ENV = "PYPLUGIN_GEN_NBDKIT_RECORD"

# nbdkit_* functions the built-in module leaves out, and why.  Every
# other function the header declares is a helper of the module, a row of
# helpers.HELPERS; the tests fail on a function that is neither.
NOT_FOR_PYTHON: dict[str, str] = {
    "nbdkit_error": "raise an exception: it is logged with its traceback",
    "nbdkit_verror": "takes a C va_list",
    "nbdkit_vdebug": "takes a C va_list",
    "nbdkit_peer_name": "fills a C struct sockaddr",
    "nbdkit_strdup_intern": "C string lifetime; Python owns its strings",
    "nbdkit_strndup_intern": "C string lifetime; Python owns its strings",
    "nbdkit_printf_intern": "C string lifetime; Python owns its strings",
    "nbdkit_vprintf_intern": "C string lifetime; Python owns its strings",
    "nbdkit_add_extent": "the extents callback returns its extents",
    "nbdkit_add_export": "the list_exports callback returns its exports",
    "nbdkit_use_default_export":
        "the list_exports callback returns its exports",
    **{f"nbdkit_{f}": "a filter's list of extents; the extents callback "
       "returns its extents"
       for f in ("extents_new", "extents_free", "extents_count",
                 "get_extent")},
    **{f"nbdkit_parse_{t}": "Python's int() parses integers"
       for t in ("int", "unsigned", "int8_t", "uint8_t", "int16_t",
                 "uint16_t", "int32_t", "uint32_t", "int64_t",
                 "uint64_t")},
}


class RecordError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class CFunction:
    """A C function or function pointer type, as the header spells it."""

    ret: str
    params: tuple[tuple[str, str], ...]  # (name, type); name may be ""
    variadic: bool = False

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.params)

    def spelling(self, name: str) -> str:
        params = ", ".join(t for t in self.types) or "void"
        if self.variadic:
            params += ", ..."
        return f"{self.ret} (*{name}) ({params})"


@dataclass(frozen=True)
class Record:
    path: str
    nbdkit_version: str
    api_version: int
    # Every field of struct nbdkit_plugin, in order: name -> C type.
    fields: dict[str, str]
    # The function pointer fields: name -> signature.
    callbacks: dict[str, CFunction]
    # nbdkit_* functions: name -> signature.
    functions: dict[str, CFunction]
    # Header file name -> (path, sha256) when make read it.
    headers: dict[str, tuple[str, str]]
    # The nbdkit module's constants: FLAG_FUA -> the value of
    # NBDKIT_FLAG_FUA, in the header's order.
    constants: dict[str, int]

    def stale_headers(self) -> list[str]:
        """Headers that changed (or went) since make read them."""
        stale = []
        for path, digest in self.headers.values():
            try:
                with open(path, "rb") as f:
                    now = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                now = None
            if now != digest:
                stale.append(path)
        return stale


def _function(entry: dict) -> CFunction:
    return CFunction(entry["return"],
                     tuple((p["name"], p["type"]) for p in entry["params"]),
                     bool(entry.get("variadic")))


def record_path() -> str:
    env = os.environ.get(RECORD_ENV)
    if env:
        return env
    from . import buildconfig  # written by make; imported only when needed
    return os.path.join(buildconfig.DATA_DIR, RECORD_FILE)


_CACHE: dict[str, tuple[int, Record]] = {}


def load(path: str | None = None) -> Record:
    """The record at path (by default the one make installed)."""
    path = path or record_path()
    try:
        mtime = os.stat(path).st_mtime_ns
        cached = _CACHE.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise RecordError(path, "cannot read the record of nbdkit's "
                          f"header ({e.strerror}); run make") from e
    except ValueError as e:
        raise RecordError(path, "the record of nbdkit's header is not "
                          f"valid JSON ({e}); run make") from e
    try:
        record = Record(
            path=path,
            nbdkit_version=data["nbdkit_version"],
            api_version=data["api_version"],
            fields={f["name"]: f["type"] for f in data["fields"]},
            callbacks={f["name"]: _function(f["function"])
                       for f in data["fields"] if "function" in f},
            functions={f["name"]: _function(f) for f in data["functions"]},
            headers={name: (h["path"], h["sha256"])
                     for name, h in data["headers"].items()},
            constants={c["name"]: c["value"] for c in data["constants"]},
        )
    except (KeyError, TypeError) as e:
        raise RecordError(path, "the record of nbdkit's header lacks "
                          f"{e}; run make") from e
    _CACHE[path] = (mtime, record)
    return record


def normalize_c(text: str) -> str:
    """One spelling of a C type: single spaces, none around '*'."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*\*\s*", "*", text)


def signature_mismatch(cb: Callback, record: Record) -> str | None:
    """Why cb's C signature in the callback table is not the header's,
    or None when they agree (types only; parameter names may differ)."""
    header = record.callbacks.get(cb.name)
    if header is None:
        if cb.name in record.fields:
            return (f"{cb.name}: nbdkit {record.nbdkit_version}'s "
                    f"struct nbdkit_plugin has it as "
                    f"{record.fields[cb.name]}, not a function pointer")
        return (f"{cb.name}: nbdkit {record.nbdkit_version}'s struct "
                "nbdkit_plugin has no such field")
    table = CFunction(cb.c_return,
                      tuple((p.name, p.type) for p in cb.c_params))
    same = (normalize_c(table.ret) == normalize_c(header.ret)
            and [normalize_c(t) for t in table.types]
            == [normalize_c(t) for t in header.types]
            and not header.variadic)
    if same:
        return None
    return (f"{cb.name}: the callback table has "
            f"{table.spelling(cb.name)} but nbdkit "
            f"{record.nbdkit_version}'s header (NBDKIT_API_VERSION "
            f"{record.api_version}) has {header.spelling(cb.name)}")


def signature_mismatches(callbacks: tuple[Callback, ...],
                         record: Record) -> list[str]:
    """signature_mismatch of each row the header has."""
    out = []
    for cb in callbacks:
        if cb.name in record.fields:
            why = signature_mismatch(cb, record)
            if why:
                out.append(why)
    return out


def python_helpers(record: Record) -> list[str]:
    """The functions of the built-in nbdkit module with this header."""
    return [h.name for h in helpers.available(record)]


def unexplained(record: Record) -> list[str]:
    """nbdkit_* functions of the header that are neither a helper nor
    left out with a reason."""
    return sorted(fn for fn in record.functions
                  if fn not in helpers.BY_C_FUNCTION
                  and fn not in NOT_FOR_PYTHON)


def _once(diags: Diagnostics, file: str, message: str,
          rule: str = "nbdkit-support") -> None:
    """A diagnostic about the record rather than a script: once per run,
    however many scripts are checked."""
    if any(d.file == file and d.message.startswith(message)
           for d in diags.items):
        return
    level = diags.warning if rule == "stale-record" else diags.error
    level(file, 0, 0, message, rule=rule)


def check_against_header(script: Script, diags: Diagnostics) -> None:
    """Errors for what the script (or every plugin) needs from struct
    nbdkit_plugin that the installed nbdkit does not have."""
    try:
        record = load()
    except RecordError as e:
        _once(diags, e.path, str(e))
        return
    version = record.nbdkit_version
    stale = record.stale_headers()
    if stale:
        _once(diags, record.path,
              f"nbdkit's header changed since make read it ({stale[0]}); "
              "run make again so that checks and the nbdkit module match "
              "the installed nbdkit", rule="stale-record")

    def lacks(name: str) -> str:
        return (f"its struct nbdkit_plugin (nbdkit-plugin.h) has no {name} "
                "field")

    for cb in CALLBACKS:
        defs = script.candidates.get(cb.name) or []
        d = script.callbacks.get(cb.name) or (defs[0] if defs else None)
        if d is None and not cb.always:
            continue
        if cb.name not in record.fields:
            if d is not None:
                diags.error(script.path, d.line, d.col,
                            f"callback '{cb.name}' is not supported by "
                            f"nbdkit {version}: {lacks(cb.name)}; a newer "
                            "nbdkit is needed", d.length,
                            rule="nbdkit-support")
            else:
                _once(diags, record.path,
                      f"nbdkit {version} is too old: every plugin "
                      f"pyplugin-gen builds registers the '{cb.name}' "
                      f"callback, but {lacks(cb.name)}")
            continue
        why = signature_mismatch(cb, record)
        if why:
            _once(diags, record.path,
                  f"cannot build callback '{cb.name}' for nbdkit "
                  f"{version}: {why.split(': ', 1)[1]}")
    for name in METADATA:
        meta = script.metadata.get(name)
        if meta is not None and name not in record.fields:
            diags.error(script.path, meta.line, meta.col,
                        f"'{name}' is not supported by nbdkit {version}: "
                        f"{lacks(name)}; a newer nbdkit is needed",
                        len(name), rule="nbdkit-support")

# SPDX-License-Identifier: BSD-3-Clause
"""Load libclang for the header reader and the format-string checker.

Debian's python3-clang (the bindings of the release's LLVM, whatever its
version) looks for the bare name libclang-N.so of that version, which
the dynamic linker finds only when libclang-dev is installed (its
libclang-N-dev owns that symlink).  Where that fails, the library is
looked for under the names and directories LLVM packages use, the
bindings' version first, then newest first, and PYPLUGIN_GEN_LIBCLANG
may name the file outright.

Only build and test tools use this: generating a plugin never needs
libclang (the header record is read at make time).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import re

import clang.cindex as ci

# Type kinds for the bindings' version, for readable code elsewhere.
CursorKind = ci.CursorKind
TypeKind = ci.TypeKind


def desugar(t):
    """t without typedefs and elaboration on top."""
    while t.kind in (TypeKind.TYPEDEF, TypeKind.ELABORATED):
        t = t.get_named_type() if t.kind == TypeKind.ELABORATED \
            else t.get_declaration().underlying_typedef_type
    return t


class LibclangError(Exception):
    """libclang cannot be loaded, or a file cannot be parsed."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def candidates() -> list[str]:
    """Files that may be libclang, most preferred first."""
    found = []
    env = os.environ.get("PYPLUGIN_GEN_LIBCLANG")
    if env:
        found.append(env)
    default = ci.Config().get_filename()
    found.append(default)
    # The bindings are written for one LLVM version: prefer its library.
    major = re.search(r"(\d+)", default)
    patterns = []
    if major:
        m = major.group(1)
        patterns += [f"/usr/lib/llvm-{m}/lib/libclang.so*",
                     f"/usr/lib/llvm-{m}/lib/libclang-{m}.so*",
                     f"/usr/lib/*/libclang-{m}.so*"]
    patterns += ["/usr/lib/llvm-*/lib/libclang.so*",
                 "/usr/lib/*/libclang-*.so*", "/usr/lib*/libclang.so*"]
    for pattern in patterns:
        found += sorted((f for f in glob.glob(pattern)
                         if "libclang-cpp" not in f),  # the C++ API
                        key=_version_key, reverse=True)
    lib = ctypes.util.find_library("clang")
    if lib:
        found.append(lib)
    seen: set[str] = set()
    return [f for f in found if not (f in seen or seen.add(f))]


_INDEX: ci.Index | None = None


def _loadable(path: str) -> bool:
    try:
        ctypes.CDLL(path)
    except OSError:
        return False
    return True


def index() -> ci.Index:
    """A libclang index, loading the library on first use."""
    global _INDEX
    if _INDEX is not None:
        return _INDEX
    if not ci.Config.loaded and not ci.Config.library_file:
        tried = candidates()
        usable = next((p for p in tried if _loadable(p)), None)
        if usable is None:
            raise LibclangError(
                "cannot load libclang (tried " + ", ".join(tried) + "); "
                "install libclang-dev, or set PYPLUGIN_GEN_LIBCLANG to "
                "the library file")
        ci.Config.set_library_file(usable)
    try:
        _INDEX = ci.Index.create()
    except ci.LibclangError as e:
        raise LibclangError(str(e)) from e
    _register_evaluate(ci.conf.lib)
    return _INDEX


def library_file() -> str:
    index()
    return ci.Config.library_file or ci.Config().get_filename()


def _register_evaluate(lib) -> None:
    """clang_Cursor_Evaluate and clang_Location_isInSystemHeader, which
    older bindings leave out (declared here for every version alike)."""
    lib.clang_Cursor_Evaluate.argtypes = [ci.Cursor]
    lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
    lib.clang_EvalResult_getKind.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_getKind.restype = ctypes.c_int
    lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
    lib.clang_EvalResult_dispose.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_dispose.restype = None
    lib.clang_Location_isInSystemHeader.argtypes = [ci.SourceLocation]
    lib.clang_Location_isInSystemHeader.restype = ctypes.c_int


_EVAL_INT = 1


def evaluate_int(cursor: ci.Cursor) -> int | None:
    """The value of an integer constant expression, else None."""
    lib = ci.conf.lib
    result = lib.clang_Cursor_Evaluate(cursor)
    if not result:
        return None
    try:
        if lib.clang_EvalResult_getKind(result) != _EVAL_INT:
            return None
        return lib.clang_EvalResult_getAsLongLong(result)
    finally:
        lib.clang_EvalResult_dispose(result)


def in_system_header(location: ci.SourceLocation) -> bool:
    return bool(ci.conf.lib.clang_Location_isInSystemHeader(location))


# Flags of a compiler command line that matter to parsing; the rest
# (optimisation, warnings, code generation) are left out, so that a gcc
# flag clang does not know cannot fail the parse.
_KEEP_WITH_VALUE = ("-I", "-D", "-U", "-isystem", "-include", "-iquote",
                    "-idirafter")


def parse_flags(flags: list[str]) -> list[str]:
    """The preprocessor and language flags among a compiler's flags."""
    out: list[str] = []
    it = iter(flags)
    for flag in it:
        if flag in _KEEP_WITH_VALUE:
            out += [flag, next(it, "")]
        elif flag.startswith(_KEEP_WITH_VALUE) or flag.startswith("-std="):
            out.append(flag)
    return out


def parse(path: str, flags: list[str], text: str | None = None,
          detailed: bool = False) -> ci.TranslationUnit:
    """Parse a C file (or text standing for it) with flags; any error
    diagnostic is a LibclangError, so that nothing is checked against a
    half-understood file."""
    args = ["-x", "c", "-std=gnu11", *parse_flags(flags)]
    options = 0
    if detailed:
        options |= ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD
    unsaved = [(path, text)] if text is not None else None
    try:
        tu = index().parse(path, args=args, unsaved_files=unsaved,
                           options=options)
    except ci.TranslationUnitLoadError as e:
        raise LibclangError(f"{path}: libclang cannot parse it: {e}") from e
    errors = [d for d in tu.diagnostics
              if d.severity >= ci.Diagnostic.Error]
    if errors:
        raise LibclangError("\n".join(_format(d) for d in errors))
    return tu


def _format(d: ci.Diagnostic) -> str:
    loc = d.location
    where = f"{loc.file.name}:{loc.line}:{loc.column}" if loc.file else "?"
    return f"{where}: error: {d.spelling}"

# SPDX-License-Identifier: BSD-3-Clause
"""Check CPython format strings against the C types of their arguments.

    python3 -m pyplugin_gen.fmtcheck [COMPILER FLAGS] FILE.c...

Parses each file with libclang and checks every call of
PyObject_CallFunction, PyObject_CallMethod, Py_BuildValue, pyp_call,
PyArg_ParseTuple (and PyArg_ParseTupleAndKeywords, PyArg_Parse),
PyErr_Format and PyUnicode_FromFormat whose format is a string literal:
the number of variadic arguments is what the format consumes, and each
argument's type, after typedefs, is what its format unit reads.  The C
compiler checks none of this: the arguments go through `...`, and
Python.h gives PyErr_Format no printf format attribute (its units are
not printf's: %R, %S, %U, %V and %A take objects).  A mismatch is
reported as

    FILE:LINE:COL: error: format "OiL": unit 'i' reads 'int', but
    argument 4 is 'uint32_t' (aka 'unsigned int'): a signed unit for an
    unsigned type

Types are compared after default argument promotion (what actually goes
through `...`: a char or short argument arrives as int), after
typedefs, except that the fixed-width names are accepted for the units
that read them: I unsigned int or uint32_t, K unsigned long long or
uint64_t, L long long or int64_t (on x86_64 uint64_t is unsigned long,
which is the same size).  '#' lengths must be Py_ssize_t by name.
PyArg_ParseTuple's units take pointers to those types.

Exit status 1 if anything is reported, including a file libclang
cannot parse without errors (nothing is checked against a file only
half understood), else 0.  Used by make check (tests/clang).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Callable

from . import libclang
from .libclang import CursorKind, TypeKind, desugar


@dataclass(frozen=True)
class Api:
    # "build" (Py_BuildValue units), "parse" (PyArg_Parse*) or "printf"
    # (PyUnicode_FromFormat's %-conversions)
    kind: str
    fmt: int  # index of the format argument
    first: int  # index of the first variadic argument


_APIS = {
    "Py_BuildValue": Api("build", 0, 1),
    "PyObject_CallFunction": Api("build", 1, 2),
    "PyObject_CallMethod": Api("build", 2, 3),
    # The runtime's call of a script's callback (runtime/convert.c).
    "pyp_call": Api("build", 1, 2),
    "PyArg_ParseTuple": Api("parse", 1, 2),
    "PyArg_ParseTupleAndKeywords": Api("parse", 2, 4),
    "PyArg_Parse": Api("parse", 1, 2),
    "PyErr_Format": Api("printf", 1, 2),
    "PyUnicode_FromFormat": Api("printf", 0, 1),
}
# Calls whose built value is the argument list: with a format of one unit
# whose value is a tuple, that tuple is taken as the whole argument list.
CALLS = frozenset({"PyObject_CallFunction", "PyObject_CallMethod",
                   "pyp_call"})
# The build units whose value may be a tuple.
OBJECT_UNITS = frozenset({"O", "O&", "N", "S"})

# With PY_SSIZE_T_CLEAN, Python before 3.13 renames the ones with '#'
# units by macro.
APIS = {**_APIS, **{f"_{n}_SizeT": a for n, a in _APIS.items()
                    if a.kind != "printf"}}


def api_name(callee: str) -> str:
    """The documented name of an API function or its _SizeT alias."""
    if callee.endswith("_SizeT"):
        return callee[1:-len("_SizeT")]
    return callee


# ------------------------------------------------------------------ types

def typedef_names(t) -> set[str]:
    """The typedef names t is spelled through: uint32_t, __uint32_t."""
    names = set()
    while t.kind in (TypeKind.TYPEDEF, TypeKind.ELABORATED):
        if t.kind == TypeKind.ELABORATED:
            t = t.get_named_type()
            continue
        names.add(t.get_declaration().spelling)
        t = t.get_declaration().underlying_typedef_type
    return names


def describe(t) -> str:
    """'uint32_t' (aka 'unsigned int'), as clang says it."""
    spelling = t.spelling
    canonical = t.get_canonical().spelling
    if canonical != spelling:
        return f"'{spelling}' (aka '{canonical}')"
    return f"'{spelling}'"


_CHARS = {TypeKind.CHAR_S, TypeKind.CHAR_U, TypeKind.SCHAR, TypeKind.UCHAR}
_SIGNED = {TypeKind.SCHAR, TypeKind.SHORT, TypeKind.INT, TypeKind.LONG,
           TypeKind.LONGLONG}
_UNSIGNED = {TypeKind.UCHAR, TypeKind.USHORT, TypeKind.UINT, TypeKind.ULONG,
             TypeKind.ULONGLONG}


@dataclass(frozen=True)
class Want:
    """What one format unit reads from one argument."""

    alts: tuple[str, ...]  # the C types accepted, for messages
    ok: Callable  # (type, extra typedef names) -> bool
    # For integer units: the kinds read, to explain signedness slips.
    kinds: frozenset = frozenset()
    pointer: bool = False  # kinds are of the pointee (PyArg_Parse*)

    @property
    def text(self) -> str:
        return " or ".join(a if a[0] in "a(" else f"'{a}'"
                           for a in self.alts)


_KIND_NAMES = {
    TypeKind.CHAR_S: "char", TypeKind.SCHAR: "signed char",
    TypeKind.UCHAR: "unsigned char", TypeKind.SHORT: "short",
    TypeKind.USHORT: "unsigned short", TypeKind.INT: "int",
    TypeKind.UINT: "unsigned int", TypeKind.LONG: "long",
    TypeKind.ULONG: "unsigned long", TypeKind.LONGLONG: "long long",
    TypeKind.ULONGLONG: "unsigned long long", TypeKind.FLOAT: "float",
    TypeKind.DOUBLE: "double",
}


def _scalar(*kinds, names=()) -> Want:
    """An arithmetic type, by its canonical kind or a typedef name."""
    kinds_ = frozenset(kinds)
    names_ = frozenset(names)
    alts = tuple([_KIND_NAMES[k] for k in _KIND_NAMES if k in kinds_]
                 + sorted(names_))

    def ok(t, extra=frozenset()):
        return t.get_canonical().kind in kinds_ or \
            bool((typedef_names(t) | extra) & names_)

    return Want(alts, ok, kinds_)


def _named(name: str, *canonical: str) -> Want:
    """A type known by its typedef name (Py_ssize_t, Py_buffer)."""
    def ok(t, extra=frozenset()):
        return name in (typedef_names(t) | extra) or \
            t.get_canonical().spelling in canonical
    return Want((name,), ok)


def _pointer_to(pred: Callable, *alts: str) -> Want:
    def ok(t, extra=frozenset()):
        d = desugar(t)
        if d.get_canonical().kind != TypeKind.POINTER:
            return False
        return pred(d.get_pointee())
    return Want(alts, ok)


def _is_char(p) -> bool:
    return p.get_canonical().kind in _CHARS


def _is_record(spelling: str | None) -> Callable:
    def pred(p):
        c = p.get_canonical()
        return c.kind == TypeKind.RECORD and \
            (spelling is None or c.spelling == spelling)
    return pred


def _is_function(p) -> bool:
    return p.get_canonical().kind in (TypeKind.FUNCTIONPROTO,
                                      TypeKind.FUNCTIONNOPROTO)


def output(want: Want) -> Want:
    """A pointer to a writable `want`: what PyArg_Parse* stores into."""
    def ok(t, extra=frozenset()):
        d = desugar(t)
        if d.get_canonical().kind != TypeKind.POINTER:
            return False
        pointee = d.get_pointee()
        return not pointee.get_canonical().is_const_qualified() and \
            want.ok(pointee)
    alts = tuple(a + ("*" if a.endswith("*") else " *") for a in want.alts
                 if not a.startswith(("a ", "(")))
    return Want(alts, ok, want.kinds, pointer=True)


INT = _scalar(TypeKind.INT)
UINT = _scalar(TypeKind.UINT, names=("uint32_t",))
INT_OR_UINT = _scalar(TypeKind.INT, TypeKind.UINT)
LONG = _scalar(TypeKind.LONG)
ULONG = _scalar(TypeKind.ULONG)
LONGLONG = _scalar(TypeKind.LONGLONG, names=("int64_t",))
ULONGLONG = _scalar(TypeKind.ULONGLONG, names=("uint64_t",))
SHORT = _scalar(TypeKind.SHORT)
USHORT = _scalar(TypeKind.USHORT)
UCHAR = _scalar(TypeKind.UCHAR)
CHAR = _scalar(TypeKind.CHAR_S, TypeKind.CHAR_U)
FLOAT = _scalar(TypeKind.FLOAT)
DOUBLE = _scalar(TypeKind.DOUBLE)
SSIZE = _named("Py_ssize_t")
SIZE_T = _named("size_t", "unsigned long")
BUFFER = _named("Py_buffer", "struct bufferinfo")
COMPLEX = _named("Py_complex")
CHARP = _pointer_to(_is_char, "const char *")
CHARP_OR_NULL = _pointer_to(
    lambda p: _is_char(p) or p.get_canonical().kind == TypeKind.VOID,
    "const char *", "(NULL)")
WCHARP = _pointer_to(lambda p: bool(typedef_names(p) & {"wchar_t",
                                                         "Py_UNICODE"}),
                     "const wchar_t *")
OBJECT = _pointer_to(_is_record("struct _object"), "PyObject *")
OBJECT_OR_NULL = _pointer_to(
    lambda p: _is_record("struct _object")(p) or
    p.get_canonical().kind == TypeKind.VOID, "PyObject *", "(NULL)")
ANY_OBJECT = _pointer_to(_is_record(None), "PyObject *",
                         "a pointer to another object struct")
TYPE_OBJECT = _pointer_to(_is_record("struct _typeobject"),
                          "PyTypeObject *")
CONVERTER = _pointer_to(_is_function, "a converter function pointer")
ANY_POINTER = Want(("void *",), lambda t, extra=frozenset():
                   desugar(t).get_canonical().kind == TypeKind.POINTER)

# Py_BuildValue's units (Python/modsupport.c, do_mkvalue).  Whatever goes
# through `...` has been promoted: char and short arrive as int, float as
# double.
BUILD_UNITS: dict[str, list[Want]] = {
    **{u: [CHARP] for u in ("s", "y", "U")},
    **{u + "#": [CHARP, SSIZE] for u in ("s", "y", "U")},
    "z": [CHARP_OR_NULL], "z#": [CHARP_OR_NULL, SSIZE],
    "u": [WCHARP], "u#": [WCHARP, SSIZE],
    **{u: [INT] for u in "ibhBcC"},
    "H": [INT_OR_UINT], "I": [UINT], "l": [LONG], "k": [ULONG],
    "L": [LONGLONG], "K": [ULONGLONG], "n": [SSIZE],
    "d": [DOUBLE], "f": [DOUBLE], "D": [_pointer_to(COMPLEX.ok, "Py_complex *")],
    **{u: [OBJECT] for u in "OSN"},
    **{u + "&": [CONVERTER, ANY_POINTER] for u in "OSN"},
}

# PyArg_ParseTuple's units (Python/getargs.c, convertsimple): each takes
# a pointer to where it stores.
PARSE_UNITS: dict[str, list[Want]] = {
    **{u: [output(CHARP)] for u in "szy"},
    **{u + "#": [output(CHARP), output(SSIZE)] for u in "szy"},
    **{u + "*": [output(BUFFER)] for u in "szyw"},
    **{"e" + u: [CHARP_OR_NULL, output(CHARP)] for u in "st"},
    **{"e" + u + "#": [CHARP_OR_NULL, output(CHARP), output(SSIZE)]
       for u in "st"},
    "S": [output(ANY_OBJECT)], "Y": [output(ANY_OBJECT)],
    "U": [output(OBJECT)], "O": [output(OBJECT)],
    "O!": [TYPE_OBJECT, output(OBJECT)], "O&": [CONVERTER, ANY_POINTER],
    "b": [output(UCHAR)], "B": [output(UCHAR)], "h": [output(SHORT)],
    "H": [output(USHORT)], "i": [output(INT)], "I": [output(UINT)],
    "l": [output(LONG)], "k": [output(ULONG)], "L": [output(LONGLONG)],
    "K": [output(ULONGLONG)], "n": [output(SSIZE)], "c": [output(CHAR)],
    "C": [output(INT)], "f": [output(FLOAT)], "d": [output(DOUBLE)],
    "D": [output(COMPLEX)], "p": [output(INT)],
}


# PyUnicode_FromFormat's conversions (Objects/unicodeobject.c,
# unicode_fromformat_arg), which PyErr_Format uses: after '%', an
# optional 0, width and .precision, then one of these.  Python 3.11
# reads %x as an int and knows no %lx; a conversion it does not know
# makes it copy the rest of the format as it is, leaving the arguments
# unread.
PRINTF_UNITS: dict[str, list[Want]] = {
    "c": [INT], "d": [INT], "i": [INT], "u": [UINT], "x": [INT_OR_UINT],
    "ld": [LONG], "li": [LONG], "lu": [ULONG],
    "lld": [LONGLONG], "lli": [LONGLONG], "llu": [ULONGLONG],
    "zd": [SSIZE], "zi": [SSIZE], "zu": [SIZE_T],
    "s": [CHARP], "p": [ANY_POINTER],
    **{u: [OBJECT] for u in "AUSR"},
    "V": [OBJECT_OR_NULL, CHARP],
}
_CONVERSION = re.compile(r"%0?[0-9]*(?:\.[0-9]*)?((?:ll|l|z)?.?)", re.S)


class FormatError(Exception):
    pass


def parse_printf(fmt: str) -> list[tuple[str, Want]]:
    """The (conversion, what it reads) of each variadic argument."""
    out: list[tuple[str, Want]] = []
    i = fmt.find("%")
    while i != -1:
        m = _CONVERSION.match(fmt, i)
        unit = m.group(1)
        if unit != "%":
            if unit not in PRINTF_UNITS:
                raise FormatError(f"unknown conversion '%{unit}'" if unit
                                  else "the format ends with '%'")
            out += [(unit, want) for want in PRINTF_UNITS[unit]]
        i = fmt.find("%", m.end())
    return out


def parse_format(fmt: str, kind: str) -> list[tuple[str, Want]]:
    """The (unit, what it reads) of each variadic argument, in order."""
    units = BUILD_UNITS if kind == "build" else PARSE_UNITS
    longest = max(len(u) for u in units)
    out: list[tuple[str, Want]] = []
    closers = {"(": ")", "[": "]", "{": "}"} if kind == "build" \
        else {"(": ")"}
    stack: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if kind == "parse" and c in ":;" and not stack:
            break  # the function name or error message follows
        if c in closers:
            stack.append(closers[c])
            i += 1
            continue
        if c in ")]}":
            if not stack or stack[-1] != c:
                raise FormatError(f"unbalanced '{c}'")
            stack.pop()
            i += 1
            continue
        if kind == "build" and c in " \t,:":
            i += 1
            continue
        if kind == "parse" and c in "|$":
            i += 1
            continue
        for n in range(longest, 0, -1):
            unit = fmt[i:i + n]
            if unit in units:
                out += [(unit, want) for want in units[unit]]
                i += n
                break
        else:
            raise FormatError(f"unknown format unit '{c}'")
    if stack:
        raise FormatError(f"'{stack[-1]}' is missing")
    return out


# ------------------------------------------------------------------ checks

@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line \
            else self.file
        return f"{where}: error: {self.message}"


_TRANSPARENT = (CursorKind.UNEXPOSED_EXPR, CursorKind.PAREN_EXPR)


def _strip(cursor):
    """Through implicit casts and parentheses to the written expression."""
    while cursor.kind in _TRANSPARENT:
        children = list(cursor.get_children())
        if len(children) != 1:
            break
        cursor = children[0]
    return cursor


def _sugar(cursor) -> frozenset:
    """Typedef names an expression's type lost on the way: `offset + 1`
    is 'unsigned long' to clang, but its operand is a uint64_t."""
    canonical = cursor.type.get_canonical().spelling
    names = set(typedef_names(cursor.type))
    if names or cursor.kind not in (*_TRANSPARENT,
                                    CursorKind.BINARY_OPERATOR,
                                    CursorKind.UNARY_OPERATOR,
                                    CursorKind.CONDITIONAL_OPERATOR):
        return frozenset(names)
    for child in cursor.get_children():
        if child.type.get_canonical().spelling == canonical:
            names |= _sugar(child)
    return frozenset(names)


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


def c_unescape(body: str) -> str:
    def one(m):
        e = m.group(1)
        if e[0] in "01234567":
            return chr(int(e, 8))
        if e[0] == "x":
            return chr(int(e[1:], 16))
        return _ESCAPES.get(e, e)
    return re.sub(r"\\([0-7]{1,3}|x[0-9A-Fa-f]+|.)", one, body)


def format_literal(cursor) -> str | None:
    """The format string of an argument, None for a null pointer, or
    raise FormatError when it is something else."""
    inner = _strip(cursor)
    if inner.kind == CursorKind.STRING_LITERAL:
        spelling = inner.spelling
        m = re.fullmatch(r'(?:u8)?"(.*)"', spelling, re.S)
        if not m:
            raise FormatError(f"the format {spelling} is not a plain "
                              "string literal")
        return c_unescape(m.group(1))
    probe = inner
    while probe.kind in (*_TRANSPARENT, CursorKind.CSTYLE_CAST_EXPR):
        children = list(probe.get_children())
        if not children:
            break
        probe = children[-1]
    if probe.kind == CursorKind.INTEGER_LITERAL and \
            libclang.evaluate_int(probe) == 0:
        return None
    raise FormatError("the format is not a string literal, so it cannot "
                      "be checked")


def _c_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Checker:
    """Checks files; collects findings and counts the calls checked."""

    def __init__(self, flags: list[str]) -> None:
        self.flags = flags
        self.findings: list[Finding] = []
        self.calls = 0
        self.units = 0
        self.files = 0

    def report(self, cursor, message: str) -> None:
        loc = cursor.location
        self.findings.append(Finding(loc.file.name if loc.file else "?",
                                     loc.line, loc.column, message))

    def check_file(self, path: str, text: str | None = None) -> None:
        """Check every call in path (not in the headers it includes,
        except for its own directory's)."""
        try:
            tu = libclang.parse(path, self.flags, text=text, detailed=True)
        except libclang.LibclangError as e:
            self.findings.append(Finding(
                path, 0, 0, f"libclang cannot parse it without errors, so "
                f"nothing in it was checked:\n{e}"))
            return
        self.files += 1
        self.ssize_clean = False
        self.python_313 = False
        for c in tu.cursor.get_children():
            if c.kind == CursorKind.MACRO_DEFINITION:
                if c.spelling == "PY_SSIZE_T_CLEAN":
                    self.ssize_clean = True
                elif c.spelling == "PY_MINOR_VERSION":
                    tokens = [t.spelling for t in c.get_tokens()]
                    if len(tokens) == 2 and tokens[1].isdigit():
                        self.python_313 = int(tokens[1]) >= 13
                continue
            if c.location.file is None or \
                    libclang.in_system_header(c.location):
                continue
            if c.location.file.name != tu.spelling and \
                    not self._own_header(tu.spelling, c.location.file.name):
                continue
            self._walk(c)

    @staticmethod
    def _own_header(main: str, header: str) -> bool:
        return os.path.dirname(os.path.abspath(main)) == \
            os.path.dirname(os.path.abspath(header)) and \
            header.endswith(".h")

    def _walk(self, cursor) -> None:
        for child in cursor.get_children():
            if child.kind == CursorKind.CALL_EXPR and child.spelling in APIS:
                self._call(child)
            self._walk(child)

    def _call(self, call) -> None:
        api = APIS[call.spelling]
        name = api_name(call.spelling)
        args = list(call.get_arguments())
        if len(args) <= api.fmt:
            return  # not a call the compiler would accept anyway
        self.calls += 1
        try:
            fmt = format_literal(args[api.fmt])
            if api.kind != "printf":
                units = parse_format(fmt or "", api.kind)
            elif fmt is None:
                raise FormatError("the format is NULL")
            else:
                units = parse_printf(fmt)
        except FormatError as e:
            self.report(args[api.fmt], f"{name}: {e}")
            return
        shown = _c_string(fmt) if fmt is not None else "NULL"
        if "#" in (fmt or "") and not call.spelling.endswith("_SizeT") \
                and not self.ssize_clean and not self.python_313:
            self.report(args[api.fmt],
                        f"format {shown}: '#' reads a Py_ssize_t only "
                        "with PY_SSIZE_T_CLEAN defined before Python.h "
                        "(before Python 3.13, an int otherwise)")
        if name in CALLS and (fmt or "").strip(" \t,:") in OBJECT_UNITS:
            self.report(args[api.fmt],
                        f"format {shown} of {name} is one unit not in "
                        "parentheses: a tuple argument would become the "
                        "whole argument list (write \"(...)\")")
        given = args[api.first:]
        if len(given) != len(units):
            where = given[len(units)] if len(given) > len(units) else call
            self.report(where,
                        f"format {shown} of {name} takes {len(units)} "
                        f"argument{'s' if len(units) != 1 else ''}, but "
                        f"{len(given)} {'is' if len(given) == 1 else 'are'}"
                        " passed")
        for n, ((unit, want), arg) in enumerate(zip(units, given),
                                                start=api.first + 1):
            self.units += 1
            if want.ok(arg.type, _sugar(arg)):
                continue
            self.report(arg, self._mismatch(shown, unit, want, arg, n))

    @staticmethod
    def _mismatch(shown: str, unit: str, want: Want, arg, n: int) -> str:
        written = _strip(arg)
        have = describe(arg.type)
        if written.type.get_canonical().spelling != \
                arg.type.get_canonical().spelling and \
                written.type.get_canonical().kind != TypeKind.CONSTANTARRAY:
            have = f"{describe(written.type)}, promoted to {have}"
        message = (f"format {shown}: unit '{unit}' reads {want.text}, but "
                   f"argument {n} is {have}")
        t = arg.type
        if want.pointer and desugar(t).get_canonical().kind == \
                TypeKind.POINTER:
            t = desugar(t).get_pointee()
        kind = t.get_canonical().kind
        if want.kinds and kind in _UNSIGNED and want.kinds <= _SIGNED:
            message += ": a signed unit for an unsigned type"
        elif want.kinds and kind in _SIGNED and want.kinds <= _UNSIGNED:
            message += ": an unsigned unit for a signed type"
        return message


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    flags, files = [], []
    it = iter(argv)
    for a in it:
        if a == "--":
            files += list(it)
        elif a in libclang._KEEP_WITH_VALUE:
            flags += [a, next(it, "")]
        elif a.startswith("-"):
            flags.append(a)
        else:
            files.append(a)
    checker = Checker(flags)
    try:
        for path in files:
            checker.check_file(path)
    except libclang.LibclangError as e:
        print(f"fmtcheck: error: {e}", file=sys.stderr)
        return 1
    for finding in sorted(checker.findings,
                          key=lambda f: (f.file, f.line, f.col)):
        print(finding)
    sys.stdout.flush()
    print(f"fmtcheck: {checker.calls} calls, {checker.units} arguments in "
          f"{checker.files} files checked; {len(checker.findings)} "
          "problems", file=sys.stderr)
    return 1 if checker.findings else 0


if __name__ == "__main__":
    sys.exit(main())

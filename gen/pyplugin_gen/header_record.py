# SPDX-License-Identifier: BSD-3-Clause
"""Read the installed nbdkit header with libclang and record what it has.

Run by make, not on every generation:

    python3 -m pyplugin_gen.header_record record -o data/nbdkit-header.json \\
        [--depfile FILE] runtime/pyplugin.h -- CFLAGS...
    python3 -m pyplugin_gen.header_record c-header \\
        -o runtime/generated/nbdkit-record.h data/nbdkit-header.json
    python3 -m pyplugin_gen.header_record fake-stubs \\
        -o runtime/generated/fake-nbdkit-stubs.c data/nbdkit-header.json

`record` parses the runtime's own header, runtime/pyplugin.h, which
includes nbdkit-plugin.h exactly as every generated plugin does (so with
the same NBDKIT_API_VERSION, which it defines), and writes JSON with:

  nbdkit_version  NBDKIT_VERSION_STRING of nbdkit-version.h
  api_version     the NBDKIT_API_VERSION the header was read at
  fields          every field of struct nbdkit_plugin in order, with its
                  C type and, for a function pointer, its return type
                  and parameters (names and types as the header writes
                  them)
  functions       every nbdkit_* function the headers declare, with its
                  return type, parameters and whether it is variadic
  constants       every NBDKIT_<GROUP>_* macro of CONSTANT_GROUPS, in the
                  header's order, with its value as the compiler sees it
  headers         each nbdkit header read, with its sha256, so that the
                  generator can tell when nbdkit changed under it

The generator reads the record (nbdkit_header.py); `c-header` turns it
into what the runtime's built-in nbdkit module (runtime/module.c) needs:
one PYP_HAVE_<FUNCTION> macro per nbdkit_* function, the module's
methods with their flags and docstrings, PYP_NBDKIT_HELPERS (the rows of
the helper table, helpers.py, whose function the header declares), and
the list of constants, PYP_NBDKIT_CONSTANTS.  `fake-stubs` writes, for
the unit tests, a weak definition of every nbdkit_* function the record
lists: the test program links the runtime without nbdkit, and whatever
tests/unit/fake-nbdkit.c does not fake by hand still links, whichever
helpers the installed nbdkit has.  The depfile lists the headers read,
for make.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

from . import depfile, helpers, libclang
from .files import write_atomic
from .libclang import CursorKind, TypeKind

RECORD_FORMAT = 2

# The constants the nbdkit module offers: NBDKIT_FLAG_FUA is
# nbdkit.FLAG_FUA.
CONSTANT_GROUPS = ("THREAD_MODEL_", "FLAG_", "FUA_", "CACHE_", "EXTENT_")


class RecordError(Exception):
    pass


def _function_type(t, params=None) -> dict:
    """Return type and parameters of a function type; params are the
    PARM_DECL cursors that name them, when there are any."""
    arg_types = list(t.argument_types()) if t.kind == TypeKind.FUNCTIONPROTO \
        else []
    names = [p.spelling for p in params] if params else [""] * len(arg_types)
    if len(names) != len(arg_types):
        names = [""] * len(arg_types)
    return {
        "return": t.get_result().spelling,
        "params": [{"name": n, "type": a.spelling}
                   for n, a in zip(names, arg_types)],
        "variadic": t.kind == TypeKind.FUNCTIONPROTO
        and t.is_function_variadic(),
    }


def _is_nbdkit_header(path: str) -> bool:
    return os.path.basename(path).startswith("nbdkit-") and \
        path.endswith(".h")


def _macro_value(cursor) -> list[str]:
    return [t.spelling for t in cursor.get_tokens()][1:]


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _constant_values(header: str, flags: list[str],
                     names: list[str]) -> dict[str, int]:
    """The values of NBDKIT_<name> for names, as the compiler evaluates
    them (an enum initialised from each macro)."""
    prefix = "pyp_constant_"
    text = (f'#include "{os.path.abspath(header)}"\n'
            "enum {\n"
            + "".join(f"  {prefix}{n} = NBDKIT_{n},\n" for n in names)
            + "};\n")
    probe = os.path.join(os.path.dirname(os.path.abspath(header)),
                         ".pyp-constants.c")
    try:
        tu = libclang.parse(probe, flags, text=text)
    except libclang.LibclangError as e:
        raise RecordError(f"cannot evaluate nbdkit's constants:\n{e}") \
            from e
    values = {}
    for c in tu.cursor.walk_preorder():
        if c.kind == CursorKind.ENUM_CONSTANT_DECL and \
                c.spelling.startswith(prefix):
            values[c.spelling[len(prefix):]] = c.enum_value
    return values


def read_header(header: str, flags: list[str]) -> dict:
    """The record of the nbdkit header as `header` includes it."""
    try:
        tu = libclang.parse(header, flags, detailed=True)
    except libclang.LibclangError as e:
        raise RecordError(f"cannot parse {header}:\n{e}") from e
    fields = None
    functions = {}
    version = None
    api_version = None
    headers = {}
    constants: list[str] = []
    for inc in tu.get_includes():
        path = inc.include.name
        if _is_nbdkit_header(path):
            headers[os.path.basename(path)] = {
                "path": os.path.abspath(path), "sha256": _sha256(path)}
    for c in tu.cursor.get_children():
        f = c.location.file.name if c.location.file else ""
        if c.kind == CursorKind.MACRO_DEFINITION:
            if c.spelling == "NBDKIT_API_VERSION" and \
                    not _is_nbdkit_header(f):
                value = _macro_value(c)
                if len(value) == 1 and value[0].isdigit():
                    api_version = int(value[0])
            elif c.spelling == "NBDKIT_VERSION_STRING" and \
                    _is_nbdkit_header(f):
                value = _macro_value(c)
                if len(value) == 1 and value[0].startswith('"'):
                    version = json.loads(value[0])
            elif c.spelling.startswith("NBDKIT_") and \
                    c.spelling[7:].startswith(CONSTANT_GROUPS) and \
                    _is_nbdkit_header(f):
                constants.append(c.spelling[7:])
            continue
        if not _is_nbdkit_header(f):
            continue
        if c.kind == CursorKind.STRUCT_DECL and \
                c.spelling == "nbdkit_plugin" and c.is_definition():
            fields = []
            for fd in c.get_children():
                if fd.kind != CursorKind.FIELD_DECL:
                    continue
                entry = {"name": fd.spelling, "type": fd.type.spelling}
                pointee = libclang.desugar(fd.type).get_pointee()
                if pointee.kind in (TypeKind.FUNCTIONPROTO,
                                    TypeKind.FUNCTIONNOPROTO):
                    params = [p for p in fd.get_children()
                              if p.kind == CursorKind.PARM_DECL]
                    entry["function"] = _function_type(pointee, params)
                fields.append(entry)
        elif c.kind == CursorKind.FUNCTION_DECL and \
                c.spelling.startswith("nbdkit_"):
            entry = _function_type(c.type, list(c.get_arguments()))
            functions[c.spelling] = {"name": c.spelling, **entry}
    if fields is None:
        raise RecordError(f"{header}: nbdkit-plugin.h defines no "
                          "struct nbdkit_plugin")
    if version is None:
        raise RecordError(f"{header}: nbdkit's headers define no "
                          "NBDKIT_VERSION_STRING (nbdkit-version.h)")
    if api_version is None:
        raise RecordError(f"{header} does not define NBDKIT_API_VERSION "
                          "before including nbdkit-plugin.h")
    values = _constant_values(header, flags, constants)
    return {
        "comment": "GENERATED by pyplugin_gen.header_record from nbdkit's "
                   "headers at make time; DO NOT EDIT",
        "format": RECORD_FORMAT,
        "nbdkit_version": version,
        "api_version": api_version,
        "headers": headers,
        "fields": fields,
        "functions": [functions[n] for n in sorted(functions)],
        "constants": [{"name": n, "value": values[n]} for n in constants],
    }


def c_header(record: dict) -> str:
    """The runtime's view of the record: which nbdkit_* functions exist,
    and the constants of the nbdkit module."""
    lines = [
        "/* GENERATED by pyplugin_gen.header_record from the record of "
        f"nbdkit {record['nbdkit_version']}'s",
        " * headers; DO NOT EDIT.  One PYP_HAVE_<FUNCTION> for each nbdkit_*",
        " * function they declare; X (NAME, FLAGS, DOC) in PYP_NBDKIT_HELPERS",
        " * for each helper of the built-in nbdkit module (module.c) whose",
        " * function is declared (the table of gen/pyplugin_gen/helpers.py);",
        " * and X (NAME) in PYP_NBDKIT_CONSTANTS for each constant",
        " * NBDKIT_NAME it offers as nbdkit.NAME.",
        " */",
        "",
        "#ifndef PYP_NBDKIT_RECORD_H",
        "#define PYP_NBDKIT_RECORD_H",
        "",
        f"#define PYP_NBDKIT_VERSION {json.dumps(record['nbdkit_version'])}",
        "",
    ]
    for fn in record["functions"]:
        lines.append(f"#define PYP_HAVE_{fn['name'].upper()} 1")
    declared = {fn["name"] for fn in record["functions"]}
    lines += ["", "#define PYP_NBDKIT_HELPERS(X) \\"]
    lines += [f"  X ({h.name}, {h.meth_flags}, {json.dumps(h.doc)}) \\"
              for h in sorted(helpers.HELPERS, key=lambda h: h.name)
              if h.c_function in declared]
    lines += ["  /* end */"]
    lines += ["", "#define PYP_NBDKIT_CONSTANTS(X) \\"]
    lines += [f"  X ({c['name']}) \\" for c in record["constants"]]
    lines += ["  /* end */", "", "#endif /* PYP_NBDKIT_RECORD_H */", ""]
    return "\n".join(lines)


def _declarator(ctype: str, name: str) -> str:
    """C declaration of name with type ctype as libclang spells it:
    `char **password`, `void (*fn)(void *)`."""
    if "(*)" in ctype:
        return ctype.replace("(*)", f"(*{name})", 1)
    if ctype.endswith("*"):
        return f"{ctype.rstrip()}{name}"
    return f"{ctype} {name}"


def fake_stubs(record: dict) -> str:
    """Weak definitions of every nbdkit_* function of the record, for
    the unit tests' fake nbdkit: each records that it was called (in
    fake.unfaked) and fails as nbdkit's helpers fail, with -1 or NULL
    (a structure, zeroed);
    the functions it fakes by hand override them."""
    out = [
        "/* GENERATED by pyplugin_gen.header_record from the record of "
        f"nbdkit {record['nbdkit_version']}'s",
        " * headers; DO NOT EDIT.  A weak definition of every nbdkit_*",
        " * function they declare, for the unit tests: those that",
        " * tests/unit/fake-nbdkit.c fakes replace these; any other records",
        " * its name in fake.unfaked and fails.",
        " */",
        "",
        '#include "fake-nbdkit.h"',
        "",
        "#define STUB __attribute__ ((weak))",
        "#define UNUSED __attribute__ ((unused))",
    ]
    for fn in record["functions"]:
        params = [_declarator(p["type"], p["name"] or f"arg{i}") + " UNUSED"
                  for i, p in enumerate(fn["params"])]
        if fn["variadic"]:
            params.append("...")
        ret = fn["return"]
        out += ["", f"STUB {ret}",
                f"{fn['name']} ({', '.join(params) or 'void'})", "{",
                "  fake.unfaked_calls++;", "  fake.unfaked = __func__;"]
        if ret.endswith("*"):
            out.append("  return NULL;")
        elif ret.startswith(("struct ", "union ")):
            out.append(f"  return ({ret}){{ 0 }};")
        elif ret != "void":
            out.append(f"  return ({ret}) -1;")
        out.append("}")
    return "\n".join(out) + "\n"


def dumps(record: dict) -> str:
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    flags: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, flags = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser(prog="header_record", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record", help="read the header, write the record")
    r.add_argument("-o", "--output", required=True)
    r.add_argument("--depfile", help="write make dependencies here")
    r.add_argument("header", help="a header including nbdkit-plugin.h")
    h = sub.add_parser("c-header", help="write the runtime's C header")
    h.add_argument("-o", "--output", required=True)
    h.add_argument("record")
    f = sub.add_parser("fake-stubs", help="write the unit tests' stubs")
    f.add_argument("-o", "--output", required=True)
    f.add_argument("record")
    args = p.parse_args(argv)
    try:
        for out in (args.output, getattr(args, "depfile", None)):
            if out:
                os.makedirs(os.path.dirname(os.path.abspath(out)),
                            exist_ok=True)
        if args.command == "record":
            record = read_header(args.header, flags)
            write_atomic(args.output, dumps(record))
            if args.depfile:
                deps = [args.header] + [h["path"] for h in
                                        record["headers"].values()]
                # As gcc -MP: a rule for each header, so that make does
                # not stop when one disappears.
                text = depfile.render(args.output, deps, phony=True)
                write_atomic(args.depfile, text)
        else:
            with open(args.record, encoding="utf-8") as f:
                record = json.load(f)
            write = c_header if args.command == "c-header" else fake_stubs
            write_atomic(args.output, write(record))
    except (RecordError, libclang.LibclangError, OSError,
            ValueError) as e:
        print(f"header_record: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pyplugin-gen command."""

from __future__ import annotations

import argparse
import os
import re
import sys

from . import buildconfig
from .build import BuildError, compile_plugin, compile_script, write_atomic
from .check import check
from .diagnostics import Diagnostics
from .render import render
from .script import read

DESCRIPTION = """\
Turn an nbdkit Python plugin script into a compiled nbdkit plugin.  The
script is read with Python's ast module, never run, checked against the
API version it declares, rendered to C and compiled against libpython;
the script's bytecode is embedded, so no script file is needed at run
time:  pyplugin-gen disk.py -o disk-plugin.so && nbdkit ./disk-plugin.so
"""

# nbdkit: "ASCII alphanumeric characters or non-leading dashes".
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


def default_name(path: str) -> str:
    stem = os.path.basename(path)
    if stem.endswith(".py"):
        stem = stem[:-3]
    name = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    return name or "python"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyplugin-gen", description=DESCRIPTION)
    p.add_argument("script", help="the plugin script (any file name)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT.so",
                     help="the plugin to write (default: NAME-plugin.so)")
    out.add_argument("-S", "--emit-c", metavar="FILE",
                     help="write the C source only")
    out.add_argument("--check", action="store_true",
                     help="check the script and write nothing")
    p.add_argument("--name", help="the plugin name nbdkit shows (default: "
                   "from the script's file name)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the compiler command")
    p.add_argument("--version", action="version",
                   version=f"pyplugin-gen {buildconfig.VERSION}")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    name = args.name if args.name is not None else default_name(args.script)
    if not _NAME.match(name):
        print(f"pyplugin-gen: error: invalid plugin name {name!r}: nbdkit "
              "allows ASCII letters, digits and non-leading dashes",
              file=sys.stderr)
        return 1
    diags = Diagnostics()
    script = read(args.script, diags)
    if script is not None:
        check(script, diags)
    diags.emit()
    if script is None or diags.has_errors:
        return 1
    if args.check:
        return 0
    try:
        bytecode = compile_script(script)
        c_source = render(script, name, bytecode.code, bytecode.magic,
                          bytecode.python_version)
        if args.emit_c:
            write_atomic(args.emit_c, c_source.encode("utf-8"))
        else:
            compile_plugin(c_source, args.output or f"{name}-plugin.so",
                           name, args.verbose)
    except (BuildError, OSError) as e:
        print(f"pyplugin-gen: error: {e}", file=sys.stderr)
        return 1
    return 0

"""The pyplugin-gen command."""

from __future__ import annotations

import argparse
import os
import re
import sys

from . import buildconfig
from .build import BuildError, bake_site, compile_plugin, compile_script
from .check import check
from .diagnostics import Diagnostics
from .files import write_atomic
from .render import render
from .script import Script, read

DESCRIPTION = """\
Turn an nbdkit Python plugin script into a compiled nbdkit plugin.  The
script is read with Python's ast module and checked against the API
version it declares, rendered to C and compiled against libpython; the
script's bytecode is embedded, so no script file is needed at run time:
pyplugin-gen disk.py -o disk-plugin.so && nbdkit ./disk-plugin.so

The script's code is never run, unless --import is given.  Problems are
reported as FILE:LINE:COL: error|warning|note: MESSAGE; on any error the exit
status is 1 and nothing is written.
"""

EPILOG = """\
With several scripts, every script is checked and every problem reported;
then, if there was no error, each is built to NAME-plugin.so in the
current directory (-o, -S and --name take one script only).
"""

# nbdkit: "ASCII alphanumeric characters or non-leading dashes".
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


def default_name(path: str) -> str:
    stem = os.path.basename(path)
    if stem.endswith(".py"):
        stem = stem[:-3]
    name = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    return name or "python"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # A usage error is an error like any other: exit status 1.
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pyplugin-gen", description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scripts", nargs="+", metavar="SCRIPT",
                   help="a plugin script (any file name)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT.so",
                     help="the plugin to write (default: NAME-plugin.so)")
    out.add_argument("-S", "--emit-c", metavar="FILE",
                     help="write the C source only")
    out.add_argument("--check", action="store_true",
                     help="check the scripts and write nothing")
    p.add_argument("-Werror", dest="werror", action="store_const",
                   const=True, default=False,
                   help="treat warnings as errors (exit status 1)")
    p.add_argument("-Wno-error", dest="werror", action="store_const",
                   const=False, help="cancel an earlier -Werror")
    p.add_argument("-Wunchecked", dest="unchecked", action="store_const",
                   const=True, default=None,
                   help="note each callback whose parameters cannot be "
                   "checked without running the script (as -v does)")
    p.add_argument("-Wno-unchecked", dest="unchecked", action="store_const",
                   const=False, help="no such notes, even with -v")
    p.add_argument("--import", dest="import_", action="store_true",
                   help="import the script (running its top-level code) in "
                   "a child process with a stand-in nbdkit module, and check "
                   "the callbacks it has after running; for scripts that "
                   "define callbacks dynamically.  Without --import the "
                   "script is only read, never run")
    p.add_argument("--name", help="the plugin name nbdkit shows (default: "
                   "from the script's file name)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the compiler command, and note what "
                   "could not be checked (-Wunchecked)")
    p.add_argument("--version", action="version",
                   version=f"pyplugin-gen {buildconfig.VERSION}")
    return p


def _fail(message: str) -> int:
    print(f"pyplugin-gen: error: {message}", file=sys.stderr)
    return 1


def check_script(path: str, diags: Diagnostics,
                 import_: bool = False) -> Script | None:
    """Read and check one script; problems go to diags."""
    script = read(path, diags)
    if script is None:
        return None
    if import_ and not diags.errors_in(path):
        from .introspect import introspect
        introspect(script, diags)
    check(script, diags)
    return script


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    several = len(args.scripts) > 1
    if several:
        for flag, given in (("-o", args.output), ("-S", args.emit_c),
                            ("--name", args.name)):
            if given is not None:
                return _fail(f"{flag} names the output of one script; it "
                             f"cannot be used with {len(args.scripts)} "
                             "scripts")
    names = {}
    for path in args.scripts:
        name = args.name if args.name is not None else default_name(path)
        if not _NAME.match(name):
            return _fail(f"invalid plugin name {name!r}: nbdkit allows "
                         "ASCII letters, digits and non-leading dashes")
        names[path] = name
    if several and not args.check:
        outputs = {}
        for path, name in names.items():
            other = outputs.setdefault(f"{name}-plugin.so", path)
            if other != path:
                return _fail(f"{other} and {path} would both be built to "
                             f"{name}-plugin.so")

    diags = Diagnostics(werror=args.werror,
                        show_unchecked=(args.verbose if args.unchecked is None
                                        else args.unchecked))
    scripts = [check_script(path, diags, args.import_)
               for path in args.scripts]
    diags.emit()
    if diags.has_errors or any(s is None for s in scripts):
        return 1
    if args.check:
        return 0
    for script in scripts:
        assert script is not None
        try:
            _build(script, names[script.path], args)
        except (BuildError, OSError) as e:
            return _fail(str(e))
    return 0


def _build(script: Script, name: str, args: argparse.Namespace) -> None:
    bytecode = compile_script(script)
    c_source = render(script, name, bytecode.code, bytecode.magic,
                      bytecode.python_version, site=bake_site())
    if args.emit_c:
        write_atomic(args.emit_c, c_source)
    else:
        compile_plugin(c_source, args.output or f"{name}-plugin.so",
                       name, args.verbose)

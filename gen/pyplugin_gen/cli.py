"""The pyplugin-gen command."""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys

from . import buildconfig, standalone
from .build import (BuildError, bake_site, compile_plugin, compile_script,
                    write_atomic)
from .check import check
from .diagnostics import Diagnostics
from .render import render
from .script import Script, read

DESCRIPTION = """\
Turn an nbdkit Python plugin script into a compiled nbdkit plugin.  The
script is read with Python's ast module and checked against the API
version it declares, rendered to C and compiled against libpython; the
script's bytecode is embedded, so no script file is needed at run time:
pyplugin-gen disk.py -o disk-plugin.so && nbdkit ./disk-plugin.so

The script's code is never run, unless --import is given.  Problems are
reported as FILE:LINE:COL: error|warning: MESSAGE; on any error the exit
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
    p.add_argument("--import", dest="import_", action="store_true",
                   help="import the script (running its top-level code) in "
                   "a child process with a stand-in nbdkit module, and check "
                   "the callbacks it has after running; for scripts that "
                   "define callbacks dynamically.  Without --import the "
                   "script is only read, never run")
    p.add_argument("--standalone", action="store_true",
                   default=bool(os.environ.get("PYPLUGIN_GEN_STANDALONE")),
                   help="link Python into the plugin and freeze the modules "
                   "the script imports into it, so that it serves where no "
                   "Python is installed (default when PYPLUGIN_GEN_STANDALONE "
                   "is set and not empty)")
    p.add_argument("--no-standalone", dest="standalone",
                   action="store_false",
                   help="a default plugin, whatever PYPLUGIN_GEN_STANDALONE "
                   "says")
    p.add_argument("--freeze", action="append", default=[],
                   metavar="MODULE",
                   help="with --standalone, also freeze MODULE and what it "
                   "imports (for modules only a dynamic import reaches); "
                   "repeatable")
    p.add_argument("--exclude", action="append", default=[],
                   metavar="MODULE",
                   help="with --standalone, leave MODULE (and its "
                   "submodules) out; repeatable")
    p.add_argument("--name", help="the plugin name nbdkit shows (default: "
                   "from the script's file name)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the compiler command")
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

    if (args.freeze or args.exclude) and not args.standalone:
        return _fail("--freeze and --exclude need --standalone")
    diags = Diagnostics(werror=args.werror)
    scripts = [check_script(path, diags, args.import_)
               for path in args.scripts]
    if args.standalone and not args.check:
        try:
            standalone.available()
        except BuildError as e:
            return _fail(str(e))
    parts = {}
    if args.standalone and not diags.has_errors and None not in scripts:
        site = bake_site()
        for script in scripts:
            assert script is not None
            parts[script.path] = _standalone_parts(script, site, diags, args)
    diags.emit()
    if diags.has_errors or any(s is None for s in scripts):
        return 1
    if args.check:
        return 0
    for script in scripts:
        assert script is not None
        try:
            _build(script, names[script.path], args, parts.get(script.path))
        except (BuildError, OSError) as e:
            return _fail(str(e))
    return 0


def _standalone_parts(script: Script, site, diags: Diagnostics,
                      args: argparse.Namespace):
    tree = ast.parse(script.source, script.filename)
    parts, found = standalone.prepare(script, tree, site, diags,
                                      tuple(args.freeze),
                                      tuple(args.exclude))
    if parts.libraries:
        # What an image author must copy beside the plugin.
        print(f"{script.path}: note: the embedded C extensions "
              f"({', '.join(e.name for e in parts.extensions)}) need "
              f"{', '.join(parts.libraries)} at run time", file=sys.stderr)
    if args.verbose:
        for m in found.missing:
            print(f"{script.path}: note: module {m.name!r} "
                  f"({' -> '.join(m.chain + (m.name,))}) not found, left "
                  "out", file=sys.stderr)
        print(f"{script.path}: note: {len(parts.modules)} modules frozen, "
              f"{parts.module_bytes} bytes; C extensions embedded: "
              f"{len(parts.extensions)}", file=sys.stderr)
    return parts


def _build(script: Script, name: str, args: argparse.Namespace,
           parts=None) -> None:
    bytecode = compile_script(script)
    c_source = render(script, name, bytecode.code, bytecode.magic,
                      bytecode.python_version, site=bake_site(),
                      standalone=parts)
    if args.emit_c:
        write_atomic(args.emit_c, c_source.encode("utf-8"))
    elif parts is None:
        compile_plugin(c_source, args.output or f"{name}-plugin.so",
                       name, args.verbose)
    else:
        compile_plugin(c_source, args.output or f"{name}-plugin.so",
                       name, args.verbose, libs=standalone.link_flags(),
                       check=standalone.check_undefined)

# SPDX-License-Identifier: BSD-3-Clause
"""The pyplugin-gen command."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shlex
import sys
import tempfile
from typing import TYPE_CHECKING

from . import buildconfig, depfile, machine, rules, standalone
from .build import BuildError, build_inputs, compile_plugin, compile_script
from .callbacks import BY_NAME
from .check import check, per_connection_state
from .diagnostics import Diagnostics
from .files import write_atomic
from .model import Interpreters, plugin
from .render import render
from .script import Script, read
from .sitepath import Site, SiteError, bake_site

if TYPE_CHECKING:
    from .introspect import Imported

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
current directory, or installed with --install (-o, -S, -MF, -MT and
--name take one script only).
"""

# nbdkit: "ASCII alphanumeric characters or non-leading dashes".
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


def default_name(path: str) -> str:
    stem = os.path.basename(path)
    if stem.endswith(".py"):
        stem = stem[:-3]
    name = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    return name or "python"


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {text!r}")
    return n


# PEP 684: an interpreter with a GIL of its own.
PER_INTERPRETER_GIL = (3, 12)


def interpreters(args: argparse.Namespace) -> Interpreters | None:
    """The pool of a plugin with one interpreter per connection, or None
    for one interpreter; BuildError if the target Python cannot."""
    if args.interpreters == "one":
        return None
    have = tuple(int(x) for x in buildconfig.PYTHON_VERSION.split("."))
    if have < PER_INTERPRETER_GIL:
        raise BuildError(
            "--interpreters=per-connection needs Python "
            f"{'.'.join(map(str, PER_INTERPRETER_GIL))} or later (an "
            "interpreter with its own GIL), and plugins are built for "
            f"Python {buildconfig.PYTHON_VERSION} ({buildconfig.PYTHON}); "
            "configure --with-python chooses another")
    if args.interpreter_pool > args.interpreter_limit:
        raise BuildError(f"--interpreter-pool={args.interpreter_pool} is "
                         "above --interpreter-limit="
                         f"{args.interpreter_limit}")
    return Interpreters(args.interpreter_pool, args.interpreter_limit)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # A usage error is an error like any other: exit status 1.
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pyplugin-gen", description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scripts", nargs="*", metavar="SCRIPT",
                   help="a plugin script (any file name)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT.so",
                     help="the plugin to write (default: NAME-plugin.so)")
    out.add_argument("-S", "--emit-c", metavar="FILE",
                     help="write the C source only")
    out.add_argument("--check", action="store_true",
                     help="check the scripts and write nothing")
    out.add_argument("--stubs", metavar="DIR",
                     help="write type stubs of the plugins' nbdkit module, "
                     "for the installed nbdkit, to DIR/nbdkit-stubs/"
                     "__init__.pyi (a PEP 561 stub package; make install "
                     "installs it); takes no SCRIPT")
    out.add_argument("--install", action="store_true",
                     help="build and install nbdkit-NAME-plugin.so into "
                     "nbdkit's plugin directory (under $DESTDIR if set), "
                     "so that `nbdkit NAME` serves it")
    p.add_argument("--plugindir", metavar="DIR",
                   default=buildconfig.NBDKIT_PLUGINDIR,
                   help="the plugin directory for --install (default: "
                   "nbdkit's, from its pkg-config file: %(default)s)")
    p.add_argument("-MD", dest="depfile", action="store_true",
                   help="also write a make dependency file, OUT less its "
                   "suffix plus .d (as gcc -MD)")
    p.add_argument("-MF", dest="depfile_path", metavar="FILE",
                   help="write the dependency file to FILE (implies -MD)")
    p.add_argument("-MT", dest="dep_target", metavar="TARGET",
                   help="the target named in the dependency file "
                   "(default: OUT)")
    p.add_argument("-MP", dest="dep_phony", action="store_true",
                   help="add an empty rule for every dependency, so that "
                   "make does not fail when one is deleted")
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
    p.add_argument("-W", dest="warnings", action="append", default=[],
                   metavar="[no-]NAME",
                   help="-Wno-NAME turns off the warning NAME (shown as "
                   "[-WNAME] after it); -WNAME turns it on again.  Names: "
                   f"{', '.join(sorted(rules.WARNINGS))}")
    p.add_argument("-fdiagnostics-format", dest="format", default="text",
                   choices=machine.FORMATS, metavar="FORMAT",
                   help="text (the default); json or json-stderr: JSON on "
                   "stderr; sarif-stderr: SARIF 2.1.0 on stderr; json-file, "
                   "sarif-file: SCRIPT.json or SCRIPT.sarif in the current "
                   "directory, for each SCRIPT")
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
    p.add_argument("--interpreters", choices=("one", "per-connection"),
                   default="one",
                   help="one: every callback runs in one interpreter "
                   "under one GIL (the default); per-connection: each "
                   "connection gets an interpreter with its own GIL, so "
                   "that connections compute in parallel (Python 3.12 or "
                   "later; module-level state becomes per connection)")
    p.add_argument("--interpreter-pool", type=_positive, default=2,
                   metavar="N",
                   help="with --interpreters=per-connection, the "
                   "interpreters made ready after nbdkit forks, and kept "
                   "ready as connections end (default: %(default)s)")
    p.add_argument("--interpreter-limit", type=_positive, default=64,
                   metavar="N",
                   help="with --interpreters=per-connection, the most "
                   "interpreters at once; a connection beyond it waits for "
                   "one to be free (default: %(default)s)")
    p.add_argument("--collect", action="append", default=[],
                   metavar="PACKAGE",
                   help="with --standalone, freeze PACKAGE whole: every "
                   "module and data file under it; repeatable")
    p.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="with --standalone, also look for modules in DIR, "
                   "after the script's directory and before PYTHONPATH; "
                   "repeatable")
    p.add_argument("--sbom", metavar="FILE",
                   help="write a CycloneDX 1.6 JSON software bill of "
                   "materials of the plugin to FILE (the plugin carries it "
                   "too)")
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
                 import_: bool = False,
                 per_connection: bool = False) -> Script | None:
    """Read and check one script; problems go to diags."""
    script = read(path, diags)
    if script is None:
        return None
    if import_ and not diags.errors_in(path):
        from .introspect import introspect
        found = introspect(script, diags)
        if found is not None:
            script = _with_imported(script, found)
    check(script, diags)
    if per_connection:
        per_connection_state(script, diags)
    return script


def _with_imported(script: Script, found: Imported) -> Script:
    """The script to check and build under --import: its callbacks are
    those the import found, in place of those read from the source."""
    read_only = {name: cands for name, cands in script.candidates.items()
                 if name not in BY_NAME}
    return dataclasses.replace(
        script, imported=True, callbacks=dict(found.callbacks),
        candidates={**read_only,
                    **{name: [d] for name, d in found.callbacks.items()}})


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.stubs is not None:
        if args.scripts:
            return _fail("--stubs takes no SCRIPT")
        return _write_stubs(args.stubs)
    if not args.scripts:
        p.error("the following arguments are required: SCRIPT")
    several = len(args.scripts) > 1
    if several:
        for flag, given in (("-o", args.output), ("-S", args.emit_c),
                            ("-MF", args.depfile_path),
                            ("-MT", args.dep_target),
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
            out = output_path(name, args)
            other = outputs.setdefault(out, path)
            if other != path:
                return _fail(f"{other} and {path} would both be built to "
                             f"{out}")

    if (args.freeze or args.exclude or args.collect or args.path) \
            and not args.standalone:
        return _fail("--freeze, --exclude, --collect and --path need "
                     "--standalone")
    try:
        pool = interpreters(args)
    except BuildError as e:
        return _fail(str(e))
    disabled = set()
    for w in args.warnings:
        name = w[3:] if w.startswith("no-") else w
        if name not in rules.WARNINGS:
            return _fail(f"unknown warning option '-W{w}' (warnings: "
                         f"{', '.join(sorted(rules.WARNINGS))})")
        (disabled.add if w.startswith("no-") else disabled.discard)(name)
    diags = Diagnostics(werror=args.werror,
                        show_unchecked=(args.verbose if args.unchecked is None
                                        else args.unchecked),
                        disabled=frozenset(disabled))
    scripts = [check_script(path, diags, args.import_, pool is not None)
               for path in args.scripts]
    if args.standalone and not args.check:
        try:
            standalone.available()
        except BuildError as e:
            return _fail(str(e))
    # What site computes is the same for every script: found once, for
    # a build, or to search a standalone plugin's modules (--check too).
    site = None
    if not diags.has_errors and None not in scripts and \
            (args.standalone or not args.check):
        try:
            site = bake_site()
        except SiteError as e:
            report(diags, args)
            return _fail(str(e))
    parts = {}
    if args.standalone and site is not None:
        for script in scripts:
            assert script is not None
            parts[script.path] = _standalone_parts(script, site, diags, args)
    if args.sbom is not None and (several or args.emit_c or args.check):
        return _fail("--sbom describes the plugin of one script: it needs "
                     "one SCRIPT, and a plugin to build")
    report(diags, args)
    if diags.has_errors or any(s is None for s in scripts):
        return 1
    if args.check:
        return 0
    assert site is not None
    for script in scripts:
        assert script is not None
        try:
            _build(script, names[script.path], args, site,
                   parts.get(script.path), pool)
        except (BuildError, OSError) as e:
            return _fail(str(e))
    return 0


def _write_stubs(directory: str) -> int:
    from . import nbdkit_header, stubs
    try:
        stubs.write(directory, nbdkit_header.load())
    except nbdkit_header.RecordError as e:
        return _fail(f"{e.path}: {e}")
    except OSError as e:
        return _fail(f"cannot write the stubs: {e}")
    return 0


def report(diags: Diagnostics, args: argparse.Namespace) -> None:
    """Show the diagnostics in the format asked for."""
    fmt = args.format
    if fmt == "text":
        diags.emit()
        return
    version = buildconfig.VERSION
    if fmt.endswith("-file"):
        ours = set(args.scripts)
        for path in args.scripts:
            # A diagnostic about no script (nbdkit's record) goes in each.
            mine = [d for d in diags.ordered()
                    if d.file == path or d.file not in ours]
            text = (machine.to_json(mine) if fmt == "json-file"
                    else machine.to_sarif(mine, version))
            write_atomic(machine.output_file(path, fmt), text)
        return
    text = (machine.to_sarif(diags.ordered(), version)
            if fmt == "sarif-stderr" else machine.to_json(diags.ordered()))
    sys.stderr.write(text)
    sys.stderr.flush()


def output_path(name: str, args: argparse.Namespace) -> str:
    """Where the build of the plugin NAME goes."""
    if args.emit_c:
        return args.emit_c
    if args.output:
        return args.output
    if args.install:
        # nbdkit NAME loads PLUGINDIR/nbdkit-NAME-plugin.so.
        destdir = os.environ.get("DESTDIR", "")
        return os.path.join(destdir + args.plugindir,
                            f"nbdkit-{name}-plugin.so")
    return f"{name}-plugin.so"


def _single_phase(data: bytes) -> bool:
    """Whether an extension module's shared object initialises its
    module in one phase: it links PyModule_Create2 and not
    PyModuleDef_Init.  Such a module cannot be imported in an
    interpreter of its own."""
    return b"PyModule_Create2" in data and b"PyModuleDef_Init" not in data


def _standalone_parts(script: Script, site: Site, diags: Diagnostics,
                      args: argparse.Namespace):
    parts, found = standalone.prepare(script, site, diags,
                                      tuple(args.freeze),
                                      tuple(args.exclude),
                                      tuple(args.collect),
                                      tuple(args.path))
    if args.interpreters == "per-connection":
        embedded = {e.name: e for e in parts.extensions}
        for m in found.modules:
            e = embedded.get(m.name)
            if e is not None and _single_phase(e.data):
                diags.error(
                    script.path, m.line, 1,
                    f"C extension module {m.name!r} "
                    f"({' -> '.join(m.chain)}) initialises "
                    "in a single phase, so an interpreter with its own GIL "
                    "cannot import it: it cannot be used with "
                    "--interpreters=per-connection",
                    rule="standalone-module")
    if parts.libraries:
        # What an image author must copy beside the plugin.
        print(f"{script.path}: note: the embedded C extensions "
              f"({', '.join(e.name for e in parts.extensions)}) need "
              f"{', '.join(parts.libraries)} at run time", file=sys.stderr)
    if parts.left_out and any(m.name == "hashlib" for m in parts.modules):
        print(f"{script.path}: note: libpython's archive lacks the code of "
              f"the built-in modules {', '.join(parts.left_out)}, which "
              "the plugin leaves out: hashlib takes what it can from "
              "OpenSSL (_hashlib), and logs an error for each algorithm "
              "only those modules provide", file=sys.stderr)
    if args.verbose:
        for m in found.missing:
            where = m.site or f"{script.path}:{m.line}"
            print(f"{where}: note: module {m.name!r} "
                  f"({' -> '.join(m.chain + (m.name,))}) not found, left "
                  "out", file=sys.stderr)
        for name, file, line in found.dynamic:
            print(f"{file}:{line}: note: an import of a module named at "
                  "run time, not followed; if the plugin needs it, "
                  "--freeze it or --collect its package", file=sys.stderr)
        print(f"{script.path}: note: {len(parts.modules)} modules frozen, "
              f"{parts.module_bytes} bytes; C extensions embedded: "
              f"{len(parts.extensions)}", file=sys.stderr)
    return parts, found


def _build(script: Script, name: str, args: argparse.Namespace, site: Site,
           standalone_parts=None,
           pool: Interpreters | None = None) -> None:
    parts, found = standalone_parts or (None, None)
    bytecode = compile_script(script)
    c_source = render(plugin(script, name, bytecode, site=site,
                             standalone=parts, interpreters=pool))
    output = output_path(name, args)
    if args.emit_c:
        write_atomic(output, c_source)
    else:
        if args.install:
            os.makedirs(os.path.dirname(output), exist_ok=True)

        def check(linked: str) -> None:
            if parts is not None:
                standalone.check_undefined(linked)
            if args.sbom is not None:
                _write_sbom(script, name, linked, args, site, parts, found)

        with tempfile.TemporaryDirectory(prefix="pyplugin-gen-") as work:
            libs = None if parts is None else standalone.link_flags(
                parts, work, debug=_asks_debug())
            compile_plugin(c_source, output, name, args.verbose, libs=libs,
                           check=check)
        if parts is not None and args.verbose:
            _report_size(script, output, parts)
        if args.install and args.verbose:
            print(f"pyplugin-gen: installed {output}", file=sys.stderr)
    if args.depfile or args.depfile_path:
        _write_depfile(script, output, args, parts)


def _asks_debug() -> bool:
    """Whether the build's CFLAGS ask for debug information (-g...)."""
    cflags = os.environ.get("CFLAGS")
    if cflags is None:
        cflags = buildconfig.CFLAGS
    return any(f.startswith("-g") and not f.startswith("-g0")
               for f in shlex.split(cflags))


def _report_size(script: Script, output: str, parts) -> None:
    """-v: what the standalone plugin's size is made of."""
    total = os.path.getsize(output)
    embedded = (parts.module_bytes + parts.extension_bytes
                + len(parts.data) + len(parts.manifest))
    print(f"{script.path}: note: {output} is {total} bytes: CPython and "
          f"the runtime {total - embedded}, frozen bytecode "
          f"{parts.module_bytes} ({len(parts.modules)} modules), C "
          f"extensions {parts.extension_bytes} ({len(parts.extensions)}), "
          f"data {len(parts.data) + len(parts.manifest)}; built-in modules "
          f"left out: {', '.join(parts.dropped) or 'none'}",
          file=sys.stderr)


def _write_sbom(script: Script, name: str, plugin: str,
                args: argparse.Namespace, site: Site, parts, found) -> None:
    """The SBOM of the linked plugin: written to --sbom's file and put
    into the plugin."""
    from . import sbom
    module_path = (standalone.module_path(script, site, tuple(args.path))
                   if parts is not None else None)
    data = sbom.dumps(sbom.document(script, name, plugin, parts, found,
                                    module_path))
    sbom.embed(plugin, data)
    write_atomic(args.sbom, data)


def _write_depfile(script: Script, output: str, args: argparse.Namespace,
                   parts=None) -> None:
    """The make rule of the build: its inputs, and for a standalone
    plugin every frozen module's and embedded extension's file."""
    path = args.depfile_path or os.path.splitext(output)[0] + ".d"
    try:
        text = depfile.render(args.dep_target or output,
                              [*build_inputs(script),
                               *(parts.sources if parts else ())],
                              args.dep_phony)
    except ValueError as e:
        raise BuildError(str(e)) from e
    write_atomic(path, text)

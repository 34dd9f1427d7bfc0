# SPDX-License-Identifier: BSD-3-Clause
"""The plugin's built-in nbdkit module has exactly the helpers the
installed header declares (nbdkit_header.python_helpers): read from
runtime/module.c with libclang, compiled against reduced and augmented
headers made here from the installed ones, and seen from a real plugin
under nbdkit."""

import os
import re
import shlex
import subprocess
import tempfile
import textwrap
import unittest

from common import (GENERATED, RUNTIME, Transform, build_flags,
                    buildconfig, count_calls, have, installed_record,
                    make_record, nbdkit_header, run_generator)
from pyplugin_gen import fmtcheck, helpers, libclang
from pyplugin_gen.libclang import CursorKind

MODULE_C = os.path.join(RUNTIME, "module.c")


def _string(cursor):
    """The value of a string literal under implicit casts, else None."""
    while cursor.kind in (CursorKind.UNEXPOSED_EXPR, CursorKind.PAREN_EXPR):
        children = list(cursor.get_children())
        if len(children) != 1:
            return None
        cursor = children[0]
    if cursor.kind != CursorKind.STRING_LITERAL:
        return None
    return cursor.spelling[1:-1]


def module_method_fields(include_dirs):
    """name -> (flags, docstring) of module.c's PyMethodDef table, as the
    compiler sees it with include_dirs first on the include path."""
    flags = [f"-I{d}" for d in include_dirs] + ["-I", RUNTIME, *build_flags()]
    tu = libclang.parse(MODULE_C, flags)
    for c in tu.cursor.get_children():
        if c.kind == CursorKind.VAR_DECL and c.spelling == "methods":
            (init,) = [x for x in c.get_children()
                       if x.kind == CursorKind.INIT_LIST_EXPR]
            fields = {}
            for entry in init.get_children():
                parts = list(entry.get_children())
                name = _string(parts[0]) if parts else None
                if name is not None:
                    meth = " ".join(t.spelling for t in parts[2].get_tokens())
                    fields[name] = (meth, _string(parts[3]))
            return fields
    raise AssertionError("module.c has no methods table")


def python_meth_flags():
    """METH_NAME -> its value's spelling, from Python's headers (the
    table above holds flags as the compiler expanded them)."""
    flags = [f for f in build_flags() if f.startswith("-I")]
    for d in (f[2:] for f in flags):
        path = os.path.join(d, "methodobject.h")
        if os.path.exists(path):
            with open(path) as f:
                return dict(re.findall(r"#define (METH_[A-Z]+)\s+(\S+)",
                                       f.read()))
    raise AssertionError(f"no methodobject.h under {flags}")


def module_methods(include_dirs):
    """The names in module.c's PyMethodDef table."""
    return list(module_method_fields(include_dirs))


def compile_module(include_dirs, out):
    """module.c compiled as the runtime is, -Werror; returns the
    undefined symbols of the object."""
    command = [*shlex.split(buildconfig.CC), "-std=gnu11", "-fPIC", "-Wall",
               "-Wextra", "-Werror", *[f"-I{d}" for d in include_dirs],
               "-I", RUNTIME, *build_flags(), "-c", MODULE_C, "-o", out]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{shlex.join(command)}\n{proc.stderr}")
    nm = subprocess.run(["nm", "-u", out], capture_output=True, text=True,
                        check=True)
    return {line.split()[-1] for line in nm.stdout.splitlines() if line}


class InstalledHeader(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.record = installed_record()
        cls.methods = module_methods([GENERATED])

    def test_exactly_the_helpers(self):
        self.assertEqual(sorted(self.methods),
                         nbdkit_header.python_helpers(self.record))

    def test_every_function_wrapped_or_explained(self):
        # A function a newer nbdkit adds fails here until the helper
        # table has it (and module.c wraps it) or NOT_FOR_PYTHON says why
        # not.
        self.assertEqual(nbdkit_header.unexplained(self.record), [],
                         "neither a row of helpers.HELPERS nor listed in "
                         "nbdkit_header.NOT_FOR_PYTHON")
        for fn in self.record.functions:
            with self.subTest(fn):
                self.assertTrue(
                    fn in helpers.BY_C_FUNCTION
                    and helpers.BY_C_FUNCTION[fn].name in self.methods
                    or fn in nbdkit_header.NOT_FOR_PYTHON)

    def test_docstrings_and_flags_from_the_table(self):
        # The compiled module: each helper's docstring is its row's doc,
        # and it takes arguments exactly when its row has parameters.
        docs = module_method_fields([GENERATED])
        meth = python_meth_flags()
        for name in self.methods:
            with self.subTest(name):
                row = helpers.BY_NAME[name]
                self.assertEqual(docs[name],
                                 (meth[row.meth_flags], row.doc))

    def test_documented_helpers(self):
        # The README promises these; nbdkit has had them for years.
        for name in ("debug", "export_name", "set_error", "parse_size",
                     "shutdown", "parse_bool", "is_tls", "peer_pid",
                     "peer_uid", "peer_gid"):
            self.assertIn(name, self.methods)

    def test_disconnect_where_declared(self):
        self.assertEqual("disconnect" in self.methods,
                         "nbdkit_disconnect" in self.record.functions)


class OtherHeaders(unittest.TestCase):
    """module.c against headers with functions taken out or added."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pyplugin-module-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def build(self, transform, sub=""):
        directory = os.path.join(self.dir, sub)
        include = transform.apply(directory)
        record = nbdkit_header.load(make_record(include, directory))
        dirs = self.dirs = [include, os.path.join(directory, "generated")]
        methods = module_methods(dirs)
        undefined = compile_module(dirs, os.path.join(directory, "module.o"))
        return record, methods, undefined

    @staticmethod
    def disconnect_transforms():
        """(without, with): the installed headers made to leave out
        nbdkit_disconnect, and to declare it, whichever they do."""
        if "nbdkit_disconnect" in installed_record().functions:
            return (Transform().remove_function("nbdkit_disconnect"),
                    Transform())
        return (Transform(), Transform().add_function(
            "NBDKIT_EXTERN_DECL (void, nbdkit_disconnect, (int force));",
            after="nbdkit_shutdown"))

    def test_removed_helpers_are_gone(self):
        record, methods, undefined = self.build(
            Transform().remove_function("nbdkit_peer_pid")
            .remove_function("nbdkit_nanosleep"))
        self.assertNotIn("nbdkit_peer_pid", record.functions)
        self.assertEqual(sorted(methods),
                         nbdkit_header.python_helpers(record))
        self.assertNotIn("peer_pid", methods)
        self.assertNotIn("nanosleep", methods)
        self.assertIn("peer_uid", methods)
        self.assertNotIn("nbdkit_peer_pid", undefined)
        self.assertNotIn("nbdkit_nanosleep", undefined)
        self.assertIn("nbdkit_peer_uid", undefined)

    def test_disconnect_appears_when_declared(self):
        without, with_ = self.disconnect_transforms()
        record, methods, undefined = self.build(without, "without")
        self.assertNotIn("disconnect", methods)
        self.assertNotIn("nbdkit_disconnect", undefined)
        flags_without = [f"-I{d}" for d in self.dirs] + ["-I", RUNTIME,
                                                         *build_flags()]
        record, methods, undefined = self.build(with_, "with")
        self.assertIn("nbdkit_disconnect", record.functions)
        self.assertIn("disconnect", methods)
        self.assertEqual(sorted(methods),
                         nbdkit_header.python_helpers(record))
        self.assertIn("nbdkit_disconnect", undefined)
        # Its PyArg_ParseTuple is checked like the others'.
        flags = [f"-I{d}" for d in self.dirs] + ["-I", RUNTIME,
                                                 *build_flags()]
        checker = fmtcheck.Checker(flags)
        checker.check_file(MODULE_C)
        self.assertEqual([str(f) for f in checker.findings], [])
        self.assertEqual(checker.calls, count_calls(MODULE_C, flags))
        self.assertEqual(checker.calls,
                         count_calls(MODULE_C, flags_without) + 1)

    def import_sees(self, record_path):
        """The helpers a script sees under pyplugin-gen --import, which
        runs it with a stand-in nbdkit module, with the record."""
        probe = os.path.join(self.dir, "probe.py")
        seen = os.path.join(self.dir, "seen")
        with open(probe, "w") as f:
            f.write(textwrap.dedent("""\
                import os

                import nbdkit

                API_VERSION = 2
                with open(os.environ["PROBE_SEEN"], "w") as f:
                    f.write(",".join(sorted(
                        n for n, v in vars(nbdkit).items()
                        if callable(v) and not n.startswith("_"))))

                def open(readonly):
                    return 1

                def get_size(h):
                    return 0

                def pread(h, buf, offset, flags):
                    pass
                """))
        p = run_generator(["--check", "--import", probe], record=record_path,
                          env={"PROBE_SEEN": seen})
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(seen) as f:
            return f.read().split(",")

    def test_import_stand_in_follows_the_record(self):
        # The stand-in offers what the plugin will offer: no disconnect
        # where the header lacks it, and disconnect where it has it.
        for transform in (Transform().remove_function("nbdkit_peer_pid"),
                          *self.disconnect_transforms()):
            with self.subTest(edits=[e[3] for e in transform.edits]):
                include = transform.apply(self.dir)
                path = make_record(include, self.dir)
                self.assertEqual(
                    self.import_sees(path),
                    nbdkit_header.python_helpers(nbdkit_header.load(path)))

    def test_unknown_function_is_not_wrapped(self):
        # A function the helper table does not know is not in the
        # module, and unexplained() names it: the installed-header test
        # above would fail until it is handled.
        record, methods, _ = self.build(
            Transform().add_function(
                "NBDKIT_EXTERN_DECL (int, nbdkit_frobnicate, (void));",
                after="nbdkit_shutdown"))
        self.assertNotIn("frobnicate", methods)
        self.assertEqual(nbdkit_header.unexplained(record),
                         ["nbdkit_frobnicate"])


SCRIPT = '''\
import nbdkit

API_VERSION = 2


def dump_plugin():
    names = sorted(n for n in dir(nbdkit)
                   if not n.startswith("_") and callable(getattr(nbdkit, n)))
    print("helpers=" + ",".join(names), flush=True)


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
'''


@unittest.skipUnless(have("nbdkit"), "nbdkit is not installed")
class LiveModule(unittest.TestCase):
    """What a script sees in a plugin nbdkit has loaded."""

    def test_dump_plugin_lists_the_helpers(self):
        with tempfile.TemporaryDirectory(prefix="pyplugin-live-") as tmp:
            script = os.path.join(tmp, "helpers.py")
            with open(script, "w") as f:
                f.write(textwrap.dedent(SCRIPT))
            plugin = os.path.join(tmp, "helpers-plugin.so")
            proc = run_generator([script, "-o", plugin])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            proc = subprocess.run(["nbdkit", "--dump-plugin", plugin],
                                  capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = [line for line in proc.stdout.splitlines()
                 if line.startswith("helpers=")]
        self.assertEqual(len(lines), 1, proc.stdout)
        helpers = lines[0][len("helpers="):].split(",")
        self.assertEqual(helpers,
                         nbdkit_header.python_helpers(installed_record()))

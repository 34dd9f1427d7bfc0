# SPDX-License-Identifier: BSD-3-Clause
"""valgrind memcheck on nbdkit serving a generated plugin.

nbdkit runs under valgrind with a plugin generated from
corpus/misbehave.py (built with -g) while the raising and wrong-result
cases of test_misbehaving.py run against it, then stops.  With
PYTHONMALLOC=malloc (so that Python's allocator does not hide its
blocks from valgrind) and the suppressions in valgrind-python.supp
(Python's obmalloc, and Python's own start-up), no error and no definite
leak may be attributable to the runtime or the generated code: one with
a frame of the plugin nearer the fault than any Python interpreter
frame, start-up or finalization.  The others are Python's (with the
strings it interns immortal and loses when an interpreter ends:
common.interned_by_python) and only counted.  A shim keeps nbdkit from
unloading the plugin and libpython before the leak check, so that their
functions can still be named.

Under PYPLUGIN_SLOW=1 a canary (a plugin leaking 64 bytes a read) shows
the check catches a leak.
"""

import os
import signal
import stat
import unittest
import xml.etree.ElementTree as ElementTree

from common import (ENV, GEN, HERE, SLOW, Control, Server,
                    build_shim, canary, close_handle, compile_plugin,
                    corpus, interned_by_python, run)

import test_misbehaving

SCRIPT = corpus("misbehave.py")
SUPPRESSIONS = os.path.join(HERE, "valgrind-python.supp")
# (Py_NewInterpreterFromConfig and Py_EndInterpreter: Python's start and
# end of a connection's interpreter, which keep, as Python's own start-up
# does, what an interpreter alive at exit holds.)
PYTHON_BOUNDARIES = ("_PyEval_EvalFrameDefault", "Py_InitializeFromConfig",
                     "Py_FinalizeEx", "PyEval_EvalCode",
                     "Py_NewInterpreterFromConfig", "Py_EndInterpreter")
EXIT_TIMEOUT = 180          # nbdkit's exit, with valgrind's leak check

WRAPPER = """#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full \\
  --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
  --suppressions='{supp}' --num-callers=50 \\
  --xml=yes --xml-file='{out}/valgrind.%p.xml' '{nbdkit}' "$@"
"""


def which(name):
    for d in ENV["PATH"].split(os.pathsep):
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return None


class Error:
    """One <error> of valgrind's XML output."""

    def __init__(self, element):
        self.kind = element.findtext("kind")
        self.what = (element.findtext("what")
                     or element.findtext("xwhat/text") or "")
        self.frames = [(f.findtext("fn") or "?", f.findtext("obj") or "?",
                        f.findtext("file") or "", f.findtext("line") or "")
                       for f in element.find("stack").iter("frame")]

    def ours(self, plugin):
        """Does a frame of the plugin come before any frame of Python's
        own work?"""
        boundaries = PYTHON_BOUNDARIES
        if self.kind.startswith("Leak_"):
            # (frames[0] is malloc, valgrind's.)
            boundaries += interned_by_python([f[0] for f in self.frames[1:]])
        for fn, obj, _, _ in self.frames:
            if fn in boundaries:
                return False
            if os.path.realpath(obj) == os.path.realpath(plugin):
                return True
        return False

    def __str__(self):
        return "%s: %s\n%s" % (self.kind, self.what, "\n".join(
            "    %s (%s %s:%s)" % (fn, os.path.basename(obj), f, n)
            for fn, obj, f, n in self.frames[:25]))


class Valgrind(test_misbehaving.Misbehaving, unittest.TestCase):
    TARGET = "generated"
    GEN_ARGS = ()           # pyplugin-gen's options for the plugin
    CASES = test_misbehaving.raising_cases() + \
        test_misbehaving.wrong_results()
    plugin_under_test = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        nbdkit = which("nbdkit")
        if which("valgrind") is None or nbdkit is None:
            raise unittest.SkipTest("valgrind or nbdkit is not installed")
        cls.build = os.path.join(cls.tmpdir, "vg")
        os.mkdir(cls.build)
        cls.c_source = os.path.join(cls.build, "misbehave.c")
        run([GEN, *cls.GEN_ARGS, SCRIPT, "-S", cls.c_source])
        cls.plugin = compile_plugin(
            cls.c_source, os.path.join(cls.build, "misbehave.so"),
            ["-O1", "-g"])
        cls.shim = build_shim(cls.build)
        # nbdkit, as the harness starts it, is this script first on PATH.
        cls.bin = os.path.join(cls.build, "bin")
        os.mkdir(cls.bin)
        wrapper = os.path.join(cls.bin, "nbdkit")
        with open(wrapper, "w") as f:
            f.write(WRAPPER.format(supp=SUPPRESSIONS, out=cls.build,
                                   nbdkit=nbdkit))
        os.chmod(wrapper, stat.S_IRWXU)

    def server(self, control):
        plugin = self.plugin_under_test or self.plugin
        return Server(plugin, env=dict(
            control.env, PYTHONMALLOC="malloc", LD_PRELOAD=self.shim,
            PATH=self.bin + os.pathsep + ENV["PATH"]))

    def errors(self):
        errors = []
        for name in sorted(os.listdir(self.build)):
            if name.startswith("valgrind.") and name.endswith(".xml"):
                path = os.path.join(self.build, name)
                try:
                    root = ElementTree.parse(path).getroot()
                except ElementTree.ParseError as e:
                    self.fail("valgrind's report %s is incomplete (%s): "
                              "did nbdkit exit?" % (path, e))
                errors += [Error(e) for e in root.iter("error")]
                os.unlink(path)
        return errors

    def serve_and_stop(self, work):
        """Start nbdkit under valgrind, do work(srv), stop it with
        SIGTERM and wait for valgrind's report."""
        control = Control(os.path.join(self.build, "orders"))
        srv = self.server(control)
        srv.start()
        try:
            work(srv, control)
            while srv.handles:
                close_handle(srv.handles.pop())
            srv.proc.send_signal(signal.SIGTERM)
            status = srv.wait_exit(EXIT_TIMEOUT)
            log = srv.log
        finally:
            srv.stop()
        self.assertEqual(status, 0, "nbdkit under valgrind:\n" + log)
        return self.errors()

    def test_memcheck(self):
        def work(srv, control):
            client = test_misbehaving.Client(srv)
            for case in self.CASES:
                with self.subTest(case=str(case)):
                    self.run_case(srv, client, control, case)
        errors = self.serve_and_stop(work)
        ours = [e for e in errors if e.ours(self.plugin)]
        print("\nvalgrind: %d errors and definite leaks not suppressed, "
              "%d of them the runtime's or the generated code's"
              % (len(errors), len(ours)))
        self.assertEqual(ours, [], "\n".join(map(str, ours)))

    def canary(self):
        """A plugin whose pread leaks 64 bytes is caught."""
        with open(self.c_source) as f:
            c_text = canary(f.read(), "  { volatile char *p = malloc (64);\n"
                                      "    p[0] = 1; }\n")
        c_source = os.path.join(self.build, "canary.c")
        with open(c_source, "w") as f:
            f.write(c_text)
        self.plugin_under_test = compile_plugin(
            c_source, os.path.join(self.build, "canary.so"), ["-O1", "-g"])

        def work(srv, control):
            h = srv.connect()
            for _ in range(10):
                h.pread(512, 0)
        errors = self.serve_and_stop(work)
        ours = [e for e in errors if e.ours(self.plugin_under_test)]
        self.assertTrue(any(e.kind == "Leak_DefinitelyLost"
                            and "640 bytes" in e.what for e in ours),
                        "\n".join(map(str, errors)))


if SLOW:
    # Another 10 s of valgrind: only with make check-slow.
    Valgrind.test_canary = Valgrind.canary

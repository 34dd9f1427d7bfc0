# SPDX-License-Identifier: BSD-3-Clause
"""One interpreter per connection (pyplugin-gen --interpreters=per-connection).

Where the target Python is older than the per-interpreter GIL, the
generator must refuse the mode, and every serving test here reports
itself skipped.  Where it is new enough, real clients check that two
connections are served by two interpreters, each of which has seen the
configuration (config replayed in order, config_complete run); that an
exception costs one request of one connection; that a callback holding
its GIL does not stop another connection; that a C extension without
per-interpreter support is refused when nbdkit starts, naming the module
and the import that reached it; and that nbdkit stops on SIGTERM with
interpreters serving.
"""

import errno
import os
import signal
import subprocess
import threading
import time
import unittest

import nbd

from harness import (GEN, ENV, Server, TempDirMixin, build_plugin, script)

from pyplugin_gen import buildconfig
from pyplugin_gen.cli import PER_INTERPRETER_GIL

SCRIPT = script("per_connection.py")
MODE = ("--interpreters=per-connection",)
TARGET = tuple(int(x) for x in buildconfig.PYTHON_VERSION.split("."))
NEW_ENOUGH = TARGET >= PER_INTERPRETER_GIL
SKIP_WHY = ("the target Python %s has no per-interpreter GIL"
            % buildconfig.PYTHON_VERSION)


def seen(h):
    """(interpreter's token, handle's token, config, completed)."""
    words = bytes(h.pread(512, 0)).split()
    return (words[0].decode(), words[1].decode(), words[2].decode(),
            words[3].decode())


class Refusal(TempDirMixin, unittest.TestCase):
    @unittest.skipIf(NEW_ENOUGH, "the target Python has a per-interpreter "
                     "GIL")
    def test_old_python_refused(self):
        out = os.path.join(self.tmpdir, "x.so")
        p = subprocess.run([GEN, *MODE, SCRIPT, "-o", out],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--interpreters=per-connection needs Python", p.stderr)
        self.assertIn(buildconfig.PYTHON_VERSION, p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_bad_pool(self):
        p = subprocess.run([GEN, *MODE, "--interpreter-pool=5",
                            "--interpreter-limit=4", SCRIPT, "--check"],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("error:", p.stderr)


def script_importing(tmpdir, name, module):
    """A copy of SCRIPT named name in tmpdir that also imports module."""
    path = os.path.join(tmpdir, name)
    with open(SCRIPT) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("import nbdkit\n",
                             "import nbdkit\nimport %s\n" % module))
    return path


@unittest.skipUnless(NEW_ENOUGH, SKIP_WHY)
class PerConnection(TempDirMixin, unittest.TestCase):
    GENERATE = (SCRIPT,)
    GENERATE_ARGS = MODE

    def server(self, *config, **kw):
        return Server(self.generated(SCRIPT), "a=1", "b=2", *config, **kw)

    def test_interpreters_differ(self):
        with self.server() as srv:
            h1, h2 = srv.connect(), srv.connect()
            one, two = seen(h1), seen(h2)
            # Each handle lives in its connection's interpreter.
            self.assertEqual(one[0], one[1])
            self.assertEqual(two[0], two[1])
            self.assertNotEqual(one[0], two[0])
            # A later connection finds the script run afresh.
            h1.shutdown()
            three = seen(srv.connect())
            self.assertNotIn(three[0], (one[0], two[0]))

    def test_one_interpreter_by_default(self):
        """The same script built without the option: one interpreter,
        so the test above can fail."""
        outdir = os.path.join(self.tmpdir, "default")
        os.makedirs(outdir, exist_ok=True)
        with Server(build_plugin(SCRIPT, outdir), "a=1") as srv:
            self.assertEqual(seen(srv.connect())[0],
                             seen(srv.connect())[0])

    def test_config_replayed(self):
        with self.server("c=3") as srv:
            for h in (srv.connect(), srv.connect()):
                self.assertEqual(seen(h)[2:], ("a=1,b=2,c=3", "True"))

    def test_exception_costs_one_request(self):
        with self.server() as srv:
            h1, h2 = srv.connect(), srv.connect()
            with self.assertRaises(nbd.Error) as e:
                h1.pread(512, 4096)
            self.assertIn(e.exception.errno, (errno.EIO, "EIO"))
            self.assertEqual(len(seen(h1)), 4)
            self.assertEqual(len(seen(h2)), 4)
            self.assertIn("per-connection: pread at 4096 fails", srv.log)

    def test_spinning_callback_blocks_only_its_connection(self):
        """A callback holding its GIL for 3 s: another connection's reads
        go on meanwhile (with one GIL they would share the time of the
        spinning one, 5 ms turns)."""
        with self.server("spin=3") as srv:
            h1, h2 = srv.connect(), srv.connect()
            spinner = threading.Thread(target=h1.pread, args=(512, 8192))
            spinner.start()
            time.sleep(0.3)
            start = time.monotonic()
            for _ in range(50):
                seen(h2)
            took = time.monotonic() - start
            spinner.join()
            self.assertLess(took, 2.0)

    def test_sigterm_under_load(self):
        """SIGTERM while four connections read: nbdkit exits 0, and no
        Python fatal error or crash is logged."""
        with self.server() as srv:
            stop = threading.Event()
            errors = []

            def reader():
                try:
                    h = nbd.NBD()
                    h.connect_unix(srv.sock)
                    while not stop.is_set():
                        h.pread(4096, 0)
                except nbd.Error:
                    pass  # the server went away: expected
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
            threads = [threading.Thread(target=reader) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(1)
            srv.proc.send_signal(signal.SIGTERM)
            status = srv.wait_exit(30)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(status, 0, srv.log)
            self.assertNotIn("Fatal Python error", srv.log)
            self.assertEqual(errors, [])

    def test_extension_without_support_refused(self):
        """numpy's C core does not support an interpreter of its own:
        nbdkit fails to start, the log naming the module and showing
        the import of the script that reached it."""
        if subprocess.run([buildconfig.PYTHON, "-c", "import numpy"],
                          capture_output=True).returncode != 0:
            self.skipTest("numpy is not installed for the target Python")
        path = script_importing(self.tmpdir, "uses_numpy.py", "numpy")
        plugin = build_plugin(path, self.tmpdir, *MODE)
        sock = os.path.join(self.tmpdir, "numpy.sock")
        p = subprocess.run(["nbdkit", "-f", "-U", sock, plugin],
                           capture_output=True, text=True, env=ENV,
                           timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("does not support loading in subinterpreters",
                      p.stderr)
        self.assertRegex(p.stderr, r"uses_numpy\.py.*line \d+")
        self.assertIn("import numpy", p.stderr)


@unittest.skipUnless(NEW_ENOUGH, SKIP_WHY)
class PerConnectionStandalone(TempDirMixin, unittest.TestCase):
    """A standalone plugin (frozen modules, Python linked in, its own
    empty sys.path) in this mode: interpreters differ, and each has the
    configuration.  (tests/e2e/test_standalone.py hides Python from
    standalone plugins; that needs a mount namespace, which a chroot
    may not give.)"""
    GENERATE = (SCRIPT,)
    GENERATE_ARGS = MODE + ("--standalone",)

    def test_interpreters_and_config(self):
        with Server(self.generated(SCRIPT), "a=1") as srv:
            one, two = seen(srv.connect()), seen(srv.connect())
            self.assertNotEqual(one[0], two[0])
            self.assertEqual(one[2:], ("a=1", "True"))
            self.assertEqual(two[2:], ("a=1", "True"))

    def test_single_phase_extension_refused_at_build(self):
        """The standalone closure shows a C extension that initialises
        in a single phase (CPython's _testsinglephase): a build error
        naming it and the import that reached it."""
        if subprocess.run([buildconfig.PYTHON, "-c",
                           "import _testsinglephase"],
                          capture_output=True).returncode != 0:
            self.skipTest("the target Python has no _testsinglephase")
        path = script_importing(self.tmpdir, "single.py",
                                "_testsinglephase")
        out = os.path.join(self.tmpdir, "single.so")
        p = subprocess.run([GEN, *MODE, "--standalone", path, "-o", out],
                           capture_output=True, text=True, env=ENV)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr, r"single\.py:\d+:1: error: C extension "
                         r"module '_testsinglephase' \(_testsinglephase\) "
                         r"initialises in a single phase")
        self.assertFalse(os.path.exists(out))

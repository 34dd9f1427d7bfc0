# SPDX-License-Identifier: BSD-3-Clause
"""When nbdkit stops, the plugin does what an exiting Python program
does (scripts/exit_hooks.py): atexit functions, then the finalizers of
the script's globals, and sys.stdout flushed.  Checked in the process
nbdkit forks to serve (--run) and in one that never forks (-f, stopped
with SIGTERM), with and without the script importing atexit, and the
same of nbdkit python, except the output: nbdkit python leaves what the
script wrote without a newline in Python's buffer when nbdkit puts
/dev/null on its standard output, and it is lost (README, Differences)."""

import os
import unittest

from harness import TargetMixin, run, script


class ExitChecks(TargetMixin):
    SCRIPT = script("exit_hooks.py")
    # Whether what get_ready wrote without a newline reaches stdout.
    FLUSHES = True

    def assertFlushed(self, out):
        if self.FLUSHES:
            self.assertIn("unflushed-output", out)

    def setUp(self):
        self.log = os.path.join(self.tmpdir, self.id().rsplit(".", 1)[1])
        if os.path.exists(self.log):
            os.unlink(self.log)

    def recorded(self):
        with open(self.log) as f:
            return f.read().split()

    def plugin_args(self, *config):
        srv = self.target_server("log=" + self.log, *config)
        return srv.args

    def run_captive(self, *config):
        """nbdkit --run: the server is a forked child, stopped by
        SIGTERM when the command ends; returns nbdkit's stdout."""
        p = run(["nbdkit", "-U", "-", *self.plugin_args(*config),
                 "--run", "nbdinfo --size \"$uri\""])
        return p.stdout.decode()

    def test_forked_with_atexit(self):
        out = self.run_captive("atexit=yes")
        self.assertEqual(self.recorded(), ["atexit", "finalizer"])
        self.assertFlushed(out)
        self.assertIn(str(1024 * 1024), out)

    def test_forked_without_atexit(self):
        out = self.run_captive()
        self.assertEqual(self.recorded(), ["finalizer"])
        self.assertFlushed(out)

    def test_foreground_sigterm(self):
        with self.target_server("log=" + self.log, "atexit=yes") as srv:
            h = srv.connect()
            self.assertEqual(h.pread(512, 0), bytes(512))
            srv.stop()
            log = srv.log
        self.assertEqual(srv.returncode, 0, log)
        self.assertEqual(self.recorded(), ["atexit", "finalizer"])
        self.assertFlushed(log)


class ExitGenerated(ExitChecks, unittest.TestCase):
    TARGET = "generated"


class ExitPeer(ExitChecks, unittest.TestCase):
    TARGET = "peer"
    FLUSHES = False

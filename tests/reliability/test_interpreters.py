# SPDX-License-Identifier: BSD-3-Clause
"""One interpreter per connection under the reliability suites.

The misbehaving-script cases (test_misbehaving.py), AddressSanitizer
and UndefinedBehaviorSanitizer (test_sanitizers.py) and valgrind
(test_valgrind.py) run against corpus/misbehave.py built with
--interpreters=per-connection, its disk in a file that every
interpreter maps (MISBEHAVE_DISK), so that the cases' checks of the data
hold across connections.  And nbdkit's resident memory stays flat over
10 000 connections in turn to e2e's per_connection.py, served by the
same two interpreters, each connection leaving its interpreter to be
reset for a later one (100 000 with PYPLUGIN_SLOW=1): RSS halfway and at
the end may differ by at most 5% (a leak of 300 bytes a connection
would show; before halfway RSS may still take a step, as the allocator
maps a new region).  (misbehave.py's 1 MiB disk, allocated again at
each reset, makes RSS move by a few percent either way with where
malloc puts it.)

Where the target Python has no per-interpreter GIL, every test here is
skipped.
"""

import os
import unittest

from common import SLOW, Server, TempDirMixin, buildconfig, script

import nbd

import test_misbehaving
import test_rss
import test_sanitizers
import test_valgrind

from pyplugin_gen.cli import PER_INTERPRETER_GIL

MODE = ("--interpreters=per-connection",)
NEW_ENOUGH = tuple(int(x) for x in buildconfig().PYTHON_VERSION.split(".")) \
    >= PER_INTERPRETER_GIL
SKIP_WHY = ("the target Python %s has no per-interpreter GIL"
            % buildconfig().PYTHON_VERSION)
CONNECTIONS = 100000 if SLOW else 10000


@unittest.skipUnless(NEW_ENOUGH, SKIP_WHY)
class PerConnection:
    GENERATE_ARGS = MODE
    GEN_ARGS = MODE

    def server(self, control):
        srv = super().server(control)
        disk = os.path.join(self.tmpdir, "disk")
        with open(disk, "wb") as f:
            f.truncate(1024 * 1024)
        srv.env["MISBEHAVE_DISK"] = disk
        return srv


class RaisingPerConnection(PerConnection,
                           test_misbehaving.RaisingGenerated):
    pass


class WrongResultsPerConnection(PerConnection,
                                test_misbehaving.WrongResultsGenerated):
    pass


class ExceptionsPerConnection(PerConnection,
                              test_misbehaving.ExceptionsGenerated):
    pass


class SanitizersPerConnection(PerConnection, test_sanitizers.Sanitizers):
    # The same program and canaries as test_sanitizers.py's.
    test_unit_tests = None
    test_canary = None

    @classmethod
    def build_unit_program(cls, cflags, libs):
        pass

    def test_string_canary(self):
        """A str the generated pread makes and leaks is the plugin's:
        the strings Python interns immortal and loses as an interpreter
        ends (common.interned_by_python) are told apart from it."""
        reports = self.run_canary(
            "string", "  (void) PyUnicode_FromString (\"a leaked str\");\n",
            3)
        ours, _ = test_sanitizers.runtime_leaks(reports, self.ours_dirs)
        self.assertEqual(len(ours), 1, reports[:5000])
        self.assertIn("in 3 object(s)", ours[0])
        self.assertIn("PyUnicode_New", ours[0])


class ValgrindPerConnection(PerConnection, test_valgrind.Valgrind):
    pass


@unittest.skipUnless(NEW_ENOUGH, SKIP_WHY)
class RssOverConnections(TempDirMixin, unittest.TestCase):
    SCRIPT = script("per_connection.py")
    GENERATE = (SCRIPT,)
    # No more interpreters than the pool's: a connection that comes
    # before the previous one's interpreter is reset waits for it.
    # Otherwise, on a busy machine, a third interpreter may be made at
    # any time, a step of about 2 MiB in RSS.
    GENERATE_ARGS = MODE + ("--interpreter-pool=2", "--interpreter-limit=2")

    def test_rss_flat(self):
        with Server(self.generated(self.SCRIPT)) as srv:
            first = None
            for i in range(CONNECTIONS):
                h = nbd.NBD()
                h.connect_unix(srv.sock)
                h.pread(4096, 0)
                h.shutdown()
                h.close()
                if i + 1 == CONNECTIONS // 2:
                    first = test_rss.rss_kib(srv.proc.pid)
            last = test_rss.rss_kib(srv.proc.pid)
            self.assertIsNone(srv.proc.poll())
        growth = (last - first) / first
        print("\nRSS after %d connections: %d KiB, after %d: %d KiB "
              "(%+.2f%%)" % (CONNECTIONS // 2, first, CONNECTIONS, last,
                             100 * growth))
        self.assertLessEqual(abs(growth), test_rss.LIMIT,
                             "RSS went from %d KiB to %d KiB" % (first, last))

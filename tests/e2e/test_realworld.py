# SPDX-License-Identifier: BSD-3-Clause
"""Scripts shaped like real plugins (tests/corpus/realworld), served by
the generated plugin and by nbdkit python side by side and put through
the same requests with real clients: callbacks wrapped by the script's
own decorator, built with functools.partial, an atexit cleanup, a
script that prints to stdout, and one whose import fails."""

import os
import unittest

import nbd

from harness import (TOP, Server, ServerError, TempDirMixin,
                     exercise, peer_server)

REALWORLD = os.path.join(TOP, "tests", "corpus", "realworld")
UPLOAD = os.path.join(REALWORLD, "upload.py")
PRINTS = os.path.join(REALWORLD, "prints_stdout.py")
IMPORT_FAILS = os.path.join(REALWORLD, "import_fails.py")


class RealWorld(TempDirMixin, unittest.TestCase):

    GENERATE = (UPLOAD, PRINTS, IMPORT_FAILS)

    def side_by_side(self, path):
        with peer_server(path) as peer:
            want = exercise(peer)
        with Server(self.generated(path)) as gen:
            got = exercise(gen)
        self.assertEqual(got, want)
        return got, gen.log, peer.log

    def test_decorated_partial_atexit(self):
        got, log, _ = self.side_by_side(UPLOAD)
        # The capabilities come through functools.partial.
        self.assertTrue(got["flags"]["can_flush"])
        self.assertTrue(got["flags"]["can_trim"])
        self.assertFalse(got["flags"]["is_read_only"])
        self.assertIn(("flush", "ok"), got["steps"])
        self.assertNotIn("error", log)

    def test_prints_to_stdout(self):
        _, log, peer_log = self.side_by_side(PRINTS)
        # What it prints while loading reaches nbdkit's stdout; once
        # serving, nbdkit has put /dev/null there, for both.
        for text in (log, peer_log):
            self.assertIn("loading the ramdisk plugin\n", text)
        self.assertEqual("open, readonly" in log, "open, readonly" in peer_log)

    def test_prints_with_stdio_for_the_client(self):
        """nbdkit -s serves the client on stdin and stdout: what the
        script prints while loading must not reach the socket."""
        plugin = self.generated(PRINTS)
        h = nbd.NBD()
        h.connect_command(["nbdkit", "-s", "--exit-with-parent", plugin])
        self.assertEqual(h.get_size(), 1024 * 1024)
        self.assertEqual(h.pread(512, 0), bytes(512))
        h.shutdown()

    def test_import_fails(self):
        for srv in (Server(self.generated(IMPORT_FAILS)),
                    peer_server(IMPORT_FAILS)):
            with self.subTest(server=srv.args[0]):
                with self.assertRaises(ServerError) as cm:
                    with srv:
                        pass
                self.assertIn("ModuleNotFoundError", str(cm.exception))
                self.assertIn("sqlite_backend_driver_that_is_not_installed",
                              str(cm.exception))

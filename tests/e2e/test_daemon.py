# SPDX-License-Identifier: BSD-3-Clause
"""Without -f nbdkit forks into the background after loading the
plugin (and the Python interpreter in it).  The plugin must serve
correctly from the forked process, and stop when killed by its pid."""

import os
import unittest

from harness import (MiB, TargetMixin, _wait_gone, example, pattern, run,
                     sha256_file)


class DaemonChecks(TargetMixin):
    SCRIPT = example("ramdisk.py")

    def test_background(self):
        src = os.path.join(self.tmpdir, "src.img")
        out = os.path.join(self.tmpdir, "out.img")
        with open(src, "wb") as f:
            f.write(os.urandom(4 * MiB))
        with self.target_server("size=4M", foreground=False) as srv:
            pid = srv.pid
            self.assertIsNotNone(pid)
            # The daemon is not our child: the process we started has
            # exited, and the pid in the pidfile is a different one.
            self.assertEqual(srv.proc.returncode, 0)
            self.assertNotEqual(pid, srv.proc.pid)
            h = srv.connect()
            h.pwrite(pattern(1, 65536), 12345)
            self.assertEqual(h.pread(65536, 12345), pattern(1, 65536))
            h.shutdown()
            run(["nbdcopy", src, srv.uri])
            run(["nbdcopy", srv.uri, out])
            self.assertEqual(sha256_file(out), sha256_file(src))
            info = srv.nbdinfo()
            self.assertEqual(info["exports"][0]["export-size"], 4 * MiB)
        self.assertTrue(_wait_gone(pid, 0), "nbdkit still running")


class DaemonRamdiskGenerated(DaemonChecks, unittest.TestCase):
    TARGET = "generated"


class DaemonRamdiskPeer(DaemonChecks, unittest.TestCase):
    TARGET = "peer"


class DaemonApi1Generated(DaemonChecks, unittest.TestCase):
    SCRIPT = example("api1.py")
    TARGET = "generated"


class DaemonApi1Peer(DaemonChecks, unittest.TestCase):
    SCRIPT = example("api1.py")
    TARGET = "peer"

# SPDX-License-Identifier: BSD-3-Clause
"""Errors: a callback that raises gives the client an error (EIO, or
the errno the script chose with nbdkit.set_error), the connection
stays usable, and the Python traceback is in nbdkit's log.  In all
three dialects, against the generated plugin and against the peer."""

import errno
import unittest

import nbd

from harness import TargetMixin, pattern, script

K = 1024


class ErrorChecks(TargetMixin):
    API1_OR_SEED = False        # pread returns a buffer

    def assertErrno(self, want, fn, *args):
        with self.assertRaises(nbd.Error) as cm:
            fn(*args)
        self.assertEqual(errno.errorcode.get(cm.exception.errnum),
                         errno.errorcode[want], str(cm.exception))

    def test_errors_and_recovery(self):
        with self.target_server() as srv:
            h = srv.connect()
            data = pattern(1, 4096)
            h.pwrite(data, 0)
            # raise -> EIO; the next request on the connection works
            self.assertErrno(errno.EIO, h.pread, 512, 64 * K)
            self.assertEqual(h.pread(4096, 0), data)
            # set_error(ENOSPC) + raise -> ENOSPC
            self.assertErrno(errno.ENOSPC, h.pread, 512, 128 * K)
            self.assertEqual(h.pread(4096, 0), data)
            # ... and the errno does not stick to the next failure
            self.assertErrno(errno.EIO, h.pread, 512, 64 * K)
            self.assertErrno(errno.EPERM, h.pwrite, b"x" * 512, 192 * K)
            # set_error without raising is not a failure, and leaves
            # nothing behind for the next exception
            h.pwrite(b"y" * 512, 256 * K)
            self.assertEqual(h.pread(512, 256 * K), b"y" * 512)
            self.assertErrno(errno.EIO, h.pread, 512, 64 * K)
            self.assertErrno(errno.EIO, h.zero, 512, 320 * K)
            self.assertErrno(errno.ENOMEM, h.trim, 512, 0)
            self.assertErrno(errno.EIO, h.flush)
            self.assertEqual(h.pread(4096, 0), data)
            if self.API1_OR_SEED:
                # pread returning too little, or not a buffer, is an
                # error; too much is cut to size
                self.assertErrno(errno.EIO, h.pread, 512, 384 * K)
                self.assertErrno(errno.EIO, h.pread, 512, 448 * K)
                h.pwrite(data, 512 * K)
                self.assertEqual(h.pread(4096, 512 * K), data)
            h.shutdown()
            log = srv.log
        # Every failure is logged with its Python traceback.
        self.assertIn("Traceback (most recent call last)", log)
        for what in ("RuntimeError: deliberate-failure-pread-eio",
                     "RuntimeError: deliberate-failure-pread-enospc",
                     "RuntimeError: deliberate-failure-pwrite-eperm",
                     "ValueError: deliberate-failure-zero",
                     "RuntimeError: deliberate-failure-trim",
                     "KeyError: 'deliberate-failure-flush'"):
            self.assertIn(what, log)
        self.assertGreaterEqual(
            log.count("Traceback (most recent call last)"), 8, log)

    def test_many_errors(self):
        """Hundreds of exceptions in a row: each one an error, no leak
        of state between them, the connection still fine after."""
        with self.target_server() as srv:
            h = srv.connect()
            for i in range(300):
                want = errno.ENOSPC if i % 2 else errno.EIO
                self.assertErrno(want, h.pread, 512,
                                 128 * K if i % 2 else 64 * K)
            h.pwrite(b"z" * 4096, 4096)
            self.assertEqual(h.pread(4096, 4096), b"z" * 4096)


class ReleasedErrorChecks(ErrorChecks):
    SCRIPT = script("errors.py")

    def test_open_fails(self):
        """An exception in open fails that connection only."""
        with self.target_server() as srv:
            with self.assertRaises(nbd.Error):
                srv.connect(export_name="fail-open")
            h = srv.connect()
            self.assertEqual(h.pread(512, 0), bytes(512))
            self.assertIn("deliberate-failure-open", srv.log)


class ErrorsReleasedGenerated(ReleasedErrorChecks, unittest.TestCase):
    TARGET = "generated"


class ErrorsReleasedPeer(ReleasedErrorChecks, unittest.TestCase):
    TARGET = "peer"


class Api1ErrorChecks(ErrorChecks):
    SCRIPT = script("errors_api1.py")
    API1_OR_SEED = True


class ErrorsApi1Generated(Api1ErrorChecks, unittest.TestCase):
    TARGET = "generated"


class ErrorsApi1Peer(Api1ErrorChecks, unittest.TestCase):
    TARGET = "peer"


class SeedErrorChecks(ErrorChecks):
    SCRIPT = script("errors_seed.py")
    API1_OR_SEED = True


class ErrorsSeedGenerated(SeedErrorChecks, unittest.TestCase):
    TARGET = "generated"


class ErrorsSeedPeer(SeedErrorChecks, unittest.TestCase):
    TARGET = "seedpeer"

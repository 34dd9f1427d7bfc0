# SPDX-License-Identifier: BSD-3-Clause
"""zero() that calls nbdkit.set_error(EOPNOTSUPP) and raises must still
zero the range: nbdkit falls back to pwrite.  In all three dialects,
generated plugin and peer."""

import errno
import unittest

import nbd

from harness import TargetMixin, pattern, script

SIZE = 1024 * 1024


class ZeroFallbackChecks(TargetMixin):
    def test_zero_falls_back_to_pwrite(self):
        with self.target_server(verbose=True) as srv:
            h = srv.connect()
            self.assertTrue(h.can_zero())
            data = bytearray(pattern(9, SIZE))
            h.pwrite(bytes(data), 0)
            cases = [(4096, 0, 0), (100, 5000, nbd.CMD_FLAG_NO_HOLE),
                     (65536 + 7, 70001, 0), (300000, 600000, 0)]
            for count, offset, flags in cases:
                h.zero(count, offset, flags)
                data[offset:offset + count] = bytes(count)
            self.assertTrue(h.pread(SIZE, 0) == data,
                            "zeroed ranges or their neighbours are wrong")
            if h.can_fast_zero():
                # A fast zero may not fall back to a slow pwrite: the
                # client is told ENOTSUP and nothing changes.
                with self.assertRaises(nbd.Error) as cm:
                    h.zero(4096, 8192, nbd.CMD_FLAG_FAST_ZERO)
                self.assertEqual(cm.exception.errnum, errno.ENOTSUP)
                self.assertTrue(h.pread(SIZE, 0) == data)
            h.shutdown()
            log = srv.log
        for count, offset, _ in cases:
            self.assertIn("zero_fallback: zero declined count=%d offset=%d"
                          % (count, offset), log)
        # Declining is not a failure worth a traceback.
        self.assertNotIn("NotImplementedError", log)


class ZeroFallbackReleasedGenerated(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback.py")
    TARGET = "generated"


class ZeroFallbackReleasedPeer(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback.py")
    TARGET = "peer"


class ZeroFallbackApi1Generated(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback_api1.py")
    TARGET = "generated"


class ZeroFallbackApi1Peer(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback_api1.py")
    TARGET = "peer"


class ZeroFallbackSeedGenerated(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback_seed.py")
    TARGET = "generated"


class ZeroFallbackSeedPeer(ZeroFallbackChecks, unittest.TestCase):
    SCRIPT = script("zero_fallback_seed.py")
    TARGET = "seedpeer"

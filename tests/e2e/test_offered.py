# SPDX-License-Identifier: BSD-3-Clause
"""A can_X callback that offers an operation the script does not define
(can_flush without flush, ...): nbdkit calls the operation anyway, and
the client must get what nbdkit python gives on the same script (EIO,
or for extents the whole range as data, where nbdkit's own answer for a
missing callback would be EINVAL or EROFS), with an error in the log
naming the script and the operation; the server goes on serving."""

import unittest

import nbd

from harness import (Server, TempDirMixin, block_status_calls,
                     comparable_info, peer_server, script)

MISSING = script("offered_missing.py")
FUA = script("offered_fua.py")


def outcome(fn, *args):
    """'ok' and the result, or the errno name the request failed with."""
    try:
        return ("ok", fn(*args))
    except nbd.Error as e:
        return ("error", e.errno)


def requests(srv):
    h = srv.connect(meta_contexts=[nbd.CONTEXT_BASE_ALLOCATION])
    return {
        "flush": outcome(h.flush),
        "trim": outcome(h.trim, 4096, 0),
        "cache": outcome(h.cache, 4096, 0),
        "pwrite": outcome(h.pwrite, b"x" * 512, 0),
        "pwrite_fua": outcome(h.pwrite, b"x" * 512, 0, nbd.CMD_FLAG_FUA),
        "zero": outcome(h.zero, 4096, 0),
        "block_status": outcome(block_status_calls, h, 8192, 0),
        # Still serving after all that.
        "pread": outcome(h.pread, 512, 0),
    }


class Offered(TempDirMixin, unittest.TestCase):

    GENERATE = (MISSING, FUA)

    def both(self, path):
        """(generated, peer): each server's nbdinfo, requests and log."""
        seen = []
        for srv in (Server(self.generated(path)), peer_server(path)):
            with srv:
                info = comparable_info(srv)
                got = requests(srv)
            seen.append((info, got, srv.log))
        return seen

    def test_operations_missing(self):
        (info, got, log), (peer_info, peer_got, _) = self.both(MISSING)
        self.assertEqual(info, peer_info)
        self.assertEqual(got, peer_got)
        for name in ("flush", "trim", "cache", "pwrite", "zero"):
            self.assertEqual(got[name], ("error", "EIO"), name)
        self.assertEqual(got["block_status"],
                         ("ok", [("base:allocation", 0, [8192, 0])]))
        self.assertEqual(got["pread"][0], "ok")
        for op in ("flush", "trim", "cache", "pwrite"):
            self.assertIn(f"offered_missing.py: {op}: error: the script "
                          f"defines no {op}", log)
        # can_flush without flush and no can_fua: no FUA, as there, so
        # libnbd refuses a write with FUA itself.
        self.assertFalse(info["can_fua"])
        self.assertEqual(got["pwrite_fua"], ("error", "EINVAL"))

    def test_fua_emulated_without_flush(self):
        (info, got, log), (peer_info, peer_got, _) = self.both(FUA)
        self.assertEqual(info, peer_info)
        self.assertEqual(got, peer_got)
        self.assertTrue(info["can_fua"])
        self.assertFalse(info["can_flush"])
        self.assertEqual(got["pwrite"][0], "ok")
        self.assertEqual(got["pwrite_fua"], ("error", "EIO"))
        self.assertIn("offered_fua.py: flush: error: the script defines no "
                      "flush", log)

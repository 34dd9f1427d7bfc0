# SPDX-License-Identifier: BSD-3-Clause
"""The arguments each callback receives, type and value, must be what
nbdkit python passes (API 1 and released dialect): a script that
converts, slices or compares its arguments must behave the same."""

import json
import unittest

import nbd

from harness import MiB, Server, TempDirMixin, script

RECORD = MiB - 4096


def requests(h):
    """Every kind of request, with every flag it may carry."""
    h.pread(1000, 4096)
    h.pwrite(b"a" * 700, 8192)
    h.pwrite(b"b" * 512, 8192, nbd.CMD_FLAG_FUA)
    h.flush()
    h.trim(4096, 65536)
    h.trim(4096, 65536, nbd.CMD_FLAG_FUA)
    h.zero(4096, 131072)
    h.zero(4096, 131072, nbd.CMD_FLAG_NO_HOLE)
    h.zero(4096, 131072, nbd.CMD_FLAG_FUA)
    if h.can_fast_zero():
        h.zero(4096, 131072, nbd.CMD_FLAG_FAST_ZERO)
    h.cache(4096, 0)
    h.block_status(65536, 0, lambda *a: 0)
    h.block_status(65536, 0, lambda *a: 0, nbd.CMD_FLAG_REQ_ONE)
    h.pread(5 * 1024 * 1024 // 8, 3 * 4096)      # big-ish, unaligned


def observe(srv):
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.connect_unix(srv.sock)
    srv.handles.append(h)
    requests(h)
    return json.loads(h.pread(4096, RECORD))


class ArgTypes(TempDirMixin):
    SCRIPT = None

    def test_same_arguments(self):
        with Server("python", self.SCRIPT, "key=value") as srv:
            want = observe(srv)
        names = [r[0] for r in want]
        for cb in ("pread", "pwrite", "flush", "trim", "zero", "cache",
                   "extents"):
            self.assertIn(cb, names)
        plugin = self.generated(self.SCRIPT)
        with Server(plugin, "key=value") as srv:
            got = observe(srv)
        self.assertEqual(len(got), len(want), got)
        for g, w in zip(got, want):
            self.assertEqual(g, w)


class ArgTypesReleased(ArgTypes, unittest.TestCase):
    SCRIPT = script("argtypes.py")
    GENERATE = (SCRIPT,)


class ArgTypesApi1(ArgTypes, unittest.TestCase):
    SCRIPT = script("argtypes_api1.py")
    GENERATE = (SCRIPT,)

# SPDX-License-Identifier: BSD-3-Clause
"""Every callback (scripts/callbacks.py): exports, default export,
descriptions, block sizes, per-export flags, extents, the global
callbacks (get_ready, after_fork, preconnect, cleanup, dump_plugin).
Each test checks nbdkit python's answers against expectations first,
then requires the generated plugin to give the same answers."""

import os
import unittest

import nbd

from harness import (INFO_DIFFERS, MiB, Server, TempDirMixin,
                     block_status_calls, peer_server, run, script)

SCRIPT = script("callbacks.py")


def strip_uris(info):
    """nbdinfo --json output minus the fields naming our socket."""
    if isinstance(info, dict):
        return {k: strip_uris(v) for k, v in info.items()
                if k not in INFO_DIFFERS}
    if isinstance(info, list):
        return [strip_uris(v) for v in info]
    return info


def export_flags(srv, name):
    h = srv.connect(export_name=name)
    flags = {f: getattr(h, f)() for f in (
        "get_size", "is_read_only", "is_rotational", "can_multi_conn",
        "can_flush", "can_trim", "can_zero", "can_fast_zero", "can_fua",
        "can_cache")}
    flags["block_size"] = [h.get_block_size(c) for c in (
        nbd.SIZE_MINIMUM, nbd.SIZE_PREFERRED, nbd.SIZE_MAXIMUM)]
    flags["description"] = srv.nbdinfo(export=name)["exports"][0] \
        .get("description")
    h.shutdown()
    return flags


def block_status(srv, name, count, offset, flags=0):
    h = srv.connect(export_name=name,
                    meta_contexts=[nbd.CONTEXT_BASE_ALLOCATION])
    seen = block_status_calls(h, count, offset, flags)
    h.shutdown()
    return seen


class Callbacks(TempDirMixin, unittest.TestCase):
    GENERATE = (SCRIPT,)

    def peer(self, *config, **kw):
        return peer_server(SCRIPT, *config, **kw)

    def gen(self, *config, **kw):
        return Server(self.generated(SCRIPT), *config, **kw)

    def both(self, observe, check, *config, **kw):
        """observe() on the peer, check() it, then the generated plugin
        must observe the same."""
        with self.peer(*config, **kw) as srv:
            want = observe(srv)
        check(want)
        with self.gen(*config, **kw) as srv:
            got = observe(srv)
        self.assertEqual(got, want, "generated plugin differs from nbdkit "
                         "python")

    def test_list_exports(self):
        def observe(srv):
            return strip_uris(srv.nbdinfo("--list"))

        def check(info):
            exports = {e["export-name"]: e for e in info["exports"]}
            self.assertEqual(sorted(exports), ["a", "b", "c"])
            # in --list mode the descriptions are list_exports' ones
            self.assertEqual(exports["a"]["description"], "the first export")
            self.assertNotIn("description", exports["b"])
            self.assertEqual(exports["c"]["export-size"], 3 * MiB)
            self.assertTrue(exports["c"]["is_read_only"])
            self.assertFalse(exports["a"]["is_read_only"])
        self.both(observe, check)

    def test_default_export(self):
        def observe(srv):
            h = srv.connect()
            size = h.get_size()
            h.shutdown()
            return size, srv.nbdinfo()["exports"][0].get("description")

        def check(r):
            self.assertEqual(r, (1 * MiB, "description of export a"))
        self.both(observe, check)

    def test_per_export_flags(self):
        def observe(srv):
            return {n: export_flags(srv, n) for n in "abc"}

        def check(f):
            a, b, c = f["a"], f["b"], f["c"]
            self.assertEqual([a["get_size"], b["get_size"], c["get_size"]],
                             [MiB, 2 * MiB, 3 * MiB])
            self.assertEqual(a["block_size"], [512, 4096, MiB])
            self.assertTrue(b["is_rotational"] and not a["is_rotational"])
            self.assertTrue(c["is_read_only"] and not b["is_read_only"])
            self.assertTrue(a["can_trim"] and not b["can_trim"])
            self.assertTrue(a["can_fast_zero"] and not b["can_fast_zero"])
            self.assertTrue(a["can_fua"] and b["can_fua"])
            self.assertTrue(a["can_cache"] and b["can_cache"])
            self.assertEqual(a["description"], "description of export a")
            self.assertEqual(c["description"], "description of export c")
        self.both(observe, check)

    def test_extents(self):
        def observe(srv):
            return [block_status(srv, "a", MiB, 0),
                    block_status(srv, "a", 204800, 102400),
                    block_status(srv, "a", MiB, 0, nbd.CMD_FLAG_REQ_ONE),
                    block_status(srv, "c", MiB, 4096)]

        def check(r):
            full, part, one, c = r
            ctx, off, entries = full[0]
            self.assertEqual(ctx, nbd.CONTEXT_BASE_ALLOCATION)
            self.assertEqual(off, 0)
            # 16 alternating 64K extents: data, hole+zero, ...
            self.assertEqual(entries, [65536, 0, 65536, 3] * 8)
            # starts mid-extent: hole+zero to 128K, then data ...
            self.assertEqual(part[0][2][:4], [28672, 3, 65536, 0])
            self.assertEqual(one[0][2], [65536, 0])
            # can_extents false: all data
            self.assertEqual(c[0][2][1], 0)
            self.assertEqual(sum(c[0][2][0::2]), MiB)
        self.both(observe, check)

    def test_global_callbacks(self):
        def observe(srv):
            h = srv.connect(export_name="b")
            h.pwrite(b"x" * 512, 0, nbd.CMD_FLAG_FUA)
            h.zero(4096, 4096)
            h.flush()
            h.cache(4096, 0)
            import json
            calls = json.loads(h.pread(4096, 2 * MiB - 4096))
            h.shutdown()
            return calls

        def check(calls):
            self.assertEqual(calls["config"], ["k1", "k2"])
            self.assertEqual(calls["config_complete"], 1)
            self.assertEqual(calls["get_ready"], 1)
            self.assertEqual(calls["after_fork"], 1)
            self.assertGreaterEqual(calls["preconnect"], 1)
            self.assertGreaterEqual(calls["open"], 1)
        self.both(observe, check, "k1=v1", "k2=v2")

    def test_cleanup(self):
        for which in (self.peer, self.gen):
            marker = os.path.join(self.tmpdir, "marker-%s" % which.__name__)
            with which("marker=" + marker) as srv:
                srv.connect().shutdown()
            self.assertEqual(srv.returncode, 0, srv.log)
            with open(marker) as f:
                self.assertEqual(f.read(), "cleaned", which.__name__)

    def test_dump_plugin_callback(self):
        p = run(["nbdkit", "--dump-plugin", "python", SCRIPT])
        self.assertIn(b"callbacks_test_dump_plugin=called", p.stdout)
        p = run(["nbdkit", "--dump-plugin", self.generated(SCRIPT)])
        self.assertIn(b"callbacks_test_dump_plugin=called", p.stdout)

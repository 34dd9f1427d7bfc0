# SPDX-License-Identifier: BSD-3-Clause
"""Robustness: the kinds of buffer pread may return (API 1 and seed),
views of the buffer kept past the call,
large requests, SystemExit/KeyboardInterrupt in callbacks, memory use
over many requests, and script names that must not break the C."""

import errno
import os
import shutil
import unittest

import nbd

from harness import (MiB, Server, TempDirMixin, build_plugin, dump_plugin,
                     example, pattern, peer_server, script, sha256_file)

BLOCK = 65536


def expected_disk():
    disk = bytearray(MiB)
    for i in range(0, MiB, 8):
        disk[i:i + 8] = b"%08x" % i
    return disk


def read_kinds(srv):
    """pread 512 and 513 bytes from each 64K block of buffers_*.py:
    the data, or the errno."""
    h = srv.connect()
    out = {}
    for kind in range(11):
        for n in (512, 513):
            try:
                out[kind, n] = bytes(h.pread(n, kind * BLOCK + 8))
            except nbd.Error as e:
                out[kind, n] = errno.errorcode.get(e.errnum, e.errnum)
    h.shutdown()
    return out


class BufferKinds(TempDirMixin):
    SCRIPT = None
    SEED = False
    # The kinds that are not buffers: an error in both.
    ERRORS = (6, 7, 8)
    # A strided memoryview: nbdkit python refuses it (it asks for a
    # contiguous buffer); copying it would be fine too.
    EITHER = (5,)

    def test_buffer_kinds(self):
        disk = expected_disk()
        with peer_server(self.SCRIPT, seed=self.SEED) as peer:
            want = read_kinds(peer)
        plugin = self.generated(self.SCRIPT)
        with Server(plugin) as gen:
            got = read_kinds(gen)
            log = gen.log
        for (kind, n), w in sorted(want.items()):
            g = got[kind, n]
            off = kind * BLOCK + 8
            if kind in self.ERRORS:
                self.assertEqual(w, "EIO", (kind, n))
                self.assertEqual(g, "EIO", (kind, n, g))
            elif kind in self.EITHER:
                self.assertIn(g, ("EIO", bytes(n)), (kind, n))
            else:
                self.assertEqual(w, disk[off:off + n], (kind, n))
                self.assertEqual(g, w, "block %d, %d bytes" % (kind, n))
        # The error names what was wrong.
        self.assertIn("pread", log)


class BufferKindsApi1(BufferKinds, unittest.TestCase):
    SCRIPT = script("buffers_api1.py")
    GENERATE = (SCRIPT,)


class BufferKindsSeed(BufferKinds, unittest.TestCase):
    SCRIPT = script("buffers_seed.py")
    GENERATE = (SCRIPT,)
    SEED = True


class LargeRequests(TempDirMixin, unittest.TestCase):
    """32 MiB reads and writes in every dialect."""

    GENERATE = (example("ramdisk.py"), example("api1.py"), example("disk.py"))

    def check(self, plugin_args):
        data = pattern(5, 32 * MiB)
        with Server(*plugin_args) as srv:
            h = srv.connect()
            h.pwrite(data, 8 * MiB + 512)
            got = h.pread(32 * MiB, 8 * MiB + 512)
            self.assertTrue(got == data, "32 MiB read back differs")
            h.zero(32 * MiB, 8 * MiB + 512)
            self.assertTrue(h.pread(32 * MiB, 8 * MiB + 512) ==
                            bytes(32 * MiB))

    def test_released(self):
        self.check([self.generated(example("ramdisk.py")),
                    "size=64M"])

    def test_api1(self):
        self.check([self.generated(example("api1.py")),
                    "size=64M"])

    def test_seed(self):
        self.check([self.generated(example("disk.py")),
                    "size=64M"])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class MemoryUse(TempDirMixin, unittest.TestCase):
    """Many requests must not grow nbdkit's memory: a leaked 256K buffer
    per request would be gigabytes here."""

    GENERATE = (example("ramdisk.py"), example("api1.py"),
                example("disk.py"), script("errors.py"))
    ROUNDS = 1500
    SIZE = 256 * 1024

    def churn(self, h, base):
        data = pattern(1, self.SIZE)
        for i in range(self.ROUNDS):
            off = base + (i % 8) * self.SIZE
            h.pwrite(data, off)
            h.pread(self.SIZE, off)

    def check(self, plugin, *config):
        with Server(plugin, *config) as srv:
            h = srv.connect()
            self.churn(h, 0)                # warm up
            before = rss_kib(srv.proc.pid)
            self.churn(h, 0)
            self.churn(h, 0)
            after = rss_kib(srv.proc.pid)
        # 2 x 1500 x 2 x 256K = 1.5 GiB went through; allow 32 MiB.
        self.assertLess(after - before, 32 * 1024,
                        "RSS grew from %d KiB to %d KiB" % (before, after))

    def test_released(self):
        self.check(self.generated(example("ramdisk.py")),
                   "size=4M")

    def test_api1(self):
        self.check(self.generated(example("api1.py")), "size=4M")

    def test_seed(self):
        self.check(self.generated(example("disk.py")), "size=4M")

    def test_errors(self):
        """Exceptions (with tracebacks formatted) do not leak either."""
        plugin = self.generated(script("errors.py"))
        with Server(plugin, nbdkit_options=["--log=null"]) as srv:
            h = srv.connect()

            def fail(n):
                for _ in range(n):
                    try:
                        h.pread(512, 128 * 1024)
                    except nbd.Error:
                        pass
            fail(2000)
            before = rss_kib(srv.proc.pid)
            fail(6000)
            after = rss_kib(srv.proc.pid)
        self.assertLess(after - before, 8 * 1024,
                        "RSS grew from %d KiB to %d KiB" % (before, after))


class KeptViews(TempDirMixin, unittest.TestCase):
    """A view of pread's or pwrite's buffer kept past the call, or a
    slice, cast or memoryview() of it, raises ValueError once the call
    is over: nbdkit reuses that buffer for later requests.  (Under
    nbdkit python 1.32 they all keep reaching it.)"""

    GENERATE = (script("kept_views.py"),)

    def test_kept_views_are_released(self):
        with Server(self.generated(script("kept_views.py"))) as srv:
            h = srv.connect()
            self.assertEqual(h.pread(512, 0), bytes(512))
            got = h.pread(512, 4096)
            self.assertEqual(got[:12], b"headtailxxxx")
            h.pwrite(b"y" * 512, 8192)
            h.pread(512, 12288)  # the same buffer size again
            report = bytes(h.pread(512, 0)).rstrip(b"\0").decode()
            self.assertIsNone(srv.proc.poll(), "nbdkit exited")
        kinds = dict(kv.split("=") for kv in report.split(";"))
        self.assertEqual(sorted(kinds), [
            "pread-cast", "pread-memoryview", "pread-slice", "pread-view",
            "pwrite-slice", "pwrite-view"])
        self.assertEqual({k for k, v in kinds.items() if v != "R"}, set(),
                         report)


class SystemExitInCallback(TempDirMixin, unittest.TestCase):
    """SystemExit and KeyboardInterrupt are errors for that request,
    as in nbdkit python; nbdkit keeps serving."""

    GENERATE = (script("systemexit.py"),)

    def check(self, *args):
        with Server(*args) as srv:
            h = srv.connect()
            for off in (64 * 1024, 128 * 1024, 192 * 1024):
                with self.assertRaises(nbd.Error) as cm:
                    h.pread(512, off)
                self.assertEqual(cm.exception.errnum, errno.EIO)
                self.assertEqual(h.pread(512, 0), bytes(512))
            self.assertIsNone(srv.proc.poll(), "nbdkit exited")
            h2 = srv.connect()
            self.assertEqual(h2.pread(512, 0), bytes(512))
            log = srv.log
        self.assertIn("SystemExit", log)
        self.assertIn("KeyboardInterrupt", log)

    def test_peer(self):
        self.check("python", script("systemexit.py"))

    def test_generated(self):
        self.check(self.generated(script("systemexit.py")))


class LargeScript(TempDirMixin, unittest.TestCase):
    """A script carrying 256 KiB of data in a bytes literal: all of it is
    embedded in the plugin and served."""

    def test_large_literal(self):
        blob = pattern(11, 256 * 1024)
        src = os.path.join(self.tmpdir, "blob.py")
        with open(src, "w") as f:
            f.write("API_VERSION = 2\n"
                    "BLOB = %r\n\n\n"
                    "def open(readonly):\n    return 1\n\n\n"
                    "def get_size(h):\n    return len(BLOB)\n\n\n"
                    "def pread(h, buf, offset, flags):\n"
                    "    buf[:] = BLOB[offset:offset + len(buf)]\n" % blob)
        plugin = build_plugin(src, self.tmpdir)
        with Server(plugin) as srv:
            h = srv.connect()
            self.assertEqual(h.get_size(), len(blob))
            self.assertTrue(h.pread(len(blob), 0) == blob)


class AwkwardNames(TempDirMixin, unittest.TestCase):
    """Script paths with quotes, backslashes, comment terminators,
    trigraphs and newlines are data, never C."""

    # (directory, file name): "*" or "??" at the end of a directory
    # makes "*/" (ends a C comment) or "??/" (a trigraph backslash)
    # in the path.
    CASES = [("plain", 'quo"te.py'), ("plain", "back\\slash.py"),
             ("com*", "ment.py"), ("a'b \"c\" \\d *", "/* e.py"),
             ("new\nline", "new\nline.py"), ("tri??", "??=graph.py")]

    def test_names(self):
        from harness import generate
        for i, (dirname, name) in enumerate(self.CASES):
            name = name.lstrip("/")
            with self.subTest(path=os.path.join(dirname, name)):
                d = os.path.join(self.tmpdir, "case%d" % i, dirname)
                os.makedirs(d)
                src = os.path.join(d, name)
                shutil.copyfile(example("api1.py"), src)
                so = os.path.join(self.tmpdir, "case%d" % i, "plugin.so")
                generate(src, so)
                fields, text = dump_plugin(so)
                self.assertEqual(fields["script_sha256"], sha256_file(src))
                if "\n" not in name:
                    self.assertEqual(os.path.basename(fields["script"]),
                                     name, text)
                with Server(so, "size=1M") as srv:
                    h = srv.connect()
                    h.pwrite(b"named", 0)
                    self.assertEqual(h.pread(5, 0), b"named")

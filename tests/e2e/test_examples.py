# SPDX-License-Identifier: BSD-3-Clause
"""End to end: every example, served by the generated plugin and by
the peer, checked with real NBD clients.

Each example has one set of checks (ExampleChecks) run against two
targets:

  *Generated   the plugin pyplugin-gen makes from the example, served
               as `nbdkit PLUGIN.so key=value`, with no script file
               present at run time;
  *Peer        the same script under `nbdkit python SCRIPT key=value`
               (for disk.py, which is in the seed dialect that nbdkit
               1.32 cannot run, under scripts/seed_peer.py, a
               seed-to-released adapter).

The peer runs validate the expectations themselves.  SameAnswers then
puts both targets through one identical sequence of requests and
requires identical observations.
"""

import errno
import os
import tempfile
import unittest

import nbd

from harness import (MiB, Server, ServerError, TargetMixin, TempDirMixin,
                     example, exercise, export_info, pattern, peer_server,
                     run, sha256_file)


class ExampleChecks(TargetMixin):
    """Checks every example must pass, against one TARGET."""

    SCRIPT = None               # path of the example
    SIZE = 4 * MiB              # size the tests configure
    EXPECT_INFO = {}            # nbdinfo --json fields (None: absent)
    TRIM_ZEROES = True          # does a trimmed range read back as 0?
    HAS_EXTENTS = False         # real extents (else all data)
    BAD_CONFIGS = ()            # (args, message in nbdkit's log)

    # --- how to start the target ----------------------------------------

    def config_args(self):
        """key=value arguments for one fresh server."""
        return ["size=%d" % self.SIZE]

    def server(self, config=None, **kw):
        if config is None:
            config = self.config_args()
        return self.target_server(*config, **kw)

    # --- the checks ------------------------------------------------------

    def test_info(self):
        """Size and flags as nbdinfo --json reports them."""
        with self.server() as srv:
            info = export_info(srv)
        self.assertEqual(info["export-size"], self.SIZE)
        self.assertEqual(info["export-name"], "")
        for key, want in sorted(self.EXPECT_INFO.items()):
            self.assertEqual(info.get(key), want,
                             "nbdinfo field %s in %r" % (key, info))

    def test_patterns(self):
        """Write patterns at several offsets (aligned, unaligned, at the
        end of the disk), zero, trim, flush, cache, and read everything
        back, from the same and from a second connection."""
        size = self.SIZE
        model = bytearray(size)
        with self.server() as srv:
            h = srv.connect()
            writes = [(0, 512), (511, 1), (4096, 4096), (65535, 70000),
                      (MiB + 3, 300000), (size - 4096, 4096), (size - 1, 1)]
            for i, (off, n) in enumerate(writes):
                data = pattern(i, n)
                h.pwrite(data, off)
                model[off:off + n] = data
            for off, n in writes:
                self.assertEqual(h.pread(n, off), model[off:off + n],
                                 "read back %d bytes at %d" % (n, off))

            if h.can_fua():
                data = pattern(100, 8192)
                h.pwrite(data, 2 * MiB, nbd.CMD_FLAG_FUA)
                model[2 * MiB:2 * MiB + 8192] = data
            if h.can_zero():
                # may trim
                h.zero(4096 + 17, 10000)
                model[10000:10000 + 4096 + 17] = bytes(4096 + 17)
                # may not trim (NO_HOLE): API 1 may_trim=False, seed and
                # released flags without FLAG_MAY_TRIM
                h.zero(65535 + 100, 70000, nbd.CMD_FLAG_NO_HOLE)
                model[70000:70000 + 65635] = bytes(65635)
                if h.can_fua():
                    h.zero(1000, MiB + 5000, nbd.CMD_FLAG_FUA)
                    model[MiB + 5000:MiB + 6000] = bytes(1000)
            if h.can_fast_zero():
                try:
                    h.zero(8192, MiB + 100000, nbd.CMD_FLAG_FAST_ZERO)
                    model[MiB + 100000:MiB + 108192] = bytes(8192)
                except nbd.Error as e:
                    # Allowed: "I cannot zero fast", and nothing changed.
                    self.assertEqual(e.errnum, errno.ENOTSUP, e)
            if h.can_trim():
                h.trim(65536, 3 * MiB)
                if self.TRIM_ZEROES:
                    model[3 * MiB:3 * MiB + 65536] = bytes(65536)
                else:
                    self.fail("no example trims without zeroing")
            if h.can_flush():
                h.flush()
            if h.can_cache():
                h.cache(MiB, 0)

            def whole(handle):
                return b"".join(handle.pread(min(MiB, size - off), off)
                                for off in range(0, size, MiB))

            self.assertTrue(whole(h) == model,
                            "disk contents differ from the model")
            h2 = srv.connect()
            self.assertTrue(whole(h2) == model,
                            "second connection sees different contents")
            h2.shutdown()
            h.shutdown()

    def _random_file(self, name, size):
        path = os.path.join(self.tmpdir, name)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        return path

    def test_qemu_img(self):
        """qemu-img info, convert into the export, compare."""
        src = self._random_file("qemu-src.img", self.SIZE)
        with self.server() as srv:
            p = run(["qemu-img", "info", "--output=json", srv.uri])
            self.assertIn('"virtual-size": %d' % self.SIZE, p.stdout.decode())
            run(["qemu-img", "convert", "-n", "-f", "raw", "-O", "raw",
                 src, srv.uri])
            run(["qemu-img", "compare", "-f", "raw", "-F", "raw",
                 src, srv.uri])
            # ... and compare is not vacuous: change one byte.
            with open(src, "rb") as f:
                f.seek(12345)
                old = f.read(1)
            h = srv.connect()
            h.pwrite(b"\x00" if old == b"\xff" else b"\xff", 12345)
            h.shutdown()
            p = run(["qemu-img", "compare", "-f", "raw", "-F", "raw",
                     src, srv.uri], check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn(b"Content mismatch", p.stdout)

    def test_nbdcopy(self):
        """nbdcopy a random file in and back out, byte for byte."""
        src = self._random_file("copy-src.img", self.SIZE)
        out = os.path.join(self.tmpdir, "copy-out.img")
        with self.server() as srv:
            run(["nbdcopy", src, srv.uri])
            run(["nbdcopy", srv.uri, out])
        self.assertEqual(os.path.getsize(out), self.SIZE)
        self.assertEqual(sha256_file(out), sha256_file(src))

    def test_map(self):
        """nbdinfo --map: contiguous extents covering the disk; with
        real extents, written data shows as data and trimmed or never
        written ranges as holes."""
        with self.server() as srv:
            h = srv.connect()
            h.pwrite(pattern(7, 65536), MiB)
            if h.can_trim():
                h.trim(MiB, 2 * MiB)
            h.flush() if h.can_flush() else None
            h.shutdown()
            m = srv.nbdinfo("--map")
        pos = 0
        for e in m:
            self.assertEqual(e["offset"], pos, m)
            pos += e["length"]
        self.assertEqual(pos, self.SIZE, m)

        def type_at(off):
            for e in m:
                if e["offset"] <= off < e["offset"] + e["length"]:
                    return e["type"]
        if self.HAS_EXTENTS:
            self.assertEqual(type_at(MiB), 0, m)
            self.assertEqual(type_at(MiB + 65535), 0, m)
            self.assertEqual(type_at(2 * MiB), 3, m)
            self.assertEqual(type_at(self.SIZE - 1), 3, m)
        else:
            self.assertEqual([(e["offset"], e["length"], e["type"]) for e in m],
                             [(0, self.SIZE, 0)])

    def test_bad_config(self):
        """Configuration errors stop nbdkit with the script's message."""
        self.assertTrue(self.BAD_CONFIGS, "every example has some")
        for args, message in self.BAD_CONFIGS:
            with self.subTest(args=args):
                with self.assertRaises(ServerError) as cm:
                    with self.server(config=args):
                        pass
                self.assertIn(message, str(cm.exception))


# --- the examples --------------------------------------------------------

class Disk(ExampleChecks):
    SCRIPT = example("disk.py")
    EXPECT_INFO = {
        "is_read_only": False, "is_rotational": False,
        "can_flush": False, "can_fua": False, "can_trim": False,
        "can_zero": True, "can_fast_zero": False, "can_cache": False,
        "can_multi_conn": False, "can_df": True,
        "block_size_minimum": None, "block_size_preferred": None,
        "block_size_maximum": None,
    }
    BAD_CONFIGS = ((["bogus=1"], "unknown parameter: bogus=1"),
                   (["size=lots"], "size"))

    def test_default_size(self):
        """Without size= the disk is 1 MiB, as in the seed example."""
        with self.server(config=[]) as srv:
            self.assertEqual(export_info(srv)["export-size"], MiB)


class Ramdisk(ExampleChecks):
    SCRIPT = example("ramdisk.py")
    EXPECT_INFO = {
        "is_read_only": False, "is_rotational": False,
        "can_flush": True, "can_fua": True, "can_trim": True,
        "can_zero": True, "can_fast_zero": True, "can_cache": True,
        "can_multi_conn": True, "can_df": True,
        "block_size_minimum": 1, "block_size_preferred": 4096,
        "block_size_maximum": 32 * MiB,
    }
    BAD_CONFIGS = ((["bogus=1"], "unknown parameter: bogus"),)


class Api1(ExampleChecks):
    SCRIPT = example("api1.py")
    EXPECT_INFO = {
        "is_read_only": False, "is_rotational": False,
        # flush exists, so FUA is emulated with it
        "can_flush": True, "can_fua": True, "can_trim": True,
        "can_zero": True, "can_fast_zero": False, "can_cache": False,
        "can_multi_conn": False, "can_df": True,
        "block_size_minimum": None, "block_size_preferred": None,
        "block_size_maximum": None,
    }
    BAD_CONFIGS = ((["bogus=1"], "unknown parameter: bogus"),)


class File(ExampleChecks):
    SCRIPT = example("file.py")
    HAS_EXTENTS = True
    EXPECT_INFO = {
        "is_read_only": False,
        "can_flush": True, "can_fua": True, "can_trim": True,
        "can_zero": True, "can_fast_zero": True, "can_cache": True,
        "can_multi_conn": True, "can_df": True,
        "block_size_minimum": None, "block_size_preferred": None,
        "block_size_maximum": None,
    }
    BAD_CONFIGS = (([], "file parameter is required"),
                   (["file=/nonexistent/disk.img"], "file does not exist"),
                   (["bogus=1"], "unknown parameter: bogus"))

    def config_args(self):
        """A fresh sparse backing file of SIZE bytes for each server."""
        fd, path = tempfile.mkstemp(prefix="backing-", suffix=".img",
                                    dir=self.tmpdir)
        os.ftruncate(fd, self.SIZE)
        os.close(fd)
        return ["file=" + path]

    def test_readonly(self):
        """With nbdkit -r the export is read-only (can_write is not
        asked, writes fail) and reads still work."""
        config = self.config_args()
        path = config[0][5:]
        with open(path, "r+b") as f:
            f.seek(4096)
            f.write(b"hello")
        with self.server(config=config, readonly=True) as srv:
            self.assertTrue(export_info(srv)["is_read_only"])
            h = srv.connect()
            self.assertEqual(h.pread(5, 4096), b"hello")
            with self.assertRaises(nbd.Error):
                h.pwrite(b"x", 0)

    def test_writes_reach_file(self):
        """Data written through NBD is in the backing file."""
        config = self.config_args()
        path = config[0][5:]
        data = pattern(3, 100000)
        with self.server(config=config) as srv:
            h = srv.connect()
            h.pwrite(data, 12345, nbd.CMD_FLAG_FUA)
            h.shutdown()
        with open(path, "rb") as f:
            f.seek(12345)
            self.assertEqual(f.read(len(data)), data)


class DiskGenerated(Disk, unittest.TestCase):
    TARGET = "generated"


class DiskSeedPeer(Disk, unittest.TestCase):
    TARGET = "seedpeer"


class RamdiskGenerated(Ramdisk, unittest.TestCase):
    TARGET = "generated"

    def test_magic_config_key(self):
        """magic_config_key = "size": a bare value is size=."""
        with self.server(config=["2M"]) as srv:
            self.assertEqual(export_info(srv)["export-size"], 2 * MiB)


class RamdiskPeer(Ramdisk, unittest.TestCase):
    TARGET = "peer"


class Api1Generated(Api1, unittest.TestCase):
    TARGET = "generated"


class Api1Peer(Api1, unittest.TestCase):
    TARGET = "peer"


class FileGenerated(File, unittest.TestCase):
    TARGET = "generated"

    def test_magic_config_key(self):
        """magic_config_key = "file": a bare value is file=."""
        config = self.config_args()
        with self.server(config=[config[0][5:]]) as srv:
            self.assertEqual(export_info(srv)["export-size"], self.SIZE)


class FilePeer(File, unittest.TestCase):
    TARGET = "peer"


# --- same script, same answers ------------------------------------------

class SameAnswers(TempDirMixin, unittest.TestCase):
    """The generated plugin and nbdkit python, same script, same
    requests: same nbdinfo --json (except "uri", which names each
    server's own socket), same flags, same results and errors, same
    extent map, same data."""

    GENERATE = tuple(example(n) for n in
                     ("api1.py", "ramdisk.py", "file.py", "disk.py"))

    def compare(self, example_cls):
        checks = example_cls()
        checks.tmpdir = self.tmpdir
        plugin = self.generated(example_cls.SCRIPT)
        gen_args = [plugin] + checks.config_args()
        peer = peer_server(example_cls.SCRIPT, *checks.config_args(),
                           seed=example_cls is Disk)
        with Server(*gen_args) as gen:
            got = exercise(gen)
        with peer:
            want = exercise(peer)
        for key in want:
            self.assertEqual(got[key], want[key],
                             "%s differs from nbdkit python" % key)

    def test_api1(self):
        self.compare(Api1)

    def test_ramdisk(self):
        self.compare(Ramdisk)

    def test_file(self):
        self.compare(File)

    def test_disk_seed(self):
        self.compare(Disk)

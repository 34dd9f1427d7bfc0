# SPDX-License-Identifier: BSD-3-Clause
"""Failures during connection set-up (scripts/handshake_errors.py),
extents results of every shape (scripts/extents_variants.py), and the
errno of set_error being per thread (scripts/errors_parallel.py).
nbdkit python's answers are the reference; the generated plugin must
give the same."""

import errno
import threading
import unittest

import nbd

from harness import (MiB, Server, ServerError, TempDirMixin,
                     block_status_calls, close_handle, peer_server, script)


def try_connect(srv, name):
    """What a client sees for export `name`: size and description, or
    the failure."""
    h = nbd.NBD()
    h.set_export_name(name)
    h.set_full_info(True)
    try:
        h.connect_unix(srv.sock)
    except nbd.Error:
        close_handle(h)
        return "connect failed"
    try:
        desc = h.get_export_description()
    except nbd.Error:
        desc = None
    r = (h.get_size(), desc, bytes(h.pread(16, 0)))
    h.shutdown()
    close_handle(h)
    return r


def extents_of(srv, name, count, offset, flags=0):
    h = srv.connect(export_name=name,
                    meta_contexts=[nbd.CONTEXT_BASE_ALLOCATION])
    try:
        r = [(off, entries) for _, off, entries
             in block_status_calls(h, count, offset, flags)]
    except nbd.Error as e:
        r = errno.errorcode.get(e.errnum, e.errnum)
    # the connection is still usable
    ok = bytes(h.pread(512, 0)) == bytes(512)
    h.shutdown()
    close_handle(h)
    return r, ok


class PeerComparison(TempDirMixin):
    SCRIPT = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._generate(cls.SCRIPT)

    def both(self, observe):
        with peer_server(self.SCRIPT) as srv:
            want = observe(srv)
            peer_log = srv.log
        with Server(self.generated(self.SCRIPT)) as srv:
            got = observe(srv)
            gen_log = srv.log
        return want, got, peer_log, gen_log


class HandshakeErrors(PeerComparison, unittest.TestCase):
    SCRIPT = script("handshake_errors.py")
    NAMES = ("", "fine", "open", "size", "strsize", "negsize", "hugesize",
             "canwrite", "descr", "unicode")

    def test_handshake_errors(self):
        def observe(srv):
            return {n: try_connect(srv, n) for n in self.NAMES}
        want, got, _, log = self.both(observe)
        for n in ("open", "size", "strsize", "negsize", "hugesize",
                  "canwrite"):
            self.assertEqual(want[n], "connect failed", n)
        self.assertEqual(want["fine"], (MiB, "plain fine", bytes(16)))
        self.assertEqual(want["unicode"][1],
                         "d\u00e9j\u00e0 vu \u2603 \U0001f600")
        self.assertEqual(got, want)
        for what in ("handshake-failure-open", "handshake-failure-size",
                     "handshake-failure-canwrite"):
            self.assertIn(what, log)


class ExtentsShapes(PeerComparison, unittest.TestCase):
    SCRIPT = script("extents_variants.py")
    NAMES = ("list", "generator", "lists", "partial", "types", "empty",
             "notiter", "badtuple", "backwards", "raises", "all")

    def test_extents_shapes(self):
        def observe(srv):
            out = {}
            for n in self.NAMES:
                out[n] = extents_of(srv, n, 256 * 1024, 8192)
                out[n + "/req_one"] = extents_of(srv, n, 256 * 1024, 8192,
                                                 nbd.CMD_FLAG_REQ_ONE)
            return out
        want, got, _, _ = self.both(observe)
        self.assertEqual(want["list"][0], [(8192, [65536, 0, 196608, 3])])
        # nbdkit python insists on tuples; accepting any sequence is
        # fine as well.
        self.assertEqual(want["lists"][0], "EIO")
        self.assertIn(got.pop("lists")[0], ("EIO", [(8192, [262144, 3])]))
        self.assertIn(got.pop("lists/req_one")[0],
                      ("EIO", [(8192, [262144, 3])]))
        del want["lists"], want["lists/req_one"]
        self.assertEqual(want["types"][0][0][1][:8],
                         [4096, 0, 4096, 1, 4096, 2, 4096, 3])
        for n in ("empty", "notiter", "badtuple", "raises"):
            self.assertIsInstance(want[n][0], str, n)     # an errno
        for n, (r, ok) in want.items():
            self.assertTrue(ok, "connection unusable after %s" % n)
        for n in sorted(want):
            self.assertEqual(got[n], want[n], n)


class ErrnoPerThread(PeerComparison, unittest.TestCase):
    SCRIPT = script("errors_parallel.py")

    def test_errno_per_thread(self):
        def observe(srv):
            wrong = []

            def client(i):
                h = srv.connect()
                pending = []
                for j in range(60):
                    off = (64 if (i + j) % 2 else 128) * 1024
                    buf = nbd.Buffer(512)
                    pending.append((off, h.aio_pread(buf, off)))
                while h.aio_in_flight() > 0:
                    h.poll(-1)
                for off, cookie in pending:
                    try:
                        h.aio_command_completed(cookie)
                        wrong.append("request at %d succeeded" % off)
                    except nbd.Error as e:
                        want = errno.EIO if off == 65536 else errno.ENOSPC
                        if e.errnum != want:
                            wrong.append("at %d: %s" % (
                                off, errno.errorcode.get(e.errnum)))
            threads = [threading.Thread(target=client, args=(i,))
                       for i in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            return sorted(set(wrong))
        want, got, _, _ = self.both(observe)
        self.assertEqual(want, [])
        self.assertEqual(got, [])


class StartupErrors(TempDirMixin, unittest.TestCase):
    """An exception before serving (loading the script, config,
    config_complete, thread_model, get_ready, after_fork) stops nbdkit
    with the script's message, foreground or not, like nbdkit python."""

    GENERATE = (script("startup_errors.py"),)
    WHERE = ("load", "config", "config_complete", "thread_model",
             "get_ready", "after_fork")

    def outcome(self, args, where, foreground):
        try:
            with Server(*args, "k=v", env={"STARTUP_FAIL": where},
                        foreground=foreground) as srv:
                h = srv.connect()
                return "served", bytes(h.pread(4, 0))
        except ServerError as e:
            return "failed", "startup-failure-" + where in str(e)

    def test_startup_errors(self):
        plugin = self.generated(script("startup_errors.py"))
        for where in self.WHERE + ("",):
            for foreground in (True, False):
                with self.subTest(where=where, foreground=foreground):
                    want = self.outcome(["python", script("startup_errors.py")],
                                        where, foreground)
                    got = self.outcome([plugin], where, foreground)
                    if where == "after_fork" and not foreground:
                        # The daemon has no stderr any more: it just
                        # dies, and nbdkit python's message is lost too.
                        self.assertEqual(want[0], "failed")
                    elif where:
                        self.assertEqual(want, ("failed", True))
                    else:
                        self.assertEqual(want, ("served", bytes(4)))
                    self.assertEqual(got, want)

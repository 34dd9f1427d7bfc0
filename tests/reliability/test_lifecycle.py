# SPDX-License-Identifier: BSD-3-Clause
"""Misbehaving scripts, continued: the callbacks that run before serving
and at exit, a callback that calls nbdkit.shutdown(), one that blocks
(sleeping, or spinning with the GIL held), and one that starts a Python
thread.  The corpus script is corpus/misbehave.py, told what to do with
an order file (see common.Control); raising in config, get_ready and
the like is in tests/e2e/test_setup_errors.py and not repeated here.

In each case nbdkit must neither crash nor hang: it serves on, or it
stops with exit status 1 and the script's message, and cleanup() runs
exactly once when it stops.
"""

import os
import signal
import subprocess
import threading
import time
import unittest

from common import (ENV, Control, Server, TempDirMixin,
                    close_handle, corpus, errname, pattern, wait_for)

import nbd

SCRIPT = corpus("misbehave.py")
TRACEBACK = "Traceback (most recent call last)"
EXIT_TIMEOUT = 30


class Target(TempDirMixin):
    """Each test runs against the generated plugin; a Peer subclass
    runs it against `nbdkit python` too, where that makes sense."""

    TARGET = "generated"
    GENERATE = (SCRIPT,)

    def setUp(self):
        self.dir = os.path.join(self.tmpdir, self.id().rsplit(".", 1)[1])
        os.makedirs(self.dir, exist_ok=True)
        self.control = Control(os.path.join(self.dir, "orders"))
        self.cleanup_log = os.path.join(self.dir, "cleanup.log")
        if os.path.exists(self.cleanup_log):
            os.unlink(self.cleanup_log)

    @property
    def plugin_args(self):
        if self.TARGET == "peer":
            return ["python", SCRIPT]
        return [self.generated(SCRIPT)]

    @property
    def env(self):
        return dict(self.control.env, MISBEHAVE_CLEANUP=self.cleanup_log)

    def server(self, **kw):
        return Server(*self.plugin_args, env=self.env, **kw)

    def cleanups(self):
        try:
            with open(self.cleanup_log) as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def nbdkit_until_exit(self, *extra):
        """Run nbdkit in the foreground, expecting it to stop by itself
        (a failure before serving): (exit status, output)."""
        sock = os.path.join(self.dir, "sock")
        cmd = ["nbdkit", "-f", "-U", sock, *self.plugin_args, *extra]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             env=dict(ENV, **self.env), cwd=self.dir)
        try:
            out, _ = p.communicate(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            self.fail("nbdkit did not stop in %d s:\n%s"
                      % (EXIT_TIMEOUT, out.decode(errors="replace")))
        return p.returncode, out.decode(errors="replace")


class StartupChecks(Target):
    """Before serving: a failure stops nbdkit with status 1 and the
    script's message; SystemExit(3) does not become exit status 3."""

    def startup_fails(self, order, *wanted):
        self.control.order(order)
        status, out = self.nbdkit_until_exit("key=value")
        self.assertEqual(status, 1, out)
        if self.TARGET == "generated":
            for w in ("misbehave.py: %s: error: " % order.split()[0],) \
                    + wanted:
                self.assertIn(w, out)
        self.assertEqual(self.control.pending(), [])

    def test_config_exit(self):
        self.startup_fails("config exit", TRACEBACK, "SystemExit: 3")

    def test_config_complete_interrupt(self):
        self.startup_fails("config_complete interrupt", TRACEBACK,
                           "KeyboardInterrupt")

    def test_get_ready_raise_enospc(self):
        self.startup_fails("get_ready raise ENOSPC", TRACEBACK,
                           "misbehave-get_ready")

    def test_after_fork_badstr(self):
        self.startup_fails("after_fork badstr", TRACEBACK, "BadStr")

    def test_thread_model_garbage(self):
        # (nbdkit python says nothing at all about 'garbage' or None.)
        self.startup_fails("thread_model return 'garbage'",
                           "thread_model must return an int, not str")
        self.startup_fails("thread_model return None",
                           "thread_model must return an int, not NoneType")

    def test_cleanup_raises(self):
        """cleanup's exception is logged; nbdkit still exits 0."""
        for action, shows in (("raise", "misbehave-cleanup"),
                              ("exit", "SystemExit: 3")):
            with self.subTest(action=action):
                self.control.order("cleanup " + action)
                with self.server() as srv:
                    h = srv.connect()
                    self.assertEqual(h.pread(4, 0), bytes(4))
                    status = srv.stop()
                    log = srv.log
                self.assertEqual(status, 0, log)
                self.assertEqual(self.control.pending(), [])
                if self.TARGET == "generated":
                    self.assertIn("misbehave.py: cleanup: error: ", log)
                    self.assertIn(shows, log)


class StartupGenerated(StartupChecks, unittest.TestCase):

    def test_thread_model_out_of_range(self):
        """nbdkit python passes 99 on, and nbdkit quietly serves with
        its default; the generated plugin refuses it."""
        for value in ("99", "-1", "2**70"):
            with self.subTest(value=value):
                self.startup_fails("thread_model return " + value,
                                   "thread_model returned ",
                                   "nbdkit.THREAD_MODEL_*")

    def test_dump_plugin_raises(self):
        """nbdkit --dump-plugin still prints everything else.  (nbdkit
        python crashes with SIGSEGV here.)"""
        for action, shows in (("raise", "misbehave-dump_plugin"),
                              ("exit", "SystemExit: 3"),
                              ("badstr", "BadStr")):
            with self.subTest(action=action):
                self.control.order("dump_plugin " + action)
                p = subprocess.run(
                    ["nbdkit", "--dump-plugin", *self.plugin_args],
                    capture_output=True, timeout=EXIT_TIMEOUT,
                    env=dict(ENV, **self.env))
                out = p.stdout.decode()
                err = p.stderr.decode()
                self.assertEqual(p.returncode, 0, err)
                self.assertIn("python_version=", out)
                self.assertIn("callbacks=", out)
                self.assertIn("misbehave.py: dump_plugin: error: ", err)
                self.assertIn(shows, err)
                # The order was carried out, and nothing after it ran.
                self.assertEqual(self.control.pending(), [])
                self.assertNotIn("misbehave_dump_plugin=yes", out)


class StartupPeer(StartupChecks, unittest.TestCase):
    TARGET = "peer"

    def test_thread_model_garbage(self):
        self.startup_fails("thread_model return 'garbage'")
        self.startup_fails("thread_model return None")


class ShutdownChecks(Target):
    """nbdkit.shutdown() from a callback, while another connection is
    busy: nbdkit tells clients to go (ESHUTDOWN), exits 0 once they
    have, and cleanup runs once."""

    def busy_client(self, srv, stats, stop):
        """Reads until the server says it is shutting down."""
        h = srv.connect()
        try:
            while not stop.is_set():
                try:
                    if bytes(h.pread(4096, 65536)) != bytes(4096):
                        stats["wrong"] += 1
                    stats["reads"] += 1
                except nbd.Error as e:
                    stats["errors"].add(errname(e))
                    break
        finally:
            try:
                h.shutdown()
            except nbd.Error:
                pass

    def shutdown_from(self, order, trigger):
        srv = self.server()
        srv.start()
        try:
            stats = {"reads": 0, "wrong": 0, "errors": set()}
            stop = threading.Event()
            t = threading.Thread(target=self.busy_client,
                                 args=(srv, stats, stop))
            t.start()
            wait_for(lambda: stats["reads"] > 10, 10)
            self.control.order(order)
            trigger(srv)
            t.join(30)
            stop.set()
            self.assertFalse(t.is_alive(), "the busy client hangs")
            while srv.handles:
                close_handle(srv.handles.pop())
            status = srv.wait_exit(EXIT_TIMEOUT)
            log = srv.log
        finally:
            srv.stop()
        self.assertEqual(status, 0, "nbdkit did not exit by itself:\n" + log)
        self.assertEqual(self.control.pending(), [])
        self.assertGreater(stats["reads"], 10)
        self.assertEqual(stats["wrong"], 0)
        self.assertLessEqual(stats["errors"], {"ESHUTDOWN", "error"})
        self.assertEqual(self.cleanups(), ["cleanup"], log)
        self.assertNotIn("error", log.replace(
            "aborting sleep because of server shut down", ""), log)

    def test_shutdown_in_pwrite(self):
        def trigger(srv):
            h = srv.connect()
            h.pwrite(b"shutdown", 0)
        self.shutdown_from("pwrite shutdown", trigger)

    def test_shutdown_in_open(self):
        def trigger(srv):
            try:
                srv.connect()
            except nbd.Error:
                pass
        self.shutdown_from("open shutdown", trigger)


class ShutdownGenerated(ShutdownChecks, unittest.TestCase):
    pass


class ShutdownPeer(ShutdownChecks, unittest.TestCase):
    TARGET = "peer"


class BlockingChecks(Target):
    """A callback that blocks holds up its own request only (the script
    is PARALLEL), whether it sleeps or spins holding the GIL; SIGTERM
    while it blocks stops nbdkit once the request is done."""

    def during(self, srv, order, seconds):
        """Start a request that carries out order on one connection;
        count the requests another connection completes meanwhile.
        Returns (their count, how long the blocked request took)."""
        self.control.order(order)
        slow = srv.connect()
        fast = srv.connect()
        took = []

        def blocked():
            t0 = time.monotonic()
            slow.pread(512, 0)
            took.append(time.monotonic() - t0)
        t = threading.Thread(target=blocked)
        t.start()
        wait_for(lambda: not self.control.pending(), 5)
        n = 0
        end = time.monotonic() + seconds * 0.7
        while time.monotonic() < end:
            self.assertEqual(fast.pread(512, 4096), bytes(512))
            n += 1
        t.join(seconds + 30)
        self.assertFalse(t.is_alive())
        return n, took[0]

    def test_sleep(self):
        with self.server() as srv:
            n, took = self.during(srv, "pread sleep 2", 2)
            self.assertGreaterEqual(took, 1.9)
            self.assertGreater(n, 20, "other requests were held up")

    def test_spin_holding_the_gil(self):
        with self.server() as srv:
            n, took = self.during(srv, "pread spin 2", 2)
            self.assertGreaterEqual(took, 1.9)
            # Python hands the GIL over every few milliseconds.
            self.assertGreater(n, 20, "other requests were held up")

    def test_sigterm_while_sleeping(self):
        """nbdkit waits for the request in flight, then stops."""
        with self.server() as srv:
            self.control.order("pread sleep 2")
            h = srv.connect()
            got = []
            t = threading.Thread(
                target=lambda: got.append(bytes(h.pread(512, 0))))
            t.start()
            wait_for(lambda: not self.control.pending(), 5)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            t.join(30)
            self.assertEqual(got, [bytes(512)])
            srv.handles.remove(h)
            close_handle(h)
            status = srv.wait_exit(EXIT_TIMEOUT)
            self.assertEqual(status, 0, srv.log)
            self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(self.cleanups(), ["cleanup"])


class BlockingGenerated(BlockingChecks, unittest.TestCase):

    def test_sigterm_while_in_nanosleep(self):
        """nbdkit.nanosleep wakes up at once when nbdkit shuts down.
        (nbdkit python 1.32 has no nanosleep.)"""
        with self.server() as srv:
            self.control.order("pread nanosleep 600")
            h = srv.connect()
            got = []
            t = threading.Thread(
                target=lambda: got.append(bytes(h.pread(512, 0))))
            t.start()
            wait_for(lambda: not self.control.pending(), 5)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            t.join(30)
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(got, [bytes(512)])
            srv.handles.remove(h)
            close_handle(h)
            self.assertEqual(srv.wait_exit(EXIT_TIMEOUT), 0, srv.log)
        self.assertEqual(self.cleanups(), ["cleanup"])


class BlockingPeer(BlockingChecks, unittest.TestCase):
    TARGET = "peer"


class ThreadChecks(Target):
    """A callback that starts a Python thread: the thread runs between
    requests (the plugin hands the GIL back), and one still running when
    nbdkit stops does not keep it from stopping."""

    def test_thread_writes_between_requests(self):
        with self.server() as srv:
            self.control.order("pwrite thread 0.2")
            h = srv.connect()
            h.pwrite(pattern(1, 512), 0)
            self.assertEqual(self.control.pending(), [])
            end = 1024 * 1024
            self.assertTrue(wait_for(
                lambda: h.pread(6, end - 6) == b"thread", 10),
                "the script's thread never ran")
            self.assertEqual(h.pread(512, 0), pattern(1, 512))

    def test_thread_running_at_exit(self):
        with self.server() as srv:
            self.control.order("pwrite thread 3600")
            h = srv.connect()
            h.pwrite(pattern(2, 512), 0)
            self.assertEqual(self.control.pending(), [])
            srv.handles.remove(h)
            h.shutdown()
            close_handle(h)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            status = srv.wait_exit(EXIT_TIMEOUT)
            self.assertEqual(status, 0, srv.log)
            self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(self.cleanups(), ["cleanup"])


class ThreadGenerated(ThreadChecks, unittest.TestCase):
    pass


class ThreadPeer(ThreadChecks, unittest.TestCase):
    TARGET = "peer"

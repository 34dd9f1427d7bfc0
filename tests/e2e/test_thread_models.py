# SPDX-License-Identifier: BSD-3-Clause
"""Thread models: one script (scripts/thread_model.py) that declares
the model given as model=NAME; several connections at once, each with
many requests in flight (aio).  The script fails any request that
breaks the model's promise and reports how much concurrency it saw;
the data must be right either way.
Also run in the background (no -f), where nbdkit forks after loading
the plugin."""

import json
import threading
import time
import unittest

import nbd

from harness import (MiB, TargetMixin, close_handle, dump_plugin, pattern,
                     script)

SIZE = 8 * MiB
STATS = SIZE - 4096
CONNECTIONS = 3
REGION = 2 * MiB            # each connection writes its own region
REQUEST = 16 * 1024
IN_FLIGHT = 32              # requests queued at once per connection


def worker(srv, i, errors):
    try:
        h = srv.connect()
        base = i * REGION
        data = pattern(100 + i, IN_FLIGHT * REQUEST)
        cookies = []
        for j in range(IN_FLIGHT):
            buf = nbd.Buffer.from_bytearray(
                bytearray(data[j * REQUEST:(j + 1) * REQUEST]))
            cookies.append((buf, h.aio_pwrite(buf, base + j * REQUEST)))
        while h.aio_in_flight() > 0:
            h.poll(-1)
        for _, cookie in cookies:
            h.aio_command_completed(cookie)     # raises if it failed
        reads = []
        for j in range(IN_FLIGHT):
            buf = nbd.Buffer(REQUEST)
            reads.append((j, buf, h.aio_pread(buf, base + j * REQUEST)))
        while h.aio_in_flight() > 0:
            h.poll(-1)
        for j, buf, cookie in reads:
            h.aio_command_completed(cookie)
            if buf.to_bytearray() != data[j * REQUEST:(j + 1) * REQUEST]:
                errors.append("connection %d: wrong data at %d"
                              % (i, base + j * REQUEST))
        h.shutdown()
        close_handle(h)
    except Exception as e:          # reported by the test
        errors.append("connection %d: %r" % (i, e))


class ThreadModelChecks(TargetMixin):
    SCRIPT = script("thread_model.py")
    MODEL = None
    FOREGROUND = True

    def server(self):
        return self.target_server("model=" + self.MODEL,
                                  foreground=self.FOREGROUND)

    def test_concurrent_connections(self):
        errors = []
        with self.server() as srv:
            threads = [threading.Thread(target=worker, args=(srv, i, errors))
                       for i in range(CONNECTIONS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
                self.assertFalse(t.is_alive(), "a client hung")
            h = srv.connect()
            stats = json.loads(h.pread(4096, STATS))
            for i in range(CONNECTIONS):
                self.assertTrue(
                    h.pread(IN_FLIGHT * REQUEST, i * REGION)
                    == pattern(100 + i, IN_FLIGHT * REQUEST),
                    "connection %d's data, read from a new connection" % i)
            h.shutdown()
            log = srv.log
        self.assertEqual(errors, [], log)
        self.assertEqual(stats["violations"], 0, log)
        self.assertGreaterEqual(stats["requests"],
                                CONNECTIONS * IN_FLIGHT * 2)
        if self.MODEL == "serialize_connections":
            self.assertEqual(stats["max_open"], 1, stats)
        if self.MODEL in ("serialize_connections", "serialize_all_requests"):
            self.assertEqual(stats["max_active"], 1, stats)
        if self.MODEL == "serialize_requests":
            self.assertEqual(stats["max_handle_active"], 1, stats)
            # ... but different connections do overlap.
            self.assertGreaterEqual(stats["max_active"], 2, stats)
        if self.MODEL == "parallel":
            self.assertGreaterEqual(stats["max_handle_active"], 2, stats)
        if self.MODEL != "serialize_connections":
            self.assertGreaterEqual(stats["max_open"], 2, stats)

    def test_dump_plugin_thread_model(self):
        """nbdkit --dump-plugin reports the thread model the script
        chose (from its config, which nbdkit calls first)."""
        fields, text = dump_plugin(*self.server().args)
        self.assertEqual(fields.get("thread_model"), self.MODEL, text)


MODELS = ("serialize_connections", "serialize_all_requests",
          "serialize_requests", "parallel")

# One test class per (model, target, foreground/background).
for _model in MODELS:
    for _target in ("generated", "peer"):
        for _fg in (True, False):
            _name = "ThreadModel_%s_%s%s" % (
                _model, _target, "" if _fg else "_background")
            globals()[_name] = type(_name, (ThreadModelChecks,
                                            unittest.TestCase),
                                    {"MODEL": _model, "TARGET": _target,
                                     "FOREGROUND": _fg})
del _model, _target, _fg, _name


class BackgroundThread(TargetMixin):
    """A thread the script starts keeps running between requests (the
    plugin does not sit on the GIL while nbdkit waits for clients)."""

    SCRIPT = script("background_thread.py")
    FOREGROUND = True

    def test_thread_runs(self):
        with self.target_server(foreground=self.FOREGROUND) as srv:
            h = srv.connect()
            first = int(h.pread(8, 0))
            deadline = time.monotonic() + 10
            while int(h.pread(8, 0)) < first + 20:
                self.assertLess(time.monotonic(), deadline,
                                "the script's thread does not run: counter "
                                "stuck at %d" % first)
                # Idle, as a client between requests: this is when the
                # thread must get the GIL.
                time.sleep(0.01)


for _target in ("generated", "peer"):
    for _fg in (True, False):
        _name = "BackgroundThread_%s%s" % (_target, "" if _fg else "_background")
        globals()[_name] = type(_name, (BackgroundThread, unittest.TestCase),
                                {"TARGET": _target, "FOREGROUND": _fg})
del _target, _fg, _name

# SPDX-License-Identifier: BSD-3-Clause
"""Load and faults: nothing lost.

- Eight connections at once to a PARALLEL script (examples/ramdisk.py),
  each writing and verifying its own region with a random mix of pread,
  pwrite (some with FUA), zero, trim and flush, with several requests
  in flight at times; at the end every byte of the disk matches the
  test's model.  4 s by default, 30 s with PYPLUGIN_SLOW=1.
- Clients killed (SIGKILL) while their request is inside the script,
  and in the middle of sending 4 MiB writes: nbdkit neither crashes nor
  hangs, and serves the next client.
- nbdkit stopped with SIGTERM under load (scripts/file_disk.py, a file
  with a write-back cache): no crash, no hang, cleanup() runs exactly
  once, and every write the clients were told is durable (FUA, or
  before a successful flush) is in the file; nothing else there is
  garbage.  With FUA handled by the script and emulated by nbdkit.
"""

import os
import random
import signal
import subprocess
import threading
import time
import unittest

from common import (HERE, PYTHON, SLOW, Control, MiB, Server,
                    TempDirMixin, close_handle, corpus, errname, example,
                    pattern, wait_for)

import nbd

RAMDISK = example("ramdisk.py")
FILE_DISK = os.path.join(HERE, "scripts", "file_disk.py")
MISBEHAVE = corpus("misbehave.py")
EXIT_TIMEOUT = 30

CONNECTIONS = 8
REGION = 4 * MiB
LOAD_SECONDS = 30 if SLOW else 4


class Target(TempDirMixin):
    TARGET = "generated"

    def plugin_args(self, script):
        if self.TARGET == "peer":
            return ["python", script]
        return [self.generated(script)]


class Worker(threading.Thread):
    """One connection doing random requests in its own region, keeping a
    model of it."""

    def __init__(self, srv, index, deadline):
        super().__init__(name="worker-%d" % index)
        self.srv = srv
        self.base = index * REGION
        self.model = bytearray(REGION)
        self.deadline = deadline
        self.rng = random.Random(index)
        self.counts = {}
        self.errors = []

    def span(self, maximum=256 * 1024):
        n = self.rng.choice((1, 512, 4096, 65536, maximum,
                             self.rng.randrange(1, maximum)))
        off = self.rng.randrange(0, REGION - n + 1)
        if self.rng.random() < 0.5:
            off -= off % 512
        return off, n

    def check(self, what, off, got):
        if bytes(got) != self.model[off:off + len(got)]:
            self.errors.append("%s: %s at %d+%d differs from the model"
                               % (self.name, what, self.base + off,
                                  len(got)))

    def step(self, h):
        op = self.rng.choice(("pread", "pread", "pwrite", "pwrite", "zero",
                              "trim", "flush", "inflight"))
        self.counts[op] = self.counts.get(op, 0) + 1
        if op == "pread":
            off, n = self.span()
            self.check("pread", off, h.pread(n, self.base + off))
        elif op == "pwrite":
            off, n = self.span()
            data = self.rng.randbytes(n)
            flags = nbd.CMD_FLAG_FUA if self.rng.random() < 0.3 else 0
            h.pwrite(data, self.base + off, flags)
            self.model[off:off + n] = data
        elif op in ("zero", "trim"):
            off, n = self.span(1024 * 1024)
            if op == "zero":
                flags = self.rng.choice((0, nbd.CMD_FLAG_NO_HOLE,
                                         nbd.CMD_FLAG_FAST_ZERO))
                h.zero(n, self.base + off, flags)
            else:
                h.trim(n, self.base + off)
            # (examples/ramdisk.py reads a trimmed range back as zeroes)
            self.model[off:off + n] = bytes(n)
        elif op == "flush":
            h.flush()
        else:
            # Several reads of one block in flight at once.
            off, n = self.span(65536)
            bufs = [nbd.Buffer(n) for _ in range(8)]
            cookies = [h.aio_pread(b, self.base + off) for b in bufs]
            while h.aio_in_flight() > 0:
                h.poll(-1)
            for b, c in zip(bufs, cookies):
                h.aio_command_completed(c)
                self.check("aio_pread", off, b.to_bytearray())

    def run(self):
        try:
            h = self.srv.connect()
            while time.monotonic() < self.deadline and not self.errors:
                self.step(h)
            self.check("final read", 0, h.pread(REGION, self.base))
            h.shutdown()
        except Exception as e:          # reported by the test
            self.errors.append("%s: %r" % (self.name, e))


class EightConnections(Target, unittest.TestCase):
    GENERATE = (RAMDISK,)

    def test_eight_connections(self):
        size = CONNECTIONS * REGION
        with Server(*self.plugin_args(RAMDISK), "size=%d" % size) as srv:
            deadline = time.monotonic() + LOAD_SECONDS
            workers = [Worker(srv, i, deadline) for i in range(CONNECTIONS)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(LOAD_SECONDS + 120)
            self.assertFalse(any(w.is_alive() for w in workers),
                             "a connection hangs")
            errors = [e for w in workers for e in w.errors]
            self.assertEqual(errors, [], srv.log[-5000:])
            # Every byte, through a fresh connection.
            h = srv.connect()
            for w in workers:
                self.assertTrue(h.pread(REGION, w.base) == w.model,
                                "region of %s differs" % w.name)
            total = sum(sum(w.counts.values()) for w in workers)
            log = srv.log
        print("\n%d connections, %d s: %d requests %s"
              % (CONNECTIONS, LOAD_SECONDS, total,
                 {op: sum(w.counts.get(op, 0) for w in workers)
                  for op in sorted(workers[0].counts)}))
        self.assertGreater(total, CONNECTIONS * 20)
        self.assertNotIn("error", log)


class EightConnectionsPeer(EightConnections):
    """The same load on nbdkit python, to compare (make check-slow)."""
    TARGET = "peer"
    GENERATE = ()


if not SLOW:
    del EightConnectionsPeer


# A client run in its own process, so that it can be killed.
KILLED_CLIENT = r"""
import sys, nbd
h = nbd.NBD()
h.connect_unix(sys.argv[1])
if sys.argv[2] == "pread":
    print("connected", flush=True)
    h.pread(512, 0)
else:
    buf = nbd.Buffer.from_bytearray(bytearray(b"k" * (4 << 20)))
    for i in range(16):
        h.aio_pwrite(buf, i << 20)
    print("connected", flush=True)
    while True:
        h.poll(-1)
"""


class ClientKilled(Target, unittest.TestCase):
    GENERATE = (MISBEHAVE, RAMDISK)

    def start_client(self, srv, what):
        p = subprocess.Popen([PYTHON, "-c", KILLED_CLIENT, srv.sock, what],
                             stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(),
                                 p.stdout.close()))
        line = p.stdout.readline()
        self.assertEqual(line, b"connected\n")
        return p

    def still_serving(self, srv, data_at=0):
        h = srv.connect()
        h.pwrite(b"after", data_at)
        self.assertEqual(h.pread(5, data_at), b"after")
        srv.handles.remove(h)
        h.shutdown()
        close_handle(h)

    def test_killed_inside_the_callback(self):
        control = Control(os.path.join(self.tmpdir, "orders"))
        cleanup_log = os.path.join(self.tmpdir, "cleanup.log")
        with Server(*self.plugin_args(MISBEHAVE),
                    env=dict(control.env,
                             MISBEHAVE_CLEANUP=cleanup_log)) as srv:
            for _ in range(3):
                control.order("pread sleep 1")
                p = self.start_client(srv, "pread")
                self.assertTrue(wait_for(lambda: not control.pending(), 10))
                p.kill()
                p.wait()
                self.still_serving(srv)
            # The requests the killed clients left behind finish.
            time.sleep(1.2)
            self.still_serving(srv)
            self.assertIsNone(srv.proc.poll(), "nbdkit died")
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(srv.wait_exit(EXIT_TIMEOUT), 0, srv.log)
        with open(cleanup_log) as f:
            self.assertEqual(f.read().split(), ["cleanup"])

    def test_killed_while_sending(self):
        # One worker thread per connection: with several, nbdkit 1.32.5
        # itself aborts now and then when a client dies with writes in
        # flight (connections.c:402, raw_send_socket: Assertion `sock >=
        # 0' failed: a second worker sends after the first closed the
        # socket on EPIPE).  Reproduced with nbdkit python as well (1 in
        # 25 runs of this test's six kills); 0 in 40 with --threads 1,
        # where each kill still ends in the EPIPE or ECONNRESET path.
        with Server(*self.plugin_args(RAMDISK), "size=32M",
                    nbdkit_options=["--threads", "1"]) as srv:
            rng = random.Random(5)
            for i in range(6):
                p = self.start_client(srv, "pwrite")
                time.sleep(rng.uniform(0, 0.05))
                p.kill()
                p.wait()
                self.still_serving(srv, 20 * MiB)
            self.assertIsNone(srv.proc.poll(), "nbdkit died")
            srv.proc.send_signal(signal.SIGTERM)
            self.assertEqual(srv.wait_exit(EXIT_TIMEOUT), 0, srv.log)
            log = srv.log
        for bad in ("Assertion", "Segmentation", "Aborted", "core dumped"):
            self.assertNotIn(bad, log)


class ClientKilledPeer(ClientKilled):
    TARGET = "peer"
    GENERATE = ()


BLOCK = 4096
FILE_SIZE = 64 * MiB
CLIENTS = 4
ORIGINAL = b"\xaa" * BLOCK


class DurableClient(threading.Thread):
    """Writes fresh blocks of its quarter of the file until the server
    goes; remembers what it was told is durable."""

    def __init__(self, srv, index, seed):
        super().__init__(name="client-%d" % index)
        self.srv = srv
        self.rng = random.Random(seed * 100 + index)
        self.blocks = range(index * FILE_SIZE // CLIENTS // BLOCK,
                            (index + 1) * FILE_SIZE // CLIENTS // BLOCK)
        self.acked = {}         # block -> content the server accepted
        self.durable = set()    # blocks it promised are in the file
        self.unflushed = []
        self.errors = set()
        self.started = threading.Event()

    def run(self):
        try:
            h = self.srv.connect()
        except nbd.Error as e:
            self.errors.add(errname(e))
            self.started.set()
            return
        try:
            for block in self.blocks:
                self.started.set()
                off = block * BLOCK
                fua = self.rng.random() < 0.3
                flags = nbd.CMD_FLAG_FUA if fua else 0
                if self.rng.random() < 0.2:
                    h.zero(BLOCK, off, flags)
                    content = bytes(BLOCK)
                else:
                    content = pattern(off, BLOCK)
                    h.pwrite(content, off, flags)
                self.acked[block] = content
                if fua:
                    self.durable.add(block)
                else:
                    self.unflushed.append(block)
                if self.rng.random() < 0.15:
                    h.flush()
                    self.durable.update(self.unflushed)
                    self.unflushed = []
        except nbd.Error as e:
            self.errors.add(errname(e))
        finally:
            self.started.set()
            try:
                h.shutdown()
            except nbd.Error:
                pass


class SigtermUnderLoad(Target, unittest.TestCase):
    GENERATE = (FILE_DISK,)

    def check(self, fua, seed, after):
        path = os.path.join(self.tmpdir, "disk-%s-%d.img" % (fua, seed))
        cleanup_log = path + ".cleanup"
        with open(path, "wb") as f:
            f.write(ORIGINAL * (FILE_SIZE // BLOCK))
        with Server(*self.plugin_args(FILE_DISK), "file=" + path,
                    "fua=" + fua, "cleanup=" + cleanup_log) as srv:
            clients = [DurableClient(srv, i, seed) for i in range(CLIENTS)]
            for c in clients:
                c.start()
            for c in clients:
                c.started.wait(30)
            time.sleep(after)
            running = sum(c.is_alive() for c in clients)
            srv.proc.send_signal(signal.SIGTERM)
            for c in clients:
                c.join(EXIT_TIMEOUT)
            self.assertFalse(any(c.is_alive() for c in clients),
                             "a client hangs after SIGTERM")
            while srv.handles:
                close_handle(srv.handles.pop())
            status = srv.wait_exit(EXIT_TIMEOUT)
            log = srv.log
        self.assertEqual(status, 0, "nbdkit did not exit cleanly:\n" + log)
        self.assertEqual(running, CLIENTS, "the clients were done before "
                         "SIGTERM: not under load")
        with open(cleanup_log) as f:
            self.assertEqual(f.read().split(), ["cleanup"])
        with open(path, "rb") as f:
            disk = f.read()
        durable = acked = 0
        for c in clients:
            self.assertLessEqual(c.errors, {"ESHUTDOWN", "error"}, c.name)
            for block in c.blocks:
                on_disk = disk[block * BLOCK:(block + 1) * BLOCK]
                if block in c.durable:
                    durable += 1
                    self.assertTrue(on_disk == c.acked[block],
                                    "durable block %d lost" % block)
                elif block in c.acked:
                    acked += 1
                    self.assertTrue(on_disk in (c.acked[block], ORIGINAL),
                                    "block %d is garbage" % block)
                elif on_disk != ORIGINAL:
                    # A write in flight may have reached the file.
                    self.assertTrue(on_disk in (bytes(BLOCK),
                                                pattern(block * BLOCK,
                                                        BLOCK)),
                                    "block %d, never acknowledged, is "
                                    "garbage" % block)
        # The load was real: durable and not yet durable writes both.
        self.assertGreater(durable, 10)
        self.assertGreater(acked, 0)
        for bad in ("Assertion", "Segmentation", "Aborted", "core dumped"):
            self.assertNotIn(bad, log)
        return durable, acked

    def test_fua_native(self):
        for seed in range(3 if SLOW else 1):
            with self.subTest(seed=seed):
                self.check("native", seed, 0.3 + 0.3 * seed)

    def test_fua_emulated(self):
        for seed in range(3 if SLOW else 1):
            with self.subTest(seed=seed):
                self.check("emulate", seed, 0.3 + 0.3 * seed)


class SigtermUnderLoadPeer(SigtermUnderLoad):
    TARGET = "peer"
    GENERATE = ()

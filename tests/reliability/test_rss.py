# SPDX-License-Identifier: BSD-3-Clause
"""nbdkit's resident memory does not grow with the number of requests.

fio (its nbd engine, two connections: 4 KiB random reads and writes at
queue depth 8, and random trims) drives a plugin generated from
examples/ramdisk.py (PARALLEL) with a disk small enough to be written
all over first.  RSS is read from /proc after N1 requests and again
after N2; it must stay within 5%.  With PYPLUGIN_SLOW=1, N1 = 100 000
and N2 = 1 000 000 (about half a minute); by default 10 000 and
100 000.  A leak of even 2 bytes a request would show in the slow run.
(tests/e2e/test_robustness.py checks large requests and failing ones.)
"""

import json
import shutil
import subprocess
import unittest

from common import SLOW, Server, TempDirMixin, example

RAMDISK = example("ramdisk.py")
SIZE = 8 * 1024 * 1024
FIRST, LAST = (100000, 1000000) if SLOW else (10000, 100000)
LIMIT = 0.05


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for process %d" % pid)


def fio(uri, *jobs):
    """Run fio's nbd engine with jobs (each a list of options); returns
    the number of requests it made."""
    cmd = ["fio", "--ioengine=nbd", "--uri=" + uri, "--output-format=json",
           "--size=%d" % SIZE]
    for job in jobs:
        cmd += job
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("fio failed: %s\n%s%s"
                             % (" ".join(cmd), p.stdout, p.stderr))
    report = json.loads(p.stdout[p.stdout.index("{"):])
    return sum(job[kind]["total_ios"] for job in report["jobs"]
               for kind in ("read", "write", "trim"))


def load(uri, requests):
    """About `requests` requests: 7/8 random reads and writes, 1/8
    random trims, on two connections."""
    trims = requests // 8
    return fio(uri,
               ["--name=rw", "--rw=randrw", "--bs=4k", "--iodepth=8",
                "--io_size=%d" % ((requests - trims) * 4096)],
               ["--name=trim", "--rw=randtrim", "--bs=4k", "--iodepth=2",
                "--io_size=%d" % (trims * 4096)])


@unittest.skipIf(shutil.which("fio") is None, "fio is not installed")
class Rss(TempDirMixin, unittest.TestCase):
    GENERATE = (RAMDISK,)

    def test_rss_flat(self):
        with Server(self.generated(RAMDISK), "size=%d" % SIZE) as srv:
            pid = srv.proc.pid
            # Every page of the disk written once, sequentially.
            fio(srv.uri, ["--name=fill", "--rw=write", "--bs=64k"])
            done = load(srv.uri, FIRST)
            first = rss_kib(pid)
            done += load(srv.uri, LAST - FIRST)
            last = rss_kib(pid)
            self.assertIsNone(srv.proc.poll())
        growth = (last - first) / first
        print("\nRSS after %d requests: %d KiB, after %d: %d KiB (%+.2f%%)"
              % (FIRST, first, done, last, 100 * growth))
        self.assertGreaterEqual(done, LAST * 0.99)
        self.assertLessEqual(abs(growth), LIMIT,
                             "RSS went from %d KiB to %d KiB" % (first, last))

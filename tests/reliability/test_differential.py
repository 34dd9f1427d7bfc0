# SPDX-License-Identifier: BSD-3-Clause
"""Differential test: seeded random sequences of requests against
`nbdkit python SCRIPT` and against the plugin generated from SCRIPT,
for a released-dialect script and an API 1 script
(scripts/diff_released.py, scripts/diff_api1.py) whose callbacks fail
in fixed ways.  Every request must give the same result under both:
the same data, the same errno, the same extents; and at the end the
disks hold the same bytes.  nbdinfo --json must agree too.

By default 4 sequences of 400 requests a script; with PYPLUGIN_SLOW=1,
30 of 1000.  A difference names the seed and the request, so that it
can be replayed.
"""

import hashlib
import os
import random
import unittest

from common import (HERE, SLOW, MiB, Server, TempDirMixin,
                    errname)

import nbd

from harness import comparable_info
from nopython import hide_python_wrapper

SIZE = 4 * MiB
K = 1024
SEEDS = range(30) if SLOW else range(4)
REQUESTS = 1000 if SLOW else 400

# Where the scripts fail (see them), so that requests land there often.
HOT = (0, 1 * MiB, 2 * MiB, 3 * MiB, 3 * MiB + MiB // 2, SIZE)


def sequence(seed, fua=True, fast_zero=True):
    """The requests of one seed: (name, args) tuples."""
    rng = random.Random(seed)

    def count():
        return rng.choice((1, 511, 512, 4096, 65536, rng.randrange(1, 8192),
                           rng.randrange(1, 256 * K), rng.randrange(1, 2 * MiB)))

    def offset(n):
        where = rng.choice(HOT) + rng.randrange(-70 * K, 70 * K)
        if rng.random() < 0.4:
            where = rng.randrange(0, SIZE)
        if rng.random() < 0.5:
            where -= where % 4096
        where = max(0, min(where, SIZE - n))
        if rng.random() < 0.02:
            where = SIZE - n + rng.randrange(1, 4096)  # past the end
        return where

    def flags(*choices):
        f = 0
        for c in choices:
            if rng.random() < 0.3:
                f |= c
        return f

    fua_flag = nbd.CMD_FLAG_FUA if fua else 0
    out = []
    for _ in range(REQUESTS):
        op = rng.choice(("pread", "pread", "pwrite", "pwrite", "zero",
                         "trim", "flush", "cache", "extents"))
        n = count()
        off = offset(n)
        if op == "pread":
            out.append(("pread", (n, off)))
        elif op == "pwrite":
            data = rng.randbytes(n)
            if off == 0 and rng.random() < 0.5:
                data = b"\x42" + data[1:]       # flush fails from now
            out.append(("pwrite", (data, off, flags(fua_flag))))
        elif op == "zero":
            out.append(("zero", (n, off, flags(
                fua_flag, nbd.CMD_FLAG_NO_HOLE,
                nbd.CMD_FLAG_FAST_ZERO if fast_zero else 0))))
        elif op == "trim":
            out.append(("trim", (n, off, flags(fua_flag))))
        elif op == "flush":
            out.append(("flush", ()))
        elif op == "cache":
            out.append(("cache", (n, off)))
        else:
            out.append(("extents", (n, off, flags(nbd.CMD_FLAG_REQ_ONE))))
    return out


def perform(h, name, args):
    """One request: its observable result."""
    try:
        if name == "pread":
            return "data " + hashlib.sha256(h.pread(*args)).hexdigest()
        if name == "extents":
            seen = []

            def cb(metacontext, offset, entries, err):
                if metacontext == nbd.CONTEXT_BASE_ALLOCATION:
                    seen.append((offset, list(entries)))
                return 0
            h.block_status(args[0], args[1], cb, args[2])
            return seen
        getattr(h, name)(*args)
        return "ok"
    except nbd.Error as e:
        return errname(e)


def describe(name, args):
    shown = ["%d bytes" % len(a) if isinstance(a, bytes) else str(a)
             for a in args]
    return "%s(%s)" % (name, ", ".join(shown))


class Differential(TempDirMixin):
    SCRIPT = None
    WRAPPER = ()            # runs nbdkit of the generated plugin
    FUA = True              # the client may send FUA, FAST_ZERO
    FAST_ZERO = True

    def observe(self, srv):
        info = comparable_info(srv)
        h = srv.connect(meta_contexts=(nbd.CONTEXT_BASE_ALLOCATION,))
        results = {}
        for seed in SEEDS:
            results[seed] = [perform(h, name, args)
                             for name, args in sequence(
                                 seed, self.FUA, self.FAST_ZERO)]
        final = [perform(h, "pread", (64 * K, off))
                 for off in range(0, SIZE, 64 * K)]
        h.shutdown()
        return info, results, final

    def test_same_results(self):
        with Server("python", self.SCRIPT) as srv:
            want_info, want, want_final = self.observe(srv)
        with Server(self.generated(self.SCRIPT),
                    wrapper=self.WRAPPER) as srv:
            got_info, got, got_final = self.observe(srv)
        self.assertEqual(got_info, want_info, "nbdinfo --json differs")
        kinds = {}
        for seed in SEEDS:
            requests = sequence(seed, self.FUA, self.FAST_ZERO)
            for i, ((name, args), w, g) in enumerate(
                    zip(requests, want[seed], got[seed])):
                if g != w:
                    self.fail("seed %d, request %d, %s: nbdkit python "
                              "says %r, the generated plugin %r"
                              % (seed, i, describe(name, args), w, g))
                kind = w if isinstance(w, str) and not \
                    w.startswith("data") and w != "ok" else "ok"
                kinds[kind] = kinds.get(kind, 0) + 1
        self.assertEqual(got_final, want_final, "the disks differ")
        # The sequences reached the failures as well as the data.
        print("\n%s: %d sequences of %d requests, results %s"
              % (os.path.basename(self.SCRIPT), len(SEEDS), REQUESTS,
                 dict(sorted(kinds.items()))))
        for errno_name in ("EIO", "ENOSPC", "EINVAL", "EPERM"):
            self.assertIn(errno_name, kinds)


class DifferentialReleased(Differential, unittest.TestCase):
    SCRIPT = os.path.join(HERE, "scripts", "diff_released.py")
    GENERATE = (SCRIPT,)

    def test_fast_zero_refused(self):
        """ENOTSUP comes up too: a fast zero the script refuses."""
        self.assertIn(("zero", "ENOTSUP"), self.fast_zero_results())

    def fast_zero_results(self):
        out = set()
        for target in (["python", self.SCRIPT],
                       [self.generated(self.SCRIPT)]):
            with Server(*target) as srv:
                h = srv.connect()
                out.add(("zero", perform(h, "zero", (
                    2 * MiB, 0, nbd.CMD_FLAG_FAST_ZERO))))
        return out


class DifferentialApi1(Differential, unittest.TestCase):
    SCRIPT = os.path.join(HERE, "scripts", "diff_api1.py")
    GENERATE = (SCRIPT,)


# The same against standalone plugins, served with every Python hidden.
class DifferentialReleasedStandalone(Differential, unittest.TestCase):
    SCRIPT = DifferentialReleased.SCRIPT
    GENERATE = (SCRIPT,)
    GENERATE_ARGS = ("--standalone",)
    WRAPPER = hide_python_wrapper()


class DifferentialApi1Standalone(Differential, unittest.TestCase):
    SCRIPT = DifferentialApi1.SCRIPT
    GENERATE = (SCRIPT,)
    GENERATE_ARGS = ("--standalone",)
    WRAPPER = hide_python_wrapper()

# Test script (released dialect): records the type and value of every
# argument each callback receives, so the test can compare them with
# nbdkit python's.  Reading 4K at offset 1M - 4K returns the record as
# JSON (and clears it).

import json

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)
RECORD = len(disk) - 4096
record: list = []


def describe(x):
    if isinstance(x, memoryview):
        return ["memoryview", len(x), x.readonly, x.format, x.contiguous]
    if isinstance(x, (bytes, bytearray)):
        return [type(x).__name__, len(x)]
    if isinstance(x, (bool, int, str)) or x is None:
        return [type(x).__name__, x]
    return [type(x).__name__]


def note(name, *args):
    record.append([name] + [describe(a) for a in args])


def config(key, value):
    note("config", key, value)


def open(readonly):
    note("open", readonly)
    return {}


def get_size(h):
    return len(disk)


def can_fua(h):
    return nbdkit.FUA_NATIVE


def can_cache(h):
    return nbdkit.CACHE_NATIVE


def can_fast_zero(h):
    return True


def pread(h, buf, offset, flags):
    if offset == RECORD:
        doc = json.dumps(record).encode()
        del record[:]
        buf[:] = doc.ljust(len(buf))
        return
    note("pread", buf, offset, flags)
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    note("pwrite", buf, offset, flags)
    disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    note("flush", flags)


def trim(h, count, offset, flags):
    note("trim", count, offset, flags)


def zero(h, count, offset, flags):
    note("zero", count, offset, flags)
    disk[offset:offset + count] = bytes(count)


def cache(h, count, offset, flags):
    note("cache", count, offset, flags)


def extents(h, count, offset, flags):
    note("extents", count, offset, flags)
    return [(offset, count, 0)]
# SPDX-License-Identifier: BSD-3-Clause

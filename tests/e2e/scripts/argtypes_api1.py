# Test script (API 1): records the type and value of every argument
# each callback receives, so the test can compare them with nbdkit
# python's.  Reading 4K at offset 1M - 4K returns the record as JSON
# (and clears it).

import json

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


def pread(h, count, offset):
    if offset == RECORD:
        doc = json.dumps(record).encode()
        del record[:]
        return doc.ljust(count)
    note("pread", count, offset)
    return disk[offset:offset + count]


def pwrite(h, buf, offset):
    note("pwrite", buf, offset)
    disk[offset:offset + len(buf)] = buf


def flush(h):
    note("flush")


def trim(h, count, offset):
    note("trim", count, offset)


def zero(h, count, offset, may_trim):
    note("zero", count, offset, may_trim)
    disk[offset:offset + count] = bytes(count)


def cache(h, count, offset, flags):
    note("cache", count, offset, flags)


def extents(h, count, offset, flags):
    note("extents", count, offset, flags)
    return [(offset, count, 0)]
# SPDX-License-Identifier: BSD-3-Clause

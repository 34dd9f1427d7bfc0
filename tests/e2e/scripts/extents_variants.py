# Test script (API 1; extents takes flags in every dialect): extents()
# results of every shape.  The export name picks the shape:
#   "list"       a list of tuples (64K data, then hole+zero)
#   "generator"  a generator of tuples
#   "lists"      a list of lists
#   "partial"    only the first 4096 bytes of the request
#   "types"      4K extents with types 0, 1, 2, 3 in turn
#   "empty"      []                                  -> error
#   "notiter"    42                                  -> error
#   "badtuple"   tuples of two items                 -> error
#   "backwards"  an extent before the request        -> error
#   "raises"     raises                              -> error
#   anything else: all data (a single extent)

import nbdkit

disk = bytearray(1024 * 1024)
HZ = nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO


def open(readonly):
    return nbdkit.export_name()


def get_size(h):
    return len(disk)


def pread(h, count, offset):
    return disk[offset:offset + count]


def can_extents(h):
    return True


def extents(h, count, offset, flags):
    if h == "list":
        n = min(count, 65536)
        out = [(offset, n, 0)]
        if count > n:
            out.append((offset + n, count - n, HZ))
        return out
    if h == "generator":
        return ((offset + i, min(4096, count - i), HZ if i % 8192 else 0)
                for i in range(0, count, 4096))
    if h == "lists":
        return [[offset, count, HZ]]
    if h == "partial":
        return [(offset, min(4096, count), HZ)]
    if h == "types":
        return [(offset + i, min(4096, count - i), (i // 4096) % 4)
                for i in range(0, count, 4096)]
    if h == "empty":
        return []
    if h == "notiter":
        return 42
    if h == "badtuple":
        return [(offset, count)]
    if h == "backwards":
        return [(offset - 4096 if offset >= 4096 else offset + 1, count, 0)]
    if h == "raises":
        raise RuntimeError("extents-failure")
    return [(offset, count, 0)]
# SPDX-License-Identifier: BSD-3-Clause

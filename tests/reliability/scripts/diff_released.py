# Test script (released dialect) for test_differential.py:
# a 4 MiB RAM disk whose callbacks fail in fixed ways, so that random
# requests get errors as well as data:
#   pwrite touching [1M, 1M+64K)  set_error(ENOSPC), raises
#   pread touching [2M, 2M+64K)   raises (EIO)
#   zero touching [3M, 3M+64K)    set_error(EOPNOTSUPP): nbdkit writes
#                                 zeroes with pwrite, or fails a fast zero
#   zero of more than 1M, fast    set_error(EOPNOTSUPP)
#   trim not 4K-aligned           set_error(EINVAL), raises
#   cache from 3.5M on            set_error(EPERM), raises
#   flush when byte 0 is 0x42     raises (EIO)
# extents() reports each 64K chunk of zeroes as a hole.

import errno

import nbdkit

API_VERSION = 2

K = 1024
M = 1024 * K
disk = bytearray(4 * M)


def touches(offset, count, start, length=64 * K):
    return offset < start + length and start < offset + count


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def can_write(h):
    return True


def can_flush(h):
    return True


def can_trim(h):
    return True


def can_zero(h):
    return True


def can_fast_zero(h):
    return True


def can_fua(h):
    return nbdkit.FUA_NATIVE


def can_cache(h):
    return nbdkit.CACHE_NATIVE


def can_extents(h):
    return True


def pread(h, buf, offset, flags):
    if touches(offset, len(buf), 2 * M):
        raise RuntimeError("unreadable region")
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    if touches(offset, len(buf), 1 * M):
        nbdkit.set_error(errno.ENOSPC)
        raise RuntimeError("full region")
    disk[offset:offset + len(buf)] = buf


def zero(h, count, offset, flags):
    if touches(offset, count, 3 * M) or \
            (count > M and flags & nbdkit.FLAG_FAST_ZERO):
        nbdkit.set_error(errno.EOPNOTSUPP)
        raise RuntimeError("no zeroing here")
    disk[offset:offset + count] = bytes(count)


def trim(h, count, offset, flags):
    if offset % 4096 or count % 4096:
        nbdkit.set_error(errno.EINVAL)
        raise ValueError("unaligned trim")
    disk[offset:offset + count] = bytes(count)


def flush(h, flags):
    if disk[0] == 0x42:
        raise RuntimeError("flush refused")


def cache(h, count, offset, flags):
    if offset + count > 3 * M + M // 2:
        nbdkit.set_error(errno.EPERM)
        raise RuntimeError("no caching here")


def extents(h, count, offset, flags):
    chunk = 64 * K
    out = []
    start = offset
    end = offset + count
    while start < end:
        stop = min(end, (start // chunk + 1) * chunk)
        zeroes = not any(disk[start // chunk * chunk:
                              (start // chunk + 1) * chunk])
        out.append((start, stop - start,
                    nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO if zeroes
                    else 0))
        if flags & nbdkit.FLAG_REQ_ONE:
            break
        start = stop
    return out
# SPDX-License-Identifier: BSD-3-Clause

# Test script (API 1, no version declared): callbacks that fail on
# purpose.  Same failures as errors.py, in API 1 signatures, plus the
# buffer pread returns:
#   pread  at 384K    returns one byte too few     -> client sees EIO
#   pread  at 448K    returns an int, not a buffer -> client sees EIO
#   pread  at 512K    returns 100 bytes too many   -> fine, the extra is cut

import errno

import nbdkit

disk = bytearray(1024 * 1024)
K = 1024


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, count, offset):
    if offset == 64 * K:
        raise RuntimeError("deliberate-failure-pread-eio")
    if offset == 128 * K:
        nbdkit.set_error(errno.ENOSPC)
        raise RuntimeError("deliberate-failure-pread-enospc")
    if offset == 384 * K:
        return disk[offset:offset + count - 1]
    if offset == 448 * K:
        return 42
    if offset == 512 * K:
        return disk[offset:offset + count + 100]
    return disk[offset:offset + count]


def pwrite(h, buf, offset):
    if offset == 192 * K:
        nbdkit.set_error(errno.EPERM)
        raise RuntimeError("deliberate-failure-pwrite-eperm")
    if offset == 256 * K:
        nbdkit.set_error(errno.ENOSPC)
    disk[offset:offset + len(buf)] = buf


def zero(h, count, offset, may_trim):
    if offset == 320 * K:
        raise ValueError("deliberate-failure-zero")
    disk[offset:offset + count] = bytes(count)


def trim(h, count, offset):
    nbdkit.set_error(errno.ENOMEM)
    raise RuntimeError("deliberate-failure-trim")


def flush(h):
    raise KeyError("deliberate-failure-flush")
# SPDX-License-Identifier: BSD-3-Clause

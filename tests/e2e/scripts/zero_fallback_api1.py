# Test script (API 1): zero() always declines with
# set_error(EOPNOTSUPP), which asks nbdkit to fall back to pwrite.
# Zeroed ranges must still read back as zeroes.  Each call is logged
# (nbdkit -v) so the test can see that zero was tried first.

import errno

import nbdkit

disk = bytearray(1024 * 1024)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, count, offset):
    return disk[offset:offset + count]


def pwrite(h, buf, offset):
    disk[offset:offset + len(buf)] = buf


def zero(h, count, offset, may_trim):
    nbdkit.debug("zero_fallback: zero declined count=%d offset=%d"
                 % (count, offset))
    # ENOTSUP is the same number as EOPNOTSUPP on Linux; either works.
    nbdkit.set_error(errno.ENOTSUP)
    raise NotImplementedError("use pwrite")
# SPDX-License-Identifier: BSD-3-Clause

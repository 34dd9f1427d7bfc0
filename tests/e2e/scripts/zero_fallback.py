# Test script (released dialect): zero() always declines with
# set_error(EOPNOTSUPP), which asks nbdkit to fall back to pwrite.
# Zeroed ranges must still read back as zeroes.  Each call is logged
# (nbdkit -v) so the test can see that zero was tried first.

import errno

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf


def zero(h, count, offset, flags):
    nbdkit.debug("zero_fallback: zero declined count=%d offset=%d"
                 % (count, offset))
    nbdkit.set_error(errno.EOPNOTSUPP)
    raise NotImplementedError("use pwrite")
# SPDX-License-Identifier: BSD-3-Clause

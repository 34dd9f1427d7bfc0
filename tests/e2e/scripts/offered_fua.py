# FUA emulated (nbdkit flushes after each write with FUA) with no flush.
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


def can_fua(h):
    return nbdkit.FUA_EMULATE
# SPDX-License-Identifier: BSD-3-Clause

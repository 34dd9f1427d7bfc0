# Capabilities offered without the operation behind them: every request
# nbdkit then makes must give the client what nbdkit python gives.
import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def can_write(h):
    return True


def can_flush(h):
    return True


def can_trim(h):
    return True


def can_cache(h):
    return nbdkit.CACHE_NATIVE


def can_extents(h):
    return True
# SPDX-License-Identifier: BSD-3-Clause

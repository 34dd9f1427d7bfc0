# Test script (released dialect): can_* and is_rotational callbacks
# returning truthy and falsy values that are not True or False.
#
# nbdkit python 1.32 treats a result as true only when it `is True`;
# the generated plugin uses Python truthiness instead.

API_VERSION = 2

disk = bytearray(1024 * 1024)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def can_write(h):
    return 1


def can_flush(h):
    return "yes"


def can_trim(h):
    return [0]


def can_fast_zero(h):
    return 2


def can_multi_conn(h):
    return ""


def is_rotational(h):
    return 1.5


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    pass


def trim(h, count, offset, flags):
    disk[offset:offset + count] = bytes(count)


def zero(h, count, offset, flags):
    disk[offset:offset + count] = bytes(count)
# SPDX-License-Identifier: BSD-3-Clause

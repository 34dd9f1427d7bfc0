# Test script (released dialect): a RAM disk kept in a ctypes buffer, so
# that serving it needs the _ctypes C extension (and libffi).

import ctypes

import nbdkit

API_VERSION = 2

SIZE = 4 * 1024 * 1024
disk = ctypes.create_string_buffer(SIZE)


def open(readonly):
    return 1


def get_size(h):
    return SIZE


def pread(h, buf, offset, flags):
    ctypes.memmove((ctypes.c_char * len(buf)).from_buffer(buf),
                   ctypes.addressof(disk) + offset, len(buf))


def pwrite(h, buf, offset, flags):
    ctypes.memmove(ctypes.addressof(disk) + offset, bytes(buf), len(buf))
    nbdkit.debug("ctypes_disk: wrote %d bytes" % len(buf))
# SPDX-License-Identifier: BSD-3-Clause

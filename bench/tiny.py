# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark's smallest script: a RAM disk that imports nothing but
nbdkit, for the start-up case where the script's own imports do not
dominate (bench/ramdisk.py imports threading).

size=SIZE   Size of the disk (default 1M).
"""

import nbdkit

API_VERSION = 2

size = 1024 * 1024
disk = None


def config(key, value):
    global size
    if key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    global disk
    disk = bytearray(size)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf

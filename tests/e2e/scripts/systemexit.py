# Test script (released dialect): callbacks raising SystemExit and
# KeyboardInterrupt, which must become errors for the client like any
# other exception, not stop nbdkit.
#   pread at 64K   raises SystemExit(3)
#   pread at 128K  raises KeyboardInterrupt
#   pread at 192K  calls sys.exit()

import sys

API_VERSION = 2

disk = bytearray(1024 * 1024)
K = 1024


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    if offset == 64 * K:
        raise SystemExit(3)
    if offset == 128 * K:
        raise KeyboardInterrupt
    if offset == 192 * K:
        sys.exit()
    buf[:] = disk[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

"""A script that prints as it loads and as it serves, as scripts written
for a terminal do."""

API_VERSION = 2

print("loading the ramdisk plugin")

disk = bytearray(1024 * 1024)


def open(readonly):
    print("open, readonly =", readonly)
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

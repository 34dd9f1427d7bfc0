"""A ramdisk whose handle is a tuple, as many real plugins return: the
callbacks must get the tuple itself, never its items as arguments."""

API_VERSION = 2

disks = {}


def open(readonly):
    disk = bytearray(1024 * 1024)
    disks[id(disk)] = disk
    return (disk, readonly)


def close(h):
    disk, _ = h
    disks.pop(id(disk), None)


def get_size(h):
    disk, _ = h
    return len(disk)


def can_write(h):
    return not h[1]


def pread(h, buf, offset, flags):
    disk = h[0]
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk = h[0]
    disk[offset:offset + len(buf)] = buf
# SPDX-License-Identifier: BSD-3-Clause

# Test script (seed dialect of API 2): pread returns many kinds of object: any
# object with the buffer protocol; shorter than count is an error,
# longer is cut.  The kind depends on which 64K block is read:
#   block 0  bytes             block 1  bytearray
#   block 2  memoryview        block 3  array('B')
#   block 4  array('H') (byte length counts)
#   block 5  a memoryview slice with a step (not contiguous)
#   block 6  str (no buffer protocol)
#   block 7  None
#   block 8  a list of ints
#   block 9  a ctypes array
#   others   bytes of the disk

import array
import ctypes

disk = bytearray(1024 * 1024)
for i in range(0, len(disk), 8):
    disk[i:i + 8] = b"%08x" % i

BLOCK = 65536


def api_version():
    return 2


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, count, offset, flags):
    data = bytes(disk[offset:offset + count])
    kind = offset // BLOCK
    if kind == 0:
        return data
    if kind == 1:
        return bytearray(data)
    if kind == 2:
        return memoryview(data)
    if kind == 3:
        return array.array("B", data)
    if kind == 4:
        return array.array("H", data + (b"\0" if count % 2 else b""))
    if kind == 5:
        return memoryview(bytes(2 * count))[::2]
    if kind == 6:
        return data.decode("latin-1")
    if kind == 7:
        return None
    if kind == 8:
        return list(data)
    if kind == 9:
        return (ctypes.c_char * count).from_buffer_copy(data)
    return data


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf
# SPDX-License-Identifier: BSD-3-Clause

# A read-only plugin whose can_write asks an object built at open: what
# it returns cannot be seen without running the script, so it is a note
# (with -Wunchecked), not a warning; -Werror builds stay quiet.
# args: -Werror -Wunchecked
API_VERSION = 2


class Disk:
    def __init__(self, readonly):
        self.data = bytearray(4096)

    def can_write(self):
        return False


def open(readonly):
    return Disk(readonly)


def get_size(h):
    return len(h.data)


def pread(h, buf, offset, flags):
    buf[:] = h.data[offset:offset + len(buf)]


def can_write(h):
    return h.can_write()

# expect: 28:5: note: 'can_write' returns h.can_write(), so whether it returns true cannot be seen without running the script; if it does, a client's writes would fail with EIO, as the script defines no 'pwrite'
# SPDX-License-Identifier: BSD-3-Clause

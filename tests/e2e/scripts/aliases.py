# Test script (API 1): callbacks defined under other names and bound
# by assignment, a lambda, and a callable object, as Python allows and
# nbdkit python (which looks callbacks up by name) accepts.

import nbdkit

disk = bytearray(1024 * 1024)


def _open(readonly):
    return {"readonly": readonly}


def _read(h, count, offset):
    return disk[offset:offset + count]


class Writer:
    def __call__(self, h, buf, offset):
        disk[offset:offset + len(buf)] = buf


open = _open
get_size = lambda h: len(disk)
pread = _read
pwrite = Writer()


def flush(h):
    nbdkit.debug("aliases: flush")


can_trim = can_multi_conn = lambda h: True


def trim(h, count, offset):
    disk[offset:offset + count] = bytes(count)
# SPDX-License-Identifier: BSD-3-Clause

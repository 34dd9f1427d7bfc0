# Test script (released dialect): callbacks that fail on purpose.
#
# The disk is 1M of memory.  Requests touching these offsets fail:
#   pread  at 64K     raises RuntimeError          -> client sees EIO
#   pread  at 128K    set_error(ENOSPC), raises    -> client sees ENOSPC
#   pwrite at 192K    set_error(EPERM), raises     -> client sees EPERM
#   pwrite at 256K    set_error(ENOSPC) but succeeds (no exception): no error
#   zero   at 320K    raises ValueError            -> client sees EIO
#   trim   anywhere   set_error(ENOMEM), raises    -> client sees ENOMEM
#   flush             raises KeyError              -> client sees EIO
#   open   of the export "fail-open" raises         -> that connection fails
# Every failing callback raises an exception whose message contains
# "deliberate-failure-<callback>", which the test looks for in the log.

import errno

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)
K = 1024


def open(readonly):
    if nbdkit.export_name() == "fail-open":
        raise RuntimeError("deliberate-failure-open")
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    if offset == 64 * K:
        raise RuntimeError("deliberate-failure-pread-eio")
    if offset == 128 * K:
        nbdkit.set_error(errno.ENOSPC)
        raise RuntimeError("deliberate-failure-pread-enospc")
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    if offset == 192 * K:
        nbdkit.set_error(errno.EPERM)
        raise RuntimeError("deliberate-failure-pwrite-eperm")
    if offset == 256 * K:
        # Setting an error without raising is not a failure.
        nbdkit.set_error(errno.ENOSPC)
    disk[offset:offset + len(buf)] = buf


def zero(h, count, offset, flags):
    if offset == 320 * K:
        raise ValueError("deliberate-failure-zero")
    disk[offset:offset + count] = bytes(count)


def trim(h, count, offset, flags):
    nbdkit.set_error(errno.ENOMEM)
    raise RuntimeError("deliberate-failure-trim")


def flush(h, flags):
    raise KeyError("deliberate-failure-flush")
# SPDX-License-Identifier: BSD-3-Clause

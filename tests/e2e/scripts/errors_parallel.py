# Test script (released dialect, parallel): the errno set with
# nbdkit.set_error belongs to the thread that set it.
#   pread at 64K    sleeps, then raises                 -> EIO
#   pread at 128K   set_error(ENOSPC), sleeps, raises   -> ENOSPC
# With requests of both kinds in flight at once, an errno shared
# between threads would turn some EIO into ENOSPC or the reverse.

import errno
import time

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)
K = 1024


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    if offset == 64 * K:
        time.sleep(0.002)
        raise RuntimeError("plain failure")
    if offset == 128 * K:
        nbdkit.set_error(errno.ENOSPC)
        time.sleep(0.002)
        raise RuntimeError("ENOSPC failure")
    buf[:] = disk[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

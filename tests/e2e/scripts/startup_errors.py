# Test script (released dialect): failures before nbdkit serves.  The
# environment variable STARTUP_FAIL picks where an exception is raised:
#   load             while the script is loaded (top-level code)
#   config           in config()
#   config_complete  in config_complete()
#   thread_model     in thread_model()
#   get_ready        in get_ready()
#   after_fork       in after_fork()
# Each message contains "startup-failure-WHERE".  Unset: a 1M disk.

import os

import nbdkit

API_VERSION = 2

FAIL = os.environ.get("STARTUP_FAIL", "")
disk = bytearray(1024 * 1024)


def fail(where):
    if FAIL == where:
        raise RuntimeError("startup-failure-" + where)


fail("load")


def config(key, value):
    fail("config")


def config_complete():
    fail("config_complete")


def thread_model():
    fail("thread_model")
    return nbdkit.THREAD_MODEL_PARALLEL


def get_ready():
    fail("get_ready")


def after_fork():
    fail("after_fork")


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

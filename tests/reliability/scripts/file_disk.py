"""A disk in a file, with a write-back cache: writes and zeroes go to
memory and reach the file only when the connection that made them
flushes, or at once when the client asks for FUA.  Requests are served
in parallel.

file=PATH       the backing file (its size is the disk's size)
fua=native      FUA handled here (the default); fua=emulate: nbdkit
                emulates it with a flush after the write
cleanup=PATH    cleanup() appends the word "cleanup" to PATH
"""
# Test script (released dialect) for tests/reliability/test_load.py:
# what a client was told is durable (FUA, or written before a flush
# that succeeded) must be in the file after nbdkit is stopped; the
# rest may or may not be.  cleanup() deliberately does not flush.

import builtins
import os
import threading

import nbdkit

API_VERSION = 2

BLOCK = 4096
path = None
cleanup_log = None
fua = "native"
fd = -1
memory = None
lock = threading.Lock()


def config(key, value):
    global path, cleanup_log, fua
    if key == "file":
        path = value
    elif key == "cleanup":
        cleanup_log = value
    elif key == "fua" and value in ("native", "emulate"):
        fua = value
    else:
        raise RuntimeError("unknown parameter %s=%s" % (key, value))


def config_complete():
    global fd, memory
    if path is None:
        raise RuntimeError("file=PATH is required")
    fd = os.open(path, os.O_RDWR)
    size = os.fstat(fd).st_size
    memory = bytearray(os.pread(fd, size, 0))


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def cleanup():
    if cleanup_log:
        with builtins.open(cleanup_log, "a") as f:
            f.write("cleanup\n")


def open(readonly):
    # The blocks this connection wrote since its last flush.
    return {"dirty": set()}


def get_size(h):
    return len(memory)


def can_flush(h):
    return True


def can_zero(h):
    return True


def can_fua(h):
    return nbdkit.FUA_NATIVE if fua == "native" else nbdkit.FUA_EMULATE


def write_through(offset, count):
    os.pwrite(fd, memory[offset:offset + count], offset)
    os.fdatasync(fd)


def store(h, data, offset, flags):
    with lock:
        memory[offset:offset + len(data)] = data
        if fua == "native" and flags & nbdkit.FLAG_FUA:
            write_through(offset, len(data))
        else:
            h["dirty"].update(range(offset // BLOCK,
                                    (offset + len(data) - 1) // BLOCK + 1))


def pread(h, buf, offset, flags):
    with lock:
        buf[:] = memory[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    store(h, bytes(buf), offset, flags)


def zero(h, count, offset, flags):
    store(h, bytes(count), offset, flags)


def flush(h, flags):
    with lock:
        for block in sorted(h["dirty"]):
            os.pwrite(fd, memory[block * BLOCK:(block + 1) * BLOCK],
                      block * BLOCK)
        h["dirty"].clear()
        os.fdatasync(fd)
# SPDX-License-Identifier: BSD-3-Clause

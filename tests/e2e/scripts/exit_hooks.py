"""What an exiting Python program does, when nbdkit stops: the script's
atexit functions run, its globals are released (so their finalizers
run, after the atexit functions), and what it wrote to sys.stdout
without a newline is flushed.

log=FILE     where record() appends what ran, one word a line
atexit=yes   import atexit and register a function; without it the
             script never imports the atexit module
"""

import builtins
import sys

import nbdkit

API_VERSION = 2

log = None
disk = bytearray(1024 * 1024)


# builtins.open, as open is the script's callback.  A finalizer may run
# after the globals it would use are gone (as in Python's own
# finalization), so it has everything in its arguments.
def record(word, path=None, write=builtins.open):
    with write(path or log, "a") as f:
        f.write(word + "\n")


class Finalized:
    def __init__(self, path):
        self.path = path

    def __del__(self, record=record):
        record("finalizer", self.path)


def config(key, value):
    global log
    if key == "log":
        log = value
    elif key == "atexit" and value == "yes":
        import atexit
        atexit.register(record, "atexit")
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    global kept
    kept = Finalized(log)


def get_ready():
    sys.stdout.write("unflushed-output")  # no newline: stays buffered


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

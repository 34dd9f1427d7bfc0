"""An upload-style plugin: every callback goes through one decorator
that turns the backend's exceptions into errnos, capabilities come from
one lookup table through functools.partial, and the backend is closed
by an atexit hook."""

import atexit
import errno
import functools
from functools import partial

import nbdkit

API_VERSION = 2

SIZE = 4 * 1024 * 1024


class BackendError(Exception):
    def __init__(self, err, message):
        super().__init__(message)
        self.errno = err


class Backend:
    def __init__(self):
        self.data = bytearray(SIZE)
        self.closed = False

    def check(self, count, offset):
        if offset + count > len(self.data):
            raise BackendError(errno.EINVAL, "beyond the end")


backend = Backend()
CAPABILITIES = {"can_write": True, "can_flush": True, "can_trim": True,
                "can_zero": True, "can_fast_zero": False,
                "can_multi_conn": False}


def translate(fn):
    """Report a BackendError's errno to the client."""
    @functools.wraps(fn)
    def wrapper(h, *args):
        try:
            return fn(h, *args)
        except BackendError as e:
            nbdkit.set_error(e.errno)
            raise
    return wrapper


def lookup(name, h):
    return CAPABILITIES[name]


@atexit.register
def cleanup():
    backend.closed = True


def open(readonly):
    return {"readonly": readonly, "writes": 0}


@translate
def get_size(h):
    return len(backend.data)


@translate
def pread(h, buf, offset, flags):
    backend.check(len(buf), offset)
    buf[:] = backend.data[offset:offset + len(buf)]


@translate
def pwrite(h, buf, offset, flags):
    backend.check(len(buf), offset)
    backend.data[offset:offset + len(buf)] = buf
    h["writes"] += 1


@translate
def zero(h, count, offset, flags):
    backend.check(count, offset)
    backend.data[offset:offset + count] = bytes(count)


@translate
def trim(h, count, offset, flags):
    zero(h, count, offset, flags)


@translate
def flush(h, flags):
    pass


can_write = partial(lookup, "can_write")
can_flush = partial(lookup, "can_flush")
can_trim = functools.partial(lookup, "can_trim")
can_zero = partial(lookup, "can_zero")
can_fast_zero = partial(lookup, "can_fast_zero")
can_multi_conn = partial(lookup, "can_multi_conn")
# SPDX-License-Identifier: BSD-3-Clause

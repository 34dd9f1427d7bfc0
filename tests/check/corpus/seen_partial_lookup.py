# A read-only plugin whose capabilities come from a table through
# functools.partial: the value cannot be seen without running the
# script, so it is a note (shown with -Wunchecked), never a warning.
# args: -Werror -Wunchecked
from functools import partial

API_VERSION = 2

CAPABILITIES = {"can_write": False, "can_multi_conn": True}


def lookup(name, h):
    return CAPABILITIES[name]


def open(readonly):
    return 1


def get_size(h):
    return 512


def pread(h, buf, offset, flags):
    buf[:] = bytes(len(buf))


can_write = partial(lookup, "can_write")
can_multi_conn = partial(lookup, "can_multi_conn")

# expect: 28:1: note: 'can_write' returns CAPABILITIES[name], so whether it returns true cannot be seen without running the script; if it does, a client's writes would fail with EIO, as the script defines no 'pwrite'
# SPDX-License-Identifier: BSD-3-Clause

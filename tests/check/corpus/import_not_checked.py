# args: -v
# An imported function cannot be read: with -v, a note says so.
API_VERSION = 2

from mylib import pwrite  # noqa: E402


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 5:1: note: callback 'pwrite' is an import from 'mylib': its parameters were not checked (--import checks them)
# SPDX-License-Identifier: BSD-3-Clause

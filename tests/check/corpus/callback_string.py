# A callback bound to a string.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


can_write = "yes"

# expect: 17:1: error: callback 'can_write' must be a function, but it is bound to a str
# SPDX-License-Identifier: BSD-3-Clause

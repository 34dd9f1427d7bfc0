# nbdkit python would silently ignore a None callback; it is a mistake.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


flush = None

# expect: 17:1: error: callback 'flush' must be a function, but it is bound to None
# SPDX-License-Identifier: BSD-3-Clause

# A lambda's parameters are checked like a def's.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


can_write = lambda: True

# expect: 17:1: error: can_write takes (h) in API 2 (API_VERSION = 2); it is defined with 0 parameters
# SPDX-License-Identifier: BSD-3-Clause

# A callback that is not a function: pread = 3.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


pread = 3

# expect: 13:1: error: callback 'pread' must be a function, but it is bound to an int
# SPDX-License-Identifier: BSD-3-Clause

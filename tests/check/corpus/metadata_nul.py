# A C string cannot carry a NUL character.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


longname = "before\0after"

# expect: 17:12: error: 'longname' contains a NUL character, which a C string cannot carry
# SPDX-License-Identifier: BSD-3-Clause

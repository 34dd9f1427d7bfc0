# The seed form must return a literal.
VERSION = 2


def api_version():
    return VERSION
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset, flags):
    return bytes(count)

# expect: 6:12: error: api_version() must return the integer literal 1 or 2, not an expression
# SPDX-License-Identifier: BSD-3-Clause

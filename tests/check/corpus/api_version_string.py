# "2" is a string, not the integer 2.
API_VERSION = "2"


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 2:15: error: API_VERSION must be the integer literal 1 or 2, not a str ('2')
# SPDX-License-Identifier: BSD-3-Clause

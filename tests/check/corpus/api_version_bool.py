# True == 1 in Python, but it is not the integer literal 1.
API_VERSION = True
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)

# expect: 2:15: error: API_VERSION must be the integer literal 1 or 2, not a bool (True)
# SPDX-License-Identifier: BSD-3-Clause

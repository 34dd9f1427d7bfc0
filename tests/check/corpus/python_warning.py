# Python's own compile-time warnings are reported as warnings (one
# whose text every Python from 3.11 to 3.14 writes alike).
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


assert (API_VERSION == 2, "the released dialect")

# expect: 18:1: warning: assertion is always true, perhaps remove parentheses? [-Wpython-warning]
# SPDX-License-Identifier: BSD-3-Clause

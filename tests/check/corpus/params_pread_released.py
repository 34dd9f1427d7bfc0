# The released dialect's pread fills buf.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)

# expect: 13:5: error: pread takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); it is defined with 3 parameters
# SPDX-License-Identifier: BSD-3-Clause

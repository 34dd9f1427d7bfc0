# version must be a string.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


version = 2

# expect: 17:11: error: 'version' must be a string literal, not an int
# SPDX-License-Identifier: BSD-3-Clause

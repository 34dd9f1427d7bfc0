# There is no API version 3.
API_VERSION = 3


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 2:15: error: API_VERSION declares API version 3; only 1 and 2 exist
# SPDX-License-Identifier: BSD-3-Clause

# config takes (key, value) in every dialect.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def config(key):
    pass

# expect: 17:5: error: config takes (key, value) in API 2 (API_VERSION = 2); it is defined with 1 parameter
# SPDX-License-Identifier: BSD-3-Clause

# bytes are not a string.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


config_help = b"size=SIZE"

# expect: 17:15: error: 'config_help' must be a string literal, not a bytes object
# SPDX-License-Identifier: BSD-3-Clause

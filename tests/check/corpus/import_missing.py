# args: --import
# Deleted at run time: --import sees that get_size is gone.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


del globals()["get_size"]

# expect: 1:1: error: required callback 'get_size' is not defined; expected def get_size(h) in API 2 (API_VERSION = 2)
# SPDX-License-Identifier: BSD-3-Clause

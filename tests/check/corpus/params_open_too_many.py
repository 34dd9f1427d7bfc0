# open takes (readonly): an extra parameter without a default cannot bind.
API_VERSION = 2


def open(readonly, export_name):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 5:5: error: open takes (readonly) in API 2 (API_VERSION = 2); it is defined with 2 parameters
# SPDX-License-Identifier: BSD-3-Clause

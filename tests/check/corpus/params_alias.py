# An alias of a top-level function is checked as that function.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def _write(h, buf, offset):
    pass


pwrite = _write

# expect: 21:1: error: pwrite takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); it is defined with 3 parameters
# SPDX-License-Identifier: BSD-3-Clause

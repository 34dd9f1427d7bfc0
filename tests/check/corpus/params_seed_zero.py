# The seed dialect passes flags to zero, not may_trim; too few parameters.
def api_version():
    return 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset, flags):
    return bytes(count)


def zero(h, count, offset):
    pass

# expect: 18:5: error: zero takes (h, count, offset, flags) in API 2 (def api_version(): return 2); it is defined with 3 parameters
# SPDX-License-Identifier: BSD-3-Clause

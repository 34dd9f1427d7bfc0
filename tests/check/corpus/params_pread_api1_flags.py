# API 1 passes no flags: a pread that needs them would never bind.
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset, flags):
    return bytes(count)

# expect: 10:5: error: pread takes (h, count, offset) in API 1 (no API declaration); it is defined with 4 parameters
# SPDX-License-Identifier: BSD-3-Clause

# *args takes the extras, but four required parameters are still too
# many for trim's three arguments in API 1.
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)


def trim(h, count, offset, extra, *args):
    pass

# expect: 15:5: error: trim takes (h, count, offset) in API 1 (no API declaration); it is defined with 4 parameters and *args
# SPDX-License-Identifier: BSD-3-Clause

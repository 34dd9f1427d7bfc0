# An f-string is computed at run time.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


NAME = "disk"
longname = f"{NAME} plugin"

# expect: 18:12: error: 'longname' must be a string literal, not an f-string
# SPDX-License-Identifier: BSD-3-Clause

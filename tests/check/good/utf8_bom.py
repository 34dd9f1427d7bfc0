# A UTF-8 byte order mark is fine.
API_VERSION = 2
longname = "café"


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
# SPDX-License-Identifier: BSD-3-Clause

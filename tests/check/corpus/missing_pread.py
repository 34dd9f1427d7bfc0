# pread is required.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0

# expect: 1:1: error: required callback 'pread' is not defined; expected def pread(h, buf, offset, flags) in API 2 (API_VERSION = 2)
# SPDX-License-Identifier: BSD-3-Clause

# api_version must be a function; the variable form is API_VERSION.
api_version = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 2:1: error: api_version is not a function; to declare the API version write API_VERSION = 2 (or def api_version(): return 2)
# SPDX-License-Identifier: BSD-3-Clause

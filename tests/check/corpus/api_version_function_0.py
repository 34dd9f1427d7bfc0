# The seed form declaring a version that does not exist.
def api_version():
    return 0
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)

# expect: 3:12: error: api_version() declares API version 0; only 1 and 2 exist
# SPDX-License-Identifier: BSD-3-Clause

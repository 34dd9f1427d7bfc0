# nbdkit calls api_version() with no arguments.
def api_version(nbdkit_version):
    return 2
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)

# expect: 2:5: error: api_version() takes no parameters; it is called as api_version()
# SPDX-License-Identifier: BSD-3-Clause

# One deletion away from extents.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def extent(h, count, offset, flags):
    return []

# expect: 17:5: warning: function 'extent' is not an nbdkit callback; did you mean 'extents'? [-Wnear-miss]
# SPDX-License-Identifier: BSD-3-Clause

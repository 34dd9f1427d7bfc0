# One transposition away from pwrite.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pwirte(h, buf, offset, flags):
    pass

# expect: 17:5: warning: function 'pwirte' is not an nbdkit callback; did you mean 'pwrite'? [-Wnear-miss]
# SPDX-License-Identifier: BSD-3-Clause

# One transposition away from can_write.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pwrite(h, buf, offset, flags):
    pass


def can_wirte(h):
    return True

# expect: 21:5: warning: function 'can_wirte' is not an nbdkit callback; did you mean 'can_write'? [-Wnear-miss]
# SPDX-License-Identifier: BSD-3-Clause

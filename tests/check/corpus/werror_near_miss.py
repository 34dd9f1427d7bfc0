# args: -Werror
# With -Werror a warning is an error, and the exit status is 1.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pwirte(h, buf, offset, flags):
    pass

# expect: 18:5: error: function 'pwirte' is not an nbdkit callback; did you mean 'pwrite'? [-Werror=near-miss]
# SPDX-License-Identifier: BSD-3-Clause

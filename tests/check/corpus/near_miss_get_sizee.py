# One insertion away from get_size; get_size itself is then missing.
API_VERSION = 2


def open(readonly):
    return 1


def get_sizee(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 1:1: error: required callback 'get_size' is not defined; expected def get_size(h) in API 2 (API_VERSION = 2)
# expect: 9:5: warning: function 'get_sizee' is not an nbdkit callback; did you mean 'get_size'? [-Wnear-miss]
# SPDX-License-Identifier: BSD-3-Clause

# Letter case counts as a near miss too.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def Flush(h, flags):
    pass

# expect: 17:5: warning: function 'Flush' is not an nbdkit callback; did you mean 'flush'? [-Wnear-miss]
# SPDX-License-Identifier: BSD-3-Clause

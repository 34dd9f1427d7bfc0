# A def rebound by assignment later.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def _flush(h, flags):
    pass


def flush(h, flags):
    pass


flush = _flush

# expect: 25:1: warning: callback 'flush' is defined again; the last definition is the one used, as in Python [-Wredefined]
# expect: 21:5: note: previous definition of 'flush' was here
# SPDX-License-Identifier: BSD-3-Clause

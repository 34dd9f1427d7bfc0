# The first pread fits, the last (the one Python keeps) does not.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pread(h, count, offset):
    return bytes(count)

# expect: 17:5: warning: callback 'pread' is defined again; the last definition is the one used, as in Python [-Wredefined]
# expect: 13:5: note: previous definition of 'pread' was here
# expect: 17:5: error: pread takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); it is defined with 3 parameters
# SPDX-License-Identifier: BSD-3-Clause

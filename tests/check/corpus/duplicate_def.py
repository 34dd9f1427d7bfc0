# Defined twice: a warning, and the last one is used (it is checked).
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pread(h, buf, offset, flags):
    buf[:] = bytes(len(buf))

# expect: 17:5: warning: callback 'pread' is defined again; the last definition is the one used, as in Python [-Wredefined]
# expect: 13:5: note: previous definition of 'pread' was here
# SPDX-License-Identifier: BSD-3-Clause

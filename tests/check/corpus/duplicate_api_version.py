# API_VERSION assigned twice: the last wins.
API_VERSION = 1
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 3:1: warning: name 'API_VERSION' is defined again; the last definition is the one used, as in Python [-Wredefined]
# expect: 2:1: note: previous definition of 'API_VERSION' was here
# SPDX-License-Identifier: BSD-3-Clause

# A callable instance of a class of the script: __call__'s parameters
# after self are what nbdkit's call must fit.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


class Writer:
    def __call__(self, h, buf, offset):
        pass


pwrite = Writer()

# expect: 23:1: error: pwrite takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); as an instance of 'Writer', it accepts 3 parameters
# expect: 19:9: note: '__call__' is defined here
# SPDX-License-Identifier: BSD-3-Clause

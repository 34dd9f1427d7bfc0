# Defaults help only for parameters beyond those nbdkit passes.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def pwrite(h, buf, offset, flags, sync, retries=3):
    pass

# expect: 17:5: error: pwrite takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); it is defined with 6 parameters (5 required)
# SPDX-License-Identifier: BSD-3-Clause

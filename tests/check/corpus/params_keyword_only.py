# nbdkit passes arguments by position: a required keyword-only
# parameter can never be given.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def flush(h, flags, *, sync):
    pass

# expect: 18:5: error: flush takes (h, flags) in API 2 (API_VERSION = 2); it is defined with required keyword-only parameter sync, which nbdkit's positional call cannot give
# SPDX-License-Identifier: BSD-3-Clause

# A decorator of the script is read through: its wrapper takes only h,
# so nbdkit's call flush(h, flags) would fail.
import functools

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def logged(fn):
    @functools.wraps(fn)
    def wrapper(h):
        return fn(h)
    return wrapper


@logged
def flush(h, flags):
    pass

# expect: 28:5: error: flush takes (h, flags) in API 2 (API_VERSION = 2); decorated with 'logged', it accepts 1 parameter
# expect: 22:9: note: 'wrapper' is defined here
# SPDX-License-Identifier: BSD-3-Clause

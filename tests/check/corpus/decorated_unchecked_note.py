# args: -Wunchecked
# A decorator that cannot be read through: silent unless asked for, and
# then a note, never a warning.
import functools

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


@functools.lru_cache(maxsize=None)
def can_multi_conn(h):
    return False

# expect: 22:5: note: callback 'can_multi_conn' is decorated with 'functools.lru_cache(maxsize=None)': its parameters were not checked (--import checks them)
# SPDX-License-Identifier: BSD-3-Clause

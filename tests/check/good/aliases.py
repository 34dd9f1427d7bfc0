# Callbacks bound by assignment to a top-level function are checked as that
# function; an alias chain works too.
API_VERSION = 2


def _open(readonly):
    return 1


def _size(h):
    return 0


def _read(h, buf, offset, flags):
    pass


open = _open
get_size = _size
_reader = _read
pread = _reader
# SPDX-License-Identifier: BSD-3-Clause

# nbdkit iterates over what extents and list_exports return, so these may
# be generator functions.
import nbdkit

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 1024


def pread(h, buf, offset, flags):
    pass


def list_exports(readonly, is_tls):
    yield "a"
    yield ("b", "the second export")


def extents(h, count, offset, flags):
    yield (offset, count, nbdkit.EXTENT_HOLE)
# SPDX-License-Identifier: BSD-3-Clause

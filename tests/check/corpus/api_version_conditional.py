# The API version is fixed at build time, so it cannot depend on a
# condition.
import sys

if sys.version_info >= (3, 8):
    API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 6:5: error: the API version must be declared at top level, not inside 'if': pyplugin-gen fixes it at build time
# SPDX-License-Identifier: BSD-3-Clause

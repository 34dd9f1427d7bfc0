# Metadata names are reserved: an import would bind one at run time.
from platform import version

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 2:1: error: 'version' must be a string literal, not an import from 'platform'
# SPDX-License-Identifier: BSD-3-Clause

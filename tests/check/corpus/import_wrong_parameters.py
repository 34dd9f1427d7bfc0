# args: --import
# Callbacks made at run time are seen only with --import, and checked by
# inspect.signature: the factory's function takes the API 1 parameters.
API_VERSION = 2


def _reader(h, count, offset):
    return bytes(count)


def open(readonly):
    return 1


def get_size(h):
    return 0


globals()["pread"] = _reader

# expect: 7:5: error: pread takes (h, buf, offset, flags) in API 2 (API_VERSION = 2); it is defined with 3 parameters
# SPDX-License-Identifier: BSD-3-Clause

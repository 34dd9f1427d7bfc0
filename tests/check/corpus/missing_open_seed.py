# open is required; the seed dialect is declared with api_version().
def api_version():
    return 2


def get_size(h):
    return 0


def pread(h, count, offset, flags):
    return bytes(count)

# expect: 1:1: error: required callback 'open' is not defined; expected def open(readonly) in API 2 (def api_version(): return 2)
# SPDX-License-Identifier: BSD-3-Clause

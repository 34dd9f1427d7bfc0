# API_VERSION = 2 declares the released dialect, but pread is written
# the seed way: it takes count and returns the data.  It binds, but
# nbdkit passes a buffer as count and ignores the result.
API_VERSION = 2


def open(readonly):
    return bytearray(1 << 20)


def get_size(h):
    return len(h)


def pread(h, count, offset, flags=0):
    return h[offset:offset + count]

# expect: 15:5: warning: pread's second parameter is named 'count', as in API 2 seed (def api_version(): return 2), but with API 2 (API_VERSION = 2) nbdkit passes 'buf' there; to write API 2 seed, declare def api_version(): return 2 instead, or take 'buf' (nbdkit's buffer, a memoryview: pread fills it, pwrite reads it) [-Wdialect-mixup]
# SPDX-License-Identifier: BSD-3-Clause

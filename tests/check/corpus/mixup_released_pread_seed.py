# The seed declaration with a pread that fills buf and returns nothing:
# nbdkit passes a count and sends what pread returns, so every read
# fails.
def api_version():
    return 2


def open(readonly):
    return bytearray(1 << 20)


def get_size(h):
    return len(h)


def pread(h, buf, offset, flags):
    buf[:] = h[offset:offset + len(buf)]

# expect: 16:5: warning: pread's second parameter is named 'buf', as in API 2 released (API_VERSION = 2), but with API 2 (def api_version(): return 2) nbdkit passes 'count' there; to write API 2 released, declare API_VERSION = 2 instead, or take 'count' (the number of bytes) [-Wdialect-mixup]
# SPDX-License-Identifier: BSD-3-Clause

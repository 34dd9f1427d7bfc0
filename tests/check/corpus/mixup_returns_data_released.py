# The released dialect, with the parameter renamed: pread still returns
# its data, which nbdkit ignores.
API_VERSION = 2


def open(readonly):
    return bytearray(1 << 20)


def get_size(h):
    return len(h)


def pread(h, data, offset, flags):
    return bytes(h[offset:offset + len(data)])

# expect: 14:5: warning: pread returns a value, as in API 2 seed (def api_version(): return 2), but with API 2 (API_VERSION = 2) nbdkit passes pread a buffer to fill and ignores what it returns, so clients would not get this data; to write API 2 seed, declare def api_version(): return 2 instead, or fill buf and return nothing [-Wdialect-mixup]
# SPDX-License-Identifier: BSD-3-Clause

# API 2's zero gets flags; may_trim is API 1's name for that parameter.
# args: -Werror
API_VERSION = 2


def open(readonly):
    return bytearray(1 << 20)


def get_size(h):
    return len(h)


def pread(h, buf, offset, flags):
    buf[:] = h[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    h[offset:offset + len(buf)] = buf


def zero(h, count, offset, may_trim):
    h[offset:offset + count] = bytes(count)

# expect: 22:5: error: zero's fourth parameter is named 'may_trim', as in API 1 (no API declaration), but with API 2 (API_VERSION = 2) nbdkit passes 'flags' there; to write API 1, remove the API declaration, or take 'flags' (nbdkit.FLAG_* bits) [-Werror=dialect-mixup]
# SPDX-License-Identifier: BSD-3-Clause

# API 1 (no declaration), with a pread that fills its second parameter
# with readinto and returns nothing: the released dialect's pread.
def open(readonly):
    return __import__("io").BytesIO(bytes(1 << 20))


def get_size(h):
    return 1 << 20


def pread(h, b, offset):
    h.seek(offset)
    h.readinto(b)

# expect: 11:5: warning: pread returns nothing, as in API 2 released (API_VERSION = 2), where it fills buf, but with API 1 (no API declaration) nbdkit sends clients what pread returns, so every read would fail; to write API 2 released, declare API_VERSION = 2 with def pread(h, buf, offset, flags), or return the data read [-Wdialect-mixup]
# SPDX-License-Identifier: BSD-3-Clause

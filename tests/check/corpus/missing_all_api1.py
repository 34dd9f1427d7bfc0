# No callbacks at all, in API 1: each required one is named with its
# expected signature.
size = 0

# expect: 1:1: error: required callback 'open' is not defined; expected def open(readonly) in API 1 (no API declaration)
# expect: 1:1: error: required callback 'get_size' is not defined; expected def get_size(h) in API 1 (no API declaration)
# expect: 1:1: error: required callback 'pread' is not defined; expected def pread(h, count, offset) in API 1 (no API declaration)
# SPDX-License-Identifier: BSD-3-Clause

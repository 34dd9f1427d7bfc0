# A misspelt declaration silently means API 1, where pread(h, buf,
# offset, flags) does not fit.
API_VERISON = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 3:1: warning: 'API_VERISON' does not declare the API version; did you mean 'API_VERSION'? [-Wnear-miss]
# expect: 14:5: error: pread takes (h, count, offset) in API 1 (no API declaration); it is defined with 4 parameters
# SPDX-License-Identifier: BSD-3-Clause

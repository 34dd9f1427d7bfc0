# A def without its colon: Python's own message.
API_VERSION = 2


def open(readonly)
    return 1

# expect: 5:19: error: expected ':'
# SPDX-License-Identifier: BSD-3-Clause

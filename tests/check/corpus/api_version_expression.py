# The version must be a literal, known without running the script.
API_VERSION = 1 + 1


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 2:15: error: API_VERSION must be the integer literal 1 or 2, not an expression
# SPDX-License-Identifier: BSD-3-Clause

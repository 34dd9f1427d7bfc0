# An unclosed parenthesis, reported where it opens.
API_VERSION = 2

size = (1024 *
        1024

# expect: 4:8: error: '(' was never closed
# SPDX-License-Identifier: BSD-3-Clause

# Found by the bytecode compiler, not the parser: --check still reports it.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


return None

# expect: 17:1: error: 'return' outside function
# SPDX-License-Identifier: BSD-3-Clause

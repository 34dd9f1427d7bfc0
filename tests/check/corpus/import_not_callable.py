# args: --import
# After running, zero is not callable.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


for _name in ["zero"]:
    globals()[_name] = 0

# expect: 19:5: error: callback 'zero' must be a function, but it is bound to an int
# SPDX-License-Identifier: BSD-3-Clause

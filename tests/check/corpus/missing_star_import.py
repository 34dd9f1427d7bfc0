# The callbacks may come from a star import, which only --import can see.
from os import *

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0

# expect: 1:1: error: required callback 'pread' is not defined; expected def pread(h, buf, offset, flags) in API 2 (API_VERSION = 2) (the script may define it through 'from os import *' on line 2, which only --import can see)
# SPDX-License-Identifier: BSD-3-Clause

# functools.partial of a function of the script: the bound arguments
# come off its parameters, and what is left must fit.
from functools import partial

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def answer(name, default, h):
    return default


can_multi_conn = partial(answer, "can_multi_conn", True)
can_flush = partial(answer, "can_flush")

# expect: 25:1: error: can_flush takes (h) in API 2 (API_VERSION = 2); as partial(answer, 'can_flush'), with 1 argument bound, it accepts 2 parameters
# expect: 20:5: note: 'answer' is defined here
# SPDX-License-Identifier: BSD-3-Clause

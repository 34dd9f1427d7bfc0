# args: --import -Wunchecked
# Even after importing, Python cannot tell what some C callables accept
# (max has no signature on any Python; operator.itemgetter has had one
# since 3.12): a note that the callback was not checked.

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


can_multi_conn = max

# expect: 21:1: note: callback 'can_multi_conn' is a builtin_function_or_method whose parameters Python cannot tell: its parameters were not checked
# SPDX-License-Identifier: BSD-3-Clause

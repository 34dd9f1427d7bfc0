# A lambda that fits: fine, but named <lambda> in tracebacks.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


can_multi_conn = lambda h: True

# expect: 17:1: warning: callback 'can_multi_conn' is a lambda: fine at run time, and its parameters were checked, but tracebacks will call it '<lambda>'; prefer def [-Wlambda-callback]
# SPDX-License-Identifier: BSD-3-Clause

# An imported function: not checked without --import.
from functools import partial

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def _trim(h, count, offset, flags, *, hard):
    pass


trim = partial(_trim, hard=True)

# expect: 23:1: warning: callback 'trim' is the result of a call, not a def: fine at run time if it is callable, but its parameters were not checked (--import checks them)

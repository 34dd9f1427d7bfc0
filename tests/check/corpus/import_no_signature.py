# args: --import
# Even after importing, Python cannot tell what some C callables accept:
# a warning that the callback was not checked.
import operator

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


can_write = operator.itemgetter(0)

# expect: 21:1: warning: callback 'can_write' is an itemgetter whose parameters Python cannot tell, not a def: fine at run time if it is callable, but its parameters were not checked

# args: --import -Wunchecked
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


can_multi_conn = operator.itemgetter(0)

# expect: 21:1: note: callback 'can_multi_conn' is an itemgetter whose parameters Python cannot tell: its parameters were not checked

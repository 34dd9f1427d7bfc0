# A decorator may change what a function accepts.
import functools

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)
    return wrapper


@logged
def flush(h, flags):
    pass

# expect: 27:5: warning: callback 'flush' is decorated: fine at run time, but the decorator may change what it accepts, so its parameters were not checked (--import checks them)

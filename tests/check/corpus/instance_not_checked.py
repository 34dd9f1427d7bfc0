# A callable instance: fine at run time, not checked without --import.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


class Writer:
    def __call__(self, h, buf, offset, flags):
        pass


pwrite = Writer()

# expect: 22:1: warning: callback 'pwrite' is an instance of the class 'Writer', not a def: fine at run time if it is callable, but its parameters were not checked (--import checks them)

# Python's own compile-time warnings are reported as warnings.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


PATTERN = "\d+"

# expect: 17:12: warning: invalid escape sequence '\d' [-Wpython-warning]

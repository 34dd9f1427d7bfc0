# args: --import
# A script that fails when imported fails the build.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


SIZE = 1 // 0

# expect: 18:1: error: importing the script raised ZeroDivisionError: integer division or modulo by zero

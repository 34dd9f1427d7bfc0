# args: -Wunchecked
# A callable instance of a class whose __call__ is not in its body (here
# inherited): a note with -Wunchecked, silent without.
from mylib import Base

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


class Writer(Base):
    pass


pwrite = Writer()

# expect: 25:1: note: callback 'pwrite' is an instance of the class 'Writer', whose __call__ cannot be seen: its parameters were not checked (--import checks them)
# SPDX-License-Identifier: BSD-3-Clause

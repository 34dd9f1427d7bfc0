# Calling a generator function only makes a generator: trim would do
# nothing.  (extents and list_exports may be generators: their results are
# iterated.)
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def trim(h, count, offset, flags):
    yield


def extents(h, count, offset, flags):
    yield (offset, count, 0)

# expect: 19:5: error: callback 'trim' is a generator function (it contains yield): calling it only creates a generator, so its body would never run
# SPDX-License-Identifier: BSD-3-Clause

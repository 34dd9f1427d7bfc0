# The seed dialect, with a docstring in api_version().
def api_version():
    """The seed patch's way to ask for API 2."""
    return 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset, flags):
    return bytes(count)
# SPDX-License-Identifier: BSD-3-Clause

# Callbacks defined in both branches of an if, or in try/except, are
# defined; each alternative is checked.
import sys

API_VERSION = 2

try:
    import mmap

    def pwrite(h, buf, offset, flags):
        mmap.PAGESIZE
except ImportError:
    def pwrite(h, buf, offset, flags):
        pass

if sys.platform == "linux":
    def open(readonly):
        return 1
else:
    def open(readonly):
        return 2


def get_size(h):
    return 0


with __import__("contextlib").suppress(Exception):
    def pread(h, buf, offset, flags):
        pass
# SPDX-License-Identifier: BSD-3-Clause

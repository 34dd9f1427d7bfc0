# Test script (released dialect): a site-packages package with a C
# speed-up module (markupsafe._speedups), frozen and embedded.
import markupsafe

import nbdkit

API_VERSION = 2

TEXT = str(markupsafe.escape("<disk>")).encode()

# The function that escapes, from the C module or the pure-Python
# fallback: MarkupSafe 3 takes _escape_inner from one of them and
# defines escape itself, MarkupSafe 2 takes escape.
ESCAPES = getattr(markupsafe, "_escape_inner", markupsafe.escape)


def open(readonly):
    return 1


def get_size(h):
    return 4096


def pread(h, buf, offset, flags):
    data = (TEXT * (len(buf) // len(TEXT) + 2))[offset % len(TEXT):]
    buf[:] = data[:len(buf)]
    nbdkit.debug("speedups: %s" % ESCAPES.__module__)
# SPDX-License-Identifier: BSD-3-Clause

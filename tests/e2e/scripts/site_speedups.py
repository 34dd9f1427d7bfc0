# Test script (released dialect): a site-packages package with a C
# speed-up module (markupsafe._speedups), frozen and embedded.
import markupsafe

import nbdkit

API_VERSION = 2

TEXT = str(markupsafe.escape("<disk>")).encode()


def open(readonly):
    return 1


def get_size(h):
    return 4096


def pread(h, buf, offset, flags):
    data = (TEXT * (len(buf) // len(TEXT) + 2))[offset % len(TEXT):]
    buf[:] = data[:len(buf)]
    nbdkit.debug("speedups: %s" % markupsafe.escape.__module__)
# SPDX-License-Identifier: BSD-3-Clause

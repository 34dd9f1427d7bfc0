# Test script (released dialect): failures while a connection is being
# set up.  The export name picks the failure:
#   "open"       open raises
#   "size"       get_size raises
#   "strsize"    get_size returns a str
#   "negsize"    get_size returns -1
#   "hugesize"   get_size returns 2**64
#   "canwrite"   can_write raises
#   "descr"      export_description raises (the connection still works)
#   "unicode"    export_description returns non-ASCII text
#   anything else: a normal 1M disk

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)


def open(readonly):
    name = nbdkit.export_name()
    if name == "open":
        raise RuntimeError("handshake-failure-open")
    return name


def get_size(h):
    if h == "size":
        raise RuntimeError("handshake-failure-size")
    if h == "strsize":
        return "1M"
    if h == "negsize":
        return -1
    if h == "hugesize":
        return 2 ** 64
    return len(disk)


def can_write(h):
    if h == "canwrite":
        raise RuntimeError("handshake-failure-canwrite")
    return True


def export_description(h):
    if h == "descr":
        raise RuntimeError("handshake-failure-descr")
    if h == "unicode":
        return "d\u00e9j\u00e0 vu \u2603 \U0001f600"
    return "plain " + h


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf
# SPDX-License-Identifier: BSD-3-Clause

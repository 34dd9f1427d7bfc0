# Test script (released dialect): the data callbacks are made by a
# factory and bound through globals(), so reading the script's text
# does not find pread or pwrite; `pyplugin-gen --import` runs the
# script to see them.  nbdkit python, which looks callbacks up by name
# at run time, serves it as is.

import nbdkit

API_VERSION = 2

disk = bytearray(1024 * 1024)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def _make(kind):
    if kind == "pread":
        def cb(h, buf, offset, flags):
            buf[:] = disk[offset:offset + len(buf)]
    elif kind == "pwrite":
        def cb(h, buf, offset, flags):
            disk[offset:offset + len(buf)] = buf
    else:
        # Each kind's callback has its own parameters.
        def cb(h, flags):  # type: ignore[misc]
            nbdkit.debug("dynamic: flush")
    return cb


for _kind in ("pread", "pwrite", "flush"):
    globals()[_kind] = _make(_kind)
# SPDX-License-Identifier: BSD-3-Clause

# Corpus script, API 2, seed dialect (def api_version()):
# pread(h, count, offset, flags) returns a buffer.
# A 1 MiB RAM disk whose pread returns what it is told to.
#
# As in misbehave.py, the file named by MISBEHAVE holds orders, one a
# line, each carried out once by the next call of its callback:
#   pread return EXPR   return eval(EXPR) instead of the data
#                       (names: count, offset, data)
#   pread raise [ERRNO] nbdkit.set_error(ERRNO) if given, then raise

import builtins
import errno
import os
import threading

import nbdkit


def api_version():
    return 2

disk = bytearray(1024 * 1024)
lock = threading.Lock()
CONTROL = os.environ.get("MISBEHAVE", "")


def take_order(callback):
    """The first order for callback, removed from the file, or None."""
    if not CONTROL:
        return None
    with lock:
        try:
            with builtins.open(CONTROL) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        for i, line in enumerate(lines):
            words = line.split(None, 2)
            if words and words[0] == callback:
                del lines[i]
                with builtins.open(CONTROL + ".tmp", "w") as f:
                    f.write("".join(l + "\n" for l in lines))
                os.replace(CONTROL + ".tmp", CONTROL)
                return words[1:] + [None]
    return None


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, count, offset, flags):
    data = bytes(disk[offset:offset + count])
    order = take_order("pread")
    if order is None:
        return data
    if order[0] == "raise":
        if order[1] is not None:
            nbdkit.set_error(getattr(errno, order[1]))
        raise RuntimeError("misbehave-pread")
    if order[0] == "return":
        return eval(order[1], {"count": count, "offset": offset,
                               "data": data})
    raise ValueError("unknown order %r" % order)


def pwrite(h, buf, offset, flags):
    disk[offset:offset + len(buf)] = buf
# SPDX-License-Identifier: BSD-3-Clause

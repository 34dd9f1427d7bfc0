"""Serve a file (or block device) as an NBD disk.

file=PATH   The file to serve (required).  It must exist; it is
            opened read-write unless nbdkit runs with -r.
"""
# A file-backed plugin in the released dialect of API version 2
# (API_VERSION = 2, pread fills its buffer), showing the callbacks a
# real storage plugin has: flush, trim, zero with FLAG_MAY_TRIM and
# FLAG_FAST_ZERO, native FUA, extents (data and holes found with
# SEEK_DATA/SEEK_HOLE), cache, and the can_* callbacks that advertise
# them.  Runs under both
#
#   nbdkit python examples/file.py file=disk.img
#   pyplugin-gen examples/file.py -o file-plugin.so
#   nbdkit ./file-plugin.so disk.img
#
# Every request goes straight to the file descriptor with os.pread and
# os.pwrite, which carry their own offset, so requests can run in
# parallel without a lock.

import builtins
import ctypes
import ctypes.util
import errno
import os
import stat

import nbdkit

API_VERSION = 2

longname = "pyplugin-gen example file plugin"
description = "Serves a file or block device (released API 2 dialect)"
version = "1.0"
magic_config_key = "file"

path = None

# fallocate(2) modes from <linux/falloc.h>.  The os module has
# posix_fallocate but not fallocate, so punching holes and zeroing
# ranges goes through libc with ctypes.
FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                    use_errno=True)
_fallocate = getattr(_libc, "fallocate", None)
if _fallocate is not None:
    _fallocate.argtypes = [ctypes.c_int, ctypes.c_int,
                           ctypes.c_int64, ctypes.c_int64]
    _fallocate.restype = ctypes.c_int


def fallocate(fd, mode, offset, count):
    """Return True if fallocate(2) did it, False if the file system
    (or C library) does not support that mode; raise on other errors."""
    if _fallocate is None:
        return False
    if _fallocate(fd, mode, offset, count) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.ENODEV):
        return False
    raise OSError(err, os.strerror(err))


def config(key, value):
    global path
    if key == "file":
        path = os.path.abspath(value)
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    if path is None:
        raise RuntimeError("file parameter is required")
    if not os.path.exists(path):
        raise RuntimeError("%s: file does not exist" % path)


# os.pread and os.pwrite do not share a file offset, so nothing here
# needs serialising.
def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


class Handle:
    def __init__(self, readonly):
        self.readonly = readonly
        self.fd = os.open(path, os.O_RDONLY if readonly else os.O_RDWR)
        # Remember what fallocate can do here, to answer FAST_ZERO
        # requests truthfully.
        self.can_punch = True
        self.can_zero_range = True


def open(readonly):
    return Handle(readonly)


def close(h):
    os.close(h.fd)


def get_size(h):
    # lseek works for block devices too, where st_size is 0.
    return os.lseek(h.fd, 0, os.SEEK_END)


def can_write(h):
    return not h.readonly


def can_flush(h):
    return True


def can_trim(h):
    return True


def can_zero(h):
    return True


# We support the FAST_ZERO flag: zero() fails with EOPNOTSUPP instead
# of writing zeroes when it has no cheap way to zero.
def can_fast_zero(h):
    return True


# pwrite, zero and trim honour FLAG_FUA themselves (fdatasync).
def can_fua(h):
    return nbdkit.FUA_NATIVE


def can_cache(h):
    return nbdkit.CACHE_NATIVE


def can_extents(h):
    return True


# Every connection uses the same file, and flush makes every
# connection's completed writes durable, so multi-conn is safe.
def can_multi_conn(h):
    return True


def is_rotational(h):
    """Ask sysfs whether the device holding the file spins."""
    st = os.fstat(h.fd)
    dev = st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev
    name = "/sys/dev/block/%d:%d" % (os.major(dev), os.minor(dev))
    for p in (name + "/queue/rotational", name + "/../queue/rotational"):
        try:
            # builtins.open: this module's open() is the nbdkit callback.
            with builtins.open(p) as f:
                return f.read().strip() == "1"
        except OSError:
            pass
    return False


def _fua(h, flags):
    if flags & nbdkit.FLAG_FUA:
        os.fdatasync(h.fd)


def pread(h, buf, offset, flags):
    # os.preadv fills buf in place; loop because reads may be short.
    view = memoryview(buf)
    while len(view) > 0:
        n = os.preadv(h.fd, [view], offset)
        if n == 0:
            raise OSError(errno.EIO, "unexpected end of file")
        view = view[n:]
        offset += n


def pwrite(h, buf, offset, flags):
    view = memoryview(buf)
    while len(view) > 0:
        n = os.pwrite(h.fd, view, offset)
        view = view[n:]
        offset += n
    _fua(h, flags)


def flush(h, flags):
    os.fdatasync(h.fd)


def _write_zeroes(h, count, offset):
    chunk = bytes(min(count, 1024 * 1024))
    while count > 0:
        n = os.pwrite(h.fd, chunk[:count], offset)
        count -= n
        offset += n


def trim(h, count, offset, flags):
    if not (h.can_punch and
            fallocate(h.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      offset, count)):
        h.can_punch = False
        _write_zeroes(h, count, offset)
    _fua(h, flags)


def zero(h, count, offset, flags):
    done = False
    # A punched hole reads back as zeroes, so when trimming is allowed
    # it is the cheapest way to zero.
    if flags & nbdkit.FLAG_MAY_TRIM and h.can_punch:
        done = fallocate(h.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         offset, count)
        h.can_punch = done
    if not done and h.can_zero_range:
        done = fallocate(h.fd, FALLOC_FL_ZERO_RANGE, offset, count)
        h.can_zero_range = done
    if not done:
        if flags & nbdkit.FLAG_FAST_ZERO:
            # The client asked us to fail rather than be slow.
            nbdkit.set_error(errno.EOPNOTSUPP)
            raise OSError(errno.EOPNOTSUPP, "no fast way to zero")
        _write_zeroes(h, count, offset)
    _fua(h, flags)


def cache(h, count, offset, flags):
    os.posix_fadvise(h.fd, offset, count, os.POSIX_FADV_WILLNEED)


def extents(h, count, offset, flags):
    """Report data and holes in [offset, offset+count) using
    SEEK_DATA/SEEK_HOLE.  Holes read as zero."""
    end = offset + count
    result = []
    while offset < end:
        try:
            data = os.lseek(h.fd, offset, os.SEEK_DATA)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
            data = end                  # only a hole up to end of file
        if data > offset:               # a hole at offset
            n = min(data, end) - offset
            result.append((offset, n,
                           nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO))
        else:                           # data at offset
            hole = os.lseek(h.fd, offset, os.SEEK_HOLE)
            n = min(hole, end) - offset
            result.append((offset, n, 0))
        offset += n
        if flags & nbdkit.FLAG_REQ_ONE:
            break
    return result
# SPDX-License-Identifier: BSD-3-Clause

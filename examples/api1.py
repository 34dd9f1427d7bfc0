# A sparse RAM disk written against API version 1 of the nbdkit
# Python plugin API: the script declares no version at all.
#
# API 1 callbacks have no flags argument:
#   pread(h, count, offset)            returns a buffer
#   pwrite(h, buf, offset)
#   flush(h)
#   trim(h, count, offset)
#   zero(h, count, offset, may_trim)   may_trim is a bool
#
# Runs under both
#
#   nbdkit python examples/api1.py size=1G
#   pyplugin-gen examples/api1.py -o api1-plugin.so && nbdkit ./api1-plugin.so size=1G
#
# Data is kept in 4 KiB blocks in a dict, and a block that was never
# written, or was trimmed, takes no memory: a 1G disk costs only what
# has been written to it.  The default size is 16M.

import nbdkit

BLOCK = 4096

size = 16 * 1024 * 1024
blocks: dict[int, bytearray] = {}  # block number -> bytearray(BLOCK)


def config(key, value):
    global size
    if key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError("unknown parameter: %s" % key)


def open(readonly):
    return {"readonly": readonly}


def get_size(h):
    return size


def _chunks(count, offset):
    """Split [offset, offset+count) at block boundaries: yield
    (block number, offset within the block, length)."""
    end = offset + count
    while offset < end:
        blk, off = divmod(offset, BLOCK)
        n = min(BLOCK - off, end - offset)
        yield blk, off, n
        offset += n


def pread(h, count, offset):
    out = bytearray(count)
    pos = 0
    for blk, off, n in _chunks(count, offset):
        data = blocks.get(blk)
        if data is not None:
            out[pos:pos + n] = data[off:off + n]
        pos += n
    return out


def pwrite(h, buf, offset):
    pos = 0
    for blk, off, n in _chunks(len(buf), offset):
        data = blocks.get(blk)
        if data is None:
            data = blocks[blk] = bytearray(BLOCK)
        data[off:off + n] = buf[pos:pos + n]
        pos += n


def flush(h):
    pass


def trim(h, count, offset):
    # Drop whole blocks; zero the parts of blocks at either end.
    for blk, off, n in _chunks(count, offset):
        if n == BLOCK:
            blocks.pop(blk, None)
        elif blk in blocks:
            blocks[blk][off:off + n] = bytes(n)


def zero(h, count, offset, may_trim):
    # A trimmed block reads back as zeroes here, so whether or not
    # may_trim is set, trimming is the cheapest way to zero.
    nbdkit.debug("api1.py: zero count=%d offset=%d may_trim=%r" %
                 (count, offset, may_trim))
    trim(h, count, offset)
# SPDX-License-Identifier: BSD-3-Clause

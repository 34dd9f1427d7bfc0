# Example Python plugin, in the "seed" dialect of API version 2.
#
# This is the example.py that came with the patch giving nbdkit's
# Python plugin API version 2 (the "seed" dialect): the
# script opts in to version 2 by *defining a function* api_version()
# that returns 2, and pread() returns a buffer rather than filling one.
#
# Released nbdkit (1.22 and later, including 1.32) settled on a
# different spelling (API_VERSION = 2 at module level and a pread that
# fills a buffer, see ramdisk.py), so `nbdkit python disk.py` does not
# run this script; pyplugin-gen does:
#
#   pyplugin-gen examples/disk.py -o disk-plugin.so
#   nbdkit -f -v ./disk-plugin.so [size=SIZE]
#
# The disk is an in-memory bytearray, 1 MiB unless the size= parameter
# says otherwise (any size nbdkit understands: 64K, 10M, 1G, ...).
# Its contents are lost when nbdkit exits.
#
# To connect, for example:
#
#   nbdsh -u nbd://localhost -c 'h.pwrite(b"hello", 0); print(h.pread(5, 0))'

import errno

import nbdkit

disk = bytearray(1024 * 1024)


# There are several variants of the API.  nbdkit will call this
# function first to determine which one you want to use.  This is the
# latest version at the time this example was written.
def api_version():
    return 2


# Parameters given on the command line as key=value.  Real plugins
# should parse them and reject any unknown parameters, as this one does.
def config(key, value):
    global disk
    if key == "size":
        disk = bytearray(nbdkit.parse_size(value))
    else:
        raise RuntimeError("unknown parameter: %s=%s" % (key, value))


def open(readonly):
    nbdkit.debug("disk.py: open readonly=%r" % readonly)
    # The handle can be any Python object; this plugin has no
    # per-connection state.
    return 1


def get_size(h):
    return len(disk)


# Seed dialect: return a buffer of (at least) count bytes.  flags is
# always 0.
def pread(h, count, offset, flags):
    return disk[offset:offset+count]


# flags may contain nbdkit.FLAG_FUA.  The disk is in memory, so there
# is nothing to make durable.
def pwrite(h, buf, offset, flags):
    end = offset + len(buf)
    disk[offset:end] = buf


# When the client may trim, zeroing is cheap here.  Otherwise ask nbdkit
# to fall back to writing a buffer of zeroes with pwrite, which is what
# set_error(EOPNOTSUPP) followed by an exception means in zero().
def zero(h, count, offset, flags):
    if flags & nbdkit.FLAG_MAY_TRIM:
        disk[offset:offset+count] = bytearray(count)
    else:
        nbdkit.set_error(errno.EOPNOTSUPP)
        raise Exception
# SPDX-License-Identifier: BSD-3-Clause

# Test script: prints, on stderr when loaded, the names its nbdkit
# module has, so that the tests learn what the installed `nbdkit python`
# offers (harness.peer_module_names) instead of assuming a version.
import sys

import nbdkit

sys.stderr.write("nbdkit module names: %s\n" % " ".join(sorted(dir(nbdkit))))


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
# SPDX-License-Identifier: BSD-3-Clause

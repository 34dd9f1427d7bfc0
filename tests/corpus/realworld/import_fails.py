"""A SQLite-style backend whose driver is not installed: the import
fails when the script is loaded, not when it is read."""

import sqlite_backend_driver_that_is_not_installed as driver

API_VERSION = 2


def open(readonly):
    return driver.connect(readonly=readonly)


def get_size(h):
    return h.size()


def pread(h, buf, offset, flags):
    buf[:] = h.read(len(buf), offset)
# SPDX-License-Identifier: BSD-3-Clause

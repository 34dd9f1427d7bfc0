# Metadata cannot depend on a condition.
import os

API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


if os.environ.get("DEBUG"):
    description = "debug build"

# expect: 20:5: error: 'description' must be assigned at top level, not inside 'if': pyplugin-gen bakes it into the plugin at build time
# SPDX-License-Identifier: BSD-3-Clause

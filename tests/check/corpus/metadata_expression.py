# Metadata is baked into the plugin, so it must be a string literal.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


description = "a " + "disk"

# expect: 17:15: error: 'description' must be a string literal, not an expression
# SPDX-License-Identifier: BSD-3-Clause

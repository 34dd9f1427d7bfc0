"""The module docstring: NOT the help, because config_help is set."""
# Test script (API 1): every piece of module-level metadata a generated
# plugin uses, and a config_help that must win over the docstring.

longname = "Metadata test plugin"
description = "Checks that metadata strings reach nbdkit"
version = "4.5.6-test"
config_help = """\
colour=COLOUR   The colour of the disk (required).
weight=N        Its weight."""
magic_config_key = "colour"

colour = None


def config(key, value):
    global colour
    if key == "colour":
        colour = value
    elif key != "weight":
        raise RuntimeError("unknown parameter: %s" % key)


def config_complete():
    if colour is None:
        raise RuntimeError("colour parameter is required")


def open(readonly):
    return 1


def get_size(h):
    return 4096


def pread(h, count, offset):
    # The colour, repeated, is the disk's contents.
    data = (colour.encode() * 4096)[:4096]
    return data[offset:offset + count]
# SPDX-License-Identifier: BSD-3-Clause

"""This docstring is overridden by config_help below."""
# Every metadata string, including a valid magic_config_key and an
# implicitly concatenated literal.
API_VERSION = 2
longname = "A disk"
description = ("A disk that is "
               "always empty")
version = "1.2.3"
config_help = "file=FILENAME  the file to serve"
magic_config_key = "file.name_2-x"


def config(key, value):
    pass


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
# SPDX-License-Identifier: BSD-3-Clause

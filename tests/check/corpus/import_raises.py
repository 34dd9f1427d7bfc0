# args: --import
# A script that fails when imported fails the build.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


SIZE = int("eight")

# expect: 18:1: error: importing the script raised ValueError: invalid literal for int() with base 10: 'eight'
# SPDX-License-Identifier: BSD-3-Clause

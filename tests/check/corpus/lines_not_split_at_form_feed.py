# Python breaks lines only at \n, \r\n and \r: a form feed () or a
# U+2028 ( ) in a comment does not start a line, so the column
# after the e-acute below is still counted in characters on the right line.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


longname = "café"; magic_config_key = "café"

# expect: 19:39: error: magic_config_key 'café' is not a key nbdkit accepts: a key must begin with an ASCII letter and contain only ASCII letters, digits, '.', '_' and '-'
# SPDX-License-Identifier: BSD-3-Clause

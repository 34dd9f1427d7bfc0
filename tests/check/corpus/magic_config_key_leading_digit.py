# nbdkit keys begin with an ASCII letter.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


def config(key, value):
    pass


magic_config_key = "1file"

# expect: 21:20: error: magic_config_key '1file' is not a key nbdkit accepts: a key must begin with an ASCII letter and contain only ASCII letters, digits, '.', '_' and '-'
# SPDX-License-Identifier: BSD-3-Clause

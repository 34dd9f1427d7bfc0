# Both forms: declare the API version once.
API_VERSION = 2


def api_version():
    return 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass

# expect: 5:5: error: both API_VERSION and api_version() are declared; declare the API version once
# expect: 2:1: note: the other declaration is here
# SPDX-License-Identifier: BSD-3-Clause

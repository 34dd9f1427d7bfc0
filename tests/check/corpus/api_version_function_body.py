# More than a single return: the version would need running the script.
def api_version():
    version = 2
    return version
def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, count, offset):
    return bytes(count)

# expect: 2:5: error: api_version() must be a single return of the integer literal 1 or 2, so that the version is known without running the script
# SPDX-License-Identifier: BSD-3-Clause

def describe():
    return "blkcache.ddrescue from " + __name__
# SPDX-License-Identifier: BSD-3-Clause

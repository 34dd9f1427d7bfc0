# nbdkit does not await: an async callback's body would never run.
API_VERSION = 2


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass


async def pwrite(h, buf, offset, flags):
    pass

# expect: 17:11: error: callback 'pwrite' is an async def: nbdkit calls it without awaiting it, so its body would never run
# SPDX-License-Identifier: BSD-3-Clause

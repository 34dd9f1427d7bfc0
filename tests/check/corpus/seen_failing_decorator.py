# A decorator of the script whose wrapper returns the wrapped call, as
# virt-v2v's upload plugin has it: what the wrapped can_X returns is read
# through the wrapper.  can_trim returns False, so no trim is needed;
# can_flush returns True and there is no flush.
# args: -Werror
import functools

API_VERSION = 2


def failing(func):
    @functools.wraps(func)
    def wrapper(h, *args):
        try:
            return func(h, *args)
        except Exception:
            h["failed"] = True
            raise
    return wrapper


@failing
def open(readonly):
    return {"failed": False}


@failing
def get_size(h):
    return 1 << 20


@failing
def pread(h, buf, offset, flags):
    buf[:] = bytes(len(buf))


@failing
def can_trim(h):
    return False


@failing
def can_flush(h):
    return True

# expect: 43:5: error: 'can_flush' may return true, but the script defines no 'flush': a client's flush requests would fail with EIO [-Werror=offered-missing]
# SPDX-License-Identifier: BSD-3-Clause

# Corpus script (released dialect): a well-behaved 1 MiB RAM disk that
# defines every callback, and misbehaves on request.
#
# The file named by the environment variable MISBEHAVE holds orders,
# one a line: "CALLBACK ACTION [ARG]".  When CALLBACK is called and an
# order for it exists, the first such order is removed from the file
# (so it happens once) and carried out before the normal work:
#   raise [ERRNO]   nbdkit.set_error(ERRNO) if given (a name such as
#                   ENOSPC, or a number), then raise RuntimeError
#   return EXPR     return eval(EXPR) instead of the normal result
#                   (names: h, count, offset, flags, nbdkit, errno,
#                   BadBool: an object whose bool() raises)
#   exit            raise SystemExit(3)
#   interrupt       raise KeyboardInterrupt
#   badstr          raise an exception whose str() and repr() raise
#   shutdown        nbdkit.shutdown(), then the normal work
#   sleep SECONDS   time.sleep (the GIL released), then the normal work
#   nanosleep SECS  nbdkit.nanosleep, then the normal work
#   spin SECONDS    a busy loop holding the GIL, then the normal work
#   thread [SECS]   start a (non-daemon) Python thread that writes
#                   b"thread" at offset 1 MiB - 6 after SECS seconds
#                   (default 0.2), then the normal work
# MISBEHAVE_CLEANUP names a file cleanup() appends "cleanup" to.
# MISBEHAVE_DISK names a file of 1 MiB that holds the disk, shared by
# every interpreter of a plugin built with one per connection.
# Every exception raised on order says "misbehave-CALLBACK".

import builtins
import errno
import mmap
import os
import threading
import time

import nbdkit

API_VERSION = 2

if os.environ.get("MISBEHAVE_DISK"):
    with builtins.open(os.environ["MISBEHAVE_DISK"], "r+b") as f:
        disk = mmap.mmap(f.fileno(), 1024 * 1024)
else:
    disk = bytearray(1024 * 1024)
lock = threading.Lock()
CONTROL = os.environ.get("MISBEHAVE", "")
CLEANUP_LOG = os.environ.get("MISBEHAVE_CLEANUP", "")


class BadBool:
    """A result whose truth value cannot be taken."""

    def __bool__(self):
        raise ZeroDivisionError("bool() of this object raises")


class BadStr(Exception):
    def __str__(self):
        raise RuntimeError("str() of this exception raises")

    def __repr__(self):
        raise RuntimeError("repr() of this exception raises")


def take_order(callback):
    """The first order for callback, removed from the file, or None."""
    if not CONTROL:
        return None
    with lock:
        try:
            with builtins.open(CONTROL) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        for i, line in enumerate(lines):
            words = line.split(None, 2)
            if words and words[0] == callback:
                del lines[i]
                with builtins.open(CONTROL + ".tmp", "w") as f:
                    f.write("".join(l + "\n" for l in lines))
                os.replace(CONTROL + ".tmp", CONTROL)
                return words[1:]
    return None


NO_RESULT = object()


def writer(seconds):
    time.sleep(seconds)
    disk[-6:] = b"thread"


def misbehave(callback, **names):
    """Carry out an order for callback; returns a result to return
    instead of the normal one, or NO_RESULT."""
    order = take_order(callback)
    if order is None:
        return NO_RESULT
    action, arg = order[0], order[1] if len(order) > 1 else None
    if action == "raise":
        if arg is not None:
            nbdkit.set_error(getattr(errno, arg) if arg.isidentifier()
                             else int(arg))
        raise RuntimeError("misbehave-" + callback)
    if action == "return":
        return eval(arg, {"nbdkit": nbdkit, "errno": errno,
                          "BadBool": BadBool, **names})
    if action == "exit":
        raise SystemExit(3)
    if action == "interrupt":
        raise KeyboardInterrupt
    if action == "badstr":
        raise BadStr()
    if action == "shutdown":
        nbdkit.shutdown()
    elif action == "sleep":
        time.sleep(float(arg))
    elif action == "nanosleep":
        nbdkit.nanosleep(int(arg), 0)
    elif action == "spin":
        end = time.monotonic() + float(arg)
        while time.monotonic() < end:
            pass
    elif action == "thread":
        threading.Thread(target=writer,
                         args=(float(arg or 0.2),)).start()
    else:
        raise ValueError("misbehave.py: unknown order %r" % order)
    return NO_RESULT


def normal(callback, value, **names):
    r = misbehave(callback, **names)
    return value if r is NO_RESULT else r


def dump_plugin():
    misbehave("dump_plugin")
    print("misbehave_dump_plugin=yes", flush=True)


def config(key, value):
    misbehave("config", key=key, value=value)


def config_complete():
    misbehave("config_complete")


def thread_model():
    return normal("thread_model", nbdkit.THREAD_MODEL_PARALLEL)


def get_ready():
    misbehave("get_ready")


def after_fork():
    misbehave("after_fork")


def cleanup():
    misbehave("cleanup")
    if CLEANUP_LOG:
        with builtins.open(CLEANUP_LOG, "a") as f:
            f.write("cleanup\n")


def list_exports(readonly, is_tls):
    return normal("list_exports", [("", "the default"), "other"])


def default_export(readonly, is_tls):
    return normal("default_export", "")


def preconnect(readonly):
    misbehave("preconnect")


def open(readonly):
    return normal("open", {"name": nbdkit.export_name()})


def close(h):
    misbehave("close", h=h)


def export_description(h):
    return normal("export_description", "misbehave disk", h=h)


def get_size(h):
    return normal("get_size", len(disk), h=h)


def block_size(h):
    return normal("block_size", (1, 4096, 0xffffffff), h=h)


def is_rotational(h):
    return normal("is_rotational", False, h=h)


def can_multi_conn(h):
    return normal("can_multi_conn", True, h=h)


def can_write(h):
    return normal("can_write", True, h=h)


def can_flush(h):
    return normal("can_flush", True, h=h)


def can_trim(h):
    return normal("can_trim", True, h=h)


def can_zero(h):
    return normal("can_zero", True, h=h)


def can_fast_zero(h):
    return normal("can_fast_zero", True, h=h)


def can_fua(h):
    return normal("can_fua", nbdkit.FUA_NATIVE, h=h)


def can_cache(h):
    return normal("can_cache", nbdkit.CACHE_NATIVE, h=h)


def can_extents(h):
    return normal("can_extents", True, h=h)


def pread(h, buf, offset, flags):
    misbehave("pread", h=h, count=len(buf), offset=offset, flags=flags)
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    misbehave("pwrite", h=h, count=len(buf), offset=offset, flags=flags)
    disk[offset:offset + len(buf)] = buf


def flush(h, flags):
    misbehave("flush", h=h, flags=flags)


def trim(h, count, offset, flags):
    misbehave("trim", h=h, count=count, offset=offset, flags=flags)
    disk[offset:offset + count] = bytes(count)


def zero(h, count, offset, flags):
    misbehave("zero", h=h, count=count, offset=offset, flags=flags)
    disk[offset:offset + count] = bytes(count)


def cache(h, count, offset, flags):
    misbehave("cache", h=h, count=count, offset=offset, flags=flags)


def extents(h, count, offset, flags):
    return normal("extents", [(offset, count, 0)], h=h, count=count,
                  offset=offset, flags=flags)
# SPDX-License-Identifier: BSD-3-Clause

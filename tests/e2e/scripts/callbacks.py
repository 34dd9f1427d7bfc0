# Test script (released dialect) defining every callback nbdkit 1.32's
# python plugin knows, with answers the test can recognise.
#
# Exports: "a" (1M), "b" (2M, no description), "c" (3M, read-only);
# the default export is "a".  pread of the last 4K of any export returns
# a JSON record of which global callbacks ran (get_ready, after_fork,
# preconnect count, config keys, open/close counts).  cleanup() writes
# the word "cleaned" to the file named by marker=PATH.

import builtins
import json
import threading

import nbdkit

API_VERSION = 2

SIZES = {"a": 1 << 20, "b": 2 << 20, "c": 3 << 20}
lock = threading.Lock()
calls = {"config": [], "config_complete": 0, "get_ready": 0,
         "after_fork": 0, "preconnect": 0, "open": 0, "close": 0}
marker = None
disks = {name: bytearray(size) for name, size in SIZES.items()}


def dump_plugin():
    print("callbacks_test_dump_plugin=called", flush=True)


def config(key, value):
    global marker
    calls["config"].append(key)
    if key == "marker":
        marker = value


def config_complete():
    calls["config_complete"] += 1


def thread_model():
    return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS


def get_ready():
    calls["get_ready"] += 1


def after_fork():
    calls["after_fork"] += 1


def cleanup():
    if marker:
        # builtins.open: this module's open() is the nbdkit callback.
        with builtins.open(marker, "w") as f:
            f.write("cleaned")


def list_exports(readonly, is_tls):
    return [("a", "the first export"), "b", ("c", "read-only export")]


def default_export(readonly, is_tls):
    return "a"


def preconnect(readonly):
    with lock:
        calls["preconnect"] += 1


def open(readonly):
    name = nbdkit.export_name() or "a"
    if name not in SIZES:
        raise RuntimeError("no such export: %r" % name)
    with lock:
        calls["open"] += 1
    return {"name": name, "readonly": readonly}


def close(h):
    with lock:
        calls["close"] += 1


def export_description(h):
    return "description of export %s" % h["name"]


def get_size(h):
    return SIZES[h["name"]]


def block_size(h):
    return (512, 4096, 1024 * 1024)


def is_rotational(h):
    return h["name"] == "b"


def can_multi_conn(h):
    return True


def can_write(h):
    return h["name"] != "c"


def can_flush(h):
    return True


def can_trim(h):
    return h["name"] == "a"


def can_zero(h):
    return True


def can_fast_zero(h):
    return h["name"] == "a"


def can_fua(h):
    return nbdkit.FUA_NATIVE if h["name"] == "a" else nbdkit.FUA_EMULATE


def can_cache(h):
    return nbdkit.CACHE_NATIVE if h["name"] == "a" else nbdkit.CACHE_EMULATE


def can_extents(h):
    return h["name"] != "c"


def pread(h, buf, offset, flags):
    disk = disks[h["name"]]
    if offset == len(disk) - 4096 and len(buf) == 4096:
        with lock:
            doc = json.dumps(calls, sort_keys=True).encode()
        buf[:] = doc.ljust(4096)
        return
    buf[:] = disk[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    disks[h["name"]][offset:offset + len(buf)] = buf


def flush(h, flags):
    pass


def trim(h, count, offset, flags):
    disks[h["name"]][offset:offset + count] = bytes(count)


def zero(h, count, offset, flags):
    disks[h["name"]][offset:offset + count] = bytes(count)


def cache(h, count, offset, flags):
    pass


# Extents: 64K blocks alternate data / hole+zero (reads of holes are
# still served from the bytearray, which the test never writes there).
def extents(h, count, offset, flags):
    out = []
    end = offset + count
    blk = 65536
    pos = offset
    while pos < end:
        nxt = min((pos // blk + 1) * blk, end)
        kind = 0 if (pos // blk) % 2 == 0 else \
            nbdkit.EXTENT_HOLE | nbdkit.EXTENT_ZERO
        out.append((pos, nxt - pos, kind))
        pos = nxt
        if flags & nbdkit.FLAG_REQ_ONE:
            break
    return out
# SPDX-License-Identifier: BSD-3-Clause

# Test script (released dialect) for the thread models: model=NAME
# (parallel, serialize_requests, serialize_all_requests or
# serialize_connections) chooses the one it declares.  nbdkit calls
# config before thread_model, also for --dump-plugin.
#
# A RAM disk whose callbacks check that nbdkit keeps the promise of the
# thread model: a violation fails the request (and is logged).  The
# last 4K of the disk is not data: reading it returns JSON statistics
# (largest number of open handles, of requests in flight in total and
# on one handle) so the client can see how much concurrency happened.
# Requests sleep briefly (without the GIL) to give overlap a chance.

import json
import threading
import time

import nbdkit

API_VERSION = 2

MODEL = None                    # set by config: model=NAME
SIZE = 8 * 1024 * 1024
STATS = SIZE - 4096

disk = bytearray(SIZE)
lock = threading.Lock()         # protects stats and disk
stats = {"open": 0, "active": 0, "max_open": 0, "max_active": 0,
         "max_handle_active": 0, "violations": 0, "requests": 0}


def config(key, value):
    global MODEL
    if key != "model":
        raise RuntimeError("unknown parameter: " + key)
    MODEL = getattr(nbdkit, "THREAD_MODEL_" + value.upper())


def config_complete():
    if MODEL is None:
        raise RuntimeError("model=NAME is required")


def thread_model():
    return MODEL


def open(readonly):
    with lock:
        stats["open"] += 1
        stats["max_open"] = max(stats["max_open"], stats["open"])
    return {"active": 0}


def close(h):
    with lock:
        stats["open"] -= 1


def get_size(h):
    return SIZE


def can_multi_conn(h):
    return True


def _enter(h):
    with lock:
        stats["active"] += 1
        stats["requests"] += 1
        h["active"] += 1
        stats["max_active"] = max(stats["max_active"], stats["active"])
        stats["max_handle_active"] = max(stats["max_handle_active"],
                                         h["active"])
        bad = None
        if MODEL == nbdkit.THREAD_MODEL_SERIALIZE_CONNECTIONS \
                and stats["open"] > 1:
            bad = "%d handles open" % stats["open"]
        if MODEL <= nbdkit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS \
                and stats["active"] > 1:
            bad = "%d requests in flight" % stats["active"]
        if MODEL == nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS \
                and h["active"] > 1:
            bad = "%d requests in flight on one handle" % h["active"]
        if bad:
            stats["violations"] += 1
    if bad:
        _leave(h)
        raise RuntimeError("thread model violated: " + bad)


def _leave(h):
    with lock:
        stats["active"] -= 1
        h["active"] -= 1


def pread(h, buf, offset, flags):
    if offset == STATS:
        with lock:
            doc = json.dumps(stats).encode()
        buf[:] = doc.ljust(len(buf))[:len(buf)]
        return
    _enter(h)
    try:
        time.sleep(0.001)
        with lock:
            buf[:] = disk[offset:offset + len(buf)]
    finally:
        _leave(h)


def pwrite(h, buf, offset, flags):
    _enter(h)
    try:
        time.sleep(0.001)
        with lock:
            disk[offset:offset + len(buf)] = buf
    finally:
        _leave(h)
# SPDX-License-Identifier: BSD-3-Clause

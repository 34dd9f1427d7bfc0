# A script for one interpreter per connection (released dialect): each
# read of offset 0 answers which interpreter served it and what it saw
# of the configuration; reading offset 4096 raises.
#
# key=value     any parameter, recorded in order
# spin=SECONDS  offset 8192 spins that long holding its GIL

import os
import time

import nbdkit

API_VERSION = 2

# Made once per interpreter: the connections tell interpreters apart.
token = os.urandom(8).hex()
configured: list[str] = []
completed = False
spin = 0.0


def config(key, value):
    global spin
    configured.append(f"{key}={value}")
    if key == "spin":
        spin = float(value)


def config_complete():
    global completed
    completed = True


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return {"token": token}


def get_size(h):
    return 1024 * 1024


def pread(h, buf, offset, flags):
    if offset == 4096:
        raise RuntimeError("per-connection: pread at 4096 fails")
    if offset == 8192:
        end = time.monotonic() + spin
        while time.monotonic() < end:
            pass
    text = " ".join([token, h["token"], ",".join(configured),
                     str(completed)]).encode()
    buf[:] = text.ljust(len(buf))[:len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

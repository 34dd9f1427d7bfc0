# Test script (released dialect): a Python thread started by the
# script runs while nbdkit serves, which needs the plugin to hand the
# GIL back between requests.  The thread is started in after_fork, so
# it also exists in the process that serves when nbdkit forks into the
# background.  Reading the first 8 bytes returns the thread's counter
# (decimal, space-padded).

import threading
import time

import nbdkit

API_VERSION = 2

counter = 0
started = threading.Event()


def ticker():
    global counter
    started.set()
    while True:
        counter += 1
        time.sleep(0.001)


def after_fork():
    threading.Thread(target=ticker, daemon=True).start()
    started.wait(10)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return 4096


def pread(h, buf, offset, flags):
    doc = b"%-8d" % counter
    buf[:] = (doc * (4096 // 8))[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

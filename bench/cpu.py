# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark's CPU-bound script (bench/interpreters.py): each read
computes its block in Python, a chain of BLAKE2b digests seeded by the
offset, so that a request holds the GIL from start to end (hashlib lets
it go only for inputs of 2 KiB and more; these are 32 bytes).  BLAKE2
is Python's own code: OpenSSL's SHA-256 takes process-wide locks on
every new hash object, which would serialize the connections outside
Python.

size=SIZE   Size of the disk (default 1G).
"""

import hashlib

import nbdkit

API_VERSION = 2

size = 1024 * 1024 * 1024


def config(key, value):
    global size
    if key == "size":
        size = nbdkit.parse_size(value)
    else:
        raise RuntimeError(f"unknown parameter {key}")


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return True


def get_size(h):
    return size


def block_size(h):
    # Reads are whole digests.
    return (32, 16384, 1024 * 1024)


def pread(h, buf, offset, flags):
    digest = offset.to_bytes(8, "little")
    for i in range(0, len(buf), 32):
        digest = hashlib.blake2b(digest, digest_size=32).digest()
        buf[i:i + 32] = digest

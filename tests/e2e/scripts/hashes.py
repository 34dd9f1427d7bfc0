# Test script (released dialect): hashlib in a plugin.  Reading the disk
# returns a JSON document (padded with spaces) with the digests of the
# export name by hashlib.sha256, md5 and the other always-present
# algorithms ("unsupported" for one this Python lacks), one digest
# computed while the script loaded, and the built-in modules Python
# lists.

import hashlib
import json
import sys

API_VERSION = 2
SIZE = 64 * 1024
AT_LOAD = hashlib.sha256(b"at load").hexdigest()


def open(readonly):
    import nbdkit
    return nbdkit.export_name().encode()


def get_size(h):
    return SIZE


def digest(name, data):
    try:
        return hashlib.new(name, data).hexdigest()
    except ValueError:
        return "unsupported"


def pread(h, buf, offset, flags):
    doc = {name: digest(name, h)
           for name in ("md5", "sha1", "sha256", "sha512", "sha3_256",
                        "blake2b", "blake2s")}
    doc["sha256()"] = hashlib.sha256(h).hexdigest()
    doc["md5()"] = hashlib.md5(h).hexdigest()
    doc["at_load"] = AT_LOAD
    doc["builtin_module_names"] = sorted(sys.builtin_module_names)
    data = json.dumps(doc, sort_keys=True).encode().ljust(SIZE)
    buf[:] = data[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

# A plugin whose authors run it as `nbdkit python plugin.py`, with a
# package of their own beside it (blkcache, with a data file), a module
# from PYTHONPATH (extlib, with its distribution's metadata), numpy and
# PIL (a PNG read by PIL, which imports its PNG plugin by name), and
# prints it never flushes.  pread serves a JSON document of what it
# found, padded with zeros.
import importlib.metadata
import importlib.resources
import io
import json
import os
import pkgutil
import sys

import numpy
from PIL import Image

import blkcache.ddrescue
import extlib

API_VERSION = 2

print("plugin: loaded")


def config(key, value):
    print(f"plugin: config {key}={value}")
    print(f"plugin: to stderr {key}", file=sys.stderr)


def config_complete():
    print("plugin: config_complete")


def get_ready():
    print("plugin: get_ready")


def open(readonly):
    return 1


def get_size(h):
    return 1024 * 1024


def report():
    png = importlib.resources.files("images").joinpath("disk.png")
    image = Image.open(io.BytesIO(png.read_bytes()))
    pixels = numpy.asarray(image)
    return {
        "own": blkcache.ddrescue.describe(),
        "table": pkgutil.get_data("blkcache", "table.txt").decode(),
        "table_resources": importlib.resources.files("blkcache")
        .joinpath("table.txt").read_text(),
        "resources_listing": sorted(
            p.name for p in importlib.resources.files("blkcache").iterdir()
            if p.name.endswith(".txt")),
        "files": {m.__name__: os.path.basename(m.__file__)
                  for m in (blkcache, blkcache.ddrescue, extlib, numpy)},
        "blkcache_path": [os.path.basename(p) for p in blkcache.__path__],
        "extlib": extlib.VALUE,
        "extlib_version": importlib.metadata.version("extlib"),
        "numpy_version_matches": importlib.metadata.version("numpy")
        == numpy.__version__,
        "numpy": [int(numpy.arange(100).sum()),
                  float(numpy.linalg.det(numpy.eye(3) * 2))],
        "image": [image.format, image.mode, list(image.size),
                  pixels.tolist()],
    }


def pread(h, buf, offset, flags):
    doc = json.dumps(report(), sort_keys=True).encode()
    data = doc.ljust(get_size(h), b"\0")
    buf[:] = data[offset:offset + len(buf)]
# SPDX-License-Identifier: BSD-3-Clause

# SPDX-License-Identifier: BSD-3-Clause
"""Handles of every type: whatever open() returns -- a 2-tuple, a
1-tuple, the empty tuple, a list, None, a dict, a str, bytes, an int, an
instance -- every callback taking the handle gets that very object
(`is`, not `==`), in each dialect, through a real client; nbdkit python
on the same script behaves the same.

A tuple is the shape that matters: PyObject_CallFunction with a format of
one unit takes a tuple value as the whole argument list, so get_size(h)
with h = (geometry, fd) would be called as get_size(geometry, fd).

The script is written per dialect from the callback table's parameter
lists, so that each callback has exactly the signature the dialect gives
it; one export per kind of handle (open picks the kind by export name).
"""

import json
import os
import unittest

import nbd

from harness import (MiB, GenerateError, Server, TempDirMixin,
                     block_status_calls, build_plugin, peer_server)

from pyplugin_gen.callbacks import BY_NAME, Dialect

KINDS = ("tuple2", "tuple1", "tuple0", "list", "none", "dict", "str",
         "bytes", "int", "object")

SIZE = MiB
REPORT = SIZE - 4096  # pread here returns what the callbacks saw

COMMON = '''\
import json

import nbdkit

{declaration}

class Handle:
    pass

# Each kind is made afresh at open, so that identity means something
# (small ints and short strings would be the same object anyway).
KINDS = {{
    "tuple2": lambda: ((2, 512), [7]),
    "tuple1": lambda: ([0],),
    "tuple0": lambda: (),
    "list": lambda: [1, 2],
    "none": lambda: None,
    "dict": lambda: {{"fd": 3}},
    "str": lambda: "handle-" + nbdkit.export_name(),
    "bytes": lambda: ("h" * 3).encode(),
    "int": lambda: int("1" * 30),
    "object": Handle,
}}

disk = bytearray({size})
current = None        # what open returned (one connection at a time)
current_kind = None
checked = set()       # callbacks that got exactly that object
closed = []           # kinds whose close got it


def check(h, name):
    if h is not current:
        raise RuntimeError("%s got %r, not the handle %r" % (name, h, current))
    checked.add(name)


def report():
    text = json.dumps({{"checked": sorted(checked), "closed": closed}})
    return text.encode().ljust(4096)


def thread_model():
    # One connection at a time, its close before the next open.
    return nbdkit.THREAD_MODEL_SERIALIZE_CONNECTIONS


def list_exports(readonly, is_tls):
    return list(KINDS)


def open(readonly):
    global current, current_kind
    current_kind = nbdkit.export_name()
    current = KINDS[current_kind]()
    checked.clear()
    return current


def close(h):
    check(h, "close")
    closed.append(current_kind)


def export_description(h):
    check(h, "export_description")
    return "handle of kind " + current_kind


def get_size(h):
    check(h, "get_size")
    return len(disk)


def block_size(h):
    check(h, "block_size")
    return (1, 4096, 1048576)


def can_cache(h):
    check(h, "can_cache")
    return nbdkit.CACHE_NATIVE


def can_fua(h):
    check(h, "can_fua")
    return nbdkit.FUA_NATIVE
{capabilities}

def read(count, offset):
    if offset >= {report}:
        return report()[:count]
    return disk[offset:offset + count]
'''

# The capabilities answering a plain true.
BOOLS = ("is_rotational", "can_multi_conn", "can_write", "can_flush",
         "can_trim", "can_zero", "can_fast_zero", "can_extents")

# The body of each data callback; the signature comes from the table.
BODIES = {
    "pread": {True: "buf[:] = read(len(buf), offset)",
              False: "return read(count, offset)"},
    "pwrite": "disk[offset:offset + len(buf)] = buf",
    "flush": "pass",
    "trim": "disk[offset:offset + count] = bytes(count)",
    "zero": "disk[offset:offset + count] = bytes(count)",
    "cache": "pass",
    "extents": "return [(offset, count, 0)]",
}

DECLARATIONS = {Dialect.API1: "",
                Dialect.SEED: "def api_version():\n    return 2",
                Dialect.RELEASED: "API_VERSION = 2"}


def handles_script(dialect):
    """The script's text in dialect."""
    caps = "".join(f"\n\ndef {name}(h):\n    check(h, {name!r})\n"
                   f"    return True\n" for name in BOOLS)
    text = COMMON.format(declaration=DECLARATIONS[dialect], size=SIZE,
                         report=REPORT, capabilities=caps)
    for name, body in BODIES.items():
        params = BY_NAME[name].params(dialect)
        if isinstance(body, dict):
            body = body["buf" in params]
        text += (f"\n\ndef {name}({', '.join(params)}):\n"
                 f"    check(h, {name!r})\n    {body}\n")
    return text


# Every callback of the script that takes the handle, close aside (it
# runs after the connection's last request, so the next one reports it).
HANDLED = sorted({*BOOLS, *BODIES, "export_description", "get_size",
                  "block_size", "can_cache", "can_fua"})


def exercise(srv, kind):
    """Every request once on export kind; returns what the client saw and
    what the callbacks saw."""
    h = nbd.NBD()
    try:
        h.set_export_name(kind)
        h.set_full_info(True)
        h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
        h.connect_unix(srv.sock)
        seen = {
            "size": h.get_size(),
            "description": h.get_export_description(),
            "block_size": h.get_block_size(nbd.SIZE_PREFERRED),
            "flags": [h.is_rotational(), h.can_multi_conn(),
                      h.is_read_only(), h.can_flush(), h.can_trim(),
                      h.can_zero(), h.can_fast_zero(), h.can_fua(),
                      h.can_cache(), h.can_meta_context(
                          nbd.CONTEXT_BASE_ALLOCATION)],
        }
        data = bytes(range(256)) * 16
        h.pwrite(data, 8192, nbd.CMD_FLAG_FUA)
        seen["readback"] = h.pread(4096, 8192) == data
        h.flush()
        h.trim(4096, 8192)
        h.zero(4096, 12288)
        h.cache(4096, 0)
        seen["extents"] = block_status_calls(h, 65536, 0)[0][2]
        seen["report"] = json.loads(h.pread(4096, REPORT))
        h.shutdown()
    finally:
        srv.handles.append(h)
    return seen


class HandlesMixin(TempDirMixin):
    DIALECT = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = os.path.join(cls.tmpdir, "handles.py")
        with open(cls.script, "w") as f:
            f.write(handles_script(cls.DIALECT))

    def observe(self, srv):
        with srv:
            out = {kind: exercise(srv, kind) for kind in KINDS}
            # A last connection reports the closes of all the others.
            out["closes"] = exercise(srv, "int")["report"]["closed"]
        return out

    def check(self, seen):
        for kind in KINDS:
            with self.subTest(kind=kind):
                s = seen[kind]
                self.assertEqual(s["size"], SIZE)
                self.assertEqual(s["description"], "handle of kind " + kind)
                self.assertEqual(s["block_size"], 4096)
                self.assertEqual(s["flags"], [True, False, False, True, True,
                                              True, True, True, True, True])
                self.assertTrue(s["readback"])
                self.assertEqual(s["extents"], [65536, 0])
                self.assertEqual(s["report"]["checked"], HANDLED)
        self.assertEqual(seen["closes"], list(KINDS))

    def test_generated(self):
        try:
            plugin = build_plugin(self.script, self.tmpdir)
        except GenerateError as e:
            self.fail(str(e))
        seen = self.observe(Server(plugin))
        self.check(seen)

    def test_same_as_nbdkit_python(self):
        plugin = build_plugin(self.script, self.tmpdir)
        want = self.observe(peer_server(
            self.script, seed=self.DIALECT is Dialect.SEED))
        self.check(want)
        self.assertEqual(self.observe(Server(plugin)), want)


class API1(HandlesMixin, unittest.TestCase):
    DIALECT = Dialect.API1


class Seed(HandlesMixin, unittest.TestCase):
    DIALECT = Dialect.SEED


class Released(HandlesMixin, unittest.TestCase):
    DIALECT = Dialect.RELEASED

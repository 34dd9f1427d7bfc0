# SPDX-License-Identifier: BSD-3-Clause
"""Every helper of the built-in nbdkit module, called for real from a
served plugin, and held to `nbdkit python` on the same script wherever
nbdkit's own plugin has the helper.

The script (written here from CALLS) calls each helper the module has
with fixed arguments, while it loads (the helpers fine to call then,
helpers.py's load_time) and in open(), and once more with arguments
nbdkit rejects; it reports every result (type and value) or exception
type, and the names of the module's functions, through the disk.  The
installed nbdkit decides which helpers exist: the generated plugin has
exactly the helper table's rows whose function the header declares,
and every function the installed `nbdkit python` has.
"""

from __future__ import annotations

import json
import os
import tempfile
import unittest

import nbd

from harness import Server, TempDirMixin, build_plugin, peer_server

from pyplugin_gen import helpers, nbdkit_header

SIZE = 64 * 1024
EXPORT = "helpers-export"

# Arguments of each helper's call; (args accepted, args rejected or None).
# A helper of the table with no row here fails the test: a new helper
# must be exercised.
CALLS = {
    "debug": (("probe 100% %s %n",), None),
    "debug_hexdump": ((b"pyplugin-gen hexdump probe", "hexdump-probe: ", 16),
                      None),
    "debug_hexdiff": ((b"abcdefgh", b"abcdXfgh", "hexdiff-probe: ", 0),
                      (b"ab", b"abc", None, 0)),
    "export_name": ((), None),
    "set_error": ((0,), None),
    "parse_size": (("1M",), ("garbage",)),
    "parse_bool": (("on",), ("maybe",)),
    "parse_delay": (("delay", "10ms"), ("delay", "garbage")),
    "parse_probability": (("p", "1:10"), ("p", "garbage")),
    "is_tls": ((), None),
    "peer_pid": ((), None),
    "peer_uid": ((), None),
    "peer_gid": ((), None),
    "peer_security_context": ((), None),
    "peer_tls_dn": ((), None),
    "peer_tls_issuer_dn": ((), None),
    "stdio_safe": ((), None),
    "absolute_path": (("disk.img",), None),
    "realpath": (("/",), None),
    "read_password": (("s3cret",), ("+/nonexistent/password-file",)),
    "nanosleep": ((0, 1000), None),
    "name": ((), None),
    "timestamp": ((), None),
}
# Run by a command written to the disk instead, as they end the
# connection or the server (test_disconnect below; shutdown in
# test_nbdkit_module, for the generated plugin and nbdkit python).
BY_COMMAND = ("disconnect", "shutdown")

SCRIPT = '''\
import json

import nbdkit

API_VERSION = 2
SIZE = {size}
CALLS = {calls!r}
LOAD = {load!r}
CONN = {conn!r}


def call(name, args):
    fn = getattr(nbdkit, name, None)
    if fn is None:
        return {{"missing": True}}
    try:
        r = fn(*args)
    except Exception as e:
        return {{"error": type(e).__name__}}
    if isinstance(r, bytes):
        return {{"type": "bytes", "value": r.decode("latin-1")}}
    return {{"type": type(r).__name__, "value": r}}


def call_all(names):
    out = {{}}
    for name in names:
        good, bad = CALLS[name]
        out[name] = call(name, good)
        if bad is not None:
            out[name + "!"] = call(name, bad)
    return out


NAMES = sorted(n for n in dir(nbdkit)
               if not n.startswith("_") and callable(getattr(nbdkit, n)))
AT_LOAD = call_all(LOAD)


def open(readonly):
    return call_all(CONN)


def get_size(h):
    return SIZE


def pread(h, buf, offset, flags):
    doc = json.dumps({{"names": NAMES, "load": AT_LOAD, "conn": h}})
    data = doc.encode().ljust(SIZE)
    buf[0:len(buf)] = data[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    command = bytes(buf).rstrip(b"\\0").decode()
    if command == "disconnect":
        nbdkit.disconnect(True)
'''


def write_script(directory: str) -> str:
    load = [h.name for h in helpers.HELPERS
            if h.load_time and h.name not in BY_COMMAND]
    conn = [h.name for h in helpers.HELPERS if h.name not in BY_COMMAND]
    path = os.path.join(directory, "helpers_probe.py")
    with open(path, "w") as f:
        f.write(SCRIPT.format(size=SIZE, calls=CALLS, load=load, conn=conn))
    return path


def report(srv) -> dict:
    h = srv.connect(export_name=EXPORT)
    doc = json.loads(bytes(h.pread(SIZE, 0)))
    h.shutdown()
    return doc


def ok(type_: str, value=None) -> dict:
    return {"type": type_, "value": value}


# What each helper gives from this test's client (a Unix socket, no TLS)
# to nbdkit started in cwd; None: compared with nbdkit python only (it
# depends on the system).
def expected(cwd: str) -> dict:
    return {
        "debug": ok("NoneType"),
        "debug_hexdump": ok("NoneType"),
        "debug_hexdiff": ok("NoneType"),
        "debug_hexdiff!": {"error": "RuntimeError"},
        "export_name": ok("str", EXPORT),
        "set_error": ok("NoneType"),
        "parse_size": ok("int", 1 << 20),
        "parse_size!": {"error": "ValueError"},
        "parse_bool": ok("bool", True),
        "parse_bool!": {"error": "ValueError"},
        "parse_delay": ok("tuple", [0, 10_000_000]),
        "parse_delay!": {"error": "ValueError"},
        "parse_probability": ok("float", 0.1),
        "parse_probability!": {"error": "ValueError"},
        "is_tls": ok("bool", False),
        "peer_pid": ok("int", os.getpid()),
        "peer_uid": ok("int", os.getuid()),
        "peer_gid": ok("int", os.getgid()),
        "peer_security_context": None,
        "peer_tls_dn": None,
        "peer_tls_issuer_dn": None,
        "stdio_safe": None,
        "absolute_path": ok("str", os.path.join(cwd, "disk.img")),
        "realpath": ok("str", "/"),
        "read_password": ok("bytes", "s3cret"),
        "read_password!": {"error": "ValueError"},
        # nbdkit python's returns None; ours says whether it slept whole.
        "nanosleep": ok("bool", True),
        "name": ok("NoneType"),
        "timestamp": None,
    }


# Compared with nbdkit python by type only: the values differ by nature.
TYPE_ONLY = ("timestamp",)
# Deliberately different from nbdkit python (README, Differences).
DIFFERENT = ("nanosleep",)


class Helpers(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = write_script(cls.tmpdir)
        outdir = tempfile.mkdtemp(prefix="gen-", dir=cls.tmpdir)
        cls.plugin = build_plugin(cls.script, outdir)
        cls.installed = nbdkit_header.python_helpers(nbdkit_header.load())
        with Server(cls.plugin, verbose=True) as srv:
            cls.ours = report(srv)
            cls.our_log = srv.log
            cls.our_cwd = srv.tmpdir
        with peer_server(cls.script, verbose=True) as srv:
            cls.theirs = report(srv)
            cls.their_log = srv.log

    def test_every_helper_is_exercised(self):
        self.assertEqual(set(CALLS) | set(BY_COMMAND), set(helpers.BY_NAME))

    def test_the_module_has_what_the_header_declares(self):
        self.assertEqual(self.ours["names"], self.installed)

    def test_every_function_of_nbdkit_python(self):
        self.assertLessEqual(set(self.theirs["names"]),
                             set(self.ours["names"]))

    def test_results(self):
        want = expected(self.our_cwd)
        for phase in ("load", "conn"):
            got = self.ours[phase]
            for key, result in got.items():
                name = key.rstrip("!")
                with self.subTest(phase=phase, call=key):
                    if name not in self.installed:
                        self.assertEqual(result, {"missing": True})
                    elif want[key] is not None:
                        self.assertEqual(result, want[key])
                    elif key == "timestamp":
                        self.assertEqual(result["type"], "str")
                    else:
                        self.assertIn(result.get("type", result.get("error")),
                                      ("str", "bool", "ValueError"))

    def test_same_as_nbdkit_python(self):
        compared = 0
        for phase in ("load", "conn"):
            for key, theirs in self.theirs[phase].items():
                name = key.rstrip("!")
                if name not in self.theirs["names"] or name in DIFFERENT:
                    continue
                ours = self.ours[phase][key]
                with self.subTest(phase=phase, call=key):
                    if name in TYPE_ONLY:
                        self.assertEqual(ours["type"], theirs["type"])
                    else:
                        self.assertEqual(ours, theirs)
                compared += 1
        # At least the helpers every nbdkit python has.
        self.assertGreaterEqual(compared, 4)

    def test_debug_output(self):
        for log, names in ((self.our_log, self.ours["names"]),
                           (self.their_log, self.theirs["names"])):
            self.assertIn("probe 100% %s %n", log)
            for name in ("debug_hexdump", "debug_hexdiff"):
                with self.subTest(name=name):
                    prefix = CALLS[name][0][-2]
                    self.assertEqual(prefix in log, name in names)

    def test_disconnect(self):
        # The connection ends; the server serves the next one.
        for make in (lambda: Server(self.plugin),
                     lambda: peer_server(self.script)):
            with make() as srv:
                names = report(srv)["names"]
                if "disconnect" not in names:
                    continue
                h = srv.connect()
                # The write's reply may or may not get out first.
                with self.assertRaises(nbd.Error):
                    h.pwrite(b"disconnect", 0)
                    h.pread(512, 0)
                self.assertEqual(report(srv)["names"], names)

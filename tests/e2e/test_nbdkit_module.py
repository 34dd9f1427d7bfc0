# SPDX-License-Identifier: BSD-3-Clause
"""The built-in nbdkit module: functions and constants, seen from a
script (scripts/nbdkit_module.py) that reports through its data."""

import errno
import json
import os
import unittest

import nbd

from harness import TOP, TargetMixin, peer_module_names, script

from pyplugin_gen import nbdkit_header

SIZE = 64 * 1024

RECORD = nbdkit_header.load(
    os.path.join(TOP, "data", nbdkit_header.RECORD_FILE))
# nbdkit's constants, as make recorded them from its header.
CONSTANTS = RECORD.constants
# What each nbdkit_* function of the header is called in the module.
HEADER_NAMES = frozenset(f[len("nbdkit_"):] for f in RECORD.functions)

PARSE_SIZE = {
    "0": 0, "512": 512, "1K": 1024, "1M": 1 << 20, "2G": 2 << 30,
    "1T": 1 << 40, "1P": 1 << 50, "100b": 100,
    "garbage": "error", "-1": "error", "": "error",
}

PARSE_BOOL = {
    "on": True, "off": False, "1": True, "0": False, "true": True,
    "false": False, "yes": True, "no": False, "garbage": "error",
}


def report(srv, export_name=None, readonly=False):
    h = srv.connect(export_name=export_name)
    doc = json.loads(bytes(h.pread(SIZE, 0)))
    h.shutdown()
    return doc


def errtype(v):
    """"error:RuntimeError" -> "error" (the exception type may differ)."""
    return "error" if isinstance(v, str) and v.startswith("error:") else v


class NbdkitModuleChecks(TargetMixin):
    SCRIPT = script("nbdkit_module.py")

    def has(self, name):
        """Whether the target's nbdkit module has name."""
        raise NotImplementedError

    def test_load_time(self):
        with self.target_server("a=1", "b=two words", verbose=True) as srv:
            doc = report(srv)["load"]
            log = srv.log
        self.assertEqual(doc["config"], [["a", "1"], ["b", "two words"]])
        self.assertEqual(doc["parse_size_at_load"], 3 << 20)
        self.assertIn("nbdkit_module: loading", log)
        self.assertEqual(doc["constants"], CONSTANTS)
        self.assertEqual({k: errtype(v) for k, v in doc["parse_size"].items()},
                         PARSE_SIZE)
        want_bool = PARSE_BOOL if self.has("parse_bool") else \
            {k: "missing" for k in PARSE_BOOL}
        self.assertEqual({k: errtype(v) for k, v in doc["parse_bool"].items()},
                         want_bool)
        self.assertIn("nbdkit_module: config_complete done", log)

    def test_connection(self):
        with self.target_server() as srv:
            conn = report(srv, export_name="my-export")["conn"]
            conn2 = report(srv)["conn"]
        self.assertEqual(conn["export_name"], "my-export")
        self.assertEqual(conn2["export_name"], "")
        self.assertIs(conn["readonly"], False)
        want = {"is_tls": False, "peer_pid": os.getpid(),
                "peer_uid": os.getuid(), "peer_gid": os.getgid()}
        for fn, value in want.items():
            with self.subTest(fn=fn):
                self.assertEqual(conn[fn],
                                 value if self.has(fn) else "missing")

    def test_readonly(self):
        with self.target_server(readonly=True) as srv:
            self.assertIs(report(srv)["conn"]["readonly"], True)

    def test_set_error(self):
        with self.target_server() as srv:
            h = srv.connect()
            for e in (errno.ENOSPC, errno.EPERM, errno.ENOMEM, errno.EINVAL,
                      errno.EIO, errno.ESHUTDOWN):
                with self.assertRaises(nbd.Error) as cm:
                    h.pwrite(b"errno:%d" % e, 0)
                self.assertEqual(cm.exception.errnum, e,
                                 "set_error(%s)" % errno.errorcode[e])
            # nbdkit maps errnos NBD has no code for: EROFS to EPERM,
            # anything else (ENOENT) to EINVAL.  Not EIO: the script's
            # errno reached nbdkit.
            for e, want in ((errno.EROFS, errno.EPERM),
                            (errno.ENOENT, errno.EINVAL)):
                with self.assertRaises(nbd.Error) as cm:
                    h.pwrite(b"errno:%d" % e, 0)
                self.assertEqual(cm.exception.errnum, want)
            h.pwrite(b"debug:still fine", 0)

    def test_debug(self):
        """debug() text is logged verbatim, even with % in it."""
        with self.target_server(verbose=True) as srv:
            h = srv.connect()
            h.pwrite(b"debug:100% sure %s %d %n", 0)
            h.shutdown()
            log = srv.log
        self.assertIn("100% sure %s %d %n", log)

    def test_shutdown(self):
        """nbdkit.shutdown() makes nbdkit exit, cleanly."""
        with self.target_server() as srv:
            h = srv.connect()
            h.pwrite(b"shutdown", 0)
            try:
                h.shutdown()
            except nbd.Error:
                pass
            self.assertEqual(srv.wait_exit(), 0, srv.log)


class NbdkitModuleGenerated(NbdkitModuleChecks, unittest.TestCase):
    TARGET = "generated"

    def has(self, name):
        # The generated module wraps every helper nbdkit's header has.
        return name in HEADER_NAMES


class NbdkitModulePeer(NbdkitModuleChecks, unittest.TestCase):
    """nbdkit python: what its module has depends on its version, so
    the test asks it."""
    TARGET = "peer"

    def has(self, name):
        return name in peer_module_names()

# SPDX-License-Identifier: BSD-3-Clause
"""Uses of nbdkit module helpers the target nbdkit lacks: checked against
a record of nbdkit's header with some functions taken out (the installed
nbdkit's record, reduced), so that the checks hold whatever nbdkit is
installed."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
import unittest
from unittest import mock

from common import DIAGNOSTIC, run_check

from pyplugin_gen import helpers, nbdkit_header

HEAD = """\
import nbdkit

API_VERSION = 2


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
"""

# The line of the body's first line (each body starts with a newline).
FIRST = HEAD.count("\n") + 2

# Taken out of the record: one helper used at load time, one in a
# callback.
GONE = ("nbdkit_parse_size", "nbdkit_peer_pid")


class MissingHelpers(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pyplugin-helpers-")
        with open(nbdkit_header.record_path()) as f:
            data = json.load(f)
        cls.version = data["nbdkit_version"]
        data["functions"] = [fn for fn in data["functions"]
                             if fn["name"] not in GONE]
        cls.reduced = os.path.join(cls.dir, "reduced.json")
        with open(cls.reduced, "w") as f:
            json.dump(data, f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def check(self, body: str, record: str | None = None):
        """The nbdkit-helper diagnostics of HEAD + body: (severity, line,
        col, message) each, and the exit status."""
        path = os.path.join(self.dir, "s.py")
        with open(path, "w") as f:
            f.write(HEAD + textwrap.dedent(body))
        with mock.patch.dict(os.environ, {nbdkit_header.RECORD_ENV:
                                          record or self.reduced}):
            status, _, err = run_check(["--check", path])
        found = []
        for line in err.splitlines():
            m = DIAGNOSTIC.match(line)
            if m and "is not available with nbdkit" in m["message"]:
                found.append((m["severity"], int(m["line"]), int(m["col"]),
                              m["message"]))
        return status, found

    def test_call_at_load_is_an_error(self):
        status, found = self.check("""
            SIZE = nbdkit.parse_size("1M")

            def open(readonly):
                return 1
            """)
        self.assertNotEqual(status, 0)
        self.assertEqual(len(found), 1, found)
        severity, line, col, message = found[0]
        self.assertEqual((severity, line, col), ("error", FIRST, 15))
        self.assertIn("nbdkit.parse_size", message)
        self.assertIn(f"nbdkit {self.version}", message)
        self.assertIn("nbdkit_parse_size", message)

    def test_call_in_a_callback_is_a_warning(self):
        status, found = self.check("""
            def open(readonly):
                return nbdkit.peer_pid()
            """)
        self.assertEqual(status, 0)
        self.assertEqual([(s, line) for s, line, _, _ in found],
                         [("warning", FIRST + 1)])
        self.assertIn("nbdkit.peer_pid", found[0][3])
        self.assertIn(f"nbdkit {self.version}", found[0][3])

    def test_what_runs_at_load(self):
        # An alias, from-import, a default value and a decorator run
        # where the module runs; a lambda's body does not.
        status, found = self.check("""
            import nbdkit as nk
            from nbdkit import parse_size

            def open(readonly, size=nk.parse_size("1")):
                return 1

            @nbdkit.parse_size
            def flush(h, flags):
                pass

            later = lambda: nbdkit.parse_size("1")
            """)
        self.assertNotEqual(status, 0)
        self.assertEqual([(s, line) for s, line, _, _ in found],
                         [("error", FIRST + 1), ("error", FIRST + 3),
                          ("error", FIRST + 6), ("warning", FIRST + 10)])

    def test_guarded_uses_are_fine(self):
        status, found = self.check("""
            if hasattr(nbdkit, "parse_size"):
                SIZE = nbdkit.parse_size("1M")
            try:
                SIZE = nbdkit.parse_size("1M")
            except AttributeError:
                SIZE = 1 << 20

            def open(readonly):
                return 1
            """)
        self.assertEqual((status, found), (0, []))

    def test_installed_record_has_them(self):
        # The same uses with the installed record: nothing to report for
        # the helpers it has.
        have = nbdkit_header.python_helpers(nbdkit_header.load())
        self.assertIn("parse_size", have)
        self.assertIn("peer_pid", have)
        status, found = self.check("""
            SIZE = nbdkit.parse_size("1M")

            def open(readonly):
                return nbdkit.peer_pid()
            """, record=nbdkit_header.record_path())
        self.assertEqual((status, found), (0, []))

    def test_every_missing_helper_is_named(self):
        # Whatever the installed nbdkit lacks of the helper table (a
        # newer nbdkit's helpers on an older one) is reported too.
        data_path = nbdkit_header.record_path()
        lacking = [h.name for h in helpers.missing(nbdkit_header.load())] \
            + ["parse_size"]
        body = "".join(f"X{i} = nbdkit.{name}\n"
                       for i, name in enumerate(lacking))
        status, found = self.check(body + "def open(readonly): return 1\n")
        self.assertNotEqual(status, 0)
        self.assertEqual(sorted(m.split()[0] for _, _, _, m in found),
                         sorted(f"nbdkit.{n}" for n in lacking))
        self.assertTrue(os.path.exists(data_path))

# SPDX-License-Identifier: BSD-3-Clause
"""Scripts shaped like real plugins (tests/corpus/realworld): correct, so
`pyplugin-gen -Werror` builds each with no output at all; what reading
cannot see is a note only under -v or -Wunchecked; and the script's own
behaviour when run (printing, a failing import) stays the script's."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from common import TOP, generator_command, generator_env

REALWORLD = os.path.join(TOP, "tests", "corpus", "realworld")


def corpus(name: str) -> str:
    return os.path.join(REALWORLD, name)


class RealWorld(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-gen-realworld-")
        self.addCleanup(shutil.rmtree, self.dir)

    def gen(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*generator_command(), *args],
                              capture_output=True, text=True,
                              env=generator_env(), cwd=self.dir, timeout=300)

    def test_werror_builds_with_no_output(self):
        paths = sorted(glob.glob(os.path.join(REALWORLD, "*.py")))
        self.assertGreaterEqual(len(paths), 5)
        for path in paths:
            with self.subTest(script=os.path.basename(path)):
                out = os.path.join(self.dir, "plugin.so")
                p = self.gen("-Werror", path, "-o", out)
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (0, "", ""))
                self.assertTrue(os.path.exists(out))
                os.unlink(out)

    def test_unchecked_notes(self):
        path = corpus("imported_callbacks.py")
        want = [f"{path}:5:1: note: callback '{name}' is an import from "
                "'diskimage_backend': its parameters were not checked "
                "(--import checks them)"
                for name in ("get_size", "pread", "pwrite")]
        for flags in (["-v"], ["-Wunchecked"], ["-Werror", "-Wunchecked"]):
            with self.subTest(flags=flags):
                p = self.gen("--check", *flags, path)
                self.assertEqual((p.returncode, p.stdout,
                                  p.stderr.splitlines()), (0, "", want))
        p = self.gen("--check", "-v", "-Wno-unchecked", path)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        # The decorated, partial and atexit callbacks are all seen.
        p = self.gen("--check", "-Wunchecked", corpus("upload.py"))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))

    def test_prints_stay_out_of_the_output(self):
        # --import runs the script: what it prints is the child's, and
        # the generator's output stays its diagnostics alone.
        p = self.gen("--check", "-Werror", "--import",
                     corpus("prints_stdout.py"))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))

    def test_failing_import(self):
        path = corpus("import_fails.py")
        p = self.gen("--check", "-Werror", path)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
        p = self.gen("--check", "--import", path)
        self.assertEqual(p.returncode, 1)
        self.assertIn("ModuleNotFoundError", p.stderr)
        self.assertIn("error:", p.stderr)

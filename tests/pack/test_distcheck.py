# SPDX-License-Identifier: BSD-3-Clause
"""make distcheck passes.  Long (it builds and runs make check again,
from the tarball): only make check-slow (PYPLUGIN_SLOW=1) has it."""

from __future__ import annotations

import subprocess
import unittest

from common import ENV, TOP, VERSION, slow_only

TARBALL = f"pyplugin-gen-{VERSION}.tar.gz"


class Distcheck(unittest.TestCase):
    def test_distcheck(self):
        # Inside distcheck, this suite's own distcheck would recurse.
        env = dict(ENV, PYPLUGIN_SLOW="0")
        proc = subprocess.run(["make", "-C", TOP, "distcheck"], env=env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              stdin=subprocess.DEVNULL, timeout=1800)
        self.assertEqual(proc.returncode, 0, proc.stdout[-6000:])
        self.assertIn(f"{TARBALL} is ready for distribution", proc.stdout)
        self.assertRegex(proc.stdout, r"\n\d+ passed, 0 failed")


load_tests = slow_only

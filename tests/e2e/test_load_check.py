# SPDX-License-Identifier: BSD-3-Clause
"""A plugin whose bytecode another Python version compiled is refused at
load with a message saying so, rather than crashing or misbehaving."""

import os
import re
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyplugin_gen import build, cli  # noqa: E402

SCRIPT = os.path.join(TOP, "examples", "ramdisk.py")


class BytecodeVersionCheck(unittest.TestCase):
    def build(self, tmp: str, magic: str | None) -> str:
        c_file = os.path.join(tmp, "plugin.c")
        self.assertEqual(cli.main([SCRIPT, "-S", c_file]), 0)
        with open(c_file, encoding="utf-8") as f:
            text = f.read()
        if magic is not None:
            # As if another Python version had compiled the bytecode.
            text, n = re.subn(r"\.magic = \d+UL", f".magic = {magic}UL", text)
            self.assertEqual(n, 1)
            with open(c_file, "w", encoding="utf-8") as f:
                f.write(text)
        so = os.path.join(tmp, "plugin.so")
        subprocess.run(build.compiler_command(c_file, so, tmp), check=True,
                       capture_output=True)
        return so

    def serve(self, so: str) -> subprocess.CompletedProcess:
        return subprocess.run(["nbdkit", "-U", "-", so, "--run", "true"],
                              capture_output=True, text=True, timeout=60)

    def test_matching_bytecode_loads(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc = self.serve(self.build(tmp, None))
            self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_other_python_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc = self.serve(self.build(tmp, "1234"))
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("ramdisk.py: the plugin's bytecode was compiled by "
                          "Python", proc.stderr)
            self.assertIn("regenerate it", proc.stderr)

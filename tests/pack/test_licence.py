# SPDX-License-Identifier: BSD-3-Clause
"""pyplugin-gen is BSD-3-Clause: every source file says so, and so does
the C it generates, which links the runtime into the plugins people ship."""

from __future__ import annotations

import os
import subprocess
import unittest

from common import GEN, TOP, TempDir, run

TAG = "SPDX-License-Identifier: BSD-3-Clause"
# Source: code and templates in every language the project writes (data,
# documents, third-party schemas with their own licences and Debian's
# metadata are not).
SOURCE_SUFFIXES = (".py", ".c", ".h", ".j2", ".in")
SOURCE_FILES = {"configure", "Makefile.in", ".clang-format", "debian/rules",
                "examples/Makefile"}


def sources() -> list[str]:
    listed = run(["make", "-s", "-C", TOP, "dist-files"]).stdout.split()
    return [f for f in listed
            if f.endswith(SOURCE_SUFFIXES) or f in SOURCE_FILES
            or f.startswith("scripts/")]


class Licence(TempDir):
    def test_every_source_file_names_its_licence(self):
        files = sources()
        self.assertIn("runtime/pyplugin.h", files)
        missing = []
        for f in files:
            with open(os.path.join(TOP, f), "rb") as fp:
                if TAG.encode() not in fp.read():
                    missing.append(f)
        self.assertEqual(missing, [], f"without '{TAG}'")

    def test_licence_file(self):
        with open(os.path.join(TOP, "LICENSE")) as f:
            text = f.read()
        self.assertIn("BSD 3-Clause License", text)
        with open(os.path.join(TOP, "debian", "copyright")) as f:
            copyright = f.read()
        self.assertIn("License: BSD-3-Clause", copyright)

    def test_generated_c_names_the_runtime_licence(self):
        out = self.path("disk.c")
        run([GEN, os.path.join(TOP, "examples", "disk.py"), "-S", out])
        with open(out) as f:
            head = f.read(2000)
        self.assertIn("BSD-3-Clause", head)

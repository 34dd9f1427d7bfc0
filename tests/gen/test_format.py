# SPDX-License-Identifier: BSD-3-Clause
"""The C is formatted: clang-format with the project's .clang-format
leaves it unchanged, for the C generated from every example and every
dialect, and for the runtime and its unit tests (`make format` fixes
those)."""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyplugin_gen import cli  # noqa: E402

STYLE = "file:" + os.path.join(TOP, ".clang-format")
SCRIPTS = sorted(glob.glob(os.path.join(TOP, "examples", "*.py"))
                 + glob.glob(os.path.join(TOP, "tests", "e2e", "scripts",
                                          "*.py")))


# The hand-written C: `make format` and `make check-format` cover the same.
HAND_WRITTEN = sorted(glob.glob(os.path.join(TOP, "runtime", "*.[ch]"))
                      + glob.glob(os.path.join(TOP, "tests", "unit",
                                               "*.[ch]")))


def clang_format(text: str, filename: str) -> str:
    return subprocess.run(
        ["clang-format", "--style=" + STYLE, "--assume-filename=" + filename],
        input=text, capture_output=True, text=True, check=True).stdout


class HandWrittenCIsFormatted(unittest.TestCase):
    def test_clang_format_is_a_no_op(self):
        self.assertGreaterEqual(len(HAND_WRITTEN), 10)
        for path in HAND_WRITTEN:
            with self.subTest(file=os.path.relpath(path, TOP)):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.assertEqual(text, clang_format(text, path),
                                 "run make format")


class GeneratedCIsFormatted(unittest.TestCase):
    def test_scripts_found(self):
        # Enough scripts to cover every dialect and most callbacks.
        self.assertGreaterEqual(len(SCRIPTS), 10)

    def test_clang_format_is_a_no_op(self):
        checked = 0
        with tempfile.TemporaryDirectory() as tmp:
            for path in SCRIPTS:
                out = os.path.join(tmp, "plugin.c")
                with open(os.devnull, "w") as null:
                    # Scripts meant to fail the build are not C to format.
                    saved, sys.stderr = sys.stderr, null
                    try:
                        rc = cli.main([path, "-S", out])
                    finally:
                        sys.stderr = saved
                if rc != 0:
                    continue
                with self.subTest(script=os.path.relpath(path, TOP)):
                    with open(out, encoding="utf-8") as f:
                        generated = f.read()
                    self.assertEqual(generated,
                                     clang_format(generated, "plugin.c"))
                    checked += 1
        self.assertGreaterEqual(checked, 10)

    def test_a_badly_formatted_file_is_caught(self):
        # The comparison above can fail: clang-format does change
        # unformatted C.
        ugly = "static int f(int a,int b){return a+b;}\n"
        self.assertNotEqual(ugly, clang_format(ugly, "plugin.c"))

    def test_allow_threads_are_statements(self):
        # Py_BEGIN/END_ALLOW_THREADS open and close a block; the style
        # keeps each on a line of its own, as in CPython.
        text = ("static void\nf (void)\n{\n  Py_BEGIN_ALLOW_THREADS\n"
                "  g ();\n  Py_END_ALLOW_THREADS\n  h ();\n}\n")
        self.assertEqual(clang_format(text, "x.c"), text)

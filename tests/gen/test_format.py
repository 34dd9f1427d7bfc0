"""The generated C is formatted: clang-format with the project's
.clang-format leaves it unchanged, for every example and every dialect."""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "gen"))

from pyplugin_gen import cli  # noqa: E402

STYLE = "file:" + os.path.join(TOP, ".clang-format")
SCRIPTS = sorted(glob.glob(os.path.join(TOP, "examples", "*.py"))
                 + glob.glob(os.path.join(TOP, "tests", "e2e", "scripts",
                                          "*.py")))


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
                    formatted = subprocess.run(
                        ["clang-format", "--style=" + STYLE,
                         "--assume-filename=plugin.c"],
                        input=generated, capture_output=True, text=True,
                        check=True).stdout
                    self.assertEqual(generated, formatted)
                    checked += 1
        self.assertGreaterEqual(checked, 10)

    def test_a_badly_formatted_file_is_caught(self):
        # The comparison above can fail: clang-format does change
        # unformatted C.
        ugly = "static int f(int a,int b){return a+b;}\n"
        formatted = subprocess.run(
            ["clang-format", "--style=" + STYLE,
             "--assume-filename=plugin.c"],
            input=ugly, capture_output=True, text=True, check=True).stdout
        self.assertNotEqual(ugly, formatted)


if __name__ == "__main__":
    unittest.main()

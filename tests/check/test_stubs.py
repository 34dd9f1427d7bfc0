# SPDX-License-Identifier: BSD-3-Clause
"""The type stubs of the nbdkit module (pyplugin-gen --stubs), checked
with Debian's mypy: the examples and the test scripts are clean, and a
misspelt helper or an argument of the wrong type is found."""

from __future__ import annotations

import glob
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

from common import GOOD, TOP, run_check

from pyplugin_gen import helpers, nbdkit_header, sitedir, stubs

# The directories of plugin scripts in the repository: all must
# type-check (one mypy run each: their modules' names repeat).
SCRIPT_DIRS = (os.path.join(TOP, "examples"), GOOD,
               os.path.join(TOP, "tests", "e2e", "scripts"),
               os.path.join(TOP, "tests", "reliability", "scripts"))


class Stubs(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pyplugin-stubs-")
        cls.stubs = os.path.join(cls.dir, "site")
        status, out, err = run_check(["--stubs", cls.stubs])
        assert (status, out, err) == (0, "", ""), err

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def mypy(self, paths: list[str], stubs: str | None = None
             ) -> tuple[int, str]:
        """Debian's mypy, finding the stub package as it finds any in
        site-packages (PYTHONPATH's directories count as such)."""
        env = dict(os.environ, PYTHONPATH=stubs or self.stubs)
        env.pop("MYPYPATH", None)
        proc = subprocess.run(
            [sys.executable, "-m", "mypy", "--python-executable",
             sys.executable, "--cache-dir", os.path.join(self.dir, "cache"),
             "--no-error-summary", "--hide-error-context", *paths],
            capture_output=True, text=True, env=env, cwd=self.dir)
        return proc.returncode, proc.stdout + proc.stderr

    def script(self, text: str, name: str = "plugin.py") -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def test_layout(self):
        package = os.path.join(self.stubs, "nbdkit-stubs")
        # Complete stubs: no py.typed (PEP 561 wants one only of
        # partial stub packages).
        self.assertEqual(os.listdir(package), ["__init__.pyi"])

    def test_scripts_are_clean(self):
        for directory in SCRIPT_DIRS:
            with self.subTest(directory=os.path.relpath(directory, TOP)):
                scripts = sorted(glob.glob(os.path.join(directory, "*.py")))
                self.assertTrue(scripts)
                self.assertEqual(self.mypy(scripts), (0, ""))

    def test_mistakes_are_found(self):
        path = self.script("""\
            import nbdkit
            nbdkit.set_eror(5)
            nbdkit.parse_size(1048576)
            nbdkit.FLAG_FUA = 1
            size: str = nbdkit.parse_size("1M")
            """)
        status, out = self.mypy([path])
        self.assertEqual(status, 1)
        self.assertEqual(out.splitlines(), [
            'plugin.py:2: error: Module has no attribute "set_eror"; maybe '
            '"set_error"?  [attr-defined]',
            'plugin.py:3: error: Argument 1 to "parse_size" has '
            'incompatible type "int"; expected "str"  [arg-type]',
            'plugin.py:4: error: Cannot assign to final name "FLAG_FUA"  '
            '[misc]',
            'plugin.py:5: error: Incompatible types in assignment '
            '(expression has type "int", variable has type "str")  '
            '[assignment]'])

    def test_helpers_follow_the_record(self):
        """A helper whose C function the installed nbdkit lacks is not in
        the stubs, so calling it is found."""
        record = nbdkit_header.load()
        have = helpers.available(record)
        self.assertTrue(have)
        text = stubs.render(record)
        for h in have:
            self.assertIn(f"\ndef {h.name}{h.signature}:\n", text)
        for name in record.constants:
            self.assertIn(f"\n{name}: Final[int]\n", text)
        for h in helpers.missing(record):
            self.assertNotIn(f"def {h.name}(", text)
        gone = have[0]
        with open(record.path) as f:
            data = json.load(f)
        data["functions"] = [f for f in data["functions"]
                             if f["name"] != gone.c_function]
        reduced = self.script(json.dumps(data), "reduced.json")
        other = os.path.join(self.dir, "reduced")
        with mock.patch.dict(os.environ,
                             {nbdkit_header.RECORD_ENV: reduced}):
            status, _, err = run_check(["--stubs", other])
        self.assertEqual((status, err), (0, ""))
        call = ", ".join("0" if "int" in p.type else "''"
                         for p in gone.params)
        path = self.script(f"import nbdkit\nnbdkit.{gone.name}({call})\n",
                           "calls.py")
        self.assertEqual(self.mypy([path]), (0, ""))
        status, out = self.mypy([path], other)
        self.assertEqual(status, 1)
        self.assertIn(f'Module has no attribute "{gone.name}"', out)

    def test_callbacks_per_dialect_are_described(self):
        text = stubs.render(nbdkit_header.load())
        self.assertIn("#   def pread(h: Any, buf: memoryview, offset: int, "
                      "flags: int) -> None  (API 2 released)", text)
        self.assertIn("#   def zero(h: Any, count: int, offset: int, "
                      "may_trim: bool) -> None  (API 1)", text)

    def test_make_built_the_same(self):
        with open(os.path.join(TOP, stubs_path())) as f:
            built = f.read()
        self.assertEqual(built, stubs.render(nbdkit_header.load()))

    def test_installed_where_this_python_looks(self):
        where = sitedir.site_packages(sys.prefix)
        self.assertIn(where, site.getsitepackages())
        self.assertIn(where, sys.path)

    def test_scripts_only_or_stubs_only(self):
        status, _, err = run_check(["--stubs", self.dir, "x.py"])
        self.assertEqual(status, 1)
        self.assertIn("--stubs takes no SCRIPT", err)


def stubs_path() -> str:
    return os.path.join("stubs", stubs.PACKAGE, "__init__.pyi")


if __name__ == "__main__":
    unittest.main()

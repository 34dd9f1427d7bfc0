# SPDX-License-Identifier: BSD-3-Clause
"""configure's target Python (--with-python, PYTHON=) and the generator's
(GEN_PYTHON=): what is recorded is what the interpreters say of
themselves, a wrong one is refused with its name, and every other
Python installed with its libpython builds plugins that serve.  Each
configure runs in a copy of the distributed files, so the tree's own
Makefile is never touched."""

from __future__ import annotations

import glob
import os
import re
import shutil

from common import (ENV, EXAMPLES, TOP, TempDir, copy_configure_inputs,
                    have, make_value, run)


def version_of(python: str) -> str:
    return run([python, "-c", "import sys; "
                "print('%d.%d' % sys.version_info[:2])"]).stdout.strip()


def configured_target() -> str:
    """The target Python of the tree's own configure."""
    return make_value(TOP, "PYTHON")


def other_pythons() -> list[str]:
    """Debian's interpreters of another version than the configured
    target that pkg-config can embed (their libpythonX.Y-dev installed)."""
    target = version_of(configured_target())
    found = {}
    for path in sorted(glob.glob("/usr/bin/python3.*")):
        m = re.fullmatch(r"python(3\.\d+)", os.path.basename(path))
        if not m or m.group(1) == target or m.group(1) in found:
            continue
        if run(["pkg-config", "--exists", f"python-{m.group(1)}-embed"],
               check=False).returncode == 0:
            found[m.group(1)] = path
    return list(found.values())


class TargetPython(TempDir):
    def setUp(self) -> None:
        super().setUp()
        copy_configure_inputs(self.dir)

    def configure(self, *args: str, check: bool = True):
        return run(["./configure", "-q", *args], cwd=self.dir, check=check)

    def test_default_is_the_distributions_python3(self):
        for args in ([], ["--with-python"]):
            with self.subTest(args):
                proc = self.configure(*args)
                self.assertNotIn("no such feature", proc.stderr)
                self.assertEqual(make_value(self.dir, "PYTHON"),
                                 "/usr/bin/python3")
                self.assertEqual(make_value(self.dir, "PYTHON_VERSION"),
                                 version_of("/usr/bin/python3"))

    def test_recorded_version_is_what_the_target_says(self):
        target = configured_target()
        version = version_of(target)
        for args in ([f"--with-python={target}"], [f"PYTHON={target}"]):
            with self.subTest(args[0]):
                self.configure(*args)
                self.assertEqual(make_value(self.dir, "PYTHON"), target)
                self.assertEqual(make_value(self.dir, "PYTHON_VERSION"),
                                 version)
                self.assertIn(f"-lpython{version}",
                              make_value(self.dir, "PYTHON_LIBS").split())

    def test_missing_target_is_refused_by_name(self):
        proc = self.configure("--with-python=/nonexistent/python3",
                              check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("configure: error: the target Python "
                      "'/nonexistent/python3' is not found", proc.stderr)
        self.assertFalse(os.path.exists(self.path("Makefile")))

    def test_target_that_is_no_python_is_refused(self):
        true = shutil.which("true", path=ENV["PATH"])
        proc = self.configure(f"--with-python={true}", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(f"the target Python '{true}' is not a Python 3",
                      proc.stderr)

    def test_without_python_is_refused(self):
        proc = self.configure("--without-python", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("every plugin embeds Python", proc.stderr)

    def test_generator_python_is_found_apart(self):
        self.configure()
        gen = make_value(self.dir, "GEN_PYTHON")
        run([gen, "-c", "import jinja2, clang.cindex"])
        proc = self.configure("GEN_PYTHON=/nonexistent/python3",
                              check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("GEN_PYTHON=/nonexistent/python3: no such program",
                      proc.stderr)


class OtherInstalledPython(TempDir):
    """Each other Python installed with its libpython: a tree configured
    --with-python for it (the generator on its own Python) builds
    examples/ramdisk.py into a plugin that nbdkit serves."""

    def test_builds_and_serves(self):
        others = other_pythons()
        if not others:
            self.skipTest("no Python of another version than the target "
                          "with its libpython-dev is installed")
        if not have("nbdkit", "nbdinfo"):
            self.skipTest("needs nbdkit and nbdinfo")
        files = run(["make", "-s", "dist-files"], cwd=TOP).stdout.split()
        for python in others:
            with self.subTest(python):
                tree = self.path(os.path.basename(python))
                for name in files:
                    os.makedirs(os.path.join(tree, os.path.dirname(name)),
                                exist_ok=True)
                    shutil.copy2(os.path.join(TOP, name),
                                 os.path.join(tree, name))
                run(["./configure", "-q", f"--with-python={python}"],
                    cwd=tree)
                version = version_of(python)
                self.assertEqual(make_value(tree, "PYTHON_VERSION"), version)
                self.assertNotEqual(version, version_of(
                    make_value(tree, "GEN_PYTHON")))
                run(["make", "-s", "-j2", "all"], cwd=tree, timeout=1200)
                plugin = os.path.join(tree, "ramdisk-plugin.so")
                run([os.path.join(tree, "pyplugin-gen"),
                     os.path.join(EXAMPLES, "ramdisk.py"), "-o", plugin])
                dump = run(["nbdkit", "--dump-plugin", plugin]).stdout
                self.assertRegex(
                    dump, rf"(?m)^python_version={re.escape(version)}\.")
                served = run(["nbdkit", "-U", "-", plugin, "--run",
                              "nbdinfo --size $uri"], timeout=120)
                self.assertRegex(served.stdout, r"^\d+\n")

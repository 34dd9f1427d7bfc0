# SPDX-License-Identifier: BSD-3-Clause
"""configure takes what autoconf-generated scripts take.  Each test
runs configure in a copy of what it reads (configure, Makefile.in,
VERSION, gen/), so the tree's own Makefile is never touched."""

from __future__ import annotations

import os
import stat
import sys

from common import (DEBIAN_CONFIGURE, TOP, TempDir, copy_configure_inputs,
                    make_value, run)


class Configure(TempDir):
    def setUp(self) -> None:
        super().setUp()
        copy_configure_inputs(self.dir)

    def configure(self, *args: str, check: bool = True, env=None):
        return run(["./configure", *args], cwd=self.dir, check=check,
                   env=env)

    def make_value(self, variable: str) -> str:
        return make_value(self.dir, variable)

    def test_debian_command_line(self):
        proc = self.configure(*DEBIAN_CONFIGURE)
        self.assertNotIn("unknown option", proc.stderr)
        self.assertEqual(self.make_value("prefix"), "/usr")
        self.assertEqual(self.make_value("pkglibdir"),
                         "/usr/lib/x86_64-linux-gnu/pyplugin-gen")
        self.assertEqual(self.make_value("man1dir"), "/usr/share/man/man1")
        self.assertEqual(self.make_value("pkgincludedir"),
                         "/usr/include/pyplugin-gen")
        self.assertEqual(self.make_value("sysconfdir"), "/etc")
        self.assertEqual(self.make_value("runstatedir"), "/run")

    def test_every_directory_option(self):
        dirs = ["bindir", "sbindir", "libexecdir", "libdir", "sysconfdir",
                "sharedstatedir", "localstatedir", "runstatedir",
                "includedir", "oldincludedir", "datarootdir", "datadir",
                "infodir", "localedir", "mandir", "docdir", "htmldir",
                "dvidir", "pdfdir", "psdir", "lispdir"]
        self.configure(*(f"--{d}=/x/{d}" for d in dirs))
        for d in dirs:
            with self.subTest(d):
                self.assertEqual(self.make_value(d), f"/x/{d}")

    def test_exec_prefix_and_defaults(self):
        self.configure("--prefix=/p", "--exec-prefix=/e")
        self.assertEqual(self.make_value("bindir"), "/e/bin")
        self.assertEqual(self.make_value("libdir"), "/e/lib")
        self.assertEqual(self.make_value("datadir"), "/p/share")
        self.assertEqual(self.make_value("mandir"), "/p/share/man")

    def test_option_and_value_as_two_arguments(self):
        self.configure("--prefix", "/opt/two", "--build",
                       "x86_64-linux-gnu")
        self.assertEqual(self.make_value("prefix"), "/opt/two")

    def test_unknown_option_is_an_error(self):
        proc = self.configure("--frobnicate", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("unknown option '--frobnicate'", proc.stderr)
        self.assertFalse(os.path.exists(self.path("Makefile")))

    def test_disable_option_checking(self):
        proc = self.configure("--disable-option-checking", "--frobnicate")
        self.assertIn("unknown option '--frobnicate' ignored", proc.stderr)

    def test_features_are_ignored_with_a_note(self):
        proc = self.configure("--enable-foo", "--disable-bar",
                              "--with-baz=1", "--without-qux")
        for a in ("--enable-foo", "--disable-bar", "--with-baz",
                  "--without-qux"):
            self.assertIn(f"note: {a}: pyplugin-gen has no such feature",
                          proc.stderr)

    def test_cross_build_is_refused(self):
        proc = self.configure("--build=x86_64-linux-gnu",
                              "--host=aarch64-linux-gnu", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cross-compiling (--host=aarch64-linux-gnu", proc.stderr)
        self.assertFalse(os.path.exists(self.path("Makefile")))

    def test_host_same_as_build(self):
        machine = run(["cc", "-dumpmachine"]).stdout.strip()
        cpu, _, rest = machine.partition("-")
        self.configure(f"--host={cpu}-pc-{rest}", f"--build={machine}")

    def test_cppflags_and_ldflags(self):
        self.configure("CPPFLAGS=-DPACK_TEST=1", "LDFLAGS=-Wl,-z,now")
        self.assertEqual(self.make_value("CPPFLAGS"), "-DPACK_TEST=1")
        self.assertEqual(self.make_value("LDFLAGS"), "-Wl,-z,now")
        env = dict(os.environ, CPPFLAGS="-DFROM_ENV", LDFLAGS="-Wl,-O1")
        self.configure(env=env)
        self.assertEqual(self.make_value("CPPFLAGS"), "-DFROM_ENV")
        self.assertEqual(self.make_value("LDFLAGS"), "-Wl,-O1")

    def test_missing_cunit_is_a_warning(self):
        # A compiler that cannot link CUnit, and otherwise is cc.
        cc = self.path("cc-no-cunit")
        with open(cc, "w") as f:
            f.write('#!/bin/sh\nfor a do [ "$a" != -lcunit ] || exit 1; '
                    'done\nexec cc "$@"\n')
        os.chmod(cc, stat.S_IRWXU)
        proc = self.configure(f"CC={cc}")
        self.assertIn("warning: CUnit does not link; make check skips",
                      proc.stderr)
        self.assertEqual(self.make_value("TEST_MISSING"), "cunit")
        self.assertEqual(self.make_value("UNIT_BIN"), "")

    def test_quiet(self):
        proc = self.configure("-q")
        self.assertEqual(proc.stdout, "")
        self.assertTrue(os.path.exists(self.path("Makefile")))


class MissingTestTools(TempDir):
    """What configure found missing, the test runner skips and counts."""

    def test_suite_skipped_and_counted(self):
        env = dict(os.environ, PYPLUGIN_TEST_MISSING="cunit nbdinfo")
        for suite, lacks in (("unit", "cunit"), ("e2e", "nbdinfo")):
            with self.subTest(suite):
                proc = run([sys.executable, os.path.join(TOP, "tests",
                                                         "run.py"), suite],
                           env=env, check=False)
                self.assertIn(f"suite {suite} skipped: configure found no "
                              f"{lacks}", proc.stdout)
                self.assertTrue(proc.stdout.endswith(
                    "0 passed, 0 failed, 1 skipped\n"), proc.stdout)
                # Nothing passed: not a success.
                self.assertEqual(proc.returncode, 1)

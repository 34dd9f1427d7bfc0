# SPDX-License-Identifier: BSD-3-Clause
"""make dist: a reproducible tarball of exactly what a build needs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import unittest

from common import TOP, VERSION, TempDir, run

TARBALL = f"pyplugin-gen-{VERSION}.tar.gz"
# Tracked files that serve only the repository, not a build.
REPOSITORY_ONLY = (".ci/", ".gitignore")


def make(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return run(["make", "-s", "-C", TOP, *args], timeout=timeout)


class Dist(TempDir):
    def setUp(self) -> None:
        super().setUp()
        out = os.path.join(TOP, TARBALL)
        if os.path.exists(out):
            os.rename(out, self.path("kept"))
            self.addCleanup(os.replace, self.path("kept"), out)
        else:
            self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))

    def dist(self) -> bytes:
        make("dist")
        with open(os.path.join(TOP, TARBALL), "rb") as f:
            return f.read()

    @unittest.skipUnless(os.path.exists(os.path.join(TOP, ".git")),
                         "not a git checkout (an unpacked tarball)")
    def test_files_are_what_git_tracks(self):
        listed = make("dist-files").stdout.split()
        self.assertEqual(len(listed), len(set(listed)))
        tracked = run(["git", "-C", TOP, "ls-files"]).stdout.split()
        tracked = [f for f in tracked if not f.startswith(REPOSITORY_ONLY)
                   and os.path.exists(os.path.join(TOP, f))]
        self.assertEqual(sorted(listed), sorted(tracked))

    def test_reproducible(self):
        first = self.dist()
        if os.path.exists(os.path.join(TOP, ".git")):
            # From git the time is the last commit's, whatever the files'
            # (an unpacked tarball takes its newest file's).
            os.utime(os.path.join(TOP, "VERSION"))
        second = self.dist()
        self.assertEqual(hashlib.sha256(first).hexdigest(),
                         hashlib.sha256(second).hexdigest())
        self.assertEqual(first[4:8], b"\0\0\0\0", "gzip header has a time")

    def test_contents(self):
        self.dist()
        with tarfile.open(os.path.join(TOP, TARBALL)) as tar:
            members = tar.getmembers()
        names = [m.name for m in members]
        self.assertEqual(names, sorted(names))
        prefix = f"pyplugin-gen-{VERSION}/"
        for m in members:
            with self.subTest(m.name):
                self.assertTrue(m.name.startswith(prefix))
                self.assertEqual((m.uid, m.gid), (0, 0))
                self.assertEqual(m.mtime, members[0].mtime)
                self.assertNotIn("__pycache__", m.name)
                self.assertFalse(m.name.endswith((".o", ".so", ".a")))
        for needed in ("configure", "Makefile.in", "VERSION",
                       "debian/rules", "runtime/pyplugin.h",
                       "gen/pyplugin_gen/cli.py", "templates/plugin.c.j2",
                       "examples/Makefile", "tests/run.py"):
            self.assertIn(prefix + needed, names)
        for built in ("Makefile", "gen/pyplugin_gen/buildconfig.py",
                      "pyplugin-gen", "data/nbdkit-header.json",
                      "config.log"):
            self.assertNotIn(prefix + built, names)

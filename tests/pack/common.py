# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the packaging tests: configure, make install, dist, the
Debian package, --install and -MD, each driven as packagers and build
pipelines drive them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("PYPLUGIN_TOP") or os.path.dirname(os.path.dirname(HERE))
GEN = os.environ.get("PYPLUGIN_GEN") or os.path.join(TOP, "pyplugin-gen")
EXAMPLES = os.path.join(TOP, "examples")
SLOW = os.environ.get("PYPLUGIN_SLOW", "") not in ("", "0")
with open(os.path.join(TOP, "VERSION")) as _f:
    VERSION = _f.read().strip()

# Debian's tools and nbdsh are "#!/usr/bin/env python3" or need Debian's
# python3 modules: Debian's first on PATH, as in the other suites.
ENV = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))
for _name in ("PYTHONPATH", "PYTHONHOME", "DESTDIR", "MAKEFLAGS",
              "MFLAGS", "MAKELEVEL"):
    ENV.pop(_name, None)

# What dh_auto_configure passes on Debian 12 (debhelper 13).
DEBIAN_CONFIGURE = [
    "--build=x86_64-linux-gnu", "--prefix=/usr",
    "--includedir=${prefix}/include", "--mandir=${prefix}/share/man",
    "--infodir=${prefix}/share/info", "--sysconfdir=/etc",
    "--localstatedir=/var", "--disable-option-checking",
    "--disable-silent-rules", "--libdir=${prefix}/lib/x86_64-linux-gnu",
    "--runstatedir=/run", "--disable-maintainer-mode",
    "--disable-dependency-tracking",
]


def run(cmd: list[str], *, cwd: str | None = None, env: dict | None = None,
        check: bool = True, timeout: float = 600
        ) -> subprocess.CompletedProcess:
    """Run cmd; with check, a failure is an AssertionError that shows
    everything it said."""
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited with {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc


def files_under(root: str) -> list[str]:
    """Every non-directory under root, relative, sorted."""
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


def plugindir() -> str:
    return run(["pkg-config", "--variable=plugindir", "nbdkit"]
               ).stdout.strip()


def copy_configure_inputs(directory: str) -> None:
    """What configure reads, copied to directory: configure, Makefile.in,
    VERSION and gen/ (configure finds libclang as the generator does)."""
    for name in ("configure", "Makefile.in", "VERSION"):
        shutil.copy2(os.path.join(TOP, name), os.path.join(directory, name))
    shutil.copytree(os.path.join(TOP, "gen"), os.path.join(directory, "gen"),
                    ignore=shutil.ignore_patterns("__pycache__"))


def make_value(directory: str, variable: str) -> str:
    """The value of a variable in the Makefile in directory, as make
    expands it."""
    return run(["make", "-s", "-f", "Makefile", "--eval",
                f"show-it: ; @echo '$({variable})'", "show-it"],
               cwd=directory).stdout.strip()


def have(*programs: str) -> bool:
    return all(shutil.which(p, path=ENV["PATH"]) for p in programs)


def slow_only(loader, tests, pattern):
    """load_tests of a module whose tests are long: make check-slow
    (PYPLUGIN_SLOW=1) runs them, make check does not have them at all
    (rather than counting them skipped every time)."""
    return tests if SLOW else unittest.TestSuite()


class TempDir(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pyplugin-pack-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

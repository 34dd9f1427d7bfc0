# SPDX-License-Identifier: BSD-3-Clause
"""make check-distros (scripts/check-distros) leaves nothing mounted:
not when a step fails, not when it is interrupted.  The root it uses
here is a small one made by the test (a shell, the few programs
scripts/install-deps runs, and an apt-get that the test controls), put
where DISTROS_CACHE makes the script take it instead of building one
with mmdebstrap; the rest is the real script, run as root."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
import unittest

from common import ENV, TOP, TempDir, run

SCRIPT = os.path.join(TOP, "scripts", "check-distros")
PROGRAMS = ("sh", "env", "id", "sleep", "touch")


def mounts_under(path: str) -> list[str]:
    out = run(["findmnt", "-rn", "-o", "TARGET"]).stdout.split()
    return [m for m in out if m == path or m.startswith(path + "/")]


def shared_objects(program: str) -> list[str]:
    """The files the dynamic loader maps for program (ldd)."""
    out = run(["ldd", program], check=False).stdout
    return re.findall(r"(/\S+) \(0x", out)


@unittest.skipUnless(os.geteuid() == 0, "check-distros runs as root")
@unittest.skipUnless(os.path.exists(os.path.join(TOP, ".git")),
                     "check-distros clones the repository")
class Cleanup(TempDir):
    def make_root(self, apt_get: str, name: str) -> None:
        """Under directory name, the cached root of today: PROGRAMS and
        their libraries, and apt-get, a shell script with body apt_get."""
        root = self.path(name, "root")
        files = set()
        for program_name in PROGRAMS:
            program = shutil.which(program_name, path="/usr/bin:/bin")
            files.add(program)
            files.update(shared_objects(program))
        for f in files:
            dest = root + f
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(f, dest)
        # Where the script and install-deps look for them.
        for path in ("/bin/sh", "/usr/bin/env"):
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            shutil.copy(shutil.which(os.path.basename(path),
                                     path="/usr/bin:/bin"), root + path)
        apt = os.path.join(root, "usr/bin/apt-get")
        with open(apt, "w") as f:
            f.write("#!/bin/sh\n" + apt_get + "\n")
        os.chmod(apt, 0o755)
        for d in ("tmp", "etc", "build"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        self.cache = self.path(name, "cache")
        os.makedirs(self.cache)
        day = datetime.date.today().strftime("%Y%m%d")
        with tarfile.open(os.path.join(self.cache, f"trixie-{day}.tar"),
                          "w") as tar:
            tar.add(root, arcname=".")
        self.work = self.path(name, "work")

    def start(self) -> subprocess.Popen:
        env = dict(ENV, DISTROS_CACHE=self.cache, DISTROS_WORK=self.work)
        return subprocess.Popen([SCRIPT, "--release", "trixie"], env=env,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def test_a_failed_step_unmounts(self):
        self.make_root("exit 1", "failed")
        proc = self.start()
        out, _ = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 1, out)
        # The README's first command failed, and the script said so.
        self.assertRegex(out, r"check-distros: trixie: .*: FAILED")
        self.assertEqual(mounts_under(self.work), [])
        self.assertFalse(os.path.exists(os.path.join(self.work, "trixie")))

    def test_an_interrupt_unmounts(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                self.make_root("touch /tmp/started; exec sleep 600",
                               sig.name)
                proc = self.start()
                started = os.path.join(self.work, "trixie", "tmp", "started")
                deadline = time.monotonic() + 120
                while not os.path.exists(started):
                    if proc.poll() is not None:
                        self.fail(proc.stdout.read())
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.1)
                # The root is mounted while its commands run.
                mounted = mounts_under(os.path.join(self.work, "trixie"))
                self.assertIn(os.path.join(self.work, "trixie", "proc"),
                              mounted)
                self.assertIn(os.path.join(self.work, "trixie", "dev", "pts"),
                              mounted)
                proc.send_signal(sig)
                out, _ = proc.communicate(timeout=60)
                self.assertEqual(proc.returncode, 1, out)
                self.assertIn(f"stopped by signal {sig.name}", out)
                self.assertEqual(mounts_under(self.work), [])
                self.assertFalse(os.path.exists(
                    os.path.join(self.work, "trixie")))

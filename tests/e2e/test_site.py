# SPDX-License-Identifier: BSD-3-Clause
"""sys.path baked at build time, and each way the record stops holding.

A plugin uses the sys.path and site directories recorded when it was
built while they still hold (--dump-plugin: python_site=baked), and runs
Python's site module as nbdkit python does when they do not
(python_site=imported, the reason under nbdkit -v): a .pth file added,
changed or removed in a site directory, PYTHONHOME set, a user site
directory.  Site directories are changed for real, inside a mount
namespace (an overlay over the directory), so the machine's own files
are never touched.
"""

import glob
import os
import shlex
import shutil
import sys
import tempfile
import unittest

from harness import ENV, TempDirMixin, run

# Reports sys.path when loaded, to show what site did.
SCRIPT = """\
import sys
print("SYS_PATH=%r" % (sys.path,), file=sys.stderr, flush=True)

def open(readonly):
    return 1

def get_size(h):
    return 512

def pread(h, count, offset):
    return bytes(count)
"""

# A site directory of Debian's Python that holds .pth files.
SITE_DIR = "/usr/lib/python3/dist-packages"


def site_mode(stdout):
    for line in stdout.splitlines():
        if line.startswith("python_site="):
            return line.split("=", 1)[1]
    return None


class Site(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = os.path.join(cls.tmpdir, "sitepath.py")
        with open(cls.script, "w") as f:
            f.write(SCRIPT)
        cls._generate(cls.script)

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="site-", dir=self.tmpdir)
        self.addCleanup(shutil.rmtree, self.work, True)

    def nbdkit(self, change="", env=None):
        """--dump-plugin and a verbose nbdkit run of the plugin, after the
        shell commands change ran in a mount namespace whose SITE_DIR is
        an overlay (so change may edit it); returns (python_site, the
        verbose run's stderr)."""
        plugin = self.generated(self.script)
        layer = tempfile.mkdtemp(prefix="overlay-", dir=self.work)
        upper, work = (os.path.join(layer, d) for d in ("u", "w"))
        os.makedirs(upper)
        os.makedirs(work)
        q = shlex.quote
        shell = "\n".join([
            "set -e",
            f"mount -t overlay overlay -o lowerdir={q(SITE_DIR)},"
            f"upperdir={q(upper)},workdir={q(work)} {q(SITE_DIR)}",
            change,
            f"nbdkit --dump-plugin {q(plugin)} | grep '^python_site='",
            f"nbdkit -v -U - {q(plugin)} --run true",
        ])
        p = run(["unshare", "-m", "sh", "-c", shell],
                env=dict(ENV, **(env or {})))
        return site_mode(p.stdout.decode()), p.stderr.decode()

    def assertImported(self, change="", env=None, reason=""):
        mode, log = self.nbdkit(change, env)
        self.assertEqual(mode, "imported", log[-3000:])
        self.assertIn(f"sys.path not from the build, site runs: {reason}",
                      log)
        return log

    def test_baked_when_nothing_changed(self):
        mode, log = self.nbdkit()
        self.assertEqual(mode, "baked", log[-3000:])
        self.assertNotIn("site runs", log)
        self.assertIn("SYS_PATH=", log)

    def test_pth_added(self):
        extra = os.path.join(self.work, "extra-dir")
        os.makedirs(extra)
        pth = os.path.join(SITE_DIR, "zz-pyplugin-test.pth")
        log = self.assertImported(
            f"echo {shlex.quote(extra)} > {shlex.quote(pth)}",
            reason=f"{pth} is new")
        # site ran: the new .pth file's directory is on sys.path.
        self.assertIn(repr(extra), log)

    def recorded_pth(self):
        found = sorted(glob.glob(os.path.join(SITE_DIR, "*.pth")))
        if not found:
            self.skipTest(f"{SITE_DIR} has no .pth file to change")
        return found[-1]

    def test_pth_changed(self):
        pth = self.recorded_pth()
        self.assertImported(f"echo >> {shlex.quote(pth)}",
                            reason=f"{pth} changed")

    def test_pth_removed(self):
        pth = self.recorded_pth()
        self.assertImported(f"rm {shlex.quote(pth)}",
                            reason=f"a .pth file of {SITE_DIR} is gone")

    def test_pythonhome(self):
        self.assertImported(env={"PYTHONHOME": sys.base_prefix},
                            reason="PYTHONHOME is set")

    def test_user_site(self):
        home = os.path.join(self.work, "home")
        suffix = "/lib/python%d.%d/site-packages" % sys.version_info[:2]
        user = home + "/.local" + suffix
        os.makedirs(user)
        self.assertImported(env={"HOME": home, "PYTHONNOUSERSITE": "",
                                 "PYTHONUSERBASE": ""},
                            reason=f"there is a user site directory {user}")
        # Without one it stays baked.
        mode, log = self.nbdkit(env={"HOME": os.path.join(self.work, "x"),
                                     "PYTHONUSERBASE": ""})
        self.assertEqual(mode, "baked", log[-3000:])

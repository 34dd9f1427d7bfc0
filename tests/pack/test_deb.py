# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package (long: only make check-slow has it): dpkg-buildpackage
builds it from the dist tarball, lintian finds no error, and `apt
install ./pyplugin-gen_*.deb` in a mount namespace (overlays on /usr,
/etc and /var, so the machine itself is untouched) gives a pyplugin-gen
that builds and serves examples/disk.py, also by name."""

from __future__ import annotations

import glob
import os
import tarfile
import unittest

from common import (ENV, EXAMPLES, TOP, VERSION, TempDir, have,
                    plugindir, run, slow_only)

# Installed in a namespace whose /usr, /etc and /var are overlays: what
# it writes goes to $1's upper directories and vanishes with it.
INSTALL_AND_SERVE = r"""
set -e
top=$1 deb=$2 disk=$3 plugindir=$4
for d in usr etc var; do
  mkdir -p "$top/$d.up" "$top/$d.work"
  mount -t overlay overlay \
    -o "lowerdir=/$d,upperdir=$top/$d.up,workdir=$top/$d.work" "/$d"
done
cd "$top"
DEBIAN_FRONTEND=noninteractive apt-get install -q -y \
  -o Dpkg::Use-Pty=0 "./$deb" </dev/null >apt.log 2>&1 ||
  { cat apt.log; exit 1; }
echo "installed: $(dpkg-query -W -f '${Package} ${Version} ${Status}' pyplugin-gen)"
/usr/bin/pyplugin-gen --version
/usr/bin/pyplugin-gen "$disk" -o disk-plugin.so
nbdkit -U - ./disk-plugin.so --run 'nbdinfo --size $uri'
/usr/bin/pyplugin-gen --install "$disk" --name pkgdisk
nbdkit -U - pkgdisk --run 'nbdinfo --size $uri'
ls "$plugindir/nbdkit-pkgdisk-plugin.so"
"""


@unittest.skipUnless(have("dpkg-buildpackage", "dh", "lintian"),
                     "needs dpkg-dev, debhelper and lintian "
                     "(scripts/install-deps)")
class DebianPackage(TempDir):
    def build(self) -> str:
        run(["make", "-s", "-C", TOP, "dist"])
        tarball = os.path.join(TOP, f"pyplugin-gen-{VERSION}.tar.gz")
        with tarfile.open(tarball) as tar:
            tar.extractall(self.dir)
        src = self.path(f"pyplugin-gen-{VERSION}")
        # make check ran already; the package's own runs unless nocheck
        # (checked below with dh_auto_test --no-act).
        run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
            env=dict(ENV, DEB_BUILD_OPTIONS="nocheck"), timeout=1200)
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        deb = self.path(f"pyplugin-gen_{VERSION}_{arch}.deb")
        self.assertTrue(os.path.exists(deb), os.listdir(self.dir))
        return deb

    def test_package(self):
        deb = self.build()
        src = self.path(f"pyplugin-gen-{VERSION}")

        lintian = run(["lintian", "--fail-on", "error", deb])
        self.assertNotRegex(lintian.stdout, r"(?m)^E: ")

        # The package's target Python is the distribution's python3: it
        # must stay the version whose libpython the plugins link.
        major, minor = run(["/usr/bin/python3", "-c", "import sys; "
                            "print(*sys.version_info[:2])"]).stdout.split()
        version = f"{major}.{minor}"
        fields = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
        depends = {d.strip() for d in fields.split(",")}
        self.assertEqual(depends, {
            "gcc | c-compiler", "libc6-dev | libc-dev", "nbdkit-plugin-dev",
            "python3-jinja2", f"python3 (>= {version}~)",
            f"python3 (<< {major}.{int(minor) + 1})",
            f"libpython{version}-dev"})

        contents = run(["dpkg-deb", "-c", deb]).stdout
        for path in ("./usr/bin/pyplugin-gen",
                     "./usr/share/pyplugin-gen/pyplugin_gen/cli.py",
                     "./usr/share/pyplugin-gen/templates/plugin.c.j2",
                     "./usr/share/pyplugin-gen/data/nbdkit-header.json",
                     "./usr/include/pyplugin-gen/pyplugin.h",
                     "./usr/share/man/man1/pyplugin-gen.1.gz",
                     "./usr/lib/python3/dist-packages/nbdkit-stubs/"
                     "__init__.pyi"):
            self.assertIn(path, contents)
        self.assertRegex(contents, r"\./usr/lib/[^/]+/pyplugin-gen/"
                         r"libpyplugin\.a")
        self.assertNotIn("fmtcheck.py", contents)
        self.assertNotIn("__pycache__", contents)

        # Without nocheck, the package's tests are make check.
        test = run(["dh_auto_test", "--no-act"], cwd=src)
        self.assertRegex(test.stdout + test.stderr, r"make -j\d+ check")

        installed = run(["unshare", "-m", "sh", "-c", INSTALL_AND_SERVE,
                         "sh", self.dir, os.path.basename(deb),
                         os.path.join(EXAMPLES, "disk.py"), plugindir()],
                        timeout=600)
        self.assertIn(f"installed: pyplugin-gen {VERSION} install ok "
                      "installed", installed.stdout)
        self.assertIn(f"pyplugin-gen {VERSION}\n", installed.stdout)
        self.assertEqual(installed.stdout.count("1048576\n"), 2,
                         installed.stdout)
        # The machine itself has no pyplugin-gen package.
        self.assertEqual(glob.glob(os.path.join(
            plugindir(), "nbdkit-pkgdisk-plugin.so")), [])
        self.assertNotEqual(run(["dpkg-query", "-W", "pyplugin-gen"],
                                check=False).returncode, 0)


load_tests = slow_only

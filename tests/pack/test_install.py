# SPDX-License-Identifier: BSD-3-Clause
"""make install honours DESTDIR from the environment and installs exactly
the listed files; pyplugin-gen --install puts nbdkit-NAME-plugin.so where
`nbdkit NAME` finds it."""

from __future__ import annotations

import os
import stat

from common import ENV, EXAMPLES, GEN, TOP, TempDir, plugindir, run

DISK = os.path.join(EXAMPLES, "disk.py")


class MakeInstall(TempDir):
    def make(self, *args: str, destdir: str):
        # DESTDIR from the environment, as `DESTDIR=/stage make install`.
        return run(["make", "-s", "-C", TOP, *args],
                   env=dict(ENV, DESTDIR=destdir))

    def prefix_value(self, variable: str) -> str:
        return run(["make", "-s", "-C", TOP, "--eval",
                    f"show-it: ; @echo '$({variable})'", "show-it"]
                   ).stdout.strip()

    def test_destdir_from_environment_and_uninstall(self):
        stage = self.path("stage")
        self.make("install", destdir=stage)
        rel = lambda v: self.prefix_value(v).lstrip("/")  # noqa: E731
        installed = []
        for d, _, names in os.walk(stage):
            installed += [os.path.join(d, n) for n in names]
        self.assertTrue(installed)
        for f in installed:
            self.assertFalse("__pycache__" in f, f)
        names = {os.path.relpath(f, stage) for f in installed}
        pkg = os.path.join(rel("pkgdatadir"), "pyplugin_gen")
        self.assertIn(os.path.join(rel("bindir"), "pyplugin-gen"), names)
        self.assertIn(os.path.join(rel("man1dir"), "pyplugin-gen.1"), names)
        self.assertIn(os.path.join(rel("pkglibdir"), "libpyplugin.a"), names)
        self.assertIn(os.path.join(pkg, "buildconfig.py"), names)
        self.assertIn(os.path.join(pkg, "cli.py"), names)
        # Make-time and test-only modules are not installed; every other
        # module of the package is (the installed generator imports it).
        build_only = ("fmtcheck.py", "header_record.py", "libclang.py",
                      "manpage.py", "sitedir.py")
        for module in build_only:
            self.assertNotIn(os.path.join(pkg, module), names)
        # The type stubs, where the configured Python finds packages
        # under the prefix.
        self.assertIn(os.path.join(rel("pysitedir"), "nbdkit-stubs",
                                   "__init__.pyi"), names)
        for module in os.listdir(os.path.join(TOP, "gen", "pyplugin_gen")):
            if module.endswith(".py") and module not in build_only:
                self.assertIn(os.path.join(pkg, module), names)
        launcher = os.path.join(stage, rel("bindir"), "pyplugin-gen")
        self.assertTrue(os.stat(launcher).st_mode & stat.S_IXOTH)
        self.make("uninstall", destdir=stage)
        left = [os.path.join(d, n) for d, _, ns in os.walk(stage)
                for n in ns]
        self.assertEqual(left, [])


class Install(TempDir):
    def test_into_destdir(self):
        stage = self.path("stage")
        run([GEN, "--install", DISK, "--name", "packdisk"],
            env=dict(ENV, DESTDIR=stage), cwd=self.dir)
        plugin = os.path.join(stage + plugindir(),
                              "nbdkit-packdisk-plugin.so")
        found = [os.path.join(d, n) for d, _, ns in os.walk(stage)
                 for n in ns]
        self.assertEqual(found, [plugin])
        self.assertEqual(os.stat(plugin).st_mode & 0o777, 0o755)
        # Nothing in the current directory either.
        self.assertEqual(os.listdir(self.dir), ["stage"])

    def test_plugindir_option(self):
        where = self.path("plugins")
        run([GEN, "--install", "--plugindir", where, DISK], cwd=self.dir)
        self.assertEqual(os.listdir(where), ["nbdkit-disk-plugin.so"])

    def test_not_with_output(self):
        proc = run([GEN, "--install", DISK, "-o", self.path("x.so")],
                   check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not allowed with argument", proc.stderr)

    def test_nbdkit_serves_it_by_name(self):
        # nbdkit looks for NAME only in its compiled-in plugin directory.
        # In a mount namespace of its own, an empty directory is mounted
        # over it: the commands below are run exactly as a user runs
        # them, and the real plugin directory is never written (the
        # mount ends with the namespace).
        inner = self.path("plugins")
        os.mkdir(inner)
        script = (
            'set -e; mount --bind "$1" "$2"; '
            '"$3" --install "$4" --name disk; '
            "nbdkit -U - disk --run 'nbdinfo --json $uri'; "
            "nbdkit --dump-plugin disk")
        proc = run(["unshare", "-m", "sh", "-c", script, "sh", inner,
                    plugindir(), GEN, DISK], cwd=self.dir)
        self.assertIn('"export-size": 1048576', proc.stdout)
        self.assertIn("name=disk\n", proc.stdout)
        self.assertIn(f"path={plugindir()}/nbdkit-disk-plugin.so\n",
                      proc.stdout)
        self.assertEqual(os.listdir(inner), ["nbdkit-disk-plugin.so"])
        self.assertFalse(os.path.exists(
            os.path.join(plugindir(), "nbdkit-disk-plugin.so")))

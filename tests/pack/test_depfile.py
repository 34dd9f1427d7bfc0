# SPDX-License-Identifier: BSD-3-Clause
"""-MD/-MF write make dependency files as gcc does, and examples/Makefile
rebuilds a plugin exactly when one of its inputs changed."""

from __future__ import annotations

import os
import shutil
import time

from common import EXAMPLES, GEN, TempDir, run

from pyplugin_gen import buildconfig, depfile


def rule(text: str) -> tuple[str, list[str]]:
    """The target and the prerequisites of the first rule in text."""
    first = text.split("\n\n")[0].replace("\\\n", " ")
    target, _, deps = first.partition(": ")
    return target, deps.split()


class DependencyFile(TempDir):
    def script(self) -> str:
        shutil.copy(os.path.join(EXAMPLES, "disk.py"), self.path("disk.py"))
        return "disk.py"

    def test_md_lists_the_inputs(self):
        run([GEN, "-MD", self.script(), "-o", "disk-plugin.so"],
            cwd=self.dir)
        with open(self.path("disk-plugin.d")) as f:
            target, deps = rule(f.read())
        self.assertEqual(target, "disk-plugin.so")
        self.assertEqual(deps[0], "disk.py")
        self.assertIn(os.path.join(buildconfig.TEMPLATES_DIR,
                                   "plugin.c.j2"), deps)
        self.assertIn(os.path.join(buildconfig.RUNTIME_INCLUDE_DIR,
                                   "pyplugin.h"), deps)
        self.assertIn(buildconfig.RUNTIME_LIB, deps)
        self.assertIn(os.path.join(buildconfig.DATA_DIR,
                                   "nbdkit-header.json"), deps)
        for d in deps:
            self.assertTrue(os.path.exists(os.path.join(self.dir, d)), d)

    def test_mf_mt_mp(self):
        proc = run([GEN, "-MF", "deps/x.d", self.script(), "-o", "p.so"],
                   cwd=self.dir, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("pyplugin-gen: error:", proc.stderr)
        os.mkdir(self.path("deps"))
        run([GEN, "-MF", "deps/x.d", "-MT", "out/all.so", "-MP",
             self.script(), "-o", "p.so"], cwd=self.dir)
        with open(self.path("deps", "x.d")) as f:
            text = f.read()
        target, deps = rule(text)
        self.assertEqual(target, "out/all.so")
        # -MP: an empty rule for each input but the script.
        for d in deps[1:]:
            self.assertIn(f"\n{d}:\n", text)
        self.assertNotIn("\ndisk.py:\n", text)
        self.assertFalse(os.path.exists(self.path("p.d")))

    def test_emit_c_and_install(self):
        run([GEN, "-MD", "-S", "disk.c", self.script()], cwd=self.dir)
        self.assertEqual(rule(open(self.path("disk.d")).read())[0],
                         "disk.c")
        run([GEN, "-MD", "--install", "--plugindir", self.path("pd"),
             "disk.py"], cwd=self.dir)
        so = self.path("pd", "nbdkit-disk-plugin.so")
        self.assertEqual(rule(open(self.path("pd", "nbdkit-disk-plugin.d"))
                              .read())[0], so)

    def test_no_depfile_on_error(self):
        with open(self.path("bad.py"), "w") as f:
            f.write("def open(readonly):\n    return 1\n")
        proc = run([GEN, "-MD", "bad.py", "-o", "bad-plugin.so"],
                   cwd=self.dir, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(os.listdir(self.dir), ["bad.py"])

    def test_mf_takes_one_script(self):
        self.script()
        shutil.copy(self.path("disk.py"), self.path("other.py"))
        proc = run([GEN, "-MF", "x.d", "disk.py", "other.py"],
                   cwd=self.dir, check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("-MF names the output of one script", proc.stderr)

    def test_quoting(self):
        self.assertEqual(depfile.quote("a b#c$d"), "a\\ b\\#c$$d")
        with self.assertRaises(ValueError):
            depfile.quote("a\nb")
        text = depfile.render("my plugin.so", ["my disk.py", "t$.j2"])
        self.assertEqual(text, "my\\ plugin.so: \\\n my\\ disk.py \\\n"
                         " t$$.j2\n")

    def test_make_reads_a_name_with_blanks(self):
        os.mkdir(self.path("a dir"))
        shutil.copy(os.path.join(EXAMPLES, "disk.py"),
                    self.path("a dir", "my disk.py"))
        run([GEN, "-MD", "a dir/my disk.py", "-o", "p.so"], cwd=self.dir)
        with open(self.path("Makefile"), "w") as f:
            f.write("p.so:\n\t@echo rebuild\n-include p.d\n")
        self.assertEqual(run(["make", "-q"], cwd=self.dir,
                             check=False).returncode, 0)
        future = time.time() + 100
        os.utime(self.path("a dir", "my disk.py"), (future, future))
        self.assertEqual(run(["make", "-s"], cwd=self.dir).stdout,
                         "rebuild\n")


class ExampleMakefile(TempDir):
    """examples/Makefile, copied with one script as a project would."""

    def make(self, *args: str) -> str:
        return run(["make", "-C", self.dir, f"PYPLUGIN_GEN={GEN}", *args]
                   ).stdout

    def touch_later(self, path: str) -> None:
        # Just newer than the plugin (make compares nanoseconds), and
        # older than the plugin it rebuilds.
        t = os.stat(self.path("disk-plugin.so")).st_mtime_ns + 1000
        os.utime(path, ns=(t, t))

    def test_rebuilds_exactly_when_needed(self):
        shutil.copy(os.path.join(EXAMPLES, "Makefile"), self.dir)
        shutil.copy(os.path.join(EXAMPLES, "disk.py"), self.dir)
        self.assertIn("-MD -MP disk.py -o disk-plugin.so", self.make())
        self.assertTrue(os.path.exists(self.path("disk-plugin.d")))
        mtime = os.stat(self.path("disk-plugin.so")).st_mtime_ns
        # A second make does nothing.
        self.assertIn("Nothing to be done", self.make())
        self.assertEqual(os.stat(self.path("disk-plugin.so")).st_mtime_ns,
                         mtime)
        # A changed script rebuilds it.
        self.touch_later(self.path("disk.py"))
        self.assertIn("disk-plugin.so", self.make())
        self.assertNotEqual(
            os.stat(self.path("disk-plugin.so")).st_mtime_ns, mtime)
        self.assertIn("Nothing to be done", self.make())
        # So would a changed template or runtime (make -W: as if newer).
        for f in (os.path.join(buildconfig.TEMPLATES_DIR, "plugin.c.j2"),
                  buildconfig.RUNTIME_LIB):
            with self.subTest(f):
                self.assertIn("-o disk-plugin.so", self.make("-n", "-W", f))
        self.make("clean")
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["Makefile", "disk.py"])

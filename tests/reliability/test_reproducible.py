# SPDX-License-Identifier: BSD-3-Clause
"""Reproducibility: the same script generated twice, in different
directories and at different times, gives byte-identical .c and .so.

tests/gen/test_render.py already varies the directory and the hash
seed, and tests/e2e/test_plugin_info.py generates twice in a row.  Here
everything a build could pick up from its surroundings differs between
the two runs at once: the wall clock (the runs are more than a second
apart), the script's mtime (2001 and 2030), the directory (and its
length), the current directory, TZ, the locale, umask and
PYTHONHASHSEED, with and without -g, and for a standalone plugin.  The ELF build ids are compared
as well (they would differ if anything in the .so did), and neither
directory may appear in either output.
"""

import os
import shutil
import subprocess
import time
import unittest

from common import ENV, GEN, TempDirMixin, corpus

SCRIPT = corpus("misbehave.py")

RUNS = (
    {"dir": "a", "mtime": 978307200, "TZ": "UTC", "LANG": "C.UTF-8",
     "umask": 0o022, "PYTHONHASHSEED": "1"},
    {"dir": os.path.join("a-much-longer-directory-name", "and", "deeper"),
     "mtime": 1893456000, "TZ": "Asia/Tokyo", "LANG": "C",
     "umask": 0o077, "PYTHONHASHSEED": "2"},
)


def build_id(so):
    p = subprocess.run(["readelf", "-n", so], capture_output=True,
                       text=True)
    for line in p.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:")[1].strip()
    return None


class Reproducible(TempDirMixin, unittest.TestCase):

    def generate(self, run, tag, cflags, extra=()):
        top = os.path.join(self.tmpdir, tag, run["dir"])
        os.makedirs(top)
        script = os.path.join(top, "misbehave.py")
        shutil.copyfile(SCRIPT, script)
        os.utime(script, (run["mtime"], run["mtime"]))
        c, so = os.path.join(top, "out.c"), os.path.join(top, "out.so")
        env = dict(ENV, TZ=run["TZ"], LANG=run["LANG"], LC_ALL=run["LANG"],
                   PYTHONHASHSEED=run["PYTHONHASHSEED"], CFLAGS=cflags)
        env.pop("SOURCE_DATE_EPOCH", None)
        old = os.umask(run["umask"])
        try:
            for args in (["-S", c], ["-o", so]):
                p = subprocess.run([GEN, script, *extra, *args], cwd=top,
                                   env=env,
                                   capture_output=True, text=True,
                                   timeout=300)
                self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            os.umask(old)
        with open(c, "rb") as f:
            c_bytes = f.read()
        with open(so, "rb") as f:
            so_bytes = f.read()
        return top, c_bytes, so_bytes, build_id(so)

    def check(self, cflags, tag, extra=()):
        outputs = []
        for i, run in enumerate(RUNS):
            if i:
                # A different second on the clock (and in __TIME__, if
                # anything used it).
                time.sleep(1.1)
            outputs.append(self.generate(run, "%s%d" % (tag, i), cflags,
                                         extra))
        (dir1, c1, so1, id1), (dir2, c2, so2, id2) = outputs
        self.assertTrue(c1 == c2, "the generated C differs")
        self.assertIsNotNone(id1, "the plugin has no build id")
        self.assertEqual(id1, id2, "the build ids differ")
        self.assertTrue(so1 == so2, "the plugins differ")
        for d in (dir1, dir2, self.tmpdir):
            for what, data in (("C", c1), ("plugin", so1)):
                self.assertNotIn(d.encode(), data,
                                 "the %s names the directory %s" % (what, d))

    def test_optimized(self):
        self.check("-O2", "opt")

    def test_with_debug_info(self):
        self.check("-O2 -g", "debug")

    def test_standalone(self):
        # libpython linked in, the import closure frozen: the frozen
        # bytecode must not depend on the hash seed or the clock either.
        self.check("-O2", "standalone", ("--standalone",))

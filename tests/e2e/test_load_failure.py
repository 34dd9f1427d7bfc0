# SPDX-License-Identifier: BSD-3-Clause
"""A script that cannot load (an import of a module this machine lacks):
nbdkit exits non-zero with one error naming the script and the
exception, under --dump-plugin and when serving, and nothing of the
script is called, whichever early callbacks it defines.  nbdkit python
on the same script exits non-zero too."""

import os
import re
import unittest

from harness import TempDirMixin, run

# Each early callback announces itself if it is ever called.
EARLY = {
    "dump_plugin": "def dump_plugin():\n    print('called=dump_plugin')\n",
    "thread_model": "def thread_model():\n    print('called=thread_model')\n"
                    "    return nbdkit.THREAD_MODEL_PARALLEL\n",
    "config": "def config(key, value):\n    print('called=config')\n",
    "config_complete": "def config_complete():\n"
                       "    print('called=config_complete')\n",
    "get_ready": "def get_ready():\n    print('called=get_ready')\n",
}

BODY = """\
import nbdkit
import no_such_module_here

API_VERSION = 2

def open(readonly):
    return 1

def get_size(h):
    return 512

def pread(h, buf, offset, flags):
    buf[:] = bytes(len(buf))
"""

VARIANTS = {
    "none": (),
    "thread_model": ("thread_model",),
    "dump_plugin": ("dump_plugin",),
    "all": tuple(EARLY),
}

# The fields the plugin adds to --dump-plugin: none may claim a script
# that did not load.
OWN_FIELDS = ("python_version=", "pyplugin_gen_version=", "script=",
              "callbacks=")


def errors(stderr):
    return [line for line in stderr.splitlines() if "error" in line]


class LoadFailure(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scripts = {}
        for name, callbacks in VARIANTS.items():
            path = os.path.join(cls.tmpdir, f"noload_{name}.py")
            with open(path, "w") as f:
                f.write(BODY + "".join("\n" + EARLY[c] for c in callbacks))
            cls.scripts[name] = path
            cls._generate(path)

    def assertOneError(self, p, script):
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertNotEqual(p.returncode, 0, out + err)
        self.assertNotIn("SystemError", out + err)
        self.assertNotIn("called=", out + err)
        found = errors(err)
        self.assertEqual(len(found), 1, err)
        self.assertIn(os.path.basename(script), found[0])
        self.assertRegex(err, re.compile(
            "^ModuleNotFoundError: No module named 'no_such_module_here'$",
            re.M))
        return out

    def test_dump_plugin(self):
        for name, path in self.scripts.items():
            with self.subTest(name):
                p = run(["nbdkit", "--dump-plugin", self.generated(path)],
                        check=False)
                out = self.assertOneError(p, path)
                for field in OWN_FIELDS:
                    self.assertNotIn("\n" + field, "\n" + out)

    def test_dump_plugin_with_parameters(self):
        path = self.scripts["all"]
        p = run(["nbdkit", "--dump-plugin", self.generated(path), "a=b"],
                check=False)
        self.assertOneError(p, path)

    def test_serving(self):
        for name, path in self.scripts.items():
            for config in ((), ("a=b",)):
                if config and "config" not in VARIANTS[name]:
                    continue  # nbdkit refuses the parameter itself
                with self.subTest(name, config=config):
                    p = run(["nbdkit", "-f", "-U", "-", self.generated(path),
                             *config, "--run", "true"], check=False)
                    self.assertOneError(p, path)

    def test_nbdkit_python_fails_too(self):
        for before, after in ((["--dump-plugin"], []),
                              (["-f", "-U", "-"], ["--run", "true"])):
            with self.subTest(mode=before):
                p = run(["nbdkit", *before, "python", self.scripts["all"],
                         *after], check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("No module named 'no_such_module_here'",
                              p.stderr.decode())

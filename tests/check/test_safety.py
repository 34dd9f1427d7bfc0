# SPDX-License-Identifier: BSD-3-Clause
"""Safety: no script name, path or metadata string breaks or injects into
the generated C.

For each kind of character that could break C (quotes, backslashes,
newlines, comment ends, printf's %, non-ASCII, trigraphs), a script whose
directory, file name, metadata and docstring carry such a string is
built with -Wall -Wextra -Werror (and -trigraphs, so that a stray ??=
would change the C), and then:

- a small C program dlopens the plugin and prints every string field of
  its struct nbdkit_plugin byte for byte: each must equal the script's
  string exactly (a truncation, an added escape or a lost byte fails);
- nbdkit --dump-plugin prints the script name exactly;
- the script, run by the plugin at load, sees __file__ exactly;
- a broken script at such a path is reported under that path, unchanged.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import tempfile
import unittest

from common import generator_command, generator_env, run_check

try:
    from pyplugin_gen import buildconfig
except ImportError:  # not configured
    buildconfig = None

CASES = {
    "quotes": 'say "hi", it\'s `odd`',
    "backslashes": "back\\slash \\n \\\\ \\x41 \\0 ends\\",
    "newlines": "line one\nline two\r\nthree\n",
    "comment": "ends */ starts /* line // and */",
    "percent": "100% %s %n %d %% %",
    "non_ascii": "caf\u00e9 \u65e5\u672c \u2603 \U0001F600 \u00e91",
    "trigraphs": "??= ??/ ??' ??( ??) ??! ??< ??> ??- ???=",
}

# Prints each string field of the plugin's struct nbdkit_plugin as hex.
READER = r"""
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>
#include <dlfcn.h>
#include <stdio.h>

static void
field (const char *name, const char *value)
{
  const unsigned char *p;

  printf ("%s=", name);
  if (value == NULL)
    printf ("NULL");
  else
    for (p = (const unsigned char *) value; *p; p++)
      printf ("%02x", *p);
  printf ("\n");
}

int
main (int argc, char *argv[])
{
  void *lib;
  struct nbdkit_plugin *(*init) (void);
  struct nbdkit_plugin *p;

  if (argc != 2)
    return 2;
  lib = dlopen (argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf (stderr, "%s\n", dlerror ());
    return 1;
  }
  init = (struct nbdkit_plugin *(*) (void)) dlsym (lib, "plugin_init");
  if (init == NULL)
    return 1;
  p = init ();
  field ("name", p->name);
  field ("longname", p->longname);
  field ("version", p->version);
  field ("description", p->description);
  field ("config_help", p->config_help);
  field ("magic_config_key", p->magic_config_key);
  return 0;
}
"""

SCRIPT = '''\
{doc!r}
import builtins
import os

if "PYPLUGIN_GEN_SAFETY_FILE" in os.environ:
    with builtins.open(os.environ["PYPLUGIN_GEN_SAFETY_FILE"], "w",
                       encoding="utf-8", newline="") as f:
        f.write(__file__)

API_VERSION = 2
longname = {longname!r}
description = {description!r}
version = {version!r}
magic_config_key = "file.name_2-x"


def config(key, value):
    pass


def open(readonly):
    return 1


def get_size(h):
    return 0


def pread(h, buf, offset, flags):
    pass
'''


def cc() -> str | None:
    if buildconfig is None or not os.path.exists(buildconfig.RUNTIME_LIB):
        return None
    return shutil.which(os.environ.get("CC") or buildconfig.CC)


@unittest.skipUnless(cc(), "not configured: no compiler, buildconfig or "
                     "runtime library")
class Safety(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pyplugin-gen-safety-")
        cls.reader = os.path.join(cls.dir, "read-plugin")
        src = cls.reader + ".c"
        with open(src, "w") as f:
            f.write(READER)
        include = getattr(buildconfig, "NBDKIT_CFLAGS", "").split()
        proc = subprocess.run([cc(), "-std=gnu11", "-Wall", "-Wextra",
                               "-Werror", *include, "-o", cls.reader, src,
                               "-ldl"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"cannot build the reader:\n{proc.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def script_path(self, kind: str, case: str, text: str) -> str:
        """A path carrying text: '/' cannot be in a file name, so it
        becomes '_' there, and the directory ends in '*' so that the path
        has a '*/' whatever the text."""
        name = text.replace("/", "_")
        directory = os.path.join(self.dir, f"{kind} {case} {name}*")
        os.makedirs(directory)
        return os.path.join(directory, f"{name}.py")

    def build(self, case: str, text: str) -> tuple[str, str]:
        """Build the script for text; (script path, plugin path)."""
        path = self.script_path("dir", case, text)
        directory = os.path.dirname(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(SCRIPT.format(doc="help: " + text, longname=text,
                                  description=text + "\n" + text,
                                  version="1.0 " + text))
        plugin = os.path.join(directory, f"{case}.so")
        env = generator_env()
        # -Wall -Wextra come from pyplugin-gen itself; -trigraphs makes a
        # trigraph left in a literal or comment change the program.
        env["CFLAGS"] = "-O0 -Werror -trigraphs -Wtrigraphs -Wcomment"
        proc = subprocess.run([*generator_command(), path, "-o", plugin],
                              capture_output=True, text=True, env=env,
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        return path, plugin

    def fields(self, plugin: str) -> dict[str, bytes | None]:
        proc = subprocess.run([self.reader, plugin], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = {}
        for line in proc.stdout.splitlines():
            name, _, value = line.partition("=")
            out[name] = None if value == "NULL" else bytes.fromhex(value)
        return out

    def test_strings_carried_unchanged(self):
        for case, text in CASES.items():
            with self.subTest(case=case):
                path, plugin = self.build(case, text)
                fields = self.fields(plugin)
                utf8 = text.encode("utf-8")
                self.assertEqual(fields["longname"], utf8)
                self.assertEqual(fields["description"],
                                 utf8 + b"\n" + utf8)
                self.assertEqual(fields["version"], b"1.0 " + utf8)
                # The docstring is cleaned as inspect.cleandoc does.
                self.assertEqual(fields["config_help"],
                                 inspect.cleandoc("help: " + text)
                                 .encode("utf-8"))
                self.assertEqual(fields["magic_config_key"], b"file.name_2-x")
                self.assertRegex(fields["name"].decode("ascii"),
                                 r"\A[A-Za-z0-9][A-Za-z0-9-]*\Z")
                self.check_loaded(path, plugin)

    def check_loaded(self, path: str, plugin: str) -> None:
        """What nbdkit and the running script see of the name."""
        nbdkit = shutil.which("nbdkit")
        if nbdkit is None:
            return
        seen = os.path.join(self.dir, "file-seen")
        env = dict(os.environ, PYPLUGIN_GEN_SAFETY_FILE=seen)
        proc = subprocess.run([nbdkit, "--dump-plugin", plugin],
                              capture_output=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        name = os.path.basename(path).encode("utf-8")
        self.assertIn(b"\nscript=" + name + b"\nscript_sha256=", proc.stdout)
        with open(seen, encoding="utf-8", newline="") as f:
            self.assertEqual(f.read(), os.path.basename(path))
        os.unlink(seen)

    def test_diagnostics_name_the_path_unchanged(self):
        for case, text in CASES.items():
            with self.subTest(case=case):
                path = self.script_path("bad", case, text)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("API_VERSION = 5\n")
                status, _, err = run_check(["--check", path])
                self.assertEqual(status, 1)
                self.assertIn(
                    f"{path}:1:15: error: API_VERSION declares API version "
                    "5; only 1 and 2 exist\n", err)

    def test_nul_cannot_be_carried(self):
        # The one character a C string cannot hold is refused, not cut.
        path = os.path.join(self.dir, "nul.py")
        with open(path, "w") as f:
            f.write(SCRIPT.format(doc="help", longname="a\0b",
                                  description="d", version="v"))
        status, _, err = run_check(["--check", path])
        self.assertEqual(status, 1)
        self.assertIn(f"{path}:11:12: error: 'longname' contains a NUL "
                      "character, which a C string cannot carry", err)

# SPDX-License-Identifier: BSD-3-Clause
"""The target Python (configure --with-python) does the work that must be
its own: the bytecode and its magic number, in the highest marshal
format it writes, the site record and a standalone plugin's import
closure, each in a child of it, whichever Python runs the generator.

Every expectation is asked of the configured target itself."""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import textwrap
import unittest
from unittest import mock

from pyplugin_gen import build, buildconfig, freeze, sitepath, standalone
from pyplugin_gen.diagnostics import Diagnostics
from pyplugin_gen.script import read

# Short names (which marshal format 4 writes apart from older formats)
# and a constant slice (newer Pythons store buf[:]'s slice as a constant,
# which only the newest format can write).
SCRIPT = '''\
import errno

API_VERSION = 2
disk = bytearray(4096)


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]
'''

# Run by the target: the script's code in every marshal format it
# writes, as build.DUMPS writes them (None where a format cannot).
EVERY_FORMAT = """
import json, marshal, sys
code = compile(sys.stdin.buffer.read(), sys.argv[1], "exec",
               dont_inherit=True, optimize=0)
out = {}
for version in range(marshal.version + 1):
    try:
        out[version] = marshal.dumps(marshal.loads(
            marshal.dumps(code, version)), version).hex()
    except ValueError:
        out[version] = None
print(json.dumps({"highest": marshal.version, "formats": out}))
"""


def target(code: str, *args: str, source: bytes = b"") -> str:
    """What the configured target Python prints running code."""
    proc = subprocess.run([buildconfig.PYTHON, "-S", "-c", code, *args],
                          input=source, capture_output=True, check=True,
                          env=dict(os.environ, PYTHONHASHSEED="0"))
    return proc.stdout.decode().strip()


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-target-test-")
        self.addCleanup(shutil.rmtree, self.dir)
        path = os.path.join(self.dir, "plugin.py")
        with open(path, "w") as f:
            f.write(SCRIPT)
        self.script = read(path, Diagnostics())
        self.assertIsNotNone(self.script)


class TargetBytecode(Base):
    def test_version_and_magic_are_the_targets(self):
        bytecode = build.compile_script(self.script)
        self.assertEqual(bytecode.python_version, target(
            'import sys; print("%d.%d" % sys.version_info[:2])'))
        self.assertEqual(bytecode.python_version, buildconfig.PYTHON_VERSION)
        self.assertEqual(bytecode.magic, int(target(
            "import importlib.util; print(int.from_bytes("
            "importlib.util.MAGIC_NUMBER, 'little'))")))

    def test_marshal_format_is_the_targets_highest(self):
        bytecode = build.compile_script(self.script)
        answer = json.loads(target(EVERY_FORMAT, self.script.filename,
                                   source=self.script.source))
        formats = answer["formats"]
        highest = str(answer["highest"])
        self.assertEqual(bytecode.code.hex(), formats[highest])
        for version, data in formats.items():
            if version != highest:
                self.assertNotEqual(data, formats[highest], version)

    def test_target_loads_the_bytecode(self):
        bytecode = build.compile_script(self.script)
        ran = target("import marshal, sys; ns = {}; exec(marshal.loads("
                     "sys.stdin.buffer.read()), ns); print(ns['API_VERSION'])",
                     source=bytecode.code)
        self.assertEqual(ran, "2")

    def test_target_of_another_version_than_configured_is_an_error(self):
        # As after an upgrade of the target since configure ran.
        with mock.patch.object(buildconfig, "PYTHON_VERSION", "3.0"):
            with self.assertRaisesRegex(
                    build.BuildError, r"is now version \d+\.\d+, but plugins "
                    r"link libpython 3\.0; .*\(re-run configure\)"):
                build.compile_script(self.script)

    def test_missing_target_is_an_error(self):
        missing = os.path.join(self.dir, "no-such-python")
        with mock.patch.object(buildconfig, "PYTHON", missing):
            with self.assertRaisesRegex(
                    build.BuildError, "cannot run the target Python "
                    + missing):
                build.compile_script(self.script)


class EveryChildIsTheTarget(Base):
    """Each child the generator starts is the configured target: a
    wrapper standing in for it, which logs each start and then runs it,
    sees every one.  (Where the target is the generator's own Python this
    shows the mechanism; the packaging tests build for a second installed
    Python when there is one.)"""

    def setUp(self):
        super().setUp()
        self.log = os.path.join(self.dir, "started")
        wrapper = os.path.join(self.dir, "target-python")
        with open(wrapper, "w") as f:
            f.write(textwrap.dedent(f"""\
                #!/bin/sh
                echo started >>'{self.log}'
                exec '{buildconfig.PYTHON}' "$@"
                """))
        os.chmod(wrapper, stat.S_IRWXU)
        patch = mock.patch.object(buildconfig, "PYTHON", wrapper)
        patch.start()
        self.addCleanup(patch.stop)

    def starts(self) -> int:
        if not os.path.exists(self.log):
            return 0
        with open(self.log) as f:
            return len(f.readlines())

    def test_bytecode(self):
        build.compile_script(self.script)
        self.assertEqual(self.starts(), 1)

    def test_site_record(self):
        site = sitepath.bake_site()
        self.assertEqual(self.starts(), 1)
        self.assertEqual(site.executable, target(
            "import sys; print(sys.executable)"))

    def test_standalone_closure_and_frozen_modules(self):
        site = sitepath.bake_site()
        diags = Diagnostics()
        parts, found = standalone.prepare(self.script, site, diags)
        # The site record, the closure, the frozen modules' bytecode.
        self.assertEqual(self.starts(), 3)
        self.assertFalse(diags.has_errors)
        builtin = target("import sys; print(*sys.builtin_module_names)")
        self.assertEqual("errno" in builtin.split(),
                         "errno" not in {m.name for m in found.modules})
        self.assertIn("encodings", {m.name for m in parts.modules})

    def test_closure_diagnostics_come_back(self):
        site = sitepath.bake_site()
        diags = Diagnostics()
        freeze.target_closure(b"import no_such_module_here\n", "x.py",
                              list(site.path), (), (), diags, "x.py")
        self.assertTrue(diags.has_errors)

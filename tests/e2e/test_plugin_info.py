# SPDX-License-Identifier: BSD-3-Clause
"""What a generated plugin tells about itself: nbdkit --dump-plugin
fields, module metadata (longname, description, version, config_help,
magic_config_key) as nbdkit shows them, --name, script names without
.py and with a shebang, and reproducible output.  Generated plugins
only: nbdkit python has none of this."""

import os
import sys
import unittest

from harness import (GEN, MiB, Server, TempDirMixin, build_plugin,
                     dump_plugin, example, export_info, generate, run,
                     script, sha256_file)

# The callbacks each example defines (by reading the examples, not the
# generator's table).
EXAMPLES = {
    "disk.py": ("seed", "2", """config open get_size pread pwrite zero"""),
    "ramdisk.py": ("released", "2", """config config_complete thread_model
        open get_size block_size is_rotational can_multi_conn can_write
        can_flush can_trim can_zero can_fast_zero can_fua can_cache pread
        pwrite flush trim zero cache"""),
    "api1.py": ("api1", "1", """config open get_size pread pwrite flush
        trim zero"""),
    "file.py": ("released", "2", """config config_complete thread_model
        open close get_size can_write can_flush can_trim can_zero
        can_fast_zero can_fua can_cache can_extents can_multi_conn
        is_rotational pread pwrite flush trim zero cache extents"""),
}

# Callbacks whose has_* line must be absent when the script lacks them
# (only the callbacks the script defines are set).
DATA_CALLBACKS = ("pwrite", "flush", "trim", "zero", "cache", "extents",
                  "can_write", "can_flush", "can_trim", "can_zero",
                  "can_fast_zero", "can_fua", "can_cache", "can_extents",
                  "can_multi_conn", "is_rotational", "block_size")
# (close is not in the list: a generated plugin needs close to release
# the Python handle object even when the script has no close.)


class DumpPlugin(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plugins = {}
        cls.errors = {}
        for name in EXAMPLES:
            try:
                cls.plugins[name] = build_plugin(example(name), cls.tmpdir)
            except AssertionError as e:
                cls.errors[name] = e

    def plugin(self, name):
        if name in self.errors:
            raise AssertionError(str(self.errors[name]))
        return self.plugins[name]

    def test_fields(self):
        for name, (dialect, api, callbacks) in EXAMPLES.items():
            with self.subTest(example=name):
                d, text = dump_plugin(self.plugin(name))
                for field in ("python_version", "pyplugin_gen_version",
                              "script", "script_sha256",
                              "python_api_version", "python_api_dialect",
                              "callbacks"):
                    self.assertIn(field, d, text)
                self.assertEqual(d["name"], name[:-3], text)
                self.assertEqual(os.path.basename(d["script"]), name)
                self.assertEqual(d["script_sha256"],
                                 sha256_file(example(name)))
                self.assertEqual(d["python_api_version"], api)
                self.assertEqual(d["python_api_dialect"], dialect)
                got = [c.strip() for c in d["callbacks"].split(",")]
                self.assertEqual(len(got), len(set(got)), got)
                self.assertEqual(set(got) - {"api_version"},
                                 set(callbacks.split()))
                # The plugin embeds the libpython /usr/bin/python3 uses.
                self.assertTrue(
                    d["python_version"].startswith(
                        "%d.%d." % sys.version_info[:2]), d["python_version"])
                want = set(callbacks.split())
                for cb in DATA_CALLBACKS:
                    has = d.get("has_" + cb) == "1"
                    self.assertEqual(has, cb in want,
                                     "has_%s in\n%s" % (cb, text))
                for cb in ("open", "get_size", "pread"):
                    self.assertEqual(d.get("has_" + cb), "1", text)

    def test_verbose_timings(self):
        """nbdkit -v: the plugin logs its start-up phases, the fork
        handlers in the forked server and its exit, in milliseconds,
        in the form make bench reads (bench/run.py STARTUP_PHASES)."""
        p = run(["nbdkit", "-v", "-U", "-", self.plugin("ramdisk.py"),
                 "--run", "true"])
        err = p.stderr.decode()
        ms = r"(\d+\.\d) ms"
        for pattern in (
                r"ramdisk\.py: start-up: Python %s, site %s "
                r"\((?:baked|imported)\), script %s" % (ms, ms, ms),
                r"ramdisk\.py: after fork: Python's fork handlers " + ms,
                r"ramdisk\.py: exit: " + ms):
            self.assertRegex(err, pattern)

    def test_sha256_is_of_this_script(self):
        """Changing one byte of the script changes script_sha256."""
        src = os.path.join(self.tmpdir, "api1.py")
        with open(example("api1.py"), "rb") as f:
            data = f.read()
        with open(src, "wb") as f:
            f.write(data + b"\n# one more line\n")
        so = build_plugin(src, os.path.join(self.tmpdir))
        d, _ = dump_plugin(so)
        self.assertEqual(d["script_sha256"], sha256_file(src))
        self.assertNotEqual(d["script_sha256"], sha256_file(example("api1.py")))

    def test_generator_version(self):
        p = run([GEN, "--version"])
        out = (p.stdout + p.stderr).decode()
        d, _ = dump_plugin(self.plugin("disk.py"))
        self.assertTrue(d["pyplugin_gen_version"])
        self.assertIn(d["pyplugin_gen_version"], out)

    def test_thread_model(self):
        self.assertEqual(dump_plugin(self.plugin("ramdisk.py"))[0]
                         ["thread_model"], "parallel")
        self.assertEqual(dump_plugin(self.plugin("file.py"))[0]
                         ["thread_model"], "parallel")
        # The default, as nbdkit python's.
        self.assertEqual(dump_plugin(self.plugin("api1.py"))[0]
                         ["thread_model"], "serialize_all_requests")


class Metadata(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.error = None
        try:
            cls.so = build_plugin(script("metadata.py"), cls.tmpdir)
            cls.ramdisk = build_plugin(example("ramdisk.py"), cls.tmpdir)
        except AssertionError as e:
            cls.error = e

    def setUp(self):
        if self.error is not None:
            raise AssertionError(str(self.error))

    def test_dump_plugin(self):
        """nbdkit prints version= and magic_config_key=, and
        has_longname=1 (nbdkit 1.32 prints no longname= or
        description= line: those appear in --help)."""
        d, text = dump_plugin(self.so)
        self.assertEqual(d.get("version"), "4.5.6-test", text)
        self.assertEqual(d.get("magic_config_key"), "colour", text)
        self.assertEqual(d.get("has_longname"), "1", text)
        self.assertEqual(d.get("has_config_help"), "1", text)
        d, text = dump_plugin(self.ramdisk)
        self.assertEqual(d.get("version"), "1.0", text)
        self.assertEqual(d.get("magic_config_key"), "size", text)

    def test_help(self):
        """nbdkit PLUGIN --help: "plugin: NAME (LONGNAME)", the path,
        the description, then config_help."""
        p = run(["nbdkit", self.so, "--help"])
        out = p.stdout.decode()
        lines = out[out.index("plugin: metadata"):].splitlines()
        self.assertEqual(lines[0], "plugin: metadata (Metadata test plugin)")
        self.assertEqual(lines[1], "(%s)" % self.so)
        self.assertEqual(lines[2], "Checks that metadata strings reach nbdkit")
        self.assertEqual(lines[3:5],
                         ["colour=COLOUR   The colour of the disk (required).",
                          "weight=N        Its weight."])
        self.assertNotIn("NOT the help", out)

    def test_docstring_is_config_help(self):
        p = run(["nbdkit", self.ramdisk, "--help"])
        out = p.stdout.decode()
        self.assertIn("plugin: ramdisk (pyplugin-gen example RAM disk)", out)
        self.assertIn("A RAM disk shared by every connection, served in "
                      "parallel.", out)
        self.assertIn("size=SIZE   Size of the disk (default 1M).", out)

    def test_version_option(self):
        p = run(["nbdkit", self.so, "--version"])
        self.assertIn("metadata 4.5.6-test", p.stdout.decode())

    def test_magic_config_key(self):
        with Server(self.so, "green", "weight=3") as srv:
            h = srv.connect()
            self.assertEqual(h.pread(10, 0), b"greengreen")
        with self.assertRaises(AssertionError) as cm:
            with Server(self.so, "weight=3"):
                pass
        self.assertIn("colour parameter is required", str(cm.exception))


class Naming(TempDirMixin, unittest.TestCase):

    def test_name_option(self):
        so = os.path.join(self.tmpdir, "x.so")
        generate(example("api1.py"), so, "--name", "my-disk")
        d, text = dump_plugin(so)
        self.assertEqual(d["name"], "my-disk", text)

    def test_shebang_script_without_py(self):
        """An executable script called "sparse-disk" with a shebang
        line: the name comes from the file name, and it serves."""
        src = os.path.join(self.tmpdir, "sparse-disk")
        with open(example("api1.py")) as f:
            body = f.read()
        with open(src, "w") as f:
            f.write("#!/usr/sbin/nbdkit python\n" + body)
        os.chmod(src, 0o755)
        so = build_plugin(src, self.tmpdir)
        d, text = dump_plugin(so)
        self.assertEqual(d["name"], "sparse-disk", text)
        self.assertEqual(d["python_api_dialect"], "api1", text)
        self.assertEqual(d["script_sha256"], sha256_file(src))
        with Server(so, "size=1M") as srv:
            h = srv.connect()
            h.pwrite(b"shebang", 4096)
            self.assertEqual(h.pread(7, 4096), b"shebang")
            self.assertEqual(export_info(srv)["export-size"], MiB)

    def test_reproducible(self):
        """Same script, same toolchain: byte-identical .c and .so."""
        outs = []
        for i in range(2):
            d = os.path.join(self.tmpdir, "repro%d" % i)
            os.mkdir(d)
            c = os.path.join(d, "ramdisk.c")
            so = os.path.join(d, "ramdisk-plugin.so")
            run([GEN, example("ramdisk.py"), "-S", c])
            generate(example("ramdisk.py"), so)
            outs.append((sha256_file(c), sha256_file(so)))
        self.assertEqual(outs[0][0], outs[1][0], "generated C differs")
        self.assertEqual(outs[0][1], outs[1][1], "generated .so differs")

# SPDX-License-Identifier: BSD-3-Clause
"""End to end: standalone plugins (pyplugin-gen --standalone) serve where
no Python is installed.

Every example (all three dialects, and file.py with ctypes) is built
--standalone and served by nbdkit in a mount namespace where every
Python is hidden (nopython.hide_python_wrapper), then written and read
back by real clients from outside; so is a script using a site-packages
package with a C speed-up module, and a failing callback's traceback
still shows its source line; hashlib's digests are right, whether the
built-in hash modules are linked or (where libpython's archive lacks
their code) OpenSSL's _hashlib is embedded.  A default plugin, for
contrast, does not start there.  Then disk.py and a ctypes script are served
chrooted in a root that holds only nbdkit, the plugin, the shared
libraries ldd names for them (and those the build named for embedded C
extensions), /proc and /dev/null, with nbdcopy in and out.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
import unittest

import nbd

from harness import (MiB, Server, ServerError, TempDirMixin, build_plugin, dump_plugin,
                     example, pattern, run, script)
from nopython import chroot_wrapper, hide_python_wrapper, minimal_root

from pyplugin_gen import buildconfig


def copy_in_out(test, srv, size, seed):
    """nbdcopy a pattern into the export and back out; compare."""
    work = tempfile.mkdtemp(prefix="pyplugin-e2e-copy-")
    try:
        src = os.path.join(work, "in.img")
        dst = os.path.join(work, "out.img")
        data = pattern(seed, size)
        with open(src, "wb") as f:
            f.write(data)
        run(["nbdcopy", src, srv.uri])
        run(["nbdcopy", srv.uri, dst])
        with open(dst, "rb") as f:
            test.assertEqual(f.read() == data, True,
                             "the data read back differs from the data "
                             "written")
    finally:
        shutil.rmtree(work, ignore_errors=True)


class StandaloneMixin(TempDirMixin):
    def standalone(self, path, *extra):
        outdir = tempfile.mkdtemp(prefix="gen-", dir=self.tmpdir)
        return build_plugin(path, outdir, "--standalone", *extra)


class HiddenPython(StandaloneMixin, unittest.TestCase):
    """Served with every Python hidden."""

    # (example, config for a 4 MiB disk)
    EXAMPLES = (
        ("api1.py", ["size=4M"]),
        ("disk.py", ["size=4M"]),
        ("ramdisk.py", ["size=4M"]),
    )

    def test_python_is_hidden(self):
        # The wrapper refuses to run anything while a python3 still runs,
        # and the test's own Python does not start inside it.
        p = run(hide_python_wrapper() + [sys.executable, "-c", "print(1)"],
                check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(b"1\n", p.stdout)

    def test_default_plugin_needs_python(self):
        # The same example built without --standalone cannot start there:
        # Python is really gone.
        outdir = tempfile.mkdtemp(prefix="gen-", dir=self.tmpdir)
        plugin = build_plugin(example("disk.py"), outdir)
        srv = Server(plugin, wrapper=hide_python_wrapper())
        with self.assertRaises(ServerError):
            with srv:
                pass
        self.assertIn("libpython3", srv.log)

    def test_examples(self):
        for name, config in self.EXAMPLES:
            with self.subTest(example=name):
                plugin = self.standalone(example(name))
                info, _ = dump_plugin(plugin)
                self.assertEqual(info.get("python_standalone"), "yes")
                self.assertNotIn("python_site", info)
                self.assertGreater(int(info["python_frozen_modules"]), 10)
                self.assertGreater(int(info["python_frozen_bytes"]), 10**5)
                self.assertEqual(info["python_embedded_extensions"], "")
                with Server(plugin, *config,
                            wrapper=hide_python_wrapper()) as srv:
                    copy_in_out(self, srv, 4 * MiB, name)

    def test_file_example_with_ctypes(self):
        plugin = self.standalone(example("file.py"))
        info, _ = dump_plugin(plugin)
        self.assertIn("_ctypes",
                      info["python_embedded_extensions"].split(","))
        self.assertIn("libffi.so.8",
                      info["python_extension_libraries"].split(","))
        disk = os.path.join(self.tmpdir, "file.img")
        with open(disk, "wb") as f:
            f.truncate(4 * MiB)
        with Server(plugin, "file=" + disk,
                    wrapper=hide_python_wrapper()) as srv:
            copy_in_out(self, srv, 4 * MiB, "file")

    def test_site_packages_with_a_c_speedup(self):
        # markupsafe (python3-markupsafe, which Jinja2 needs) is frozen
        # from dist-packages, and its optional C module embedded.
        plugin = self.standalone(script("site_speedups.py"))
        info, _ = dump_plugin(plugin)
        self.assertIn("markupsafe._speedups",
                      info["python_embedded_extensions"].split(","))
        with Server(plugin, verbose=True,
                    wrapper=hide_python_wrapper()) as srv:
            h = srv.connect()
            self.assertEqual(h.pread(16, 0), b"&lt;disk&gt;&lt;")
        self.assertIn("speedups: markupsafe._speedups", srv.log)

    def test_traceback_has_source_line(self):
        plugin = self.standalone(script("errors.py"))
        with Server(plugin, wrapper=hide_python_wrapper()) as srv:
            h = srv.connect()
            with self.assertRaises(nbd.Error) as cm:
                h.pread(512, 64 * 1024)
            self.assertEqual(cm.exception.errnum, 5)  # EIO
            # The next request works.
            self.assertEqual(h.pread(512, 0), bytes(512))
        self.assertIn('raise RuntimeError("deliberate-failure-pread-eio")',
                      srv.log)
        self.assertIn('File "errors.py", line', srv.log)


class Hashes(StandaloneMixin, unittest.TestCase):
    """hashlib works in a standalone plugin, with Python hidden: on
    Pythons whose libpython archive lacks the built-in hash modules'
    code (configure left them out), through OpenSSL's _hashlib, embedded
    as a C extension."""

    def test_hashlib(self):
        left_out = buildconfig.STANDALONE_LEFT_OUT.split()
        plugin = self.standalone(script("hashes.py"))
        info, _ = dump_plugin(plugin)
        extensions = info["python_embedded_extensions"].split(",")
        if left_out:
            self.assertIn("_hashlib", extensions)
            self.assertTrue(any(lib.startswith("libcrypto.so")
                                for lib in info["python_extension_libraries"]
                                .split(",")), info)
        data = "standalone digests \u00e9"
        with Server(plugin, wrapper=hide_python_wrapper()) as srv:
            h = srv.connect(export_name=data)
            doc = json.loads(bytes(h.pread(64 * 1024, 0)))
            h.shutdown()
        raw = data.encode()
        self.assertEqual(doc.pop("sha256()"), hashlib.sha256(raw).hexdigest())
        self.assertEqual(doc.pop("md5()"), hashlib.md5(raw).hexdigest())
        self.assertEqual(doc.pop("at_load"),
                         hashlib.sha256(b"at load").hexdigest())
        builtins = doc.pop("builtin_module_names")
        self.assertIn("sys", builtins)
        for name in left_out:
            self.assertNotIn(name, builtins)
        for name, digest in doc.items():
            # hashlib takes blake2 only from its built-in module, the
            # others from OpenSSL too.
            want = "unsupported" if name.startswith("blake2") and \
                "_blake2" in left_out else hashlib.new(name, raw).hexdigest()
            self.assertEqual(digest, want, name)


class Chrooted(StandaloneMixin, unittest.TestCase):
    """Served chrooted in a root with nothing but nbdkit, the plugin and
    their libraries."""

    def serve_in_root(self, plugin, config, seed):
        info, _ = dump_plugin(plugin)
        libs = [lib for lib in
                info.get("python_extension_libraries", "").split(",") if lib]
        root = tempfile.mkdtemp(prefix="root-", dir=self.tmpdir)
        minimal_root(root, plugin, libs)
        stdlib = "python" + ".".join(info["python_version"].split(".")[:2])
        self.assertFalse(os.path.exists(os.path.join(root, "usr", "lib",
                                                     stdlib)))
        with Server("/plugin.so", *config,
                    wrapper=chroot_wrapper(root)) as srv:
            copy_in_out(self, srv, 4 * MiB, seed)
        return libs

    def test_disk(self):
        plugin = self.standalone(example("disk.py"))
        self.serve_in_root(plugin, ["size=4M"], "chroot-disk")

    def test_ctypes(self):
        plugin = self.standalone(script("ctypes_disk.py"))
        libs = self.serve_in_root(plugin, [], "chroot-ctypes")
        self.assertIn("libffi.so.8", libs)

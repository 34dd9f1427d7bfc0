# SPDX-License-Identifier: BSD-3-Clause
"""End to end: standalone plugins of scripts as people write them serve
what their default builds serve, with every Python hidden.

scripts/project/plugin.py is run by its authors as `nbdkit python
plugin.py`: it imports a package of its own from beside it (blkcache,
with a data file read through pkgutil.get_data and
importlib.resources), a module from PYTHONPATH (scripts/project_lib:
extlib, whose version importlib.metadata reads), numpy (whose
numpy.__config__ uses __file__ at import time) and PIL (which imports
its PNG plugin by name to read a PNG, itself package data), and prints
from its callbacks without flushing.  The project is copied to a
temporary directory, built both ways (the standalone build with
PYTHONPATH naming the library directory, as its authors run it), and
then deleted: the default plugin is served from a second copy with
PYTHONPATH naming both directories, the standalone one with Python
hidden (nopython.hide_python_wrapper), and from a chroot that holds
only nbdkit, the plugin and the shared libraries (those of numpy's and
PIL's extensions included: system libraries, not Python).  Both must
serve the same document, and print the same lines in the same order.
The standalone build's SBOM validates and names python3-numpy,
python3-pil, the project's own modules and the libraries PIL needs.
"""

import json
import os
import shutil
import tempfile
import unittest

import nbd

from harness import ENV, GEN, SCRIPTS, Server, TempDirMixin, dump_plugin, \
    run
from nopython import chroot_wrapper, hide_python_wrapper, minimal_root
from test_sbom import validator

PROJECT = os.path.join(SCRIPTS, "project")
LIBRARY = os.path.join(SCRIPTS, "project_lib")


def copy_project(where):
    """The project and its library, copied under where."""
    project = os.path.join(where, "project")
    library = os.path.join(where, "lib")
    shutil.copytree(PROJECT, project)
    shutil.copytree(LIBRARY, library)
    return project, library


def served_document(srv):
    h = srv.connect()
    try:
        data = bytes(h.pread(64 * 1024, 0))
    except nbd.Error as e:
        raise AssertionError(f"{e}\n--- nbdkit log ---\n{srv.log}") from e
    h.shutdown()
    return json.loads(data.rstrip(b"\0"))


class Project(TempDirMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        build = os.path.join(cls.tmpdir, "build")
        project, library = copy_project(build)
        cls.plugins = {}
        sbom = os.path.join(cls.tmpdir, "standalone.cdx.json")
        for mode, extra in (("default", []),
                            ("standalone", ["--standalone", "-MD",
                                            "--sbom", sbom])):
            out = os.path.join(cls.tmpdir, f"{mode}-plugin.so")
            p = run([GEN, os.path.join(project, "plugin.py"), "-o", out,
                     *extra], check=False, timeout=900,
                    env=dict(ENV, PYTHONPATH=library))
            cls.plugins[mode] = (out, p)
        with open(os.path.join(cls.tmpdir, "standalone-plugin.d")) as f:
            cls.depfile = f.read()
        with open(sbom) as f:
            cls.sbom = json.load(f)
        cls.build_dir = build
        shutil.rmtree(build)
        # Where the default plugin finds the project at run time.
        cls.project, cls.library = copy_project(
            os.path.join(cls.tmpdir, "run"))

    def plugin(self, mode):
        out, p = self.plugins[mode]
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return out

    def default_server(self, env=None):
        return Server(self.plugin("default"), "disk=1",
                      env=dict(env or {}, PYTHONPATH=self.project
                               + os.pathsep + self.library))

    def test_build_has_no_warning(self):
        # numpy.__config__'s __file__ and blkcache's are only looked at.
        _, p = self.plugins["standalone"]
        self.assertNotIn(b"warning", p.stderr)

    def test_same_document_with_python_hidden(self):
        with self.default_server() as srv:
            want = served_document(srv)
        with Server(self.plugin("standalone"), "disk=1",
                    wrapper=hide_python_wrapper()) as srv:
            got = served_document(srv)
        self.assertEqual(got, want)
        # What the document says, to know the comparison compares.
        self.assertEqual(want["own"], "blkcache.ddrescue from "
                         "blkcache.ddrescue")
        self.assertEqual(want["table"], "sector map: 0-2047 good\n")
        self.assertEqual(want["table_resources"], want["table"])
        self.assertEqual(want["resources_listing"], ["table.txt"])
        self.assertEqual(want["files"], {
            "blkcache": "__init__.py", "blkcache.ddrescue": "ddrescue.py",
            "extlib": "extlib.py", "numpy": "__init__.py"})
        self.assertEqual(want["blkcache_path"], ["blkcache"])
        self.assertEqual(want["extlib_version"], "1.2")
        self.assertTrue(want["numpy_version_matches"])
        self.assertEqual(want["numpy"][0], 4950)
        self.assertAlmostEqual(want["numpy"][1], 8.0)
        self.assertEqual(want["image"][:3], ["PNG", "RGB", [3, 2]])
        self.assertEqual(want["image"][3][0][0], [255, 0, 0])

    def test_same_document_chrooted(self):
        plugin = self.plugin("standalone")
        info, _ = dump_plugin(plugin)
        libs = [lib for lib in
                info["python_extension_libraries"].split(",") if lib]
        self.assertIn("libjpeg.so.62", libs)
        extensions = set(info["python_embedded_extensions"].split(","))
        self.assertIn("PIL._imaging", extensions)
        # numpy.core is numpy._core from numpy 2 on.
        self.assertTrue({"numpy.core._multiarray_umath",
                         "numpy._core._multiarray_umath"} & extensions, info)
        root = tempfile.mkdtemp(prefix="root-", dir=self.tmpdir)
        minimal_root(root, plugin, libs)
        with self.default_server() as srv:
            want = served_document(srv)
        with Server("/plugin.so", "disk=1",
                    wrapper=chroot_wrapper(root)) as srv:
            self.assertEqual(served_document(srv), want)

    def test_output_is_the_same_in_the_same_order(self):
        for unbuffered in ("", "1"):
            with self.subTest(PYTHONUNBUFFERED=unbuffered):
                env = {"PYTHONUNBUFFERED": unbuffered}
                with self.default_server(env) as srv:
                    served_document(srv)
                want = srv.log
                with Server(self.plugin("standalone"), "disk=1", env=env,
                            wrapper=hide_python_wrapper()) as srv:
                    served_document(srv)
                self.assertEqual(srv.log, want)
                lines = want.splitlines()
                for line in ("plugin: loaded", "plugin: config disk=1",
                             "plugin: to stderr disk",
                             "plugin: config_complete",
                             "plugin: get_ready"):
                    self.assertIn(line, lines)

    def test_output_before_the_fork(self):
        # A server that forks into the background: what the script
        # printed before is not lost (nor written twice).
        env = {"PYTHONUNBUFFERED": ""}
        with Server(self.plugin("standalone"), "disk=1", env=env,
                    foreground=False, wrapper=hide_python_wrapper()) as srv:
            served_document(srv)
        self.assertEqual(srv.log.count("plugin: config_complete\n"), 1,
                         srv.log)
        self.assertEqual(srv.log.count("plugin: get_ready\n"), 1, srv.log)

    def test_depfile_lists_every_frozen_file(self):
        for name in ("project/plugin.py", "project/blkcache/__init__.py",
                     "project/blkcache/ddrescue.py",
                     "project/blkcache/table.txt",
                     "project/images/disk.png", "lib/extlib.py",
                     "lib/extlib-1.2.dist-info/METADATA",
                     "numpy/__config__.py", "PIL/PngImagePlugin.py"):
            self.assertIn(name, self.depfile)
        self.assertIn(os.path.join(self.build_dir, "project", "blkcache"),
                      self.depfile)


    def test_sbom_names_the_packages_inside(self):
        validator().validate(self.sbom)
        groups = {c["name"]: c for c in self.sbom["components"]
                  if c["bom-ref"].startswith("modules:")}
        numpy = groups["python3-numpy"]
        self.assertTrue(numpy["purl"].startswith(
            "pkg:deb/debian/python3-numpy@"), numpy)
        self.assertTrue({"numpy.core.multiarray", "numpy._core.multiarray"}
                        & {f["name"] for f in numpy["components"]})
        self.assertTrue(groups["python3-pil"]["purl"].startswith(
            "pkg:deb/debian/python3-pil@"))
        # The script's own project, and its library: no package.
        own = {f["name"] for f in groups["project"]["components"]}
        self.assertTrue({"blkcache", "blkcache.ddrescue", "table.txt",
                         "disk.png"} <= own, own)
        self.assertNotIn("purl", groups["project"])
        self.assertIn("extlib", {f["name"] for f in
                                 groups["lib"]["components"]})
        extensions = {c["name"]: c for c in self.sbom["components"]
                      if c["bom-ref"].startswith("extension:")}
        self.assertTrue(extensions["PIL._imaging"]["purl"].startswith(
            "pkg:deb/debian/python3-pil@"))
        [deps] = [d for d in self.sbom["dependencies"]
                  if d["ref"] == "extension:PIL._imaging"]
        self.assertIn("so:libjpeg.so.62", deps["dependsOn"])
        jpeg = [c for c in self.sbom["components"]
                if c["bom-ref"] == "so:libjpeg.so.62"][0]
        self.assertTrue(jpeg["purl"].startswith("pkg:deb/debian/"), jpeg)


class PathOption(TempDirMixin, unittest.TestCase):
    """--path DIR adds a directory to look for modules in, as PYTHONPATH
    does; without either, a module only there is not found."""

    def build(self, *extra, pythonpath=None):
        project, library = copy_project(tempfile.mkdtemp(dir=self.tmpdir))
        script = os.path.join(project, "small.py")
        with open(script, "w") as f:
            f.write("import blkcache.ddrescue\nimport extlib\n"
                    "def open(readonly):\n    return 1\n"
                    "def get_size(h):\n    return 512\n"
                    "def pread(h, count, offset):\n"
                    "    data = (blkcache.ddrescue.describe() + '|' +\n"
                    "            extlib.VALUE).encode()\n"
                    "    return data.ljust(512, b'\\0')[offset:offset+count]\n")
        out = os.path.join(project, "small.so")
        env = dict(ENV, **({"PYTHONPATH": library} if pythonpath else {}))
        p = run([GEN, "--standalone", script, "-o", out,
                 *[a.replace("LIB", library) for a in extra]],
                check=False, timeout=600, env=env)
        return out, p, project, library

    def test_path_finds_what_pythonpath_would(self):
        plugin, p, project, library = self.build("--path", "LIB")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        shutil.rmtree(project + "-moved", ignore_errors=True)
        os.rename(library, library + "-moved")
        os.rename(project, project + "-moved")
        with Server(project + "-moved/small.so",
                    wrapper=hide_python_wrapper()) as srv:
            h = srv.connect()
            self.assertEqual(bytes(h.pread(512, 0)).rstrip(b"\0"),
                             b"blkcache.ddrescue from blkcache.ddrescue|"
                             b"extlib on PYTHONPATH")

    def test_without_path_the_module_is_missing(self):
        _, p, _, _ = self.build()
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"'extlib' cannot be found", p.stderr)

# SPDX-License-Identifier: BSD-3-Clause
"""The import closure of standalone plugins (gen/pyplugin_gen/freeze.py
and standalone.py): what is frozen, what is optional, --freeze and
--exclude, C extensions and the libraries they need.  Scripts and the
packages they import are written to a temporary directory put on the
module path; nothing is ever imported."""

import ast
import dataclasses
import os
import shutil
import subprocess
import sysconfig
import tempfile
import textwrap
import unittest

from pyplugin_gen import freeze, standalone
from pyplugin_gen.sitepath import bake_site
from pyplugin_gen.diagnostics import Diagnostics, Severity
from pyplugin_gen.script import read

SITE = bake_site()


class Base(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-freeze-test-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = [self.dir, *SITE.path]

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path


class ClosureTest(Base):

    def closure(self, text, **kw):
        self.diags = Diagnostics()
        tree = ast.parse(textwrap.dedent(text))
        return freeze.closure(tree, self.path,
                              diags=self.diags, script_path="plugin.py",
                              **kw)

    def names(self, text, **kw):
        return {m.name for m in self.closure(text, **kw).modules}

    def test_script_level_import_and_its_closure(self):
        names = self.names("import json\n")
        self.assertTrue({"json", "json.decoder", "json.scanner",
                         "json.encoder"} <= names, names)
        self.assertFalse(self.diags.items)

    def test_import_inside_a_callback_counts(self):
        names = self.names("""
            def pread(h, count, offset):
                import csv
                return bytes(count)
            """)
        self.assertIn("csv", names)

    def test_functions_of_other_modules_are_not_followed(self):
        self.write("lazy.py", """
            import eager
            def later():
                import notyet
            """)
        self.write("eager.py", "")
        self.write("notyet.py", "")
        names = self.names("import lazy\n")
        self.assertIn("eager", names)
        self.assertNotIn("notyet", names)

    def test_class_bodies_and_decorators_run_at_import(self):
        self.write("shape.py", """
            class C:
                import inclass
            @__import__("indecorator").deco
            def f():
                import infunction
            """)
        for m in ("inclass", "indecorator", "infunction"):
            self.write(m + ".py", "def deco(f): return f\n")
        names = self.names("import shape\n")
        self.assertIn("inclass", names)
        self.assertIn("indecorator", names)
        self.assertNotIn("infunction", names)

    def test_optional_import_not_found_is_no_error(self):
        result = self.closure("""
            try:
                import no_such_module_here
            except ImportError:
                no_such_module_here = None
            """)
        self.assertFalse(self.diags.items)
        self.assertIn(("no_such_module_here", True),
                      [(m.name, m.optional) for m in result.missing])

    def test_fallback_taken_only_when_the_first_choice_fails(self):
        self.write("first.py", "")
        self.write("second.py", "")
        self.write("third.py", "")
        names = self.names("""
            try:
                import first
            except ImportError:
                import second
            try:
                import missing_choice
            except ImportError:
                import third
            """)
        self.assertIn("first", names)
        self.assertNotIn("second", names)
        self.assertIn("third", names)

    def test_type_checking_imports_are_not_followed(self):
        self.write("typed.py", """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                import onlyfortypes
            """)
        self.write("onlyfortypes.py", "")
        self.assertNotIn("onlyfortypes", self.names("import typed\n"))

    def test_missing_import_is_an_error_at_the_line(self):
        self.closure("import errno\nimport no_such_module_here\n")
        [d] = self.diags.items
        self.assertEqual((d.severity, d.line), (Severity.ERROR, 2))
        self.assertIn("no_such_module_here", d.message)

    def test_missing_import_in_a_callback_is_a_warning(self):
        self.closure("def open(r):\n    import no_such_module_here\n")
        [d] = self.diags.items
        self.assertEqual((d.severity, d.line), (Severity.WARNING, 2))

    def test_packages_relative_imports_and_submodules(self):
        self.write("pkg/__init__.py", "from . import sub\nfrom .rel import x\n")
        self.write("pkg/sub.py", "from .inner import deep\n")
        self.write("pkg/rel.py", "x = 1\n")
        self.write("pkg/inner/__init__.py", "")
        self.write("pkg/inner/deep.py", "from ... import other\n"
                   "from .. import rel\n")
        self.write("pkg/unused.py", "")
        result = self.closure("from pkg import sub\n")
        by_name = {m.name: m for m in result.modules}
        self.assertTrue(by_name["pkg"].is_package)
        self.assertFalse(by_name["pkg.sub"].is_package)
        self.assertIn("pkg.rel", by_name)
        self.assertIn("pkg.inner.deep", by_name)
        self.assertEqual(by_name["pkg.inner.deep"].chain,
                         ("pkg.sub", "pkg.inner.deep"))
        self.assertNotIn("other", by_name)  # beyond the top-level package
        self.assertNotIn("pkg.unused", by_name)

    def test_builtin_and_prefrozen_modules_are_not_frozen_twice(self):
        names = self.names("import math, os, nbdkit, sys\n")
        for m in ("math", "os", "nbdkit", "sys", "posixpath"):
            self.assertNotIn(m, names)
        # os is Python's own frozen module, but what it imports is walked.
        self.assertIn("encodings", names)

    def test_freeze_and_exclude(self):
        self.write("dynamic.py", "import helper\n")
        self.write("helper.py", "")
        names = self.names("import errno\n", freeze=("dynamic",))
        self.assertTrue({"dynamic", "helper"} <= names)
        names = self.names("import dynamic\n", exclude=("dynamic",))
        self.assertFalse({"dynamic", "helper"} & names)

    def test_freeze_of_a_missing_module_is_an_error(self):
        self.closure("import errno\n", freeze=("no_such_module_here",))
        self.assertTrue(self.diags.has_errors)

    def test_literal_import_module_is_followed(self):
        self.write("plug.py", "")
        self.assertIn("plug", self.names(
            "import importlib\nimportlib.import_module('plug')\n"))

    def test_paths_from_file_handed_to_file_calls_are_recorded(self):
        # __file__ itself is fine (frozen modules have it); a path made
        # from it and opened is not, wherever it is opened.
        self.write("usesfile.py", """\
            import os
            HERE = os.path.dirname(__file__)
            DATA = os.path.join(HERE, "data.txt")
            ok = os.path.exists(DATA)
            def f():
                with open(DATA) as g:
                    return g.read()
            def g(name):
                return os.listdir(name)
            """)
        result = self.closure("import usesfile\nopen(__file__)\n")
        uses = sorted((m, line) for m, _, line in result.file_uses)
        self.assertEqual(uses, [("__main__", 2), ("usesfile", 6)])

    def test_packages_named_to_read_their_data_are_followed(self):
        self.write("pk/__init__.py", "")
        self.write("pk2/__init__.py", "")
        names = self.names("import importlib.resources, pkgutil\n"
                           "def f():\n"
                           "    importlib.resources.files('pk')\n"
                           "    pkgutil.get_data('pk2', 'x.txt')\n"
                           "    importlib.resources.files(f())\n")
        self.assertTrue({"pk", "pk2"} <= names, names)

    def test_dynamic_imports_are_recorded_with_their_line(self):
        self.write("dyn.py", "import importlib\nname = 'json'\n"
                   "m = importlib.import_module(name)\n")
        result = self.closure("import dyn\n__import__('x' + 'y')\n")
        self.assertIn(("dyn", os.path.join(self.dir, "dyn.py"), 3),
                      result.dynamic)
        self.assertIn(("__main__", "plugin.py", 2), result.dynamic)

    def test_hook_adds_what_a_module_imports_by_name(self):
        # The hooks table: PIL.Image imports its format plugins by name.
        self.write("PIL/__init__.py", "")
        self.write("PIL/Image.py", "")
        self.write("PIL/PngImagePlugin.py", "")
        self.write("PIL/JpegImagePlugin.py", "")
        self.write("PIL/ImageOps.py", "")
        names = self.names("import PIL.Image\n")
        self.assertTrue({"PIL.PngImagePlugin", "PIL.JpegImagePlugin"}
                        <= names, names)
        self.assertNotIn("PIL.ImageOps", names)
        self.assertNotIn("PIL.PngImagePlugin", self.names("import PIL\n"))

    def test_collect_freezes_a_whole_package(self):
        self.write("pk/__init__.py", "")
        self.write("pk/a.py", "")
        self.write("pk/sub/__init__.py", "")
        self.write("pk/sub/b.py", "")
        self.write("pk/notapackage/c.py", "")
        self.assertEqual({n for n in self.names("import pk\n")
                          if n.startswith("pk")}, {"pk"})
        self.assertEqual({n for n in self.names("import pk\n",
                                                 collect=("pk",))
                          if n.startswith("pk")},
                         {"pk", "pk.a", "pk.sub", "pk.sub.b"})

    def test_package_data_and_distribution_metadata(self):
        self.write("pk/__init__.py", "")
        self.write("pk/data.txt", "data")
        self.write("pk/files/more.bin", "more")
        self.write("pk/stub.pyi", "")
        self.write("pk/sub/__init__.py", "")
        self.write("pk/sub/unfrozen.txt", "")
        self.write("pk-1.0.dist-info/METADATA", "Name: pk\nVersion: 1.0\n")
        self.write("pk-1.0.dist-info/top_level.txt", "pk\n")
        self.write("other-2.0.dist-info/METADATA", "Name: other\n")
        self.write("other-2.0.dist-info/top_level.txt", "other\n")
        # Named as its package, with no top_level.txt nor RECORD.
        self.write("pk2/__init__.py", "")
        self.write("pk2-3.0.dist-info/METADATA", "Name: PK2\nVersion: 3\n")
        result = self.closure("import pk\nimport pk2\nimport json\n")
        self.assertEqual(result.data,
                         [os.path.join(self.dir, "pk", "data.txt"),
                          os.path.join(self.dir, "pk", "files", "more.bin")])
        self.assertEqual([(d.name, d.files) for d in result.distributions],
                         [("PK2", ("METADATA",)),
                          ("pk", ("METADATA", "top_level.txt"))])
        self.assertIn(os.path.join(self.dir, "pk-1.0.dist-info", "METADATA"),
                      result.sources)

    def test_extensions_are_detected(self):
        result = self.closure("import ctypes\n")
        ext = {m.name: m for m in result.modules if m.extension}
        self.assertIn("_ctypes", ext)
        self.assertTrue(ext["_ctypes"].path.endswith(".so"))
        self.assertIn("libffi.so.8", standalone.needed(ext["_ctypes"].path))

    def test_sources_are_a_sorted_list_of_files(self):
        result = self.closure("import json\n")
        self.assertEqual(result.sources, sorted(result.sources))
        self.assertTrue(all(os.path.isfile(p) for p in result.sources))


class PrepareTest(Base):
    """standalone.prepare: the diagnostics of a build."""

    def prepare(self, text):
        path = self.write("plugin.py", text)
        diags = Diagnostics()
        script = read(path, diags)
        site = dataclasses.replace(SITE, path=tuple(self.path))
        parts, _ = standalone.prepare(script, site, diags)
        return parts, diags

    def test_extension_linking_libpython_is_an_error_with_its_chain(self):
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        src = self.write("badext.c", "int PyInit_badext(void) { return 0; }\n")
        self.write("wrapper.py", "import badext\n")
        libdir = sysconfig.get_config_var("LIBDIR")
        libpython = "python" + sysconfig.get_config_var("LDVERSION")
        subprocess.run(["cc", "-shared", "-fPIC", "-o",
                        os.path.join(self.dir, "badext" + suffix), src,
                        "-L" + libdir, "-Wl,--no-as-needed", "-l" + libpython],
                       check=True)
        _, diags = self.prepare("import errno\nimport wrapper\n")
        errors = [d for d in diags.items if d.severity is Severity.ERROR]
        self.assertEqual(len(errors), 1, [str(d) for d in diags.items])
        self.assertEqual(errors[0].line, 2)
        self.assertIn("wrapper -> badext", errors[0].message)
        self.assertIn("lib" + libpython, errors[0].message)

    def test_extension_whose_library_is_missing_is_an_error(self):
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        lib = self.write("libgone.c", "int gone (void) { return 0; }\n")
        ext = self.write("needsgone.c", "int gone (void);\n"
                         "int PyInit_needsgone (void) { return gone (); }\n")
        libso = os.path.join(self.dir, "libgone.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", libso, lib],
                       check=True)
        subprocess.run(["cc", "-shared", "-fPIC", "-o",
                        os.path.join(self.dir, "needsgone" + suffix), ext,
                        "-L" + self.dir, "-lgone"], check=True)
        os.unlink(libso)
        _, diags = self.prepare("import needsgone\n")
        [d] = [d for d in diags.items if d.severity is Severity.ERROR]
        self.assertEqual(d.line, 1)
        self.assertIn("libgone.so, which is not found", d.message)

    def test_file_use_is_a_warning_in_the_module(self):
        self.write("usesfile.py", "import os\nHERE = os.path.dirname("
                   "__file__)\nNAMES = os.listdir(HERE)\n")
        _, diags = self.prepare("import usesfile\n")
        [d] = [d for d in diags.items if "__file__" in d.message]
        self.assertEqual(d.severity, Severity.WARNING)
        self.assertEqual(d.rule, "frozen-file")
        self.assertTrue(d.file.endswith("usesfile.py"))
        self.assertEqual(d.line, 3)

    def test_module_path_is_where_python_finds_modules(self):
        # The script's directory, --path, PYTHONPATH, then site.
        script = read(self.write("plugin.py", ""), Diagnostics())
        extra = os.path.join(self.dir, "extra")
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = "/pp1" + os.pathsep + "/pp2"
        try:
            path = standalone.module_path(script, SITE, (extra,))
        finally:
            os.environ.pop("PYTHONPATH")
            if old is not None:
                os.environ["PYTHONPATH"] = old
        self.assertEqual(path, [os.path.realpath(self.dir), extra, "/pp1",
                                "/pp2", *SITE.path])

    def test_importer_is_frozen_and_modules_keep_their_files(self):
        import marshal
        self.write("own.py", "")
        self.write("pk/__init__.py", "")
        self.write("pk/data.txt", "data!")
        parts, diags = self.prepare("import own\nimport pk\n")
        self.assertFalse(diags.has_errors)
        self.assertIn(standalone.IMPORTER, [m.name for m in parts.modules])
        modules, data, _ = marshal.loads(parts.manifest)
        self.assertEqual(modules["own"], (os.path.join(self.dir, "own.py"),
                                          False))
        self.assertEqual(modules["pk"], (os.path.join(self.dir, "pk",
                                                      "__init__.py"), True))
        self.assertNotIn(standalone.IMPORTER, modules)
        offset, size = data[os.path.join(self.dir, "pk", "data.txt")]
        self.assertEqual(parts.data[offset:offset + size], b"data!")

    def test_frozen_code_and_libraries(self):
        parts, diags = self.prepare("import ctypes\n")
        self.assertFalse(diags.has_errors)
        self.assertIn("libffi.so.8", parts.libraries)
        self.assertNotIn("libc.so.6", parts.libraries)
        names = [m.name for m in parts.modules]
        self.assertEqual(names, sorted(names))
        self.assertGreater(parts.module_bytes, 0)
        self.assertEqual(parts.stdlib_dir, SITE.stdlib_dir)



class UndefinedSymbolsTest(Base):
    """standalone.check_undefined: what the linked plugin leaves to the
    libraries it names, and to nbdkit."""

    def link(self, body, *libs):
        src = self.write("t.c", body)
        so = os.path.join(self.dir, "t.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src, *libs],
                       check=True)
        return so

    def test_nbdkit_and_named_libraries_are_fine(self):
        so = self.link("extern void nbdkit_debug (const char *, ...);\n"
                       "extern double cos (double);\n"
                       "double f (double x) { nbdkit_debug (\"x\");"
                       " return cos (x); }\n", "-lm")
        standalone.check_undefined(so)

    def test_a_symbol_no_library_has_is_an_error(self):
        so = self.link("extern int XML_SetCommentHandler (void);\n"
                       "int f (void) { return XML_SetCommentHandler (); }\n")
        with self.assertRaises(standalone.BuildError) as cm:
            standalone.check_undefined(so)
        self.assertIn("XML_SetCommentHandler", str(cm.exception))



class CommandLineTest(Base):
    """--standalone, PYPLUGIN_GEN_STANDALONE and --no-standalone."""

    def parse(self, argv, env):
        from pyplugin_gen import cli
        old = os.environ.get("PYPLUGIN_GEN_STANDALONE")
        os.environ.pop("PYPLUGIN_GEN_STANDALONE", None)
        if env is not None:
            os.environ["PYPLUGIN_GEN_STANDALONE"] = env
        try:
            return cli.parser().parse_args([*argv, "x.py"])
        finally:
            os.environ.pop("PYPLUGIN_GEN_STANDALONE", None)
            if old is not None:
                os.environ["PYPLUGIN_GEN_STANDALONE"] = old

    def test_modes(self):
        self.assertFalse(self.parse([], None).standalone)
        self.assertFalse(self.parse([], "").standalone)
        self.assertTrue(self.parse([], "1").standalone)
        self.assertTrue(self.parse(["--standalone"], None).standalone)
        self.assertFalse(self.parse(["--no-standalone"], "1").standalone)
        args = self.parse(["--standalone", "--freeze", "a", "--freeze", "b",
                           "--exclude", "c"], None)
        self.assertEqual((args.freeze, args.exclude), (["a", "b"], ["c"]))

    def check_verbose(self, head, body):
        """pyplugin-gen --check --standalone -v of a script: its path and
        what it printed."""
        import contextlib
        import io
        from pyplugin_gen import cli
        path = self.write("plugin.py", head + "def open(r):\n" + body
                          + "def get_size(h):\n    return 1\n"
                          "def pread(h, c, o):\n    return bytes(c)\n")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = cli.main(["--check", "--standalone", "-v", path])
        self.assertEqual(status, 0, err.getvalue())
        return path, err.getvalue()

    def test_verbose_notes_dynamic_imports_at_their_line(self):
        path, err = self.check_verbose(
            "import importlib\n", "    return importlib.import_module(r)\n")
        self.assertIn(f"{path}:3: note: an import of a module named at run "
                      "time", err)

    def test_verbose_notes_missing_imports_at_their_site(self):
        self.write("helper.py", "try:\n    import no_such_module_x\n"
                   "except ImportError:\n    pass\n")
        _, err = self.check_verbose("import helper\n", "    return 1\n")
        self.assertIn(f"{os.path.join(self.dir, 'helper.py')}:2: note: "
                      "module 'no_such_module_x' (helper -> "
                      "no_such_module_x) not found", err)

    def test_freeze_needs_standalone(self):
        from pyplugin_gen import cli
        path = self.write("plugin.py", "def open(r):\n    return 1\n"
                          "def get_size(h):\n    return 1\n"
                          "def pread(h, c, o):\n    return bytes(c)\n")
        self.assertEqual(cli.main(["--check", "--freeze", "json", path]), 1)

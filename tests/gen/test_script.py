# SPDX-License-Identifier: BSD-3-Clause
"""Reading scripts (gen/pyplugin_gen/script.py): callbacks, aliases,
lambdas, the dialect, metadata, and scripts that are not *.py files.
The reader must never run the script."""

import os
import shutil
import tempfile
import textwrap
import unittest

from pyplugin_gen import cli, script
from pyplugin_gen.callbacks import Dialect
from pyplugin_gen.diagnostics import Diagnostics, Severity

REQUIRED_API1 = """
def open(readonly):
    return 1

def get_size(h):
    return 512

def pread(h, count, offset):
    return bytes(count)
"""


class ReaderTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-gen-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, text, name="plugin.py"):
        path = os.path.join(self.dir, name)
        data = text if isinstance(text, bytes) else \
            textwrap.dedent(text).encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, text, name="plugin.py"):
        """(Script or None, [diagnostic strings])."""
        diags = Diagnostics()
        s = script.read(self.write(text, name), diags)
        return s, [str(d) for d in diags.items]

    def read_ok(self, text, name="plugin.py"):
        s, diags = self.read(text, name)
        self.assertIsNotNone(s)
        self.assertEqual(diags, [])
        return s

    def read_error(self, text, *needles, name="plugin.py"):
        s, diags = self.read(text, name)
        self.assertTrue(diags, "expected an error")
        for needle in needles:
            self.assertTrue(any(needle in d for d in diags),
                            f"{needle!r} not in {diags}")
        self.assertTrue(all(": error: " in d for d in diags), diags)
        return s, diags


class Dialects(ReaderTest):

    def test_api1_by_default(self):
        s = self.read_ok(REQUIRED_API1)
        self.assertIs(s.dialect, Dialect.API1)

    def test_seed(self):
        s = self.read_ok("def api_version():\n    return 2\n"
                         + REQUIRED_API1)
        self.assertIs(s.dialect, Dialect.SEED)
        self.assertEqual(s.dialect.api_version, 2)

    def test_seed_with_docstring(self):
        s = self.read_ok('''
            def api_version():
                """The API we speak."""
                return 2
            ''')
        self.assertIs(s.dialect, Dialect.SEED)

    def test_seed_version_1(self):
        s = self.read_ok("def api_version():\n    return 1\n")
        self.assertIs(s.dialect, Dialect.API1)

    def test_released(self):
        s = self.read_ok("API_VERSION = 2\n" + REQUIRED_API1)
        self.assertIs(s.dialect, Dialect.RELEASED)

    def test_released_annotated(self):
        s = self.read_ok("API_VERSION: int = 2\n")
        self.assertIs(s.dialect, Dialect.RELEASED)

    def test_released_version_1(self):
        s = self.read_ok("API_VERSION = 1\n")
        self.assertIs(s.dialect, Dialect.API1)

    def test_declaration_anywhere_at_top_level(self):
        s = self.read_ok(REQUIRED_API1 + "\nAPI_VERSION = 2\n")
        self.assertIs(s.dialect, Dialect.RELEASED)

    def test_both_forms(self):
        self.read_error("""
            API_VERSION = 2
            def api_version():
                return 2
            """, "both API_VERSION and api_version() are declared",
            "plugin.py:3:5: error:")

    def test_unknown_version(self):
        self.read_error("API_VERSION = 3\n",
                        "plugin.py:1:15: error: API_VERSION declares API "
                        "version 3; only 1 and 2 exist")
        self.read_error("def api_version():\n    return 0\n",
                        "only 1 and 2 exist")

    def test_non_literal_version(self):
        for text in ("API_VERSION = 1 + 1\n", "API_VERSION = '2'\n",
                     "API_VERSION = 2.0\n", "API_VERSION = True\n",
                     "V = 2\nAPI_VERSION = V\n",
                     "def api_version():\n    v = 2\n    return v\n",
                     "def api_version():\n    return V\n"):
            with self.subTest(text=text):
                self.read_error(text, "integer literal 1 or 2")

    def test_nested_declarations_do_not_count(self):
        s = self.read_ok("""
            class Inner:
                API_VERSION = 2
            def f():
                API_VERSION = 2
            """)
        self.assertIs(s.dialect, Dialect.API1)


class Callbacks(ReaderTest):

    def test_defs(self):
        s = self.read_ok(REQUIRED_API1 + """
def helper(x):
    pass

async def flush(h):
    pass
""")
        self.assertEqual(sorted(s.callbacks),
                         ["flush", "get_size", "open", "pread"])
        pread = s.callbacks["pread"]
        self.assertEqual(pread.kind, "def")
        self.assertEqual((pread.line, pread.col), (8, 5))  # the name
        self.assertEqual(pread.signature.positional, 3)
        self.assertIn("helper", s.functions)
        self.assertNotIn("helper", s.callbacks)

    def test_table_order(self):
        s = self.read_ok("""
            def pread(h, count, offset): pass
            def config(key, value): pass
            def open(readonly): pass
            """)
        self.assertEqual(s.ordered_callbacks(), ["config", "open", "pread"])

    def test_alias(self):
        s = self.read_ok("""
            def my_write(h, buf, offset, flags=0):
                pass
            pwrite = my_write
            """)
        d = s.callbacks["pwrite"]
        self.assertEqual(d.kind, "alias")
        self.assertEqual((d.line, d.col), (4, 1))
        self.assertEqual(d.signature.positional, 4)
        self.assertEqual(d.signature.required, 3)
        self.assertNotIn("my_write", s.callbacks)

    def test_alias_of_alias(self):
        s = self.read_ok("""
            def f(h):
                return 1
            g = f
            get_size = g
            """)
        self.assertEqual(s.callbacks["get_size"].kind, "alias")
        self.assertEqual(s.callbacks["get_size"].signature.positional, 1)

    def test_annotated_alias(self):
        s = self.read_ok("""
            def f(h):
                return 1
            get_size: object = f
            """)
        self.assertEqual(s.callbacks["get_size"].kind, "alias")

    def test_chained_assignment(self):
        s = self.read_ok("""
            def f(h):
                return True
            can_write = can_flush = f
            """)
        self.assertEqual(s.callbacks["can_write"].kind, "alias")
        self.assertEqual(s.callbacks["can_flush"].kind, "alias")

    def test_lambda(self):
        s = self.read_ok("get_size = lambda h: 1024\n"
                         "can_write = lambda h, *rest: True\n")
        d = s.callbacks["get_size"]
        self.assertEqual(d.kind, "lambda")
        self.assertEqual(d.signature.positional, 1)
        self.assertFalse(d.signature.varargs)
        self.assertTrue(s.callbacks["can_write"].signature.varargs)

    def test_unknown_value(self):
        # Bound to something the reader cannot see through: accepted as
        # a callback, its signature unknown.
        s = self.read_ok("""
            import functools
            pread = functools.partial(print)
            from somewhere import get_size
            import open
            """)
        for name in ("pread", "get_size", "open"):
            self.assertEqual(s.callbacks[name].kind, "other", name)
            self.assertIsNone(s.callbacks[name].signature, name)

    def test_constant(self):
        s = self.read_ok("pread = 3\n")
        self.assertEqual(s.callbacks["pread"].kind, "literal")

    def test_rebinding(self):
        # The last binding wins, as when the script runs; rebinding a
        # callback is warned about.
        s, diags = self.read("""
            def pwrite(h, buf, offset): pass
            import pwrite
            """)
        self.assertEqual(len(diags), 1)
        self.assertIn(":3:1: warning: callback 'pwrite' is defined again",
                      diags[0])
        self.assertEqual(s.callbacks["pwrite"].kind, "other")
        s, diags = self.read("""
            def flush(h): pass
            def flush(h, flags): pass
            """)
        self.assertEqual(len(diags), 1)
        self.assertIn(":3:5: warning: callback 'flush' is defined again",
                      diags[0])
        self.assertEqual(s.callbacks["flush"].line, 3)
        self.assertEqual(s.callbacks["flush"].signature.positional, 2)

    def test_alias_target_rebound(self):
        s = self.read_ok("""
            def f(h): pass
            f = 3
            get_size = f
            """)
        self.assertEqual(s.callbacks["get_size"].kind, "other")

    def test_signatures(self):
        s = self.read_ok("""
            def a(h, count, offset, flags=0, *args, x=1, **kw): pass
            def b(h, /, count, *, must): pass
            """)
        a, b = s.functions["a"].signature, s.functions["b"].signature
        self.assertEqual((a.positional, a.required, a.varargs), (4, 3, True))
        self.assertEqual(a.required_kwonly, ())
        self.assertTrue(a.accepts(3) and a.accepts(4) and a.accepts(9))
        self.assertFalse(a.accepts(2))
        self.assertEqual((b.positional, b.required), (2, 2))
        self.assertEqual(b.required_kwonly, ("must",))
        self.assertFalse(b.accepts(2))

    def test_never_runs_the_script(self):
        marker = os.path.join(self.dir, "ran")
        self.read_ok(f"""
            open({marker!r}, "w").close()
            raise SystemExit(1)
            def open(readonly): pass
            """)
        self.assertFalse(os.path.exists(marker))


class Metadata(ReaderTest):

    def test_strings(self):
        s = self.read_ok('''
            longname = "A long name"
            description = 'What it does'
            version = "1.2.3"
            config_help = "size=SIZE"
            magic_config_key = "size"
            ''')
        self.assertEqual({k: m.value for k, m in s.metadata.items()}, {
            "longname": "A long name",
            "description": "What it does",
            "version": "1.2.3",
            "config_help": "size=SIZE",
            "magic_config_key": "size",
        })
        self.assertEqual((s.metadata["version"].line,
                          s.metadata["version"].col), (4, 1))
        self.assertEqual(s.config_help, "size=SIZE")

    def test_docstring_is_config_help(self):
        s = self.read_ok('''\
            """Serve a disk.

                size=SIZE   the size
            """
            ''')
        # Cleaned as inspect.cleandoc does.
        self.assertEqual(s.docstring, "Serve a disk.\n\nsize=SIZE   the size")
        self.assertEqual(s.config_help, s.docstring)
        self.assertNotIn("config_help", s.metadata)

    def test_config_help_beats_docstring(self):
        s = self.read_ok('"""The docstring."""\nconfig_help = "explicit"\n')
        self.assertEqual(s.docstring, "The docstring.")
        self.assertEqual(s.config_help, "explicit")

    def test_no_help(self):
        s = self.read_ok("x = 1\n")
        self.assertIsNone(s.config_help)

    def test_not_a_string_literal(self):
        self.read_error("version = 2\n",
                        "plugin.py:1:11: error: 'version' must be a "
                        "string literal")
        self.read_error("longname = 'a' + 'b'\n", "'longname' must be")
        self.read_error("description = f'{1}'\n", "'description' must be")

    def test_unicode(self):
        s = self.read_ok('longname = "d\\u00e9j\\u00e0 \\"vu\\" \\\\ */ ??="\n')
        self.assertEqual(s.metadata["longname"].value,
                         'd\u00e9j\u00e0 "vu" \\ */ ??=')


class Files(ReaderTest):

    def test_shebang_without_py_name(self):
        s = self.read_ok("#!/usr/bin/env python3\n" + REQUIRED_API1,
                         name="my-disk")
        self.assertEqual(s.filename, "my-disk")
        self.assertEqual(sorted(s.callbacks), ["get_size", "open", "pread"])
        self.assertEqual(cli.default_name(os.path.join(self.dir, "my-disk")),
                         "my-disk")

    def test_default_names(self):
        self.assertEqual(cli.default_name("/x/disk.py"), "disk")
        self.assertEqual(cli.default_name("my_disk.py"), "my-disk")
        self.assertEqual(cli.default_name("a b.c.py"), "a-b-c")
        self.assertEqual(cli.default_name("__.py"), "python")

    def test_coding_line(self):
        text = '# -*- coding: latin-1 -*-\nlongname = "caf\xe9"\n'
        s = self.read_ok(text.encode("latin-1"))
        self.assertEqual(s.metadata["longname"].value, "caf\u00e9")
        self.assertEqual(s.text, text)

    def test_bom(self):
        s = self.read_ok(b'\xef\xbb\xbfversion = "1"\n')
        self.assertEqual(s.metadata["version"].value, "1")

    def test_sha256_of_bytes(self):
        import hashlib
        data = b"#!/usr/bin/python3\nAPI_VERSION = 2\n"
        s = self.read_ok(data)
        self.assertEqual(s.source, data)
        self.assertEqual(s.sha256, hashlib.sha256(data).hexdigest())

    def test_filename_is_base_name(self):
        sub = os.path.join(self.dir, "sub")
        os.mkdir(sub)
        s = self.read_ok("x = 1\n", name="sub/odd name.py")
        self.assertEqual(s.filename, "odd name.py")
        self.assertTrue(s.path.endswith("sub/odd name.py"))

    def test_syntax_error(self):
        s, diags = self.read_error("def pread(h, count offset):\n    pass\n",
                                   "plugin.py:1:")
        self.assertIsNone(s)
        self.assertEqual(len(diags), 1)

    def test_undecodable(self):
        s, diags = self.read_error(b'longname = "\xff"\n',
                                   "cannot decode script")
        self.assertIsNone(s)

    def test_missing_file(self):
        diags = Diagnostics()
        path = os.path.join(self.dir, "missing.py")
        self.assertIsNone(script.read(path, diags))
        self.assertEqual(len(diags.items), 1)
        self.assertIs(diags.items[0].severity, Severity.ERROR)
        self.assertIn("cannot read script", str(diags.items[0]))

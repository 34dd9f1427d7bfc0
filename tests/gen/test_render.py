# SPDX-License-Identifier: BSD-3-Clause
"""Rendering the C plugin (gen/pyplugin_gen/render.py and the template):
C string and comment escaping, what the plugin registers and how it
calls, that the C compiles with -Wall -Wextra -Werror in every dialect,
that metadata and names reach nbdkit unchanged, and reproducibility of
the .c and the .so."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(TOP, "gen")

from pyplugin_gen import build, buildconfig, cli, model, render, script  # noqa: E402
from pyplugin_gen.callbacks import BY_NAME, CALLBACKS, Dialect, Where  # noqa: E402
from pyplugin_gen.diagnostics import Diagnostics  # noqa: E402

DECLARATION = {
    Dialect.API1: "",
    Dialect.SEED: "def api_version():\n    return 2\n",
    Dialect.RELEASED: "API_VERSION = 2\n",
}
REQUIRED = ("open", "get_size", "pread")

# Strings that must survive the trip into C unchanged.
TRICKY = [
    "",
    "plain",
    'say "hi"',
    "back\\slash and \\n not a newline",
    "new\nline",
    "tab\there",
    "carriage\rreturn, \x0bvt, \x0cff, \x07bel, \x08bs",
    "ends a comment */ starts one /*",
    "100% %s %n %d %%",
    "caf\u00e9 \u00fc \u65e5\u672c \u2603 \U0001F600",
    "\u00e91 octal then digit: \x01" + "7",
    "trigraphs ??= ??/ ??' ??( ??) ??! ??< ??> ??- ???",
    "ends with a question mark?",
    "\\x41 is not hex, \\101 not octal",
    "del \x7f and nul \x00 inside",
    "'single' quotes",
]


# A file name (no '/' possible) that is hard on C: quotes, backslash,
# newline, a trigraph, a format, a comment end once joined with what
# follows ("*" + " BY"), non-ASCII.
TRICKY_NAME = 'we"ird\\na ??=%s \u00e9\n.py*'


def cc():
    return shutil.which(os.environ.get("CC") or buildconfig.CC)


def nbdkit():
    return shutil.which("nbdkit") or shutil.which("/usr/sbin/nbdkit")


def need_compiler(test):
    reason = None
    if not cc():
        reason = "no C compiler"
    elif not os.path.exists(buildconfig.RUNTIME_LIB):
        reason = f"the runtime {buildconfig.RUNTIME_LIB} is not built"
    return unittest.skipIf(reason, reason)(test)


def definitions(dialect, names=None):
    """A script defining the named callbacks (all by default) with the
    dialect's parameters.  Only thread_model runs at load (nbdkit asks
    for it), so only it returns something meaningful."""
    lines = [DECLARATION[dialect]]
    for cb in CALLBACKS:
        if names is None or cb.name in names:
            body = "return 3" if cb.name == "thread_model" else "pass"
            lines.append(f"def {cb.name}({', '.join(cb.params(dialect))}):\n"
                         f"    {body}\n")
    return "\n".join(lines)


class TempDirTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-gen-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, text, name="plugin.py", directory=None):
        path = os.path.join(directory or self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def read(self, text, name="plugin.py"):
        diags = Diagnostics()
        s = script.read(self.write(text, name), diags)
        self.assertIsNotNone(s)
        self.assertFalse(diags.has_errors, [str(d) for d in diags.items])
        return s

    def render(self, text, name="plugin.py", plugin_name="test",
               interpreters=None):
        """C source for text, with stand-in bytecode (no compiler)."""
        return render.render(model.plugin(
            self.read(text, name), plugin_name,
            build.Bytecode(b"\x01\x02\x03", 1234, "3.11"),
            interpreters=interpreters))

    def cli(self, *args, cflags=None):
        """Run pyplugin-gen in this process: (status, stderr)."""
        env = {} if cflags is None else {"CFLAGS": cflags}
        err = io.StringIO()
        with mock.patch.dict(os.environ, env), \
                contextlib.redirect_stderr(err):
            status = cli.main(list(args))
        return status, err.getvalue()

    def generate(self, path, output, cflags="-O2 -Werror", *extra):
        status, err = self.cli(path, "-o", output, *extra, cflags=cflags)
        self.assertEqual(status, 0, err)
        self.assertTrue(os.path.exists(output))

    def run_nbdkit(self, plugin, *args):
        if not nbdkit():
            self.skipTest("nbdkit is not installed")
        proc = subprocess.run([nbdkit(), plugin, *args], capture_output=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode("utf-8")

    def dump_plugin(self, plugin):
        return self.run_nbdkit(plugin, "--dump-plugin")


class CString(unittest.TestCase):

    def test_examples(self):
        c = render.c_string
        self.assertEqual(c(""), '""')
        self.assertEqual(c("abc"), '"abc"')
        self.assertEqual(c('say "hi"'), r'"say \"hi\""')
        self.assertEqual(c("a\\b"), r'"a\\b"')
        self.assertEqual(c("a\nb"), r'"a\nb"')
        self.assertEqual(c("a\tb"), r'"a\tb"')
        self.assertEqual(c("*/"), '"*/"')
        self.assertEqual(c("100% %s"), '"100% %s"')
        self.assertEqual(c("\u00e9"), r'"\303\251"')
        self.assertEqual(c("??="), r'"\?\?="')
        self.assertEqual(c("\x00"), r'"\000"')
        self.assertEqual(c("\u00e91"), r'"\303\2511"')

    def test_one_line_of_printable_ascii(self):
        for s in TRICKY:
            lit = render.c_string(s)
            self.assertTrue(lit.startswith('"') and lit.endswith('"'))
            self.assertTrue(all(0x20 <= ord(ch) < 0x7f for ch in lit), lit)
            self.assertNotIn("??", lit)
            # No unescaped quote inside.
            self.assertNotRegex(lit[1:-1], r'(?<!\\)(\\\\)*"')

    @need_compiler
    def test_compiled_strings_are_unchanged(self):
        """Each literal, compiled with trigraphs on (-std=c11), holds the
        UTF-8 bytes of the string; the comments end where they should."""
        with tempfile.TemporaryDirectory() as d:
            lines = ["#include <stdio.h>",
                     "static void dump (const char *s, size_t n) {",
                     "  for (size_t j = 0; j < n; j++)",
                     '    printf ("%02x", (unsigned char) s[j]);',
                     '  printf ("\\n");',
                     "}"]
            for i, s in enumerate(TRICKY):
                lines.append(f"/* {render.c_comment(s)} */")
                lines.append(f"static const char s{i}[] = "
                             f"{render.c_string(s)};")
            lines.append("int main (void) {")
            for i in range(len(TRICKY)):
                lines.append(f"  dump (s{i}, sizeof s{i} - 1);")
            lines.append("  return 0;\n}")
            src = os.path.join(d, "strings.c")
            with open(src, "w") as f:
                f.write("\n".join(lines) + "\n")
            exe = os.path.join(d, "strings")
            proc = subprocess.run(
                [cc(), "-std=c11", "-trigraphs", "-Wall", "-Wextra",
                 "-Werror", "-Wtrigraphs", "-Wcomment", "-o", exe, src],
                capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out = subprocess.run([exe], capture_output=True, text=True,
                                 check=True).stdout.splitlines()
        self.assertEqual(out, [s.encode("utf-8").hex() for s in TRICKY])


class CComment(unittest.TestCase):

    def test_safe(self):
        for s in TRICKY + ["???=", "??/", "/*/", "*/*", "a*//*b"]:
            text = render.c_comment(s)
            self.assertNotIn("*/", text)
            self.assertNotIn("/*", text)
            self.assertNotIn("??", text)
            self.assertNotIn("\n", text)
            self.assertTrue(text.isascii())

    def test_plain_text_unchanged(self):
        self.assertEqual(render.c_comment("disk.py"), "disk.py")
        self.assertEqual(render.c_comment("API 2 (API_VERSION = 2)"),
                         "API 2 (API_VERSION = 2)")


def plugin_fields(c_source):
    """{field: value} of `static struct nbdkit_plugin plugin = {...}`."""
    body = re.search(r"static struct nbdkit_plugin plugin = \{\n(.*?)\n\};",
                     c_source, re.S).group(1)
    return dict(re.findall(r"^\s*\.(\w+) = (.*),$", body, re.M))


def call_formats(c_source):
    """{callback: format string} of the calls of callbacks."""
    return dict(re.findall(r'pyp_call \((\w+)_fn, "([\w()]*)"', c_source))


class Rendering(TempDirTest):

    def test_only_defined_callbacks_registered(self):
        c = self.render(definitions(Dialect.RELEASED,
                                    REQUIRED + ("pwrite", "flush")))
        fields = plugin_fields(c)
        callbacks = {k for k in fields if k in BY_NAME}
        always = {cb.name for cb in CALLBACKS if cb.always}
        self.assertEqual(callbacks, set(REQUIRED) | {"pwrite", "flush"}
                         | always)
        for name in callbacks:
            self.assertEqual(fields[name], f"{name}_wrapper")
        self.assertEqual(fields["load"], "load")
        self.assertEqual(fields["unload"], "unload")
        self.assertNotIn("trim", fields)
        self.assertNotIn("can_write", fields)
        self.assertNotIn("trim_wrapper", c)

    def test_offered_operation_registered(self):
        # can_flush without flush: flush is registered and fails as
        # nbdkit python's does; can_fua, whose nbdkit default would now
        # see a flush, is registered answering as if there were none.
        c = self.render(definitions(Dialect.RELEASED,
                                    REQUIRED + ("can_flush",)))
        fields = plugin_fields(c)
        self.assertEqual(fields.get("flush"), "flush_wrapper")
        self.assertEqual(fields.get("can_fua"), "can_fua_wrapper")
        self.assertNotIn("trim", fields)
        self.assertIn('ret = pyp_not_defined ("flush");', c)
        self.assertRegex(c, r"can_fua_wrapper \(void \*handle\)\n\{\n"
                         r"  int ret;\n\n  \(void\) handle;\n  ret = 0;\n"
                         r"  return ret;\n\}")
        self.assertNotIn("static PyObject *flush_fn", c)

    def test_every_offered_operation(self):
        for cb in CALLBACKS:
            if cb.gate is None:
                continue
            op = BY_NAME[cb.gate.operation]
            with self.subTest(can=cb.name):
                c = self.render(definitions(Dialect.RELEASED,
                                            REQUIRED + (cb.name,)))
                self.assertEqual(plugin_fields(c)[op.name],
                                 f"{op.name}_wrapper")
                self.assertIn(f"  ret = {op.missing_expression()};\n", c)
                # Defined, the script's function is called instead.
                c = self.render(definitions(Dialect.RELEASED, REQUIRED
                                            + (cb.name, op.name)))
                self.assertNotIn(op.missing_expression(), c)

    def test_all_callbacks_registered(self):
        c = self.render(definitions(Dialect.SEED))
        self.assertEqual({k for k in plugin_fields(c) if k in BY_NAME},
                         set(BY_NAME))

    def test_format_strings_per_dialect(self):
        for dialect in Dialect:
            with self.subTest(dialect=dialect):
                c = self.render(definitions(dialect))
                formats = call_formats(c)
                self.assertEqual(set(formats), set(BY_NAME))
                for name, fmt in formats.items():
                    self.assertEqual(fmt, BY_NAME[name].format(dialect), name)
        c = self.render(definitions(Dialect.RELEASED))
        self.assertIn('pyp_call (pread_fn, "(OOKI)", h, view, '
                      'offset, flags);', c)
        c = self.render(definitions(Dialect.API1))
        flat = " ".join(c.split())  # long calls are wrapped
        self.assertIn('pyp_call (zero_fn, "(OIKO)", h, count, '
                      'offset, pyp_bool (flags & NBDKIT_FLAG_MAY_TRIM));', flat)
        # API 1's flush takes no flags.
        self.assertIn("flush_wrapper (void *handle, uint32_t flags)\n{\n"
                      "  int ret;\n\n  (void) flags;\n", c)

    def test_results_and_views(self):
        c = self.render(definitions(Dialect.RELEASED))
        self.assertIn("pyp_view (buf, count, PyBUF_WRITE)", c)  # pread fills
        self.assertIn("pyp_view (buf, count, PyBUF_READ)", c)  # pwrite reads
        self.assertIn('ret = pyp_result_none (r, "pread");', c)
        c = self.render(definitions(Dialect.SEED))
        self.assertIn('ret = pyp_result_buffer (r, "pread", buf, count);', c)
        self.assertIn('ret = pyp_result_zero (r, "zero");', c)
        self.assertIn('ret = pyp_result_extents (r, "extents", extents);', c)

    def test_callables_resolved_once(self):
        c = self.render(definitions(Dialect.RELEASED))
        # Nothing is looked up by name while serving.
        for lookup in ("GetAttr", "GetItem", "PyImport", "PyRun"):
            self.assertNotIn(lookup, c)
        table = re.search(r"callables\[\] = \{\n(.*?)\n\};", c, re.S).group(1)
        self.assertEqual(re.findall(r'\{ "(\w+)", &(\w+)_fn \}', table),
                         [(cb.name, cb.name) for cb in CALLBACKS])

    def test_callables_only_defined(self):
        c = self.render(definitions(Dialect.API1, REQUIRED))
        self.assertEqual(re.findall(r"^static PyObject \*(\w+)_fn;$", c, re.M),
                         ["open", "get_size", "pread"])

    def test_thread_model(self):
        c = self.render(definitions(Dialect.API1, REQUIRED))
        self.assertIn("#define THREAD_MODEL "
                      "NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS", c)
        c = self.render(definitions(Dialect.API1,
                                    REQUIRED + ("thread_model",)))
        self.assertIn("#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL", c)

    def test_header_and_script_fields(self):
        text = definitions(Dialect.SEED, REQUIRED)
        s = self.read(text)
        c = self.render(text)
        self.assertTrue(c.startswith("/* GENERATED FROM plugin.py BY "
                                     f"pyplugin-gen {buildconfig.VERSION}.\n"
                                     " * DO NOT EDIT"))
        self.assertIn(f'.sha256 = "{s.sha256}"', c)
        self.assertIn('.dialect = "seed"', c)
        self.assertIn(".api_version = 2,", c)
        self.assertIn(".magic = 1234UL", c)
        self.assertIn("static const unsigned char script_code[3] = {", c)
        self.assertIn("0x01, 0x02, 0x03,", c)
        self.assertEqual(plugin_fields(c)["name"], '"test"')

    def test_metadata_fields(self):
        text = definitions(Dialect.API1, REQUIRED) + textwrap.dedent('''
            longname = 'Long "name"'
            description = "line 1\\nline 2"
            version = "1.0"
            magic_config_key = "size"
            ''')
        c = self.render('"""Help \\\\ me."""\n' + text)
        fields = plugin_fields(c)
        # Each string is a static array in the data part, named as the field.
        strings = {
            "longname": '  "Long \\"name\\""',
            "description": '  "line 1\\n"\n  "line 2"',
            "version": '  "1.0"',
            "magic_config_key": '  "size"',
            "config_help": '  "Help \\\\ me."',
        }
        for field, literal in strings.items():
            self.assertEqual(fields[field], field)
            self.assertIn(f"static const char {field}[] =\n{literal};\n", c)
        fields = plugin_fields(self.render(text))
        for absent in ("config_help", "magic_config_key"[:0] or "x"):
            self.assertNotIn(absent, fields)
        self.assertNotIn("config_help", plugin_fields(
            self.render(definitions(Dialect.API1, REQUIRED))))

    def test_source_embedded(self):
        text = definitions(Dialect.API1, REQUIRED) + "# caf\u00e9 */ ??=\n"
        c = self.render(text)
        self.assertIn(r'"# caf\303\251 */ \?\?=\n";', c)

    def test_render_twice_identical(self):
        text = definitions(Dialect.RELEASED)
        self.assertEqual(self.render(text), self.render(text))
        s = self.read(text)
        code = build.Bytecode(b"abc", 1, "3.11")
        self.assertEqual(render.render(model.plugin(s, "x", code)),
                         render.render(model.plugin(s, "x", code)))

    def test_tricky_filename_in_comment_and_string(self):
        name = TRICKY_NAME
        c = self.render(definitions(Dialect.API1, REQUIRED), name=name)
        first = c.splitlines()[0]
        self.assertTrue(first.startswith("/* GENERATED FROM "))
        self.assertTrue(first.endswith("BY pyplugin-gen "
                                       f"{buildconfig.VERSION}."))
        self.assertIn(".name = script_name,", c)
        self.assertIn("static const char script_name[] =\n"
                      f"{render.c_string_lines(name)};\n", c)


class Compiled(TempDirTest):
    """Generated C compiled with -Wall -Wextra -Werror, then loaded by
    nbdkit."""

    def compile_c(self, c_path, so_path, cflags="-O2 -Werror"):
        build_dir = os.path.dirname(c_path)
        with mock.patch.dict(os.environ, {"CFLAGS": cflags}):
            command = build.compiler_command(c_path, so_path, build_dir)
        self.assertIn("-Wall", command)
        self.assertIn("-Wextra", command)
        self.assertIn("-Werror", command)
        proc = subprocess.run(command, capture_output=True, text=True,
                              cwd=build_dir)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    @need_compiler
    def test_every_dialect_compiles_and_registers_what_it_defines(self):
        for dialect in Dialect:
            for names in (REQUIRED, None):
                with self.subTest(dialect=dialect, names=names):
                    d = tempfile.mkdtemp(dir=self.dir)
                    path = self.write(definitions(dialect, names),
                                      directory=d)
                    c_path = os.path.join(d, "plugin.c")
                    so = os.path.join(d, "plugin.so")
                    self.assertEqual(self.cli(path, "-S", c_path)[0], 0)
                    self.compile_c(c_path, so, cflags="-O0 -Werror")
                    if not nbdkit():
                        continue
                    out = self.dump_plugin(so)
                    has = {m for m in re.findall(r"^has_(\w+)=1$", out, re.M)
                           if m in BY_NAME}
                    defined = set(BY_NAME) if names is None else set(names)
                    always = {cb.name for cb in CALLBACKS if cb.always}
                    self.assertEqual(has, defined | always)
                    self.assertIn(f"python_api_dialect={dialect.value}\n",
                                  out)
                    self.assertIn(
                        f"python_api_version={dialect.api_version}\n", out)
                    ordered = [cb.name for cb in CALLBACKS
                               if cb.name in defined]
                    self.assertIn(f"callbacks={','.join(ordered)}\n", out)

    @need_compiler
    def test_standalone_compiles(self):
        # The frozen modules' table (struct _frozen changed in Python
        # 3.12) and the rest, on this Python, with no warning.
        if not buildconfig.STANDALONE_LIBS:
            self.skipTest(buildconfig.STANDALONE_MISSING)
        path = self.write("import json\n"
                          + definitions(Dialect.RELEASED, REQUIRED))
        self.generate(path, os.path.join(self.dir, "standalone.so"),
                      "-O0 -Werror", "--standalone")

    @need_compiler
    def test_offered_operations_compile(self):
        # Every can_X without its operation, all in one plugin.
        gated = tuple(cb.name for cb in CALLBACKS if cb.gate)
        path = self.write(definitions(Dialect.RELEASED, REQUIRED + gated))
        c_path = os.path.join(self.dir, "plugin.c")
        self.assertEqual(self.cli(path, "-S", c_path)[0], 0)
        self.compile_c(c_path, os.path.join(self.dir, "plugin.so"))

    @need_compiler
    def test_metadata_reaches_nbdkit_unchanged(self):
        tricky = ('say "hi" \\ back\\\\slash 100% %s %n */ /* ??= ??/ '
                  'caf\u00e9 \u2603')
        help_text = "size=SIZE " + tricky + "\nsecond line ??' */"
        text = (f"{help_text!r}\n"
                f"longname = {tricky!r}\n"
                f"description = {(tricky + chr(10) + 'more ??<')!r}\n"
                f"version = {('1.0-' + tricky)!r}\n"
                "magic_config_key = 'size'\n"
                "API_VERSION = 2\n"
                + definitions(Dialect.RELEASED, REQUIRED + ("config",)))
        path = self.write(text)
        c_path = os.path.join(self.dir, "meta.c")
        so = os.path.join(self.dir, "meta.so")
        self.assertEqual(self.cli(path, "-S", c_path, "--name", "meta")[0], 0)
        self.compile_c(c_path, so)

        with open(so, "rb") as f:
            binary = f.read()
        for value in (tricky, tricky + "\nmore ??<", "1.0-" + tricky,
                      help_text):
            self.assertTrue(value.encode("utf-8") + b"\0" in binary, value)

        out = self.dump_plugin(so)
        self.assertIn("\nname=meta\n", out)
        self.assertIn(f"\nversion=1.0-{tricky}\n", out)
        self.assertIn("\nmagic_config_key=size\n", out)
        self.assertIn("\nhas_longname=1\n", out)
        self.assertIn("\nhas_description=1\n", out)
        self.assertIn("\nhas_config_help=1\n", out)
        help_out = self.run_nbdkit(so, "--help")
        self.assertIn(f"plugin: meta ({tricky})\n", help_out)
        self.assertIn(f"\n{tricky}\nmore ??<\n", help_out)
        self.assertIn(f"\n{help_text}\n", help_out)

    @need_compiler
    def test_tricky_script_name(self):
        # The path has a */ too; only the base name is embedded.
        name = TRICKY_NAME
        d = os.path.join(self.dir, "dir*")
        os.mkdir(d)
        path = self.write(definitions(Dialect.API1, REQUIRED), name=name,
                          directory=d)
        so = os.path.join(self.dir, "tricky.so")
        self.generate(path, so, "-O2 -Werror", "--name", "tricky")
        with open(so, "rb") as f:
            self.assertTrue(name.encode("utf-8") + b"\0" in f.read())
        out = self.dump_plugin(so)
        self.assertIn(f"\nscript={name}\n", out)
        self.assertIn("\nname=tricky\n", out)

    @need_compiler
    def test_default_name_from_odd_file_name(self):
        path = self.write(definitions(Dialect.API1, REQUIRED),
                          name="my disk_v2.py")
        so = os.path.join(self.dir, "odd.so")
        self.generate(path, so)
        self.assertIn("\nname=my-disk-v2\n", self.dump_plugin(so))

    @need_compiler
    def test_compiler_failure_leaves_nothing(self):
        path = self.write(definitions(Dialect.API1, REQUIRED))
        so = os.path.join(self.dir, "broken.so")
        status, err = self.cli(path, "-o", so,
                               cflags="-O0 -include /nonexistent/x.h")
        self.assertEqual(status, 1)
        self.assertIn("pyplugin-gen: error: the C compiler failed", err)
        self.assertEqual(sorted(os.listdir(self.dir)), ["plugin.py"])


# Exercises what makes marshal output vary: frozenset constants (hash
# order), interned and non-interned strings, nested code, closures.
REPRODUCIBLE = '''\
"""A plugin to be generated twice."""
import errno
import nbdkit

API_VERSION = 2
longname = "reproducible \\u00e9"
disk = bytearray(4096)
KEYS = {"size", "file", "readonly", "cache", "x" * 40}
TABLE = {"a": (1, 2.5, None), "b": frozenset({"q", "r", "s"})}


def config(key, value):
    if key not in {"size", "file", "readonly"}:
        raise RuntimeError("unknown parameter %s" % key)


def open(readonly):
    def inner(n, _k=KEYS):
        return n in _k
    return {"inner": inner, "ro": readonly}


def get_size(h):
    return len(disk)


def pread(h, buf, offset, flags):
    buf[:] = disk[offset:offset + len(buf)]
'''


class Reproducible(TempDirTest):

    def run_gen(self, *args, hashseed):
        env = dict(os.environ, PYTHONPATH=GEN, PYTHONHASHSEED=str(hashseed))
        env.pop("CFLAGS", None)
        proc = subprocess.run([sys.executable, "-m", "pyplugin_gen", *args],
                              capture_output=True, text=True, env=env,
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_c_source_across_processes(self):
        """Separate generator processes with different string hashing
        write the same C (the bytecode included)."""
        outputs = []
        for seed in (1, 2, 3):
            d = tempfile.mkdtemp(dir=self.dir)
            path = self.write(REPRODUCIBLE, "repro.py", directory=d)
            out = os.path.join(d, "repro.c")
            self.run_gen(path, "-S", out, hashseed=seed)
            with open(out, "rb") as f:
                outputs.append(f.read())
        self.assertEqual(outputs[0], outputs[1])
        self.assertEqual(outputs[0], outputs[2])
        self.assertIn(b"script_code[", outputs[0])

    def test_bytecode_ignores_reference_counts(self):
        """Marshal formats from 3 on mark an object for back-references
        when its reference count is above one: a process that happens to
        hold a constant elsewhere writes other bytes.  build.DUMPS, run
        by the target Python as the build runs it, does not."""
        child = textwrap.dedent(f"""
            import marshal, sys
            code = compile("x = ('a b', 1.5)\\ny = x\\n", "t", "exec",
                           dont_inherit=True)
            held = list(code.co_consts) if sys.argv[1] == "hold" else []
            sys.stdout.write(marshal.dumps(code, marshal.version).hex() + " ")
            sys.stdout.write({build.DUMPS}.hex())
        """)
        out = {}
        for mode in ("hold", "free"):
            proc = subprocess.run([buildconfig.PYTHON, "-S", "-c", child,
                                   mode],
                                  capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONHASHSEED="0"),
                                  timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out[mode] = proc.stdout.split()
        self.assertNotEqual(out["hold"][0], out["free"][0])
        self.assertEqual(out["hold"][1], out["free"][1])
        self.assertEqual(bytes.fromhex(out["free"][1])[0] & 0x7f, ord("c"))

    @need_compiler
    def test_so_in_different_directories(self):
        sos = []
        for _ in range(2):
            d = tempfile.mkdtemp(dir=self.dir)
            path = self.write(REPRODUCIBLE, "repro.py", directory=d)
            so = os.path.join(d, "repro-plugin.so")
            self.generate(path, so, cflags="-O2 -g")
            with open(so, "rb") as f:
                sos.append(f.read())
        self.assertEqual(len(sos[0]), len(sos[1]))
        self.assertTrue(sos[0] == sos[1], "the two .so files differ")
        # The temporary build directories are not recorded.
        self.assertNotIn(b"pyplugin-gen-test-", sos[0])
        self.assertNotIn(self.dir.encode(), sos[0])


class PerConnection(TempDirTest):
    """With one interpreter per connection, each wrapper takes the GIL,
    and the callable, of the interpreter its row's runs_in names, and
    the replayed rows record their calls; the default's wrappers have
    none of it."""

    def wrapper(self, c, name):
        return re.search(r"\n%s_wrapper \(.*?\n}\n" % name, c,
                         re.S).group(0)

    def test_where_each_callback_runs(self):
        text = definitions(Dialect.RELEASED)
        pool = model.Interpreters(pool=3, limit=7)
        c = self.render(text, interpreters=pool)
        defined = [cb.name for cb in CALLBACKS
                   if cb.name in self.read(text).callbacks]
        for cb in CALLBACKS:
            if cb.name not in defined:
                continue
            w = self.wrapper(c, cb.name)
            index = defined.index(cb.name)
            with self.subTest(callback=cb.name):
                if cb.runs_in is Where.CONNECTION:
                    self.assertIn("PYP_CONN_GIL (%s);" % (
                        "handle" if cb.has_handle() else "NULL"), w)
                    self.assertIn("PYP_CONN_FN (%d)" % index, w)
                else:
                    self.assertIn("PYP_GIL;", w)
                    self.assertIn("pyp_call (%s_fn" % cb.name, w)
                self.assertEqual("pyp_replay_record (ret, %d," % index in w,
                                 cb.replayed)
        self.assertIn(".pool = 3,\n  .limit = 7,", c)
        self.assertIn(".interpreters = &interpreters,", c)
        self.assertIn("#if PY_VERSION_HEX < 0x030c0000", c)

    def test_default_untouched(self):
        c = self.render(definitions(Dialect.RELEASED))
        for needle in ("PYP_CONN", "pyp_replay_record", "pyp_conn_object",
                       "0x030c0000"):
            self.assertNotIn(needle, c)
        self.assertIn(".interpreters = NULL,", c)

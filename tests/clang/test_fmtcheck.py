# SPDX-License-Identifier: BSD-3-Clause
"""The format-string checker (gen/pyplugin_gen/fmtcheck.py): it passes on
the runtime's sources and on the C generated for every example and for
every callback in every dialect, finding every call there is; and it
flags wrong calls, the seed's among them."""

import contextlib
import io
import os
import re
import sys
import tempfile
import unittest
from unittest import mock

from common import RUNTIME, TOP, count_calls, runtime_flags
from pyplugin_gen import callbacks, cli, fmtcheck
from pyplugin_gen.callbacks import CALLBACKS, Dialect

EXAMPLES = sorted(os.path.join(TOP, "examples", f)
                  for f in os.listdir(os.path.join(TOP, "examples"))
                  if f.endswith(".py"))


def every_callback(dialect):
    """A script of the dialect defining every callback of the table."""
    lines = {Dialect.API1: [],
             Dialect.SEED: ["def api_version():", "    return 2", ""],
             Dialect.RELEASED: ["API_VERSION = 2", ""]}[dialect]
    for cb in CALLBACKS:
        lines += [f"def {cb.name}({', '.join(cb.params(dialect))}):",
                  "    pass", ""]
    return "\n".join(lines)


def generate(script, out):
    """pyplugin-gen -S, in this process (so that tests may patch the
    table); returns its stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = cli.main([script, "-S", out])
    if status != 0:
        raise AssertionError(f"pyplugin-gen -S {script} failed:\n"
                             f"{err.getvalue()}")
    return err.getvalue()


def check(path, text=None, flags=None):
    checker = fmtcheck.Checker(runtime_flags() if flags is None else flags)
    checker.check_file(path, text)
    return checker


class Clean(unittest.TestCase):
    """Everything the project compiles passes, and every call in it is
    seen (counted against the calls in the source text)."""

    def assertClean(self, checker, path, flags=None):
        self.assertEqual([str(f) for f in checker.findings], [])
        self.assertEqual(checker.calls, count_calls(path, flags), path)

    def test_runtime_sources(self):
        sources = sorted(os.path.join(RUNTIME, f) for f in os.listdir(RUNTIME)
                         if f.endswith((".c", ".h")))
        self.assertTrue(any(s.endswith("module.c") for s in sources))
        total = 0
        for path in sources:
            with self.subTest(os.path.basename(path)):
                checker = check(path)
                self.assertClean(checker, path)
                total += checker.calls
        self.assertGreaterEqual(total, 10)

    def test_examples(self):
        self.assertGreaterEqual(len(EXAMPLES), 3)
        dialects = set()
        with tempfile.TemporaryDirectory(prefix="pyplugin-fmt-") as tmp:
            for script in EXAMPLES:
                with self.subTest(os.path.basename(script)):
                    out = os.path.join(tmp, "plugin.c")
                    generate(script, out)
                    with open(out) as f:
                        m = re.search(r"^ \* Dialect: API (\d) \((.*)\)$",
                                      f.read(), re.M)
                    dialects.add(m.group(2) if m.group(1) == "2" else "1")
                    checker = check(out)
                    self.assertClean(checker, out)
                    self.assertGreaterEqual(checker.calls, 3)
        # The examples cover every dialect.
        self.assertEqual(len(dialects), 3, dialects)

    def test_every_callback_in_every_dialect(self):
        with tempfile.TemporaryDirectory(prefix="pyplugin-fmt-") as tmp:
            for dialect in Dialect:
                with self.subTest(dialect.value):
                    script = os.path.join(tmp, f"all_{dialect.value}.py")
                    with open(script, "w") as f:
                        f.write(every_callback(dialect))
                    out = os.path.join(tmp, f"all_{dialect.value}.c")
                    generate(script, out)
                    checker = check(out)
                    self.assertClean(checker, out)
                    # One call of the script per callback.
                    self.assertEqual(checker.calls, len(CALLBACKS))

    def test_a_regressed_table_is_caught(self):
        # The seed's slip, made in the callback table: uint32_t (count,
        # flags) passed as a signed int.  Every such argument is flagged.
        bad = dict(callbacks.C_UNITS, uint32_t=("i", "{name}"))
        with tempfile.TemporaryDirectory(prefix="pyplugin-fmt-") as tmp, \
                mock.patch.object(callbacks, "C_UNITS", bad):
            script = os.path.join(tmp, "all.py")
            with open(script, "w") as f:
                f.write(every_callback(Dialect.API1))
            out = os.path.join(tmp, "all.c")
            generate(script, out)
            checker = check(out)
        uint32 = [(cb.name, p) for cb in CALLBACKS
                  for p in cb.params(Dialect.API1)
                  if getattr(cb.c_param(p), "type", None) == "uint32_t"]
        self.assertGreaterEqual(len(uint32), 6)
        self.assertIn(("pread", "count"), uint32)
        self.assertEqual(len(checker.findings), len(uint32),
                         [str(f) for f in checker.findings])
        for f in checker.findings:
            self.assertIn("unit 'i' reads 'int', but argument", str(f))
            self.assertIn("'uint32_t' (aka 'unsigned int')", str(f))

    def test_an_unparenthesised_table_is_caught(self):
        # Formats without their parentheses: every call of one object
        # unit (each callback whose only argument is the handle) is flagged.
        def bare(cb, dialect):
            return "".join(a.unit for a in cb.call_args(dialect))
        with tempfile.TemporaryDirectory(prefix="pyplugin-fmt-") as tmp, \
                mock.patch.object(callbacks.Callback, "format", bare):
            script = os.path.join(tmp, "all.py")
            with open(script, "w") as f:
                f.write(every_callback(Dialect.RELEASED))
            out = os.path.join(tmp, "all.c")
            generate(script, out)
            checker = check(out)
        single = [cb.name for cb in CALLBACKS
                  if bare(cb, Dialect.RELEASED) == "O"]
        self.assertIn("get_size", single)
        self.assertIn("open", single)
        self.assertEqual(len(checker.findings), len(single),
                         [str(f) for f in checker.findings])
        for f in checker.findings:
            self.assertIn('format "O" of pyp_call is one unit',
                          str(f))


PRELUDE = """\
#define PY_SSIZE_T_CLEAN 1
#include <Python.h>
#include <stdbool.h>
#include <stdint.h>
"""


class Flags(unittest.TestCase):
    """Calls the checker must flag (and close relatives it must not),
    each as file:line:col with both types."""

    def findings(self, body, prelude=PRELUDE, parses=True):
        """The findings in body, a function's statements, and the text
        of the file."""
        text = prelude + "void f (PyObject *fn, PyObject *args,\n" \
            "        uint32_t count, uint64_t offset, uint32_t flags)\n{\n" \
            + body + "\n}\n"
        checker = check("/virtual/t.c", text, flags=runtime_flags())
        self.assertEqual(checker.files, 1 if parses else 0,
                         [str(f) for f in checker.findings])
        return [str(f) for f in checker.findings], text

    def assertFlags(self, body, *needles, count=1):
        found, _ = self.findings(body)
        self.assertEqual(len(found), count, found)
        for needle in needles:
            self.assertTrue(any(needle in f for f in found),
                            f"{needle!r} not in {found}")
        return found

    def assertClean(self, body):
        found, _ = self.findings(body)
        self.assertEqual(found, [])

    # -- the seed's calls (plugins/python/python.c after the patch)

    def test_seed_OiL_uint32_count(self):
        body = ('  PyObject *obj = fn;\n'
                '  PyObject_CallFunction (fn, "OiL", obj, count, offset);')
        found = self.assertFlags(
            body,
            "format \"OiL\": unit 'i' reads 'int', but argument 4 is "
            "'uint32_t' (aka 'unsigned int'): a signed unit for an "
            "unsigned type",
            "unit 'L' reads 'long long' or 'int64_t', but argument 5 is "
            "'uint64_t' (aka 'unsigned long')", count=2)
        # At the argument: the line of the call, the column of `count`.
        _, text = self.findings(body)
        lines = text.splitlines()
        line = next(i for i, t in enumerate(lines, 1) if '"OiL"' in t)
        col = lines[line - 1].index("count,") + 1
        self.assertTrue(found[0].startswith(f"/virtual/t.c:{line}:{col}: "),
                        found)

    def test_seed_trailing_null(self):
        self.assertFlags(
            '  PyObject_CallFunction (fn, "OKI", fn, offset, flags, NULL);',
            "format \"OKI\" of PyObject_CallFunction takes 3 arguments, "
            "but 4 are passed")

    def test_seed_OiLI(self):
        self.assertFlags(
            '  PyObject_CallFunction (fn, "OiLI", fn, count, offset, '
            'flags);', "unit 'i'", "unit 'L'", count=2)

    def test_seed_ONL(self):
        self.assertFlags(
            '  PyObject_CallFunction (fn, "ONL", fn,\n'
            '    PyByteArray_FromStringAndSize ("", 0), offset);',
            "unit 'L' reads 'long long' or 'int64_t', but argument 5 is "
            "'uint64_t'")

    # -- integer units

    def test_I_K_accept_uint32_uint64(self):
        self.assertClean(
            '  unsigned u = 1; unsigned long long ull = 2;\n'
            '  Py_BuildValue ("IKIK", count, offset, u, ull);\n'
            '  Py_BuildValue ("K", offset + 1);\n'
            '  Py_BuildValue ("I", flags & 1u);')

    def test_K_with_plain_unsigned_long(self):
        self.assertFlags(
            '  unsigned long ul = 3;\n  Py_BuildValue ("K", ul);',
            "unit 'K' reads 'unsigned long long' or 'uint64_t', but "
            "argument 2 is 'unsigned long'")

    def test_L_accepts_int64_and_long_long(self):
        self.assertClean(
            '  int64_t s = -1; long long ll = -2;\n'
            '  Py_BuildValue ("LL", s, ll);')

    def test_I_with_int(self):
        self.assertFlags(
            '  int i = -1;\n  Py_BuildValue ("I", i);',
            "unit 'I' reads 'unsigned int' or 'uint32_t', but argument 2 "
            "is 'int': an unsigned unit for a signed type")

    def test_i_with_long(self):
        self.assertFlags('  long l = 1;\n  Py_BuildValue ("i", l);',
                         "unit 'i' reads 'int', but argument 2 is 'long'")

    def test_promotions(self):
        # char, short and bool arrive as int, float as double.
        self.assertClean(
            '  char c = 1; short s = 2; bool b = true; float x = 1;\n'
            '  unsigned short us = 3;\n'
            '  Py_BuildValue ("ihbBcHdf", c, s, b, c, c, us, x, x);')

    def test_promoted_type_is_named(self):
        self.assertFlags(
            '  short s = 2;\n  Py_BuildValue ("L", s);',
            "argument 2 is 'short', promoted to 'int'")

    # -- strings, objects, lengths

    def test_hash_wants_py_ssize_t(self):
        self.assertFlags(
            '  const char *s = "x"; size_t n = 1;\n'
            '  Py_BuildValue ("s#", s, n);',
            "unit 's#' reads 'Py_ssize_t', but argument 3 is 'size_t' "
            "(aka 'unsigned long')")
        self.assertClean(
            '  const char *s = "x"; size_t n = 1;\n'
            '  Py_BuildValue ("s#y#z#", s, (Py_ssize_t) n, s, '
            '(Py_ssize_t) n, NULL, (Py_ssize_t) 0);')

    @unittest.skipIf(sys.version_info >= (3, 13),
                     "'#' takes Py_ssize_t always from Python 3.13")
    def test_hash_without_ssize_t_clean(self):
        found, _ = self.findings(
            '  const char *s = "x";\n'
            '  Py_BuildValue ("s#", s, (Py_ssize_t) 1);',
            prelude=PRELUDE.replace("#define PY_SSIZE_T_CLEAN 1\n", ""))
        self.assertEqual(len(found), 1, found)
        self.assertIn("PY_SSIZE_T_CLEAN", found[0])

    def test_O_wants_a_pyobject_pointer(self):
        self.assertFlags(
            '  PyObject_CallMethod (fn, "x", "OO", fn, count);',
            "unit 'O' reads 'PyObject *', but argument 5 is 'uint32_t'")
        self.assertClean(
            '  PyObject_CallMethod (fn, "x", "OON", fn, Py_None, '
            'PyLong_FromLong (1));')

    def test_s_wants_chars(self):
        self.assertFlags('  Py_BuildValue ("s", count);',
                         "unit 's' reads 'const char *', but argument 2 is "
                         "'uint32_t'")
        self.assertClean('  char buf[4] = "abc";\n'
                         '  Py_BuildValue ("ss", "lit", buf);')

    # -- structure of the format

    def test_tuples(self):
        self.assertClean(
            '  Py_BuildValue ("(nOOs)", (Py_ssize_t) 1, Py_None, fn, "x");\n'
            '  Py_BuildValue ("[i(ii)]{s:O}", 1, 2, 3, "k", fn);')
        self.assertFlags('  Py_BuildValue ("(OO)", fn);',
                         "format \"(OO)\" of Py_BuildValue takes 2 "
                         "arguments, but 1 is passed")
        self.assertFlags('  Py_BuildValue ("(O", fn);', "')' is missing")
        self.assertFlags('  Py_BuildValue ("O)", fn);', "unbalanced ')'")

    def test_one_object_unit_unpacks_a_tuple(self):
        """PyObject_CallFunction (fn, "O", t) with a tuple t calls
        fn(*t): the call that passed a tuple handle unpacked."""
        for call in ('PyObject_CallFunction (fn, "O", args)',
                     'PyObject_CallMethod (fn, "m", "O", args)',
                     'PyObject_CallFunction (fn, "N", args)',
                     'PyObject_CallFunction (fn, " S ", args)'):
            with self.subTest(call):
                self.assertFlags(f"  {call};", "is one unit not in "
                                 "parentheses: a tuple argument would become "
                                 "the whole argument list")
        self.assertClean('  PyObject_CallFunction (fn, "(O)", args);\n'
                         '  PyObject_CallMethod (fn, "m", "(O)", args);\n'
                         '  PyObject_CallFunction (fn, "OO", args, fn);\n'
                         '  PyObject_CallFunction (fn, "I", count);\n'
                         '  PyObject_CallFunction (fn, "s", "x");\n'
                         '  Py_BuildValue ("O", args);')

    def test_unknown_unit(self):
        self.assertFlags('  Py_BuildValue ("q", 1);',
                         "Py_BuildValue: unknown format unit 'q'")

    def test_too_few(self):
        self.assertFlags('  Py_BuildValue ("OO", fn);', "takes 2 arguments, "
                         "but 1 is passed")

    def test_empty_and_null_formats(self):
        self.assertClean('  PyObject_CallFunction (fn, "");\n'
                         '  PyObject_CallFunction (fn, NULL);\n'
                         '  PyObject_CallMethod (fn, "release", NULL);')
        self.assertFlags('  PyObject_CallFunction (fn, NULL, fn);',
                         "format NULL of PyObject_CallFunction takes 0 "
                         "arguments, but 1 is passed")

    def test_not_a_literal(self):
        self.assertFlags('  const char *f = "O";\n'
                         '  PyObject_CallFunction (fn, f, fn);',
                         "the format is not a string literal")

    def test_macro_and_concatenation(self):
        self.assertFlags('#define FMT "O" "i"\n'
                         '  PyObject_CallFunction (fn, FMT, fn, count);',
                         "format \"Oi\": unit 'i'")

    # -- PyErr_Format and PyUnicode_FromFormat: %-conversions

    def test_printf_good(self):
        self.assertClean(
            '  Py_ssize_t n = 1; size_t z = 2; const char *name = "x";\n'
            '  long l = 3; unsigned long ul = 4; int i = 5;\n'
            '  PyErr_Format (PyExc_ValueError, "%s: %.100s %R %S %U %A %V",'
            ' name, Py_TYPE (fn)->tp_name, fn, fn, fn, fn, NULL, name);\n'
            '  PyErr_Format (PyExc_ValueError, "%zd %zi %zu %ld %lu %d %i %u'
            ' %x %c %p 100%%", n, n, z, l, ul, i, i, count, i, i, fn);\n'
            '  PyErr_Format (PyExc_ValueError, "%llu %lld %5d %05d", offset,'
            ' (int64_t) offset, i, i);\n'
            '  PyUnicode_FromFormat ("%s", name);')

    def test_printf_object_for_s(self):
        self.assertFlags(
            '  PyErr_Format (PyExc_TypeError, "%s failed", fn);',
            "format \"%s failed\": unit 's' reads 'const char *', but "
            "argument 3 is 'PyObject *'")

    def test_printf_string_for_R(self):
        self.assertFlags(
            '  PyUnicode_FromFormat ("not %R", "a string");',
            "unit 'R' reads 'PyObject *', but argument 2 is")

    def test_printf_int_for_zd(self):
        self.assertFlags(
            '  int i = 1;\n  PyErr_Format (PyExc_ValueError, "%zd", i);',
            "unit 'zd' reads 'Py_ssize_t', but argument 3 is 'int'")

    def test_printf_width_of_integers(self):
        self.assertFlags(
            '  PyErr_Format (PyExc_ValueError, "%lu", offset + 0ULL);',
            "unit 'lu' reads 'unsigned long', but argument 3 is "
            "'unsigned long long'")

    def test_printf_unknown_conversion(self):
        # Python 3.11 has no %lx: it would copy the rest of the format.
        self.assertFlags(
            '  PyErr_Format (PyExc_ValueError, "%lx", 1ul);',
            "PyErr_Format: unknown conversion '%lx'")

    def test_printf_count(self):
        self.assertFlags(
            '  PyErr_Format (PyExc_ValueError, "%d%%", 1, 2);',
            "format \"%d%%\" of PyErr_Format takes 1 argument, but 2 are "
            "passed")
        self.assertFlags('  PyErr_Format (PyExc_ValueError, NULL);',
                         "PyErr_Format: the format is NULL")

    # -- PyArg_ParseTuple: pointers to the types

    def test_parse_good(self):
        self.assertClean(
            '  const char *s; int i; unsigned u, v; PyObject *o;\n'
            '  int64_t l; uint64_t k; Py_ssize_t n; int p;\n'
            '  PyArg_ParseTuple (args, "s:debug", &s);\n'
            '  PyArg_ParseTuple (args, "II:nanosleep", &u, &v);\n'
            '  PyArg_ParseTuple (args, "iO|LK$ps#;a message: (", &i, &o, '
            '&l, &k, &p, &s, &n);\n'
            '  PyArg_ParseTuple (args, "O!(ii)", &PyLong_Type, &o, &i, &i);')

    def test_parse_signedness(self):
        self.assertFlags(
            '  unsigned u;\n  PyArg_ParseTuple (args, "i", &u);',
            "unit 'i' reads 'int *', but argument 3 is 'unsigned int *': "
            "a signed unit for an unsigned type")

    def test_parse_wants_a_pointer(self):
        self.assertFlags(
            '  unsigned u = 0;\n  PyArg_ParseTuple (args, "I", u);',
            "unit 'I' reads 'unsigned int *' or 'uint32_t *', but "
            "argument 3 is 'unsigned int'")

    def test_parse_into_const(self):
        self.assertFlags(
            '  const int i = 0;\n  PyArg_ParseTuple (args, "i", &i);',
            "unit 'i' reads 'int *', but argument 3 is 'const int *'")

    def test_parse_string_into_char(self):
        self.assertFlags(
            '  char c;\n  PyArg_ParseTuple (args, "s", &c);',
            "unit 's' reads 'const char **', but argument 3 is 'char *'")

    def test_parse_name_is_not_units(self):
        # After ':' the function's name, after ';' a message: not units.
        self.assertClean('  int i;\n'
                         '  PyArg_ParseTuple (args, "i:q(#", &i);\n'
                         '  PyArg_ParseTuple (args, "i;x q", &i);')

    def test_parse_and_keywords(self):
        self.assertFlags(
            '  static char *kw[] = { "a", NULL }; unsigned u;\n'
            '  PyArg_ParseTupleAndKeywords (args, NULL, "i", kw, &u);',
            "argument 5 is 'unsigned int *'")

    # -- files

    def test_unparsable_file(self):
        found, _ = self.findings('  this is not C;', parses=False)
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith("/virtual/t.c: error: libclang "
                                            "cannot parse it"), found[0])

    def test_command_line(self):
        with tempfile.TemporaryDirectory(prefix="pyplugin-fmt-") as tmp:
            bad = os.path.join(tmp, "bad.c")
            with open(bad, "w") as f:
                f.write(PRELUDE + "void g (uint32_t n)\n{\n"
                        '  Py_BuildValue ("i", n);\n}\n')
            good = os.path.join(tmp, "good.c")
            with open(good, "w") as f:
                f.write(PRELUDE + "void g (uint32_t n)\n{\n"
                        '  Py_BuildValue ("I", n);\n}\n')
            flags = runtime_flags()
            for path, status, lines in ((bad, 1, 1), (good, 0, 0)):
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), \
                        contextlib.redirect_stderr(err):
                    self.assertEqual(fmtcheck.main([*flags, path]), status)
                self.assertEqual(len(out.getvalue().splitlines()), lines)
                if lines:
                    self.assertTrue(out.getvalue().startswith(
                        f"{bad}:7:23: error: format \"i\""), out.getvalue())
                self.assertIn("1 calls", err.getvalue())

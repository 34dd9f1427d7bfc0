# SPDX-License-Identifier: BSD-3-Clause
"""Checks of a script against the callback table (gen/pyplugin_gen/
check.py), and how the command reports them: compiler style, exit
status 1, nothing written."""

import contextlib
import io
import os
import shutil
import tempfile
import textwrap
import unittest

from pyplugin_gen import cli, script
from pyplugin_gen.callbacks import BY_NAME, CALLBACKS, Dialect
from pyplugin_gen.check import check, per_connection_state
from pyplugin_gen.diagnostics import Diagnostics

DECLARATION = {
    Dialect.API1: "",
    Dialect.SEED: "def api_version():\n    return 2\n",
    Dialect.RELEASED: "API_VERSION = 2\n",
}


def definitions(dialect, names=None):
    """A script defining the named callbacks (all of them by default)
    with the parameters the dialect passes."""
    lines = [DECLARATION[dialect]]
    for cb in CALLBACKS:
        if names is None or cb.name in names:
            lines.append(f"def {cb.name}({', '.join(cb.params(dialect))}):\n"
                         "    pass\n")
    return "\n".join(lines)


REQUIRED = ("open", "get_size", "pread")


class CheckTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyplugin-gen-test-")
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, name="plugin.py"):
        return os.path.join(self.dir, name)

    def write(self, text, name="plugin.py"):
        with open(self.path(name), "w") as f:
            f.write(textwrap.dedent(text))
        return self.path(name)

    def diagnostics(self, text, show_unchecked=False):
        """The diagnostics of reading and checking text, as strings."""
        diags = Diagnostics(show_unchecked=show_unchecked)
        s = script.read(self.write(text), diags)
        self.assertIsNotNone(s, [str(d) for d in diags.items])
        check(s, diags)
        return [str(d) for d in diags.items]

    def assertClean(self, text):
        self.assertEqual(self.diagnostics(text), [])

    def assertError(self, text, *needles):
        diags = self.diagnostics(text)
        self.assertTrue(diags, "expected an error")
        for needle in needles:
            self.assertTrue(any(needle in d for d in diags),
                            f"{needle!r} not in {diags}")
        return diags


class Required(CheckTest):

    def test_complete_scripts(self):
        for dialect in Dialect:
            with self.subTest(dialect=dialect):
                self.assertClean(definitions(dialect, REQUIRED))
                self.assertClean(definitions(dialect))

    def test_missing_each(self):
        for dialect in Dialect:
            for missing in REQUIRED:
                present = [n for n in REQUIRED if n != missing]
                with self.subTest(dialect=dialect, missing=missing):
                    diags = self.assertError(
                        definitions(dialect, present),
                        f"plugin.py:1:1: error: required callback "
                        f"'{missing}' "
                        "is not defined; expected def "
                        + BY_NAME[missing].python_signature(dialect))
                    self.assertEqual(len(diags), 1)

    def test_missing_pread_names_the_dialect_signature(self):
        self.assertError(definitions(Dialect.API1, ["open", "get_size"]),
                         "expected def pread(h, count, offset)")
        self.assertError(definitions(Dialect.SEED, ["open", "get_size"]),
                         "expected def pread(h, count, offset, flags)")
        self.assertError(definitions(Dialect.RELEASED, ["open", "get_size"]),
                         "expected def pread(h, buf, offset, flags)")

    def test_empty_script(self):
        diags = self.assertError("")
        self.assertEqual(len(diags), 3)


class ParameterCount(CheckTest):

    def test_too_few(self):
        diags = self.assertError(
            "API_VERSION = 2\n"
            "def open(readonly): pass\n"
            "def get_size(h): pass\n"
            "def pread(h, count, offset): pass\n",
            "plugin.py:4:5: error: pread takes (h, buf, offset, flags) in "
            "API 2 (API_VERSION = 2); it is defined with 3 parameters")
        self.assertEqual(len(diags), 1)

    def test_too_many(self):
        self.assertError(
            definitions(Dialect.API1, REQUIRED)
            + "def zero(h, count, offset, may_trim, extra): pass\n",
            "zero takes (h, count, offset, may_trim) in API 1 "
            "(no API declaration); it is defined with 5 parameters")

    def test_seed_flush(self):
        self.assertError(
            definitions(Dialect.SEED, REQUIRED) + "def flush(h): pass\n",
            "flush takes (h, flags) in API 2 (def api_version(): return 2)")

    def test_no_parameters(self):
        self.assertError(
            definitions(Dialect.API1, REQUIRED)
            + "def config(): pass\n",
            "config takes (key, value)", "defined with 0 parameters")
        self.assertError(
            definitions(Dialect.API1, REQUIRED)
            + "def config_complete(x): pass\n",
            "config_complete takes ()", "defined with 1 parameter")

    def test_defaults_accepted(self):
        # An API 1 pread written for API 2, with flags defaulted, binds.
        self.assertClean(
            "def open(readonly): pass\n"
            "def get_size(h): pass\n"
            "def pread(h, count, offset, flags=0): pass\n"
            "def zero(h, count, offset, may_trim=False, extra=None): pass\n"
            "def flush(h=None): pass\n")

    def test_defaults_too_few_required(self):
        self.assertError(
            definitions(Dialect.API1, REQUIRED)
            + "def trim(h, count, offset, flags, extra=1): pass\n",
            "trim takes (h, count, offset)",
            "defined with 5 parameters (4 required)")

    def test_varargs_accepted(self):
        self.assertClean(
            "API_VERSION = 2\n"
            "def open(*args): pass\n"
            "def get_size(h, *rest): pass\n"
            "def pread(h, buf, *rest, **kw): pass\n"
            "def cache(*args, **kwargs): pass\n")

    def test_varargs_with_too_many_required(self):
        self.assertError(
            definitions(Dialect.API1, REQUIRED)
            + "def flush(h, a, *rest): pass\n", "flush takes (h)")

    def test_keyword_only(self):
        self.assertClean(definitions(Dialect.API1, REQUIRED)
                         + "def flush(h, *, sync=True): pass\n")
        self.assertError(definitions(Dialect.API1, REQUIRED)
                         + "def flush(h, *, sync): pass\n",
                         "required keyword-only parameter sync")

    def test_positional_only(self):
        self.assertClean(definitions(Dialect.API1, REQUIRED)
                         + "def flush(h, /): pass\n")

    def test_lambda(self):
        # A lambda that fits is checked, and only warned about.
        self.assertEqual(
            [d.split(": warning: ")[1][:31] for d in self.diagnostics(
                definitions(Dialect.API1, ["open", "pread"])
                + "get_size = lambda h: 1024\n")],
            ["callback 'get_size' is a lambda"])
        self.assertError(definitions(Dialect.API1, ["open", "pread"])
                         + "\nget_size = lambda: 1024\n",
                         "get_size takes (h)", "defined with 0 parameters")

    def test_alias(self):
        diags = self.assertError(
            "def open(readonly): pass\n"
            "def get_size(h): pass\n"
            "def my_read(h, buf, offset, flags): pass\n"
            "pread = my_read\n",
            "plugin.py:4:1: error: pread takes (h, count, offset) in API 1")
        self.assertEqual(len(diags), 1)

    def test_unknown_signature_accepted(self):
        # Not a mistake: silent, and a note when asked for.
        text = ("import functools\n"
                "def open(readonly): pass\n"
                "def get_size(h): pass\n"
                "pread = functools.partial(print)\n")
        self.assertClean(text)
        diags = self.diagnostics(text, show_unchecked=True)
        self.assertEqual(len(diags), 1)
        self.assertIn(":4:1: note: callback 'pread' is ", diags[0])
        self.assertIn("its parameters were not checked", diags[0])

    def test_constant(self):
        self.assertError(definitions(Dialect.API1, ["open", "get_size"])
                         + "pread = None\n",
                         "callback 'pread' must be a function, but it is "
                         "bound to None")


REQUIRED_API2 = ("API_VERSION = 2\n"
                 "def open(readonly): pass\n"
                 "def get_size(h): pass\n"
                 "def pread(h, buf, offset, flags): pass\n")

TRANSLATE = """\
import functools
def translate(fn):
    @functools.wraps(fn)
    def wrapper(h, *args):
        return fn(h, *args)
    return wrapper
"""


class SeenThrough(CheckTest):
    """Decorators, functools.partial and callable instances whose code is
    in the script are checked through; what cannot be seen is silent, a
    note only with show_unchecked."""

    def diagnostics(self, text, show_unchecked=False):
        """As CheckTest's, with paths relative to the test's directory."""
        return [d.replace(self.dir + os.sep, "")
                for d in super().diagnostics(text, show_unchecked)]

    def test_atexit_register(self):
        for imports, deco in (("import atexit\n", "atexit.register"),
                              ("from atexit import register\n", "register"),
                              ("import atexit as ae\n", "ae.register")):
            with self.subTest(deco=deco):
                self.assertClean(REQUIRED_API2 + imports
                                 + f"@{deco}\ndef cleanup(): pass\n")
                self.assertError(
                    REQUIRED_API2 + imports + f"@{deco}\n"
                    "def cleanup(h): pass\n",
                    ":7:5: error: cleanup takes () in API 2 (API_VERSION = "
                    "2); it is defined with 1 parameter")

    def test_wrapper_with_varargs_accepts_anything(self):
        self.assertClean(REQUIRED_API2 + TRANSLATE
                         + "@translate\ndef pwrite(h, buf, offset, flags): "
                         "pass\n@translate\ndef flush(h, flags): pass\n")

    def test_wraps_imported_by_name(self):
        self.assertClean(REQUIRED_API2 + TRANSLATE.replace(
            "import functools", "from functools import wraps").replace(
            "functools.wraps", "wraps")
            + "@translate\ndef flush(h, flags): pass\n")

    def test_wrapper_with_wrong_arity(self):
        diags = self.diagnostics(
            REQUIRED_API2 + TRANSLATE.replace("(h, *args)", "(h)")
            + "@translate\ndef flush(h, flags): pass\n")
        self.assertEqual(diags, [
            "plugin.py:12:5: error: flush takes (h, flags) in API 2 "
            "(API_VERSION = 2); decorated with 'translate', it accepts "
            "1 parameter"])

    def test_wrapper_note_points_at_it(self):
        d = Diagnostics()
        s = script.read(self.write(
            REQUIRED_API2 + TRANSLATE.replace("(h, *args)", "(h)")
            + "@translate\ndef flush(h, flags): pass\n"), d)
        check(s, d)
        self.assertEqual([str(n).replace(self.dir + os.sep, "")
                          for n in d.items[0].notes],
                         ["plugin.py:8:9: note: 'wrapper' is defined here"])

    def test_decorator_returning_the_function(self):
        registry = ("CALLBACKS = []\n"
                    "def callback(fn):\n"
                    "    CALLBACKS.append(fn)\n"
                    "    return fn\n")
        self.assertClean(REQUIRED_API2 + registry
                         + "@callback\ndef flush(h, flags): pass\n")
        self.assertError(REQUIRED_API2 + registry
                         + "@callback\ndef flush(h): pass\n",
                         "flush takes (h, flags)", "defined with 1 parameter")

    def test_stacked_decorators(self):
        self.assertClean(REQUIRED_API2 + TRANSLATE + "import atexit\n"
                         "@atexit.register\n@translate\n"
                         "def flush(h, flags): pass\n")
        self.assertError(REQUIRED_API2 + TRANSLATE + "import atexit\n"
                         "@translate\n@atexit.register\n"
                         "def cleanup(): pass\n",
                         "cleanup takes ()", "decorated with 'translate', "
                         "it accepts 1 parameter and *args")

    def test_unseen_decorator_is_a_note(self):
        text = (REQUIRED_API2 + "import functools\n"
                "@functools.lru_cache(maxsize=None)\n"
                "def can_multi_conn(h): return True\n")
        self.assertClean(text)
        self.assertEqual(self.diagnostics(text, show_unchecked=True), [
            "plugin.py:7:5: note: callback 'can_multi_conn' is decorated with "
            "'functools.lru_cache(maxsize=None)': its parameters were not "
            "checked (--import checks them)"])

    def test_decorator_whose_result_cannot_be_seen(self):
        text = (REQUIRED_API2 + "def odd(fn):\n"
                "    return make(fn)\n"
                "@odd\ndef flush(h, flags): pass\n")
        self.assertClean(text)
        self.assertIn("decorated with 'odd', whose result cannot be seen",
                      self.diagnostics(text, show_unchecked=True)[0])

    def test_partial(self):
        lookup = "def lookup(name, h):\n    return True\n"
        for imports, fn in (("import functools\n", "functools.partial"),
                            ("from functools import partial\n", "partial")):
            with self.subTest(fn=fn):
                self.assertClean(REQUIRED_API2 + imports + lookup
                                 + f"can_multi_conn = {fn}(lookup, 'can_multi_conn')\n")
                self.assertEqual(self.diagnostics(
                    REQUIRED_API2 + imports + lookup
                    + f"can_multi_conn = {fn}(lookup, 'can', 'write')\n"), [
                    f"plugin.py:8:1: error: can_multi_conn takes (h) in API 2 "
                    f"(API_VERSION = 2); as {fn}(lookup, 'can', 'write'), "
                    "with 2 arguments bound, it accepts 0 parameters"])

    def test_partial_of_too_many(self):
        self.assertError(REQUIRED_API2 + "import functools\n"
                         "def f(h): pass\n"
                         "flush = functools.partial(f, 1, 2)\n",
                         "flush takes (h, flags)",
                         "it accepts 1 bound argument too many")

    def test_partial_keyword_only(self):
        text = (REQUIRED_API2 + "from functools import partial\n"
                "def _trim(h, count, offset, flags, *, hard): pass\n")
        self.assertClean(text + "trim = partial(_trim, hard=True)\n")
        self.assertError(text + "trim = partial(_trim)\n",
                         "required keyword-only parameter hard")

    def test_partial_unseen(self):
        # A keyword binding a positional parameter, or an imported target.
        for value in ("functools.partial(f, h=1)",
                      "functools.partial(os.read)",
                      "functools.partial(f, *args)"):
            with self.subTest(value=value):
                text = (REQUIRED_API2 + "import functools, os\n"
                        "args = ()\ndef f(h, flags): pass\n"
                        f"flush = {value}\n")
                self.assertClean(text)
                self.assertIn("note: callback 'flush' is ", self.diagnostics(
                    text, show_unchecked=True)[0])

    def test_instance_with_call(self):
        cls = ("class Writer:\n"
               "    def __call__(self, h, buf, offset, flags): pass\n")
        self.assertClean(REQUIRED_API2 + cls + "pwrite = Writer()\n")
        self.assertError(REQUIRED_API2 + cls + "flush = Writer()\n",
                         "flush takes (h, flags)", "as an instance of "
                         "'Writer', it accepts 4 parameters")

    def test_import_is_a_note(self):
        text = REQUIRED_API2 + "from mylib import pwrite\n"
        self.assertClean(text)
        self.assertEqual(self.diagnostics(text, show_unchecked=True), [
            "plugin.py:5:1: note: callback 'pwrite' is an import from "
            "'mylib': its parameters were not checked (--import checks "
            "them)"])


class OfferedButMissing(CheckTest):
    """A can_X that may offer an operation the script lacks is warned
    about, at the can_X, with what the client will get."""

    def diagnostics(self, text, show_unchecked=False):
        return [d.replace(self.dir + os.sep, "")
                for d in super().diagnostics(text, show_unchecked)]

    def test_every_gate_of_the_table(self):
        for cb in CALLBACKS:
            if cb.gate is None:
                continue
            value = f"nbdkit.{cb.gate.values[0]}" if cb.gate.values \
                else "True"
            op = BY_NAME[cb.gate.operation]
            with self.subTest(can=cb.name):
                text = (REQUIRED_API2 + "import nbdkit\n"
                        f"def {cb.name}(h):\n    return {value}\n")
                diags = self.diagnostics(text)
                self.assertEqual(len(diags), 1, diags)
                self.assertTrue(diags[0].startswith(
                    f"plugin.py:6:5: warning: '{cb.name}' may return "), diags)
                self.assertIn(f"the script defines no '{op.name}': a "
                              f"client's {cb.gate.requests} would "
                              f"{op.missing.client}", diags[0])
                self.assertClean(text + f"def {op.name}"
                                 f"({', '.join(op.params(Dialect.RELEASED))})"
                                 ": pass\n")

    def test_messages(self):
        self.assertEqual(self.diagnostics(
            REQUIRED_API2 + "def can_flush(h):\n    return True\n"), [
            "plugin.py:5:5: warning: 'can_flush' may return true, but the "
            "script defines no 'flush': a client's flush requests would "
            "fail with EIO [-Woffered-missing]"])
        self.assertEqual(self.diagnostics(
            REQUIRED_API2 + "import nbdkit\n"
            "def can_cache(h): return nbdkit.CACHE_NATIVE\n"), [
            "plugin.py:6:5: warning: 'can_cache' may return "
            "nbdkit.CACHE_NATIVE, but the script defines no 'cache': a "
            "client's cache requests would fail with EIO "
            "[-Woffered-missing]"])

    def test_answers_that_offer_nothing(self):
        for body in ("return False", "return 0", "pass",
                     "return None if h else False",
                     "if h:\n        return False\n    return 0"):
            with self.subTest(body=body):
                self.assertClean(REQUIRED_API2 + "def can_flush(h):\n"
                                 f"    {body}\n")
        for can, value in (("can_cache", "nbdkit.CACHE_EMULATE"),
                           ("can_cache", "nbdkit.CACHE_NONE"),
                           ("can_fua", "nbdkit.FUA_NATIVE"),
                           ("can_fua", "nbdkit.FUA_NONE")):
            with self.subTest(can=can, value=value):
                self.assertClean(REQUIRED_API2 + "import nbdkit\n"
                                 f"def {can}(h):\n    return {value}\n")

    def test_answers_that_may_offer(self):
        for can, body in (("can_flush", "return 1"),
                          ("can_flush", "return h.flush_ok if h else True"),
                          ("can_flush", "return False if h else True"),
                          ("can_trim", "if h:\n        return False\n"
                                       "    return 'yes'"),
                          ("can_fua", "return True"),
                          ("can_cache", "return nbdkit.CACHE_NATIVE if h "
                                        "else nbdkit.CACHE_NONE")):
            with self.subTest(can=can, body=body):
                diags = self.diagnostics(REQUIRED_API2 + "import nbdkit\n"
                                         f"def {can}(h):\n    {body}\n")
                self.assertEqual(len(diags), 1, diags)
                self.assertIn(f"warning: '{can}' may return", diags[0])

    def test_answers_that_cannot_be_seen_are_notes(self):
        for body in ("return h.flush_ok", "return h.can_flush()",
                     "return CAPS['flush']", "return lookup(h)",
                     "return can_flush(h)"):
            with self.subTest(body=body):
                text = (REQUIRED_API2 + "import mylib\nCAPS = {}\n"
                        "lookup = mylib.lookup\n"
                        f"def can_flush(h):\n    {body}\n")
                self.assertClean(text)
                notes = self.diagnostics(text, show_unchecked=True)
                self.assertEqual(len(notes), 1, notes)
                self.assertIn("note: 'can_flush' ", notes[0])
                self.assertIn("so whether it returns true cannot be seen "
                              "without running the script; if it does, a "
                              "client's flush requests would fail with EIO",
                              notes[0])

    def test_answers_read_through_the_script(self):
        """Decorators whose wrapper returns the wrapped call, partial of a
        function of the script, calls of its own functions."""
        wrapper = ("import functools\n"
                   "def failing(fn):\n"
                   "    @functools.wraps(fn)\n"
                   "    def wrapper(h, *args):\n"
                   "        try:\n"
                   "            return fn(h, *args)\n"
                   "        except Exception:\n"
                   "            raise\n"
                   "    return wrapper\n")
        same = "def same(fn):\n    return fn\n"
        answer = "def answer(name, h):\n    return {}\n"
        chain = "def first(h):\n    return second(h)\n" \
            "def second(h):\n    return {}\n"
        for shape in (wrapper + "@failing\ndef can_trim(h):\n"
                      "    return {}\n",
                      same + "@same\ndef can_trim(h):\n    return {}\n",
                      same + wrapper + "@same\n@failing\n"
                      "def can_trim(h):\n    return {}\n",
                      "from functools import partial\n" + answer +
                      "can_trim = partial(answer, 'can_trim')\n",
                      chain + "def can_trim(h):\n    return first(h)\n",
                      chain + "can_trim = first\n"):
            with self.subTest(shape=shape):
                self.assertClean(REQUIRED_API2 + shape.format("False"))
                diags = self.diagnostics(REQUIRED_API2 + shape.format("True"))
                self.assertEqual(len(diags), 1, diags)
                self.assertIn("warning: 'can_trim' may return true, but the "
                              "script defines no 'trim'", diags[0])

    def test_recursion_is_unseen(self):
        text = REQUIRED_API2 + "def can_trim(h):\n    return can_trim(h)\n"
        self.assertClean(text)
        self.assertIn("'can_trim' is recursive",
                      self.diagnostics(text, show_unchecked=True)[0])

    def test_zero_falls_back_to_pwrite(self):
        self.assertClean(REQUIRED_API2 + "def can_zero(h): return True\n"
                         "def can_fast_zero(h): return True\n"
                         "def can_multi_conn(h): return True\n")

    def test_conditional_operation_counts(self):
        self.assertClean(REQUIRED_API2 + "def can_flush(h): return True\n"
                         "try:\n    from os import fsync as flush\n"
                         "except ImportError:\n    pass\n")

    def test_not_twice_for_an_error(self):
        self.assertEqual(len(self.diagnostics(
            REQUIRED_API2 + "can_write = lambda: True\n")), 1)
        self.assertEqual(len(self.diagnostics(
            REQUIRED_API2 + "can_write = 'yes'\n")), 1)


class DialectMixup(CheckTest):
    """A callback written as another dialect writes it binds, so only a
    warning at the def says that its reads would fail."""

    def mixup(self, text):
        diags = self.diagnostics(text)
        self.assertEqual(len(diags), 1, diags)
        self.assertIn("[-Wdialect-mixup]", diags[0])
        return diags[0]

    def test_seed_pread_in_the_released_dialect(self):
        base = "API_VERSION = 2\ndef open(readonly): pass\n" \
            "def get_size(h): pass\n"
        d = self.mixup(base + "def pread(h, count, offset, flags=0):\n"
                       "    return bytes(count)\n")
        self.assertIn("plugin.py:4:5: warning: pread's second parameter is "
                      "named 'count', as in API 2 seed", d)
        self.assertIn("declare def api_version(): return 2 instead", d)
        d = self.mixup(base + "def pread(h, data, offset, flags):\n"
                       "    return b'x' * len(data)\n")
        self.assertIn("pread returns a value", d)
        self.assertIn("or fill buf and return nothing", d)

    def test_released_pread_in_the_seed_dialect(self):
        base = "def api_version():\n    return 2\n" \
            "def open(readonly): pass\ndef get_size(h): pass\n"
        d = self.mixup(base + "def pread(h, buf, offset, flags):\n"
                       "    buf[:] = bytes(len(buf))\n")
        self.assertIn("pread's second parameter is named 'buf'", d)
        d = self.mixup(base + "def pread(h, b, offset, flags):\n"
                       "    h.f.readinto(b)\n")
        self.assertIn("pread returns nothing, as in API 2 released "
                      "(API_VERSION = 2)", d)
        self.assertIn("declare API_VERSION = 2 instead, or return the data "
                      "read", d)

    def test_may_trim_in_api2(self):
        d = self.mixup(REQUIRED_API2 + "def zero(h, count, offset, "
                       "may_trim): pass\n")
        self.assertIn("zero's fourth parameter is named 'may_trim', as in "
                      "API 1 (no API declaration)", d)
        self.assertIn("remove the API declaration", d)

    def test_not_a_mixup(self):
        for pread in ("def pread(h, buf, offset, flags):\n"
                      "    return h.f.readinto(buf)\n",
                      "def pread(h, buf, offset, flags):\n"
                      "    return os.preadv(h, [buf], offset)\n",
                      "def pread(h, buf, offset, flags):\n"
                      "    return None\n",
                      "def pread(h, buf, offset, flags):\n    pass\n",
                      "def pread(h, *args):\n    pass\n"):
            with self.subTest(pread=pread):
                self.assertClean("API_VERSION = 2\ndef open(readonly): pass"
                                 "\ndef get_size(h): pass\n" + pread)
        # Seed: a pread that does not fill a buffer is not the released
        # one; what it returns cannot always be seen.
        for pread in ("def pread(h, count, offset, flags):\n    pass\n",
                      "def pread(h, count, offset, flags):\n"
                      "    return h.read(count)\n"):
            with self.subTest(pread=pread):
                self.assertClean("def api_version():\n    return 2\n"
                                 "def open(readonly): pass\n"
                                 "def get_size(h): pass\n" + pread)

    def test_off(self):
        text = REQUIRED_API2 + "def zero(h, count, offset, may_trim): pass\n"
        diags = Diagnostics(disabled=frozenset({"dialect-mixup"}))
        s = script.read(self.write(text), diags)
        check(s, diags)
        self.assertEqual(diags.items, [])


class Command(CheckTest):
    """pyplugin-gen reports like a compiler: exit 1, nothing written."""

    def run_cli(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                status = cli.main(list(args))
            except SystemExit as e:
                status = e.code
        return status, err.getvalue()

    def test_check_ok(self):
        path = self.write(definitions(Dialect.RELEASED, REQUIRED))
        self.assertEqual(self.run_cli("--check", path), (0, ""))
        self.assertEqual(os.listdir(self.dir), ["plugin.py"])

    def test_check_errors(self):
        path = self.write("API_VERSION = 2\ndef pread(h, count, offset):"
                          " pass\n")
        status, err = self.run_cli("--check", path)
        self.assertEqual(status, 1)
        lines = err.splitlines()
        self.assertIn(f"{path}:1:1: error: required callback 'open' is not "
                      "defined; expected def open(readonly) in API 2 "
                      "(API_VERSION = 2)", lines)
        self.assertIn(f"{path}:2:5: error: pread takes (h, buf, offset, "
                      "flags) in API 2 (API_VERSION = 2); it is defined "
                      "with 3 parameters", lines)

    def test_errors_write_nothing(self):
        path = self.write("def open(readonly): pass\n")
        out = self.path("out.so")
        c = self.path("out.c")
        self.assertEqual(self.run_cli(path, "-o", out)[0], 1)
        self.assertEqual(self.run_cli(path, "-S", c)[0], 1)
        self.assertEqual(os.listdir(self.dir), ["plugin.py"])

    def test_syntax_error(self):
        path = self.write("def open(readonly):\npass\n")
        status, err = self.run_cli("--check", path)
        self.assertEqual(status, 1)
        self.assertRegex(err, rf"^{path}:2:1: error: ")

    def test_invalid_name(self):
        path = self.write(definitions(Dialect.API1, REQUIRED))
        status, err = self.run_cli("--check", "--name=-bad", path)
        self.assertEqual(status, 1)
        self.assertIn("invalid plugin name", err)
        status, err = self.run_cli("--check", "--name", "x/y", path)
        self.assertEqual(status, 1)


class PerConnectionState(CheckTest):
    """Module-level state that a connection's callbacks change: a
    warning under one interpreter per connection, naming the state and
    the callback; nothing else is."""

    HEAD = """\
        import nbdkit
        API_VERSION = 2
        disk = bytearray(1024)
        handles = {}
        count = 0
        size = 1024
        log = []
        def config(key, value):
            global size
            size = int(value)
        def config_complete():
            log.append("ready")
        def get_size(h):
            return size
        """

    def warnings(self, body):
        diags = Diagnostics()
        s = script.read(self.write(textwrap.dedent(self.HEAD)
                                       + textwrap.dedent(body)), diags)
        self.assertIsNotNone(s)
        per_connection_state(s, diags)
        return [str(d) for d in diags.items]

    def test_ram_disk_write(self):
        got = self.warnings("""\
            def open(readonly):
                return 1
            def pread(h, buf, offset, flags):
                buf[:] = disk[offset:offset + len(buf)]
            def pwrite(h, buf, offset, flags):
                disk[offset:offset + len(buf)] = buf
            """)
        self.assertEqual(len(got), 1, got)
        self.assertIn("pwrite changes the module-level 'disk'", got[0])
        self.assertIn("[-Wper-connection-state]", got[0])
        self.assertIn("plugin.py:20:5:", got[0])

    def test_counter_and_list(self):
        got = self.warnings("""\
            def open(readonly):
                global count
                count += 1
                log.append(count)
                return count
            def pread(h, buf, offset, flags):
                buf[:] = bytes(len(buf))
            """)
        self.assertEqual(len(got), 2, got)
        self.assertTrue(any("open changes the module-level 'count'" in d
                            for d in got), got)
        self.assertTrue(any("open changes the module-level 'log'" in d
                            for d in got), got)

    def test_fine(self):
        """A dict of handles, locals, a parameter's contents and the
        process-wide callbacks (config, config_complete) are fine."""
        self.assertEqual(self.warnings("""\
            def open(readonly):
                h = {"data": bytearray(10)}
                handles[id(h)] = h
                disk = bytearray(3)
                disk[0] = 1
                return h
            def close(h):
                del handles[id(h)]
                handles.pop(id(h), None)
            def pread(h, buf, offset, flags):
                h["data"][0] = 1
                buf[:] = bytes(len(buf))
            """), [])

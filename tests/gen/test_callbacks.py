# SPDX-License-Identifier: BSD-3-Clause
"""The callback table (gen/pyplugin_gen/callbacks.py): complete, self
consistent, and in agreement with the README's dialect table and the
runtime's conversion functions (tests/clang holds it to nbdkit's header)."""

import ctypes
import os
import re
import unittest
from unittest import mock

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyplugin_gen import callbacks  # noqa: E402
from pyplugin_gen.nbdkit_header import normalize_c  # noqa: E402
from pyplugin_gen.callbacks import (BY_NAME, CALLBACKS, REQUIRED,  # noqa: E402
                                    Callback, Dialect, Result,
                                    builds_tuple)

PYPLUGIN_H = os.path.join(TOP, "runtime", "pyplugin.h")

API1, SEED, RELEASED = Dialect.API1, Dialect.SEED, Dialect.RELEASED

# The callbacks the README lists, in its order.
DOC_CALLBACKS = """
dump_plugin config config_complete thread_model get_ready after_fork
cleanup list_exports default_export preconnect open close
export_description get_size block_size is_rotational can_multi_conn
can_write can_flush can_trim can_zero can_fast_zero can_fua can_cache
can_extents pread pwrite flush trim zero cache extents
""".split()

# The Python signatures of `man 3 nbdkit-python-plugin` and the README's
# dialect table: name -> (API 1, seed, released).
H = ("h",)
_COF = ("h", "count", "offset", "flags")
DOC_SIGNATURES = {
    "dump_plugin": ((),) * 3,
    "config": (("key", "value"),) * 3,
    "config_complete": ((),) * 3,
    "thread_model": ((),) * 3,
    "get_ready": ((),) * 3,
    "after_fork": ((),) * 3,
    "cleanup": ((),) * 3,
    "list_exports": (("readonly", "is_tls"),) * 3,
    "default_export": (("readonly", "is_tls"),) * 3,
    "preconnect": (("readonly",),) * 3,
    "open": (("readonly",),) * 3,
    "close": (H,) * 3,
    "export_description": (H,) * 3,
    "get_size": (H,) * 3,
    "block_size": (H,) * 3,
    **{name: (H,) * 3 for name in DOC_CALLBACKS if name.startswith(("can_", "is_"))},
    "pread": (("h", "count", "offset"), _COF, ("h", "buf", "offset", "flags")),
    "pwrite": (("h", "buf", "offset"), ("h", "buf", "offset", "flags"),
               ("h", "buf", "offset", "flags")),
    "flush": (H, ("h", "flags"), ("h", "flags")),
    "trim": (("h", "count", "offset"), _COF, _COF),
    "zero": (("h", "count", "offset", "may_trim"), _COF, _COF),
    "cache": (_COF,) * 3,
    "extents": (_COF,) * 3,
}


class TableContents(unittest.TestCase):

    def test_every_documented_callback_exactly_once(self):
        names = [cb.name for cb in CALLBACKS]
        for name in DOC_CALLBACKS:
            self.assertEqual(names.count(name), 1, name)
        self.assertEqual(sorted(names), sorted(DOC_CALLBACKS))
        self.assertEqual(len(BY_NAME), len(DOC_CALLBACKS))

    def test_by_name(self):
        for cb in CALLBACKS:
            self.assertIs(BY_NAME[cb.name], cb)

    def test_required(self):
        self.assertEqual(sorted(REQUIRED), ["get_size", "open", "pread"])
        for cb in CALLBACKS:
            self.assertEqual(cb.required, cb.name in REQUIRED, cb.name)

    def test_defaults_described(self):
        # Every optional callback says what happens without it.
        for cb in CALLBACKS:
            if cb.required:
                self.assertEqual(cb.default, "", cb.name)
            else:
                self.assertTrue(cb.default, cb.name)
            self.assertTrue(cb.summary, cb.name)

    def test_always_registered(self):
        always = {cb.name for cb in CALLBACKS if cb.always}
        self.assertEqual(always, {"dump_plugin", "config_complete",
                                  "get_ready", "after_fork", "close"})

    def test_python_signatures(self):
        for name, (api1, seed, released) in DOC_SIGNATURES.items():
            cb = BY_NAME[name]
            self.assertEqual(cb.params(API1), api1, name)
            self.assertEqual(cb.params(SEED), seed, name)
            self.assertEqual(cb.params(RELEASED), released, name)
        self.assertEqual(set(DOC_SIGNATURES), set(DOC_CALLBACKS))

    def test_python_signature_text(self):
        self.assertEqual(BY_NAME["pread"].python_signature(API1),
                         "pread(h, count, offset)")
        self.assertEqual(BY_NAME["pread"].python_signature(RELEASED),
                         "pread(h, buf, offset, flags)")
        self.assertEqual(BY_NAME["config_complete"].python_signature(SEED),
                         "config_complete()")

    def test_format_strings(self):
        expected = {
            "pread": ("(OIK)", "(OIKI)", "(OOKI)"),
            "pwrite": ("(OOK)", "(OOKI)", "(OOKI)"),
            "flush": ("(O)", "(OI)", "(OI)"),
            "trim": ("(OIK)", "(OIKI)", "(OIKI)"),
            "zero": ("(OIKO)", "(OIKI)", "(OIKI)"),
            "cache": ("(OIKI)",) * 3,
            "extents": ("(OIKI)",) * 3,
            "config": ("(ss)",) * 3,
            "open": ("(O)",) * 3,
            "preconnect": ("(O)",) * 3,
            "list_exports": ("(OO)",) * 3,
            "default_export": ("(OO)",) * 3,
            "get_size": ("(O)",) * 3,
            "can_write": ("(O)",) * 3,
            "block_size": ("(O)",) * 3,
            "close": ("(O)",) * 3,
            "config_complete": ("()",) * 3,
            "thread_model": ("()",) * 3,
        }
        for name, formats in expected.items():
            got = tuple(BY_NAME[name].format(d) for d in (API1, SEED, RELEASED))
            self.assertEqual(got, formats, name)

    def test_format_length_matches_parameters(self):
        for cb in CALLBACKS:
            for d in Dialect:
                self.assertEqual(len(cb.format(d)) - 2, len(cb.params(d)),
                                 (cb.name, d))

    def test_formats_always_build_a_tuple(self):
        """One unit unparenthesised would let PyObject_CallFunction take
        a tuple handle as the whole argument list."""
        for cb in CALLBACKS:
            for d in Dialect:
                fmt = cb.format(d)
                self.assertTrue(builds_tuple(fmt), (cb.name, d, fmt))
        for fmt in ("O", "OO", "", "(O)(O)", "(O", "O()"):
            self.assertFalse(builds_tuple(fmt), fmt)
        for fmt in ("()", "(O)", "(OIK)", "(O(ii))"):
            self.assertTrue(builds_tuple(fmt), fmt)

    def test_unsigned_units(self):
        """uint32_t is passed as I (unsigned int), uint64_t as K
        (unsigned long long): never a signed unit that would turn
        offsets above 2**63 or counts above 2**31 negative."""
        self.assertEqual(ctypes.sizeof(ctypes.c_uint), 4)
        self.assertEqual(ctypes.sizeof(ctypes.c_ulonglong), 8)
        unit_of = {"uint32_t": "I", "uint64_t": "K", "const char *": "s"}
        checked = 0
        for cb in CALLBACKS:
            c_types = {p.name: p.type for p in cb.c_params}
            for d in Dialect:
                for name, arg in zip(cb.params(d), cb.call_args(d)):
                    if arg.expr == name and c_types.get(name) in unit_of:
                        self.assertEqual(arg.unit, unit_of[c_types[name]],
                                         (cb.name, d, name))
                        checked += 1
        self.assertGreater(checked, 30)

    def test_booleans_are_python_bools(self):
        # int readonly / is_tls / may_trim reach Python as True/False.
        for cb in CALLBACKS:
            for d in Dialect:
                for name, arg in zip(cb.params(d), cb.call_args(d)):
                    if name in ("readonly", "is_tls", "may_trim"):
                        self.assertEqual(arg.unit, "O")
                        self.assertTrue(arg.expr.startswith("pyp_bool ("))
        self.assertIn("NBDKIT_FLAG_MAY_TRIM",
                      BY_NAME["zero"].call_args(API1)[3].expr)

    def test_results(self):
        pread = BY_NAME["pread"]
        self.assertEqual(pread.result[API1], Result.BUFFER)
        self.assertEqual(pread.result[SEED], Result.BUFFER)
        self.assertEqual(pread.result[RELEASED], Result.NONE)
        self.assertEqual(BY_NAME["zero"].result[API1], Result.ZERO)
        self.assertEqual(BY_NAME["open"].result[SEED], Result.HANDLE)
        self.assertEqual(BY_NAME["get_size"].result[SEED], Result.SIZE)
        self.assertEqual(BY_NAME["can_fua"].result[SEED], Result.FUA)
        self.assertEqual(BY_NAME["can_cache"].result[SEED], Result.CACHE)
        self.assertEqual(BY_NAME["can_write"].result[SEED], Result.BOOL)
        self.assertEqual(BY_NAME["extents"].result[API1], Result.EXTENTS)
        self.assertEqual(BY_NAME["list_exports"].result[API1], Result.EXPORTS)
        self.assertEqual(BY_NAME["block_size"].result[API1],
                         Result.BLOCK_SIZE)
        self.assertEqual(BY_NAME["thread_model"].result[API1],
                         Result.THREAD_MODEL)

    def test_views(self):
        self.assertEqual(BY_NAME["pread"].view(RELEASED), "write")
        self.assertIsNone(BY_NAME["pread"].view(SEED))
        self.assertIsNone(BY_NAME["pread"].view(API1))
        for d in Dialect:
            self.assertEqual(BY_NAME["pwrite"].view(d), "read")
        for cb in CALLBACKS:
            if cb.name not in ("pread", "pwrite"):
                for d in Dialect:
                    self.assertIsNone(cb.view(d), cb.name)

    def test_unused_params(self):
        self.assertEqual(BY_NAME["pread"].unused_params(API1), ("flags",))
        self.assertEqual(BY_NAME["pread"].unused_params(SEED), ())
        self.assertEqual(BY_NAME["pread"].unused_params(RELEASED), ())
        self.assertEqual(BY_NAME["pwrite"].unused_params(API1), ("flags",))
        self.assertEqual(BY_NAME["flush"].unused_params(API1), ("flags",))
        self.assertEqual(BY_NAME["flush"].unused_params(SEED), ())
        self.assertEqual(BY_NAME["zero"].unused_params(API1), ())
        self.assertEqual(BY_NAME["list_exports"].unused_params(API1), ())
        self.assertEqual(BY_NAME["block_size"].unused_params(API1), ())
        for cb in CALLBACKS:
            for d in Dialect:
                c_names = [p.name for p in cb.c_params]
                for name in cb.unused_params(d):
                    self.assertIn(name, c_names)

    def test_result_params_exist(self):
        for cb in CALLBACKS:
            c_names = {p.name for p in cb.c_params}
            for d in Dialect:
                self.assertLessEqual(set(cb.result_params(d)), c_names)
        self.assertEqual(BY_NAME["pread"].result_params(API1),
                         ("buf", "count"))
        self.assertEqual(BY_NAME["pread"].result_params(RELEASED), ())

    def test_c_declarations(self):
        pread = BY_NAME["pread"]
        self.assertEqual(
            (pread.c_return, pread.c_param_list()),
            ("int", "void *handle, void *buf, uint32_t count, "
             "uint64_t offset, uint32_t flags"))
        self.assertEqual(BY_NAME["config_complete"].c_param_list(), "void")
        self.assertEqual(BY_NAME["default_export"].c_return, "const char *")


class RuntimeHasConversions(unittest.TestCase):
    """Each result kind names a pyp_result_* function of the runtime,
    whose C return type is the callback's."""

    @classmethod
    def setUpClass(cls):
        with open(PYPLUGIN_H) as f:
            text = f.read()
        cls.decls = {
            m.group(2): normalize_c(m.group(1))
            for m in re.finditer(r"extern\s+([\w\s\*]+?)\s*\bpyp_result_(\w+)\s*\(",
                                 text)
        }

    def test_every_kind_has_a_function(self):
        for kind in Result:
            self.assertIn(kind.value, self.decls, kind)

    def test_return_types(self):
        for cb in CALLBACKS:
            if cb.c_return == "void":
                continue
            for d in Dialect:
                self.assertEqual(self.decls[cb.result[d].value],
                                 normalize_c(cb.c_return), (cb.name, d))

    def test_void_callbacks_ignore_results(self):
        for cb in CALLBACKS:
            if cb.c_return == "void":
                for d in Dialect:
                    self.assertEqual(cb.result[d], Result.NONE, cb.name)


class TableValidatesItself(unittest.TestCase):
    """_validate, run at import, rejects broken rows."""

    def broken(self, row):
        table = CALLBACKS + (row,)
        by_name = dict(BY_NAME)
        by_name.setdefault(row.name, row)
        with mock.patch.object(callbacks, "CALLBACKS", table), \
                mock.patch.object(callbacks, "BY_NAME", by_name):
            with self.assertRaises(AssertionError):
                callbacks._validate()

    def test_valid_table_passes(self):
        callbacks._validate()

    def test_duplicate(self):
        self.broken(BY_NAME["pread"])

    @staticmethod
    def row(**fields):
        """A bogus row, valid but for what fields change."""
        base = dict(name="bogus", summary="a test row", c_return="int",
                    c_params=callbacks.c_params("void *handle"),
                    py_params=callbacks.every(("h",)),
                    result=callbacks.every(Result.NONE), default="nothing")
        return Callback(**{**base, **fields})

    def test_a_valid_bogus_row_passes(self):
        # So that each test below fails only for what it changes.
        table = CALLBACKS + (self.row(),)
        with mock.patch.object(callbacks, "CALLBACKS", table), \
                mock.patch.object(callbacks, "BY_NAME",
                                  {**BY_NAME, "bogus": table[-1]}):
            callbacks._validate()

    def test_unknown_parameter(self):
        self.broken(self.row(py_params=callbacks.every(("h", "nonsense"))))

    def test_handle_not_first(self):
        self.broken(self.row(
            c_params=callbacks.c_params("void *handle", "uint32_t flags"),
            py_params=callbacks.every(("flags", "h"))))

    def test_parameter_without_c_parameter(self):
        self.broken(self.row(py_params=callbacks.every(("h", "offset"))))

    def test_parameter_of_a_type_with_no_unit(self):
        self.broken(self.row(
            c_params=callbacks.c_params("void *handle", "double offset"),
            py_params=callbacks.every(("h", "offset"))))

    def test_missing_dialect(self):
        self.broken(self.row(py_params={API1: ("h",)}))

    def test_required_and_always(self):
        self.broken(self.row(required=True, always=True))

    def test_hook_on_a_row_not_always_registered(self):
        self.broken(self.row(after=callbacks.Hook("pyp_release_handle",
                                                  ("handle",))))

    def test_hook_with_an_argument_that_is_no_parameter(self):
        self.broken(self.row(always=True, after=callbacks.Hook(
            "pyp_release_handle", ("buf",))))

    def test_check_loaded_needs_an_int_result(self):
        self.broken(self.row(c_return="void", check_loaded=True))

if __name__ == "__main__":
    unittest.main()

/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/convert.c: each pyp_result_* conversion on good values, wrong
 * types, out-of-range values and a call that raised (NULL), and the
 * memoryviews pyp_view hands to pread and pwrite.
 */

#include "fake-nbdkit.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* ---- the call ---- */

/* pyp_call passes each unit's value as Py_BuildValue would, as
 * positional arguments, a tuple for "O" staying one argument.
 */
static void
call_units (void)
{
  PyObject *fn = eval ("lambda *args: args");
  PyObject *t = eval ("(1, 2)");
  PyObject *r, *want;

  r = pyp_call (fn, "(OIKs)", t, (uint32_t) 4294967295u,
                (uint64_t) 18446744073709551615ull, "k\xc3\xa9y");
  want = eval ("((1, 2), 4294967295, 18446744073709551615, 'k\u00e9y')");
  CU_ASSERT_PTR_NOT_NULL_FATAL (r);
  CU_ASSERT_EQUAL (PyObject_RichCompareBool (r, want, Py_EQ), 1);
  Py_DECREF (r);
  r = pyp_call (fn, "()");
  CU_ASSERT (r != NULL && PyTuple_Check (r) && PyTuple_GET_SIZE (r) == 0);
  Py_XDECREF (r);
  Py_DECREF (want);
  Py_DECREF (t);
  Py_DECREF (fn);
  CHECK_QUIET ();
}

/* A string that is not UTF-8 raises before the call, as with
 * Py_BuildValue, and nothing leaks of the arguments made so far.
 */
static void
call_bad_string (void)
{
  PyObject *fn = eval ("lambda *args: args");

  CU_ASSERT_PTR_NULL (pyp_call (fn, "(Is)", 1u, "\xff"));
  CU_ASSERT (PyErr_ExceptionMatches (PyExc_UnicodeDecodeError));
  PyErr_Clear ();
  Py_DECREF (fn);
}

/* The callback's exception is the call's. */
static void
call_raises (void)
{
  PyObject *r = pyp_call (eval_owned ("fail"), "()");

  CU_ASSERT_EQUAL (pyp_result_none (r, "flush"), -1);
  CHECK_REPORTED ("flush", EIO);
  CU_ASSERT (error_has ("ValueError: boom from the script"));
}

/* ---- none ---- */

static void
none_ok (void)
{
  CU_ASSERT_EQUAL (pyp_result_none (eval ("None"), "flush"), 0);
  CHECK_QUIET ();
}

static void
none_ignores_value (void)
{
  CU_ASSERT_EQUAL (pyp_result_none (eval ("[1, 2, 3]"), "flush"), 0);
  CHECK_QUIET ();
}

static void
none_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_none (eval_quietly ("fail()"), "flush"), -1);
  CHECK_REPORTED ("flush", EIO);
  CU_ASSERT (error_has ("ValueError: boom from the script"));
}

static void
none_set_error (void)
{
  PyObject *r = eval_quietly ("fail_with(errno.ENOSPC)");

  CU_ASSERT_EQUAL (pyp_result_none (r, "pwrite"), -1);
  CHECK_REPORTED ("pwrite", ENOSPC);
  CU_ASSERT (error_has ("failing on purpose"));
}

/* ---- handle ---- */

static void
handle_ok (void)
{
  PyObject *obj = eval ("{'disk': 1}");
  Py_ssize_t refs;
  void *h;

  CU_ASSERT_PTR_NOT_NULL_FATAL (obj);
  Py_INCREF (obj); /* ours, to look at it afterwards */
  refs = Py_REFCNT (obj);
  h = pyp_result_handle (obj, "open");
  CU_ASSERT_PTR_EQUAL (h, obj);
  /* The call's reference became the handle; close releases it. */
  CU_ASSERT_EQUAL (Py_REFCNT (obj), refs);
  CHECK_QUIET ();
  Py_DECREF (obj);
  Py_DECREF (obj);
}

static void
handle_none_is_a_handle (void)
{
  void *h = pyp_result_handle (eval ("None"), "open");

  CU_ASSERT_PTR_EQUAL (h, Py_None);
  CHECK_QUIET ();
  Py_DECREF (Py_None);
}

static void
handle_exception (void)
{
  CU_ASSERT_PTR_NULL (pyp_result_handle (eval_quietly ("fail()"), "open"));
  CHECK_REPORTED ("open", EIO);
}

/* ---- bool ---- */

static void
bool_truthiness (void)
{
  /* Python truthiness, where nbdkit python wants `is True`. */
  static const struct {
    const char *expr;
    int want;
  } cases[] = {
    { "True", 1 },  { "False", 0 }, { "1", 1 },   { "0", 0 },  { "2", 1 },
    { "'yes'", 1 }, { "''", 0 },    { "[0]", 1 }, { "[]", 0 }, { "None", 0 },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int got = pyp_result_bool (eval (cases[i].expr), "can_write");
    if (got != cases[i].want)
      fprintf (stderr, "\n  can_write returning %s gave %d\n", cases[i].expr,
               got);
    CU_ASSERT_EQUAL (got, cases[i].want);
  }
  CHECK_QUIET ();
}

static void
bool_raising_bool (void)
{
  CU_ASSERT_EQUAL (pyp_result_bool (eval ("BadBool()"), "can_trim"), -1);
  CHECK_REPORTED ("can_trim", EIO);
  CU_ASSERT (error_has ("ZeroDivisionError: no truth here"));
}

static void
bool_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_bool (eval_quietly ("fail_with(errno.EPERM)"),
                                    "can_zero"),
                   -1);
  CHECK_REPORTED ("can_zero", EPERM);
}

/* ---- fua, cache, thread_model ---- */

static void
fua_values (void)
{
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("nbdkit.FUA_NONE"), "can_fua"),
                   NBDKIT_FUA_NONE);
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("nbdkit.FUA_EMULATE"), "can_fua"),
                   NBDKIT_FUA_EMULATE);
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("nbdkit.FUA_NATIVE"), "can_fua"),
                   NBDKIT_FUA_NATIVE);
  CHECK_QUIET ();
}

static void
fua_out_of_range (void)
{
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("3"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
  CU_ASSERT (error_has ("can_fua returned 3, which is not one of "
                        "nbdkit.FUA_*"));
}

static void
fua_negative (void)
{
  /* -1 is also PyLong_AsLong's error value: not to be confused. */
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("-1"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
  CU_ASSERT (error_has ("returned -1"));
}

static void
fua_wrong_type (void)
{
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("'native'"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
  CU_ASSERT (error_has ("TypeError: can_fua must return an int, not str"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("1.0"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
  CU_ASSERT (error_has ("TypeError"));
}

static void
fua_huge (void)
{
  CU_ASSERT_EQUAL (pyp_result_fua (eval ("2**70"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
  CU_ASSERT (error_has ("OverflowError: can_fua returned "
                        "1180591620717411303424, which is not one of "
                        "nbdkit.FUA_*"));
}

static void
fua_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_fua (eval_quietly ("fail()"), "can_fua"), -1);
  CHECK_REPORTED ("can_fua", EIO);
}

static void
cache_values (void)
{
  CU_ASSERT_EQUAL (pyp_result_cache (eval ("nbdkit.CACHE_NONE"), "can_cache"),
                   NBDKIT_CACHE_NONE);
  CU_ASSERT_EQUAL (pyp_result_cache (eval ("nbdkit.CACHE_EMULATE"),
                                     "can_cache"),
                   NBDKIT_CACHE_EMULATE);
  CU_ASSERT_EQUAL (pyp_result_cache (eval ("nbdkit.CACHE_NATIVE"), "can_cache"),
                   NBDKIT_CACHE_NATIVE);
  CHECK_QUIET ();
}

static void
cache_bad (void)
{
  CU_ASSERT_EQUAL (pyp_result_cache (eval ("7"), "can_cache"), -1);
  CHECK_REPORTED ("can_cache", EIO);
  CU_ASSERT (error_has ("nbdkit.CACHE_*"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_cache (eval ("None"), "can_cache"), -1);
  CHECK_REPORTED ("can_cache", EIO);
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_cache (eval_quietly ("fail()"), "can_cache"), -1);
  CHECK_REPORTED ("can_cache", EIO);
}

static void
thread_model_values (void)
{
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval ("nbdkit.THREAD_MODEL_"
                                                  "SERIALIZE_CONNECTIONS"),
                                            "thread_model"),
                   NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS);
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval ("nbdkit.THREAD_MODEL_"
                                                  "SERIALIZE_ALL_REQUESTS"),
                                            "thread_model"),
                   NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS);
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval ("nbdkit.THREAD_MODEL_"
                                                  "SERIALIZE_REQUESTS"),
                                            "thread_model"),
                   NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS);
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval (
                                              "nbdkit.THREAD_MODEL_PARALLEL"),
                                            "thread_model"),
                   NBDKIT_THREAD_MODEL_PARALLEL);
  CHECK_QUIET ();
}

static void
thread_model_bad (void)
{
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval ("4"), "thread_model"), -1);
  CHECK_REPORTED ("thread_model", EIO);
  CU_ASSERT (error_has ("nbdkit.THREAD_MODEL_*"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval ("'parallel'"),
                                            "thread_model"),
                   -1);
  CHECK_REPORTED ("thread_model", EIO);
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_thread_model (eval_quietly ("fail()"),
                                            "thread_model"),
                   -1);
  CHECK_REPORTED ("thread_model", EIO);
}

/* ---- size ---- */

static void
size_values (void)
{
  CU_ASSERT_EQUAL (pyp_result_size (eval ("0"), "get_size"), 0);
  CU_ASSERT_EQUAL (pyp_result_size (eval ("1 << 40"), "get_size"), INT64_C (1)
                                                                     << 40);
  CU_ASSERT_EQUAL (pyp_result_size (eval ("2**63 - 1"), "get_size"), INT64_MAX);
  CHECK_QUIET ();
}

static void
size_negative (void)
{
  CU_ASSERT_EQUAL (pyp_result_size (eval ("-512"), "get_size"), -1);
  CHECK_REPORTED ("get_size", EIO);
  CU_ASSERT (error_has ("get_size returned a negative size (-512)"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_size (eval ("-1"), "get_size"), -1);
  CHECK_REPORTED ("get_size", EIO);
  CU_ASSERT (error_has ("negative size (-1)"));
}

static void
size_too_big (void)
{
  CU_ASSERT_EQUAL (pyp_result_size (eval ("2**63"), "get_size"), -1);
  CHECK_REPORTED ("get_size", EIO);
  CU_ASSERT (error_has ("OverflowError: get_size returned "
                        "9223372036854775808, more than the largest size"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_size (eval ("-2**64"), "get_size"), -1);
  CHECK_REPORTED ("get_size", EIO);
  CU_ASSERT (error_has ("negative size (-18446744073709551616)"));
}

static void
size_wrong_type (void)
{
  static const char *const exprs[] = { "'1024'", "1024.0", "None", "b'1'" };
  size_t i;

  for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_size (eval (exprs[i]), "get_size"), -1);
    CHECK_REPORTED ("get_size", EIO);
    CU_ASSERT (error_has ("TypeError: get_size must return an int, not "));
  }
}

static void
size_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_size (eval_quietly ("fail_with(errno.EBADF)"),
                                    "get_size"),
                   -1);
  CHECK_REPORTED ("get_size", EBADF);
}

/* ---- buffer ---- */

static void
buffer_exact (void)
{
  static const char *const exprs[] = {
    "b'abcd'",
    "bytearray(b'abcd')",
    "memoryview(b'abcd')",
    "__import__('array').array('B', b'abcd')",
  };
  size_t i;

  for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    char buf[5] = "....";
    CU_ASSERT_EQUAL (pyp_result_buffer (eval (exprs[i]), "pread", buf, 4), 0);
    CU_ASSERT_NSTRING_EQUAL (buf, "abcd", 4);
  }
  CHECK_QUIET ();
}

static void
buffer_longer_is_cut (void)
{
  char buf[9] = "........";

  CU_ASSERT_EQUAL (pyp_result_buffer (eval ("b'abcdefgh'"), "pread", buf, 4),
                   0);
  CU_ASSERT_STRING_EQUAL (buf, "abcd....");
  CHECK_QUIET ();
}

static void
buffer_short (void)
{
  char buf[9] = "........";

  CU_ASSERT_EQUAL (pyp_result_buffer (eval ("b'ab'"), "pread", buf, 4), -1);
  CHECK_REPORTED ("pread", EIO);
  CU_ASSERT (error_has ("pread returned 2 bytes, fewer than the 4 "
                        "requested"));
  CU_ASSERT_STRING_EQUAL (buf, "........");
}

static void
buffer_empty (void)
{
  char buf[2] = ".";

  CU_ASSERT_EQUAL (pyp_result_buffer (eval ("b''"), "pread", buf, 0), 0);
  CU_ASSERT_STRING_EQUAL (buf, ".");
  CHECK_QUIET ();
}

static void
buffer_wrong_type (void)
{
  static const char *const exprs[] = { "'abcd'", "None", "[97, 98, 99, 100]" };
  size_t i;

  for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    char buf[5] = "....";
    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_buffer (eval (exprs[i]), "pread", buf, 4), -1);
    CHECK_REPORTED ("pread", EIO);
    CU_ASSERT (error_has ("TypeError"));
    CU_ASSERT_STRING_EQUAL (buf, "....");
  }
}

static void
buffer_exception (void)
{
  char buf[4];

  CU_ASSERT_EQUAL (pyp_result_buffer (eval_quietly ("fail_with(errno.EIO)"),
                                      "pread", buf, 4),
                   -1);
  CHECK_REPORTED ("pread", EIO);
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_buffer (eval_quietly ("fail_with(errno.EROFS)"),
                                      "pread", buf, 4),
                   -1);
  CHECK_REPORTED ("pread", EROFS);
}

/* ---- string ---- */

static void
string_interned (void)
{
  const char *s = pyp_result_string (eval ("'ex' + 'port1'"), "default_export");

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT_STRING_EQUAL (s, "export1");
  /* The string nbdkit keeps, not one inside the (freed) Python str. */
  CU_ASSERT_EQUAL (fake.intern_calls, 1);
  CU_ASSERT_PTR_EQUAL (s, fake.last_interned);
  CHECK_QUIET ();
}

static void
string_utf8 (void)
{
  const char *s = pyp_result_string (eval ("'d\\u00e9j\\u00e0 vu \\u2603'"),
                                     "export_description");

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT_STRING_EQUAL (s, "d\xc3\xa9j\xc3\xa0 vu \xe2\x98\x83");
  CU_ASSERT_STRING_EQUAL (pyp_result_string (eval ("''"), "default_export"),
                          "");
  CHECK_QUIET ();
}

static void
string_wrong_type (void)
{
  CU_ASSERT_PTR_NULL (
    pyp_result_string (eval ("b'bytes'"), "export_description"));
  CHECK_REPORTED ("export_description", EIO);
  CU_ASSERT (error_has ("export_description must return a str, not bytes"));
  CU_ASSERT_EQUAL (fake.intern_calls, 0);
  fake_reset ();
  CU_ASSERT_PTR_NULL (pyp_result_string (eval ("None"), "default_export"));
  CHECK_REPORTED ("default_export", EIO);
  CU_ASSERT (error_has ("not NoneType"));
}

/* A NUL would silently cut the string in C; NBD carries 4096 bytes. */
static void
string_nul_and_length (void)
{
  CU_ASSERT_PTR_NULL (pyp_result_string (eval ("'a\\0b'"), "default_export"));
  CHECK_REPORTED ("default_export", EIO);
  CU_ASSERT (error_has ("contains a NUL character: 'a\\x00b'"));
  CU_ASSERT_EQUAL (fake.intern_calls, 0);
  fake_reset ();
  CU_ASSERT_PTR_NULL (
    pyp_result_string (eval ("'\\u00e9' * 2049"), "export_description"));
  CHECK_REPORTED ("export_description", EIO);
  CU_ASSERT (error_has ("is 4098 bytes long in UTF-8; NBD allows at most "
                        "4096"));
  fake_reset ();
  CU_ASSERT_PTR_NOT_NULL (
    pyp_result_string (eval ("'x' * 4096"), "default_export"));
  CHECK_QUIET ();
}

static void
string_intern_fails (void)
{
  fake.fail_intern = true;
  CU_ASSERT_PTR_NULL (pyp_result_string (eval ("'name'"), "default_export"));
  /* nbdkit reported it; nothing more to say. */
  CU_ASSERT_EQUAL (fake.error_calls, 1);
  CU_ASSERT (error_has ("fake nbdkit_strdup_intern: refused"));
  CU_ASSERT_PTR_NULL (PyErr_Occurred ());
}

static void
string_exception (void)
{
  CU_ASSERT_PTR_NULL (
    pyp_result_string (eval_quietly ("fail()"), "default_export"));
  CHECK_REPORTED ("default_export", EIO);
}

/* ---- exports ---- */

static void
exports_names (void)
{
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("['a', 'b\\u00e9']"),
                                       "list_exports", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL_FATAL (fake.n_exports, 2);
  CU_ASSERT_STRING_EQUAL (fake.exports[0].name, "a");
  CU_ASSERT_PTR_NULL (fake.exports[0].description);
  CU_ASSERT_STRING_EQUAL (fake.exports[1].name, "b\xc3\xa9");
  CU_ASSERT_PTR_NULL (fake.exports[1].description);
  CHECK_QUIET ();
}

static void
exports_tuples (void)
{
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("iter([('a', 'first'), ('b', "
                                             "None), 'c'])"),
                                       "list_exports", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL_FATAL (fake.n_exports, 3);
  CU_ASSERT_STRING_EQUAL (fake.exports[0].name, "a");
  CU_ASSERT_STRING_EQUAL (fake.exports[0].description, "first");
  CU_ASSERT_STRING_EQUAL (fake.exports[1].name, "b");
  CU_ASSERT_PTR_NULL (fake.exports[1].description);
  CU_ASSERT_STRING_EQUAL (fake.exports[2].name, "c");
  CU_ASSERT_PTR_NULL (fake.exports[2].description);
  CHECK_QUIET ();
}

static void
exports_generator_and_empty (void)
{
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("(n for n in ('x', 'y'))"),
                                       "list_exports", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL (fake.n_exports, 2);
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("[]"), "list_exports", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL (fake.n_exports, 0);
  CHECK_QUIET ();
}

static void
exports_bad_items (void)
{
  static const struct {
    const char *expr;
    const char *msg;
  } cases[] = {
    { "['ok', 42]", "an export name must be a str, not int" },
    { "[('a', 5)]", "an export description must be a str, not int" },
    { "[('a', 'b', 'c')]", "an export name must be a str, not tuple" },
    { "[b'bytes']", "an export name must be a str, not bytes" },
    { "[None]", "an export name must be a str, not NoneType" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_exports (eval (cases[i].expr), "list_exports",
                                         FAKE_LIST),
                     -1);
    CHECK_REPORTED ("list_exports", EIO);
    CU_ASSERT (error_has (cases[i].msg));
  }
}

static void
exports_not_iterable (void)
{
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("42"), "list_exports", FAKE_LIST),
                   -1);
  CHECK_REPORTED ("list_exports", EIO);
  CU_ASSERT (error_has ("not iterable"));
  CU_ASSERT_EQUAL (fake.add_export_calls, 0);
}

static void
exports_nbdkit_refuses (void)
{
  fake.fail_add = true;
  CU_ASSERT_EQUAL (pyp_result_exports (eval ("['a', 'b']"), "list_exports",
                                       FAKE_LIST),
                   -1);
  /* nbdkit reported what is wrong; the runtime stops, adds nothing
   * more, and says which item of which script it was.
   */
  CU_ASSERT_EQUAL (fake.add_export_calls, 1);
  CU_ASSERT_EQUAL (fake.error_calls, 2);
  CU_ASSERT (error_has (SCRIPT_NAME ": list_exports: error: nbdkit refused "
                                    "item 1 of the result, 'a' (see above)"));
  CU_ASSERT_PTR_NULL (PyErr_Occurred ());
}

static void
exports_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_exports (eval_quietly ("fail()"), "list_exports",
                                       FAKE_LIST),
                   -1);
  CHECK_REPORTED ("list_exports", EIO);
}

/* ---- extents ---- */

static void
extents_tuples (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("[(0, 4096, 0),"
                                             " (4096, 8192, nbdkit.EXTENT_HOLE"
                                             " | nbdkit.EXTENT_ZERO),"
                                             " (2**63, 2**64 - 1, "
                                             "nbdkit.EXTENT_ZERO)]"),
                                       "extents", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL_FATAL (fake.n_extents, 3);
  CU_ASSERT_EQUAL (fake.extents[0].offset, 0);
  CU_ASSERT_EQUAL (fake.extents[0].length, 4096);
  CU_ASSERT_EQUAL (fake.extents[0].type, 0);
  CU_ASSERT_EQUAL (fake.extents[1].offset, 4096);
  CU_ASSERT_EQUAL (fake.extents[1].length, 8192);
  CU_ASSERT_EQUAL (fake.extents[1].type,
                   NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO);
  CU_ASSERT_EQUAL (fake.extents[2].offset, UINT64_C (1) << 63);
  CU_ASSERT_EQUAL (fake.extents[2].length, UINT64_MAX);
  CU_ASSERT_EQUAL (fake.extents[2].type, NBDKIT_EXTENT_ZERO);
  CHECK_QUIET ();
}

static void
extents_generator (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("((i * 512, 512, i % 4) for i in "
                                             "range(5))"),
                                       "extents", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL_FATAL (fake.n_extents, 5);
  CU_ASSERT_EQUAL (fake.extents[4].offset, 2048);
  CU_ASSERT_EQUAL (fake.extents[3].type, 3);
  CHECK_QUIET ();
}

static void
extents_bad_tuples (void)
{
  static const struct {
    const char *expr;
    const char *msg;
  } cases[] = {
    { "[(0, 512)]", "an extent must be a tuple (offset, length, type)" },
    { "[(0, 512, 0, 0)]", "an extent must be a tuple (offset, length, type)" },
    { "[[0, 512, 0]]", "an extent must be a tuple (offset, length, type)" },
    { "[0]", "an extent must be a tuple (offset, length, type)" },
    { "[('0', 512, 0)]", "an extent's offset must be an int, not str" },
    { "[(0, 512.0, 0)]", "TypeError" },
    { "[(0, 512, None)]", "TypeError" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_extents (eval (cases[i].expr), "extents",
                                         FAKE_LIST),
                     -1);
    CHECK_REPORTED ("extents", EIO);
    CU_ASSERT (error_has (cases[i].msg));
    CU_ASSERT_EQUAL (fake.n_extents, 0);
  }
}

/* Numbers the C types cannot hold are errors, not wrapped around. */
static void
extents_out_of_range (void)
{
  static const char *const exprs[] = {
    "[(-1, 512, 0)]",    "[(0, -512, 0)]",  "[(0, 512, -1)]",
    "[(2**64, 512, 0)]", "[(0, 2**64, 0)]", "[(0, 512, 2**32)]",
  };
  size_t i;

  for (i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_extents (eval (exprs[i]), "extents", FAKE_LIST),
                     -1);
    if (fake.n_extents)
      fprintf (stderr, "\n  extents %s was added as (%llu, %llu, %u)\n",
               exprs[i], (unsigned long long) fake.extents[0].offset,
               (unsigned long long) fake.extents[0].length,
               (unsigned) fake.extents[0].type);
    CU_ASSERT_EQUAL (fake.n_extents, 0);
    CHECK_REPORTED ("extents", EIO);
  }
}

static void
extents_out_of_range_message (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("[(0, 512, 2**32)]"), "extents",
                                       FAKE_LIST),
                   -1);
  CHECK_REPORTED ("extents", EIO);
  CU_ASSERT (error_has ("type must be from 0 to 4294967295, not 4294967296"));
  fake_reset ();
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("[(-4096, 512, 0)]"), "extents",
                                       FAKE_LIST),
                   -1);
  CHECK_REPORTED ("extents", EIO);
  CU_ASSERT (error_has ("offset must be from 0 to 18446744073709551615, "
                        "not -4096"));
}

/* Integer-like objects (numpy's integers) are integers. */
static void
extents_index_objects (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval (
                                         "[(Index(0), Index(512), Index(1)),"
                                         " (512, 512, True)]"),
                                       "extents", FAKE_LIST),
                   0);
  CU_ASSERT_EQUAL_FATAL (fake.n_extents, 2);
  CU_ASSERT_EQUAL (fake.extents[0].length, 512);
  CU_ASSERT_EQUAL (fake.extents[0].type, 1);
  CU_ASSERT_EQUAL (fake.extents[1].type, 1);
  CHECK_QUIET ();
}

static void
extents_not_iterable (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("None"), "extents", FAKE_LIST),
                   -1);
  CHECK_REPORTED ("extents", EIO);
  CU_ASSERT (error_has ("not iterable"));
}

static void
extents_iterator_raises (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("extents_then_fail()"), "extents",
                                       FAKE_LIST),
                   -1);
  CHECK_REPORTED ("extents", EIO);
  CU_ASSERT (error_has ("KeyError: 'lost extent'"));
  CU_ASSERT (error_has ("raise KeyError('lost extent')"));
  CU_ASSERT_EQUAL (fake.n_extents, 1);
}

static void
extents_nbdkit_refuses (void)
{
  fake.fail_add = true;
  CU_ASSERT_EQUAL (pyp_result_extents (eval ("[(0, 1, 0), (1, 1, 0)]"),
                                       "extents", FAKE_LIST),
                   -1);
  CU_ASSERT_EQUAL (fake.add_extent_calls, 1);
  CU_ASSERT_EQUAL (fake.error_calls, 2);
  CU_ASSERT (error_has (SCRIPT_NAME ": extents: error: nbdkit refused item 1 "
                                    "of the result, (0, 1, 0) (see above)"));
  CU_ASSERT_PTR_NULL (PyErr_Occurred ());
}

static void
extents_exception (void)
{
  CU_ASSERT_EQUAL (pyp_result_extents (eval_quietly ("fail_with(errno.ENOMEM)"),
                                       "extents", FAKE_LIST),
                   -1);
  CHECK_REPORTED ("extents", ENOMEM);
}

/* ---- block_size ---- */

static void
block_size_ok (void)
{
  uint32_t min = 0, pref = 0, max = 0;

  CU_ASSERT_EQUAL (pyp_result_block_size (eval ("(512, 4096, 2**32 - 1)"),
                                          "block_size", &min, &pref, &max),
                   0);
  CU_ASSERT_EQUAL (min, 512);
  CU_ASSERT_EQUAL (pref, 4096);
  CU_ASSERT_EQUAL (max, UINT32_MAX);
  CHECK_QUIET ();
}

static void
block_size_bad (void)
{
  static const struct {
    const char *expr;
    const char *msg;
  } cases[] = {
    { "[512, 4096, 65536]", "must return a tuple" },
    { "(512, 4096)", "must return a tuple" },
    { "None", "must return a tuple" },
    { "('512', 4096, 65536)", "TypeError" },
    { "(-1, 4096, 65536)", "the minimum must be from 0 to 4294967295" },
    { "(512, 4096, 2**32)", "the maximum must be from 0 to 4294967295" },
    { "(512, -4096, 65536)", "the preferred size must be from 0 to" },
    { "(512, 4096.0, 65536)", "TypeError" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t min = 7, pref = 7, max = 7;

    fake_reset ();
    CU_ASSERT_EQUAL (pyp_result_block_size (eval (cases[i].expr), "block_size",
                                            &min, &pref, &max),
                     -1);
    if (min != 7 || pref != 7 || max != 7)
      fprintf (stderr, "\n  block_size %s gave (%u, %u, %u)\n", cases[i].expr,
               min, pref, max);
    CU_ASSERT (min == 7 && pref == 7 && max == 7);
    CHECK_REPORTED ("block_size", EIO);
    CU_ASSERT (error_has (cases[i].msg));
  }
}

static void
block_size_index_objects (void)
{
  uint32_t min = 0, pref = 0, max = 0;

  CU_ASSERT_EQUAL (pyp_result_block_size (eval ("(Index(1), 512, Index(1024))"),
                                          "block_size", &min, &pref, &max),
                   0);
  CU_ASSERT_EQUAL (min, 1);
  CU_ASSERT_EQUAL (pref, 512);
  CU_ASSERT_EQUAL (max, 1024);
  CHECK_QUIET ();
}

static void
block_size_exception (void)
{
  uint32_t min, pref, max;

  CU_ASSERT_EQUAL (pyp_result_block_size (eval_quietly ("fail()"), "block_size",
                                          &min, &pref, &max),
                   -1);
  CHECK_REPORTED ("block_size", EIO);
}

/* ---- zero ---- */

static void
zero_ok (void)
{
  CU_ASSERT_EQUAL (pyp_result_zero (eval ("None"), "zero"), 0);
  CHECK_QUIET ();
}

static void
zero_eopnotsupp_falls_back (void)
{
  CU_ASSERT_EQUAL (pyp_result_zero (eval_quietly (
                                      "fail_with(errno.EOPNOTSUPP)"),
                                    "zero"),
                   -1);
  /* Not an error worth logging: nbdkit falls back to pwrite. */
  CU_ASSERT_EQUAL (fake.error_calls, 0);
  CU_ASSERT_EQUAL (fake.set_error_calls, 1);
  CU_ASSERT_EQUAL (fake.last_set_error, EOPNOTSUPP);
  CU_ASSERT_PTR_NULL (PyErr_Occurred ());
}

static void
zero_enotsup_falls_back (void)
{
  CU_ASSERT_EQUAL (pyp_result_zero (eval_quietly ("fail_with(errno.ENOTSUP)"),
                                    "zero"),
                   -1);
  CU_ASSERT_EQUAL (fake.error_calls, 0);
  CU_ASSERT_EQUAL (fake.last_set_error, ENOTSUP);
  CU_ASSERT_PTR_NULL (PyErr_Occurred ());
}

static void
zero_other_errors (void)
{
  CU_ASSERT_EQUAL (pyp_result_zero (eval_quietly ("fail_with(errno.ENOSPC)"),
                                    "zero"),
                   -1);
  CHECK_REPORTED ("zero", ENOSPC);
  fake_reset ();
  pyp_set_errno (0);
  CU_ASSERT_EQUAL (pyp_result_zero (eval_quietly ("fail()"), "zero"), -1);
  CHECK_REPORTED ("zero", EIO);
}

static void
zero_set_error_then_success (void)
{
  /* set_error without raising: the call succeeded. */
  CU_ASSERT_EQUAL (pyp_result_zero (eval_quietly (
                                      "nbdkit.set_error(errno.EOPNOTSUPP)"),
                                    "zero"),
                   0);
  CHECK_QUIET ();
}

/* ---- views ---- */

/* The script sees buf as a memoryview named v. */
static PyObject *
make_view (char *buf, uint32_t count, int flags)
{
  PyObject *view = pyp_view (buf, count, flags);

  CU_ASSERT_PTR_NOT_NULL (view);
  if (view)
    set_global ("v", view);
  return view;
}

static void
view_writable (void)
{
  char buf[9] = "........";
  PyObject *view = make_view (buf, 8, PyBUF_WRITE);

  if (view == NULL)
    return;
  CU_ASSERT_EQUAL (PyObject_Length (view), 8);
  CU_ASSERT_PTR_EQUAL (eval_owned ("v.readonly"), Py_False);
  CU_ASSERT_PTR_EQUAL (eval_owned ("fill(v, b'abc')"), Py_None);
  CU_ASSERT_STRING_EQUAL (buf, "abc.....");
  pyp_view_release (view);
  set_global ("v", Py_None);
  CHECK_QUIET ();
}

static void
view_read_only (void)
{
  char buf[9] = "abcdefgh";
  PyObject *view = make_view (buf, 8, PyBUF_READ), *r;

  if (view == NULL)
    return;
  CU_ASSERT_PTR_EQUAL (eval_owned ("v.readonly"), Py_True);
  CU_ASSERT_PTR_EQUAL (eval_owned ("bytes(v) == b'abcdefgh'"), Py_True);
  r = eval ("fill(v, b'xyz')");
  CU_ASSERT_PTR_NULL (r);
  CU_ASSERT (PyErr_ExceptionMatches (PyExc_TypeError));
  PyErr_Clear ();
  Py_XDECREF (r);
  CU_ASSERT_STRING_EQUAL (buf, "abcdefgh");
  pyp_view_release (view);
  set_global ("v", Py_None);
}

/* A view the script keeps, or a slice, cast or memoryview () of it, must
 * not reach nbdkit's buffer after the callback: nbdkit reuses it for the
 * next request.
 */
static void
check_kept_unusable (const char *keep)
{
  char buf[9] = "abcdefgh";
  PyObject *view = pyp_view (buf, 8, PyBUF_WRITE), *r;

  CU_ASSERT_PTR_NOT_NULL_FATAL (view);
  set_global ("v", view);
  CU_ASSERT_PTR_EQUAL (eval_owned (keep), Py_True);
  set_global ("v", Py_None);
  pyp_view_release (view); /* the end of the callback */

  r = eval ("kept[0]");
  CU_ASSERT_PTR_NULL (r);
  CU_ASSERT (PyErr_ExceptionMatches (PyExc_ValueError));
  PyErr_Clear ();
  Py_XDECREF (r);
  r = eval ("fill(kept, b'X')");
  CU_ASSERT_PTR_NULL (r);
  PyErr_Clear ();
  Py_XDECREF (r);
  CU_ASSERT_STRING_EQUAL (buf, "abcdefgh");
  set_global ("kept", Py_None);
  CHECK_QUIET ();
}

static void
view_release_makes_kept_view_unusable (void)
{
  check_kept_unusable ("keep(v) == 8");
}

static void
view_release_makes_kept_slice_unusable (void)
{
  check_kept_unusable ("keep(v[2:6]) == 4");
  check_kept_unusable ("keep(v.cast('c')) == 8");
  check_kept_unusable ("keep(memoryview(v)[1:][:2]) == 2");
}

static void
view_release_null (void)
{
  pyp_view_release (NULL);
  CHECK_QUIET ();
}

void
add_convert_tests (void)
{
  CU_pSuite s = add_suite ("convert");

  ADD_TEST (s, none_ok);
  ADD_TEST (s, none_ignores_value);
  ADD_TEST (s, none_exception);
  ADD_TEST (s, none_set_error);
  ADD_TEST (s, handle_ok);
  ADD_TEST (s, handle_none_is_a_handle);
  ADD_TEST (s, handle_exception);
  ADD_TEST (s, bool_truthiness);
  ADD_TEST (s, bool_raising_bool);
  ADD_TEST (s, bool_exception);
  ADD_TEST (s, fua_values);
  ADD_TEST (s, fua_out_of_range);
  ADD_TEST (s, fua_negative);
  ADD_TEST (s, fua_wrong_type);
  ADD_TEST (s, fua_huge);
  ADD_TEST (s, fua_exception);
  ADD_TEST (s, cache_values);
  ADD_TEST (s, cache_bad);
  ADD_TEST (s, thread_model_values);
  ADD_TEST (s, thread_model_bad);
  ADD_TEST (s, size_values);
  ADD_TEST (s, size_negative);
  ADD_TEST (s, size_too_big);
  ADD_TEST (s, size_wrong_type);
  ADD_TEST (s, size_exception);
  ADD_TEST (s, buffer_exact);
  ADD_TEST (s, buffer_longer_is_cut);
  ADD_TEST (s, buffer_short);
  ADD_TEST (s, buffer_empty);
  ADD_TEST (s, buffer_wrong_type);
  ADD_TEST (s, buffer_exception);
  ADD_TEST (s, string_interned);
  ADD_TEST (s, string_utf8);
  ADD_TEST (s, string_wrong_type);
  ADD_TEST (s, string_nul_and_length);
  ADD_TEST (s, string_intern_fails);
  ADD_TEST (s, string_exception);
  ADD_TEST (s, exports_names);
  ADD_TEST (s, exports_tuples);
  ADD_TEST (s, exports_generator_and_empty);
  ADD_TEST (s, exports_bad_items);
  ADD_TEST (s, exports_not_iterable);
  ADD_TEST (s, exports_nbdkit_refuses);
  ADD_TEST (s, exports_exception);
  ADD_TEST (s, extents_tuples);
  ADD_TEST (s, extents_generator);
  ADD_TEST (s, extents_bad_tuples);
  ADD_TEST (s, extents_out_of_range);
  ADD_TEST (s, extents_out_of_range_message);
  ADD_TEST (s, extents_index_objects);
  ADD_TEST (s, extents_not_iterable);
  ADD_TEST (s, extents_iterator_raises);
  ADD_TEST (s, extents_nbdkit_refuses);
  ADD_TEST (s, extents_exception);
  ADD_TEST (s, block_size_ok);
  ADD_TEST (s, block_size_bad);
  ADD_TEST (s, block_size_index_objects);
  ADD_TEST (s, block_size_exception);
  ADD_TEST (s, zero_ok);
  ADD_TEST (s, zero_eopnotsupp_falls_back);
  ADD_TEST (s, zero_enotsup_falls_back);
  ADD_TEST (s, zero_other_errors);
  ADD_TEST (s, zero_set_error_then_success);
  ADD_TEST (s, view_writable);
  ADD_TEST (s, view_read_only);
  ADD_TEST (s, view_release_makes_kept_view_unusable);
  ADD_TEST (s, view_release_makes_kept_slice_unusable);
  ADD_TEST (s, view_release_null);
  ADD_TEST (s, call_units);
  ADD_TEST (s, call_bad_string);
  ADD_TEST (s, call_raises);
}

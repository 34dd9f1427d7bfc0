/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/module.c: the built-in nbdkit module, its functions over the
 * (fake) nbdkit helpers and its constants.
 */

#include "fake-nbdkit.h"
#include "nbdkit-record.h"

#include <errno.h>
#include <string.h>

/* Evaluates expr, which must raise exc; its message must contain msg. */
static void
check_raises (const char *expr, PyObject *exc, const char *msg)
{
  PyObject *r = eval (expr), *type, *value, *tb, *str;
  const char *text;

  CU_ASSERT_PTR_NULL (r);
  if (r != NULL) {
    fprintf (stderr, "\n  %s did not raise\n", expr);
    Py_DECREF (r);
    return;
  }
  CU_ASSERT (PyErr_ExceptionMatches (exc));
  PyErr_Fetch (&type, &value, &tb);
  PyErr_NormalizeException (&type, &value, &tb);
  str = PyObject_Str (value);
  text = str ? PyUnicode_AsUTF8 (str) : NULL;
  CU_ASSERT (text != NULL && strstr (text, msg) != NULL);
  if (text == NULL || strstr (text, msg) == NULL)
    fprintf (stderr, "\n  %s raised %s, expected %s\n", expr, text ? text : "?",
             msg);
  Py_XDECREF (str);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (tb);
  PyErr_Clear ();
}

/* Evaluates expr, which must give an int equal to want. */
static void
check_int (const char *expr, long long want)
{
  PyObject *r = eval (expr);
  long long got;

  CU_ASSERT_PTR_NOT_NULL_FATAL (r);
  CU_ASSERT (PyLong_Check (r));
  got = PyLong_AsLongLong (r);
  if (got != want)
    fprintf (stderr, "\n  %s gave %lld, expected %lld\n", expr, got, want);
  CU_ASSERT_EQUAL (got, want);
  Py_DECREF (r);
}

/* Evaluates expr, which must give the str want. */
static void
check_str (const char *expr, const char *want)
{
  PyObject *r = eval (expr);
  const char *got;

  CU_ASSERT_PTR_NOT_NULL_FATAL (r);
  CU_ASSERT_FATAL (PyUnicode_Check (r));
  got = PyUnicode_AsUTF8 (r);
  CU_ASSERT_PTR_NOT_NULL (got);
  if (got)
    CU_ASSERT_STRING_EQUAL (got, want);
  Py_DECREF (r);
}

/* Kept on one line: clang-format would split the braces over four. */
/* clang-format off */
#define CONSTANT(name) { #name, NBDKIT_##name },
/* clang-format on */

static void
module_constants (void)
{
  static const struct {
    const char *name;
    long value;
  } constants[] = { PYP_NBDKIT_CONSTANTS (CONSTANT) };
  size_t i;

  for (i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    PyObject *v = PyObject_GetAttrString (nbdkit_module (), constants[i].name);

    if (v == NULL) {
      fprintf (stderr, "\n  nbdkit.%s is missing\n", constants[i].name);
      PyErr_Clear ();
      CU_FAIL ("constant missing");
      continue;
    }
    CU_ASSERT (PyLong_CheckExact (v));
    CU_ASSERT_EQUAL (PyLong_AsLong (v), constants[i].value);
    Py_DECREF (v);
  }
  /* Spot checks against the values nbdkit documents. */
  check_int ("nbdkit.FLAG_FUA", 2);
  check_int ("nbdkit.FLAG_FAST_ZERO", 8);
  check_int ("nbdkit.THREAD_MODEL_PARALLEL", 3);
  check_int ("nbdkit.EXTENT_ZERO", 2);
}

/* What the README says the module offers (nbdkit 1.32 has no
 * disconnect).
 */
static void
module_functions (void)
{
  static const char *const names[] = {
    "debug",      "export_name",   "set_error", "parse_size",    "shutdown",
    "parse_bool", "is_tls",        "peer_pid",  "peer_uid",      "peer_gid",
    "stdio_safe", "absolute_path", "realpath",  "read_password", "nanosleep",
  };
  size_t i;

  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    PyObject *f = PyObject_GetAttrString (nbdkit_module (), names[i]);

    if (f == NULL)
      fprintf (stderr, "\n  nbdkit.%s is missing\n", names[i]);
    CU_ASSERT (f != NULL && PyCallable_Check (f));
    PyErr_Clear ();
    Py_XDECREF (f);
  }
  check_str ("nbdkit.__name__", "nbdkit");
  check_str ("__import__('nbdkit').__name__", "nbdkit");
}

static void
module_debug (void)
{
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.debug('hello 100%s %n')"), Py_None);
  CU_ASSERT_EQUAL (fake.debug_calls, 1);
  /* Passed as data, never as a format. */
  CU_ASSERT_STRING_EQUAL (fake.last_debug, "hello 100%s %n");
  check_raises ("nbdkit.debug(42)", PyExc_TypeError, "str");
  check_raises ("nbdkit.debug()", PyExc_TypeError, "");
  CU_ASSERT_EQUAL (fake.debug_calls, 1);
}

static void
module_set_error (void)
{
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.set_error(errno.EROFS)"), Py_None);
  CU_ASSERT_EQUAL (pyp_last_errno (), EROFS);
  CU_ASSERT_EQUAL (fake.set_error_calls, 1);
  CU_ASSERT_EQUAL (fake.last_set_error, EROFS);
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.set_error(errno.ENOSPC)"), Py_None);
  CU_ASSERT_EQUAL (pyp_last_errno (), ENOSPC);
  check_raises ("nbdkit.set_error('EIO')", PyExc_TypeError, "");
  CU_ASSERT_EQUAL (pyp_last_errno (), ENOSPC);
}

static void
module_parse_size (void)
{
  check_int ("nbdkit.parse_size('1M')", 1048576);
  CU_ASSERT_STRING_EQUAL (fake.last_parse_arg, "1M");
  check_int ("nbdkit.parse_size('0')", 0);
  check_int ("nbdkit.parse_size('2G')", INT64_C (2) << 30);
  check_int ("nbdkit.parse_size('7E')", INT64_C (7) << 60);
  check_int ("nbdkit.parse_size('4096')", 4096);
  check_raises ("nbdkit.parse_size('bogus')", PyExc_ValueError,
                "cannot parse size: bogus");
  CU_ASSERT_STRING_EQUAL (fake.last_parse_arg, "bogus");
  check_raises ("nbdkit.parse_size(1024)", PyExc_TypeError, "");
}

static void
module_parse_bool (void)
{
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.parse_bool('on')"), Py_True);
  CU_ASSERT_STRING_EQUAL (fake.last_parse_arg, "on");
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.parse_bool('FALSE')"), Py_False);
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.parse_bool('1')"), Py_True);
  check_raises ("nbdkit.parse_bool('maybe')", PyExc_ValueError,
                "cannot parse boolean: maybe");
  check_raises ("nbdkit.parse_bool(True)", PyExc_TypeError, "");
}

static void
module_export_name (void)
{
  fake.export_name = "disk-\xc3\xa9";
  check_str ("nbdkit.export_name()", "disk-\xc3\xa9");
  fake.export_name = "";
  check_str ("nbdkit.export_name()", "");
  fake.export_name = NULL;
  check_raises ("nbdkit.export_name()", PyExc_RuntimeError, "export_name");
  check_raises ("nbdkit.export_name('x')", PyExc_TypeError, "");
}

static void
module_shutdown (void)
{
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.shutdown()"), Py_None);
  CU_ASSERT_EQUAL (fake.shutdown_calls, 1);
}

static void
module_is_tls (void)
{
  fake.is_tls = 1;
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.is_tls()"), Py_True);
  fake.is_tls = 0;
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.is_tls()"), Py_False);
  fake.is_tls = -1;
  check_raises ("nbdkit.is_tls()", PyExc_RuntimeError, "is_tls failed");
}

static void
module_peer (void)
{
  fake.peer_id = 4242;
  check_int ("nbdkit.peer_pid()", 4242);
  check_int ("nbdkit.peer_uid()", 4242);
  check_int ("nbdkit.peer_gid()", 4242);
  fake.peer_id = 0;
  check_int ("nbdkit.peer_uid()", 0);
  fake.peer_id = -1;
  check_raises ("nbdkit.peer_pid()", PyExc_ValueError, "peer_pid failed");
  check_raises ("nbdkit.peer_uid()", PyExc_ValueError, "peer_uid failed");
  check_raises ("nbdkit.peer_gid()", PyExc_ValueError, "peer_gid failed");
}

static void
module_paths (void)
{
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.stdio_safe()"), Py_True);
  check_str ("nbdkit.absolute_path('disk.img')", "/start/disk.img");
  check_str ("nbdkit.realpath('/dev/null')", "/dev/null");
  check_raises ("nbdkit.absolute_path('')", PyExc_OSError,
                "absolute_path failed");
  check_raises ("nbdkit.realpath('')", PyExc_OSError, "realpath failed");
  /* bytes, as nbdkit python gives. */
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.read_password('s3cret') == "
                                   "b's3cret'"),
                       Py_True);
  CU_ASSERT_STRING_EQUAL (fake.last_parse_arg, "s3cret");
  check_raises ("nbdkit.read_password('-')", PyExc_ValueError,
                "read_password failed");
}

static void
module_nanosleep (void)
{
  fake.nanosleep_result = 0;
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.nanosleep(0, 1000)"), Py_True);
  fake.nanosleep_result = -1;
  CU_ASSERT_PTR_EQUAL (eval_owned ("nbdkit.nanosleep(1, 0)"), Py_False);
  check_raises ("nbdkit.nanosleep(1)", PyExc_TypeError, "");
}

void
add_module_tests (void)
{
  CU_pSuite s = add_suite ("module");

  ADD_TEST (s, module_constants);
  ADD_TEST (s, module_functions);
  ADD_TEST (s, module_debug);
  ADD_TEST (s, module_set_error);
  ADD_TEST (s, module_parse_size);
  ADD_TEST (s, module_parse_bool);
  ADD_TEST (s, module_export_name);
  ADD_TEST (s, module_shutdown);
  ADD_TEST (s, module_is_tls);
  ADD_TEST (s, module_peer);
  ADD_TEST (s, module_paths);
  ADD_TEST (s, module_nanosleep);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/errors.c: exceptions become nbdkit errors naming the script
 * and the callback, with the traceback (and the script's source lines,
 * from the source embedded in the plugin); the client gets the errno
 * from nbdkit.set_error, else EIO.
 */

#include "fake-nbdkit.h"

#include <errno.h>
#include <string.h>

static void
report_traceback (void)
{
  PyObject *r = eval_quietly ("fail()");

  CU_ASSERT_PTR_NULL_FATAL (r);
  pyp_report ("pread");
  CHECK_REPORTED ("pread", EIO);
  CU_ASSERT (error_has ("Traceback (most recent call last):"));
  /* The frame in the script, with its line from the embedded source. */
  CU_ASSERT (error_has ("File \"" SCRIPT_NAME "\", line 13, in fail"));
  CU_ASSERT (error_has ("    raise ValueError(message)"));
  CU_ASSERT (error_has ("ValueError: boom from the script"));
}

static void
report_names_the_callback (void)
{
  PyErr_SetString (PyExc_RuntimeError, "raised from C");
  pyp_report ("export_description");
  CHECK_REPORTED ("export_description", EIO);
  CU_ASSERT (error_has (SCRIPT_NAME ": export_description: error: "
                                    "RuntimeError: raised from C"));
}

static void
report_set_error_errno (void)
{
  PyObject *r = eval_quietly ("fail_with(errno.ENOSPC)");

  CU_ASSERT_PTR_NULL_FATAL (r);
  CU_ASSERT_EQUAL (pyp_last_errno (), ENOSPC);
  pyp_report ("pwrite");
  CHECK_REPORTED ("pwrite", ENOSPC);
  CU_ASSERT (error_has ("in fail_with\n    raise OSError("));
  CU_ASSERT (error_has ("failing on purpose"));
}

static void
report_errno_set_from_c (void)
{
  pyp_set_errno (EROFS);
  CU_ASSERT_EQUAL (pyp_last_errno (), EROFS);
  PyErr_SetString (PyExc_OSError, "read-only");
  pyp_report ("trim");
  CHECK_REPORTED ("trim", EROFS);
}

/* set_error with a number that is not an errno: EIO for the client, and
 * the log says why (nbdkit would turn 4242 into EINVAL, and abort on a
 * negative errno).
 */
static void
report_errno_that_is_not_one (void)
{
  static const int bad[] = { 4242, -5, 100000 };
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    fake_reset ();
    pyp_set_errno (bad[i]);
    PyErr_SetString (PyExc_RuntimeError, "failing");
    pyp_report ("pread");
    CHECK_REPORTED ("pread", EIO);
    CU_ASSERT (error_has ("RuntimeError: failing\n(nbdkit.set_error("));
    CU_ASSERT (error_has ("is not an errno, so the client gets EIO)"));
  }
  fake_reset ();
  pyp_set_errno (0);
  PyErr_SetString (PyExc_RuntimeError, "failing");
  pyp_report ("pread");
  CHECK_REPORTED ("pread", EIO);
  CU_ASSERT (!error_has ("not an errno"));
}

static void
report_without_exception (void)
{
  PyErr_Clear ();
  pyp_report ("flush");
  CHECK_REPORTED ("flush", EIO);
  CU_ASSERT (error_has ("failed without raising an exception"));
}

/* str() of the exception raises: the report still names the type. */
static void
report_exception_whose_str_raises (void)
{
  PyObject *r = eval_quietly ("fail_bad_str()");

  CU_ASSERT_PTR_NULL_FATAL (r);
  pyp_report ("get_size");
  CHECK_REPORTED ("get_size", EIO);
  CU_ASSERT (error_has ("BadStr"));
  CU_ASSERT (error_has ("raise BadStr()"));
}

/* A message UTF-8 cannot carry (a lone surrogate): still reported, with
 * the traceback and the exception type.
 */
static void
report_unencodable_message (void)
{
  PyObject *r = eval_quietly ("fail('caf\\udce9 bad')");

  CU_ASSERT_PTR_NULL_FATAL (r);
  pyp_report ("pread");
  CHECK_REPORTED ("pread", EIO);
  CU_ASSERT (error_has ("ValueError: caf\\udce9 bad"));
  CU_ASSERT (error_has ("raise ValueError(message)"));
}

/* SystemExit is reported like any other exception; nbdkit goes on. */
static void
report_system_exit (void)
{
  PyObject *r = eval_quietly ("exit_script()");

  CU_ASSERT_PTR_NULL_FATAL (r);
  pyp_report ("open");
  CHECK_REPORTED ("open", EIO);
  CU_ASSERT (error_has ("SystemExit: 3"));
}

/* An exception instance raised as a class, not yet normalized. */
static void
report_unnormalized (void)
{
  PyErr_SetObject (PyExc_KeyError, Py_None);
  pyp_report ("cache");
  CHECK_REPORTED ("cache", EIO);
  CU_ASSERT (error_has ("KeyError"));
}

static void
report_error_message_is_not_a_format (void)
{
  PyObject *r = eval_quietly ("fail('100%s %n %d')");

  CU_ASSERT_PTR_NULL_FATAL (r);
  pyp_report ("zero");
  CHECK_REPORTED ("zero", EIO);
  CU_ASSERT (error_has ("ValueError: 100%s %n %d"));
}

void
add_errors_tests (void)
{
  CU_pSuite s = add_suite ("errors");

  ADD_TEST (s, report_traceback);
  ADD_TEST (s, report_names_the_callback);
  ADD_TEST (s, report_set_error_errno);
  ADD_TEST (s, report_errno_set_from_c);
  ADD_TEST (s, report_errno_that_is_not_one);
  ADD_TEST (s, report_without_exception);
  ADD_TEST (s, report_exception_whose_str_raises);
  ADD_TEST (s, report_unencodable_message);
  ADD_TEST (s, report_system_exit);
  ADD_TEST (s, report_unnormalized);
  ADD_TEST (s, report_error_message_is_not_a_format);
}

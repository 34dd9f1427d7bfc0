/* SPDX-License-Identifier: BSD-3-Clause */
/* The runtime's unit tests: CUnit suites over runtime/libpyplugin.a,
 * with recording fakes of nbdkit (fake-nbdkit.c) and an embedded
 * Python set up as a generated plugin's load would: the built-in nbdkit
 * module, pyp_script, and the thread-state key.
 */

#include "fake-nbdkit.h"

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The test script: what callbacks would be.  The text of its lines
 * must appear in tracebacks; test-errors.c knows the line of fail().
 */
static const char script_source[] =
  "import errno\n"
  "import nbdkit\n"
  "\n"
  "class BadStr(Exception):\n"
  "    def __str__(self):\n"
  "        raise RuntimeError('str() refuses')\n"
  "\n"
  "class BadBool:\n"
  "    def __bool__(self):\n"
  "        raise ZeroDivisionError('no truth here')\n"
  "\n"
  "def fail(message='boom from the script'):\n"
  "    raise ValueError(message)\n"
  "\n"
  "def fail_with(err):\n"
  "    nbdkit.set_error(err)\n"
  "    raise OSError(err, 'failing on purpose')\n"
  "\n"
  "def fail_bad_str():\n"
  "    raise BadStr()\n"
  "\n"
  "def exit_script():\n"
  "    raise SystemExit(3)\n"
  "\n"
  "def extents_then_fail():\n"
  "    yield (0, 512, 0)\n"
  "    raise KeyError('lost extent')\n"
  "\n"
  "kept = None\n"
  "\n"
  "def keep(view):\n"
  "    global kept\n"
  "    kept = view\n"
  "    return len(view)\n"
  "\n"
  "def fill(view, data):\n"
  "    view[:len(data)] = data\n"
  "\n"
  "class Index:  # an integer-like object, as numpy's integers are\n"
  "    def __init__(self, n):\n"
  "        self.n = n\n"
  "    def __index__(self):\n"
  "        return self.n\n";

static const struct pyp_callable no_callables[] = { { NULL, NULL } };

/* "3.13": the Python the test program is built against. */
#define STRINGIFY(x) #x
#define XSTRINGIFY(x) STRINGIFY (x)
#define PYTHON_MAJOR_MINOR \
  XSTRINGIFY (PY_MAJOR_VERSION) "." XSTRINGIFY (PY_MINOR_VERSION)

const struct pyp_script test_script = {
  .name = SCRIPT_NAME,
  .sha256 = "0000000000000000000000000000000000000000000000000000000000000000",
  .code = NULL,
  .code_len = 0,
  .source = script_source,
  .source_len = sizeof script_source - 1,
  .magic = 0,
  .python_version = PYTHON_MAJOR_MINOR,
  .api_version = 2,
  .dialect = "released",
  .generator_version = "test",
  .callables = no_callables,
};

static PyObject *globals; /* the test script's namespace */
static PyObject *module;  /* nbdkit */

PyObject *
eval (const char *expr)
{
  return PyRun_String (expr, Py_eval_input, globals, globals);
}

PyObject *
eval_owned (const char *expr)
{
  PyObject *r = eval (expr);

  if (r == NULL) {
    PyErr_Print ();
    return NULL;
  }
  Py_DECREF (r);
  return r;
}

void
set_global (const char *name, PyObject *value)
{
  if (PyDict_SetItemString (globals, name, value) == -1)
    PyErr_Print ();
}

PyObject *
eval_quietly (const char *expr)
{
  PyObject *r = eval (expr);

  fake.error_calls = 0;
  fake.last_error[0] = '\0';
  fake.set_error_calls = 0;
  fake.last_set_error = 0;
  return r;
}

PyObject *
nbdkit_module (void)
{
  return module;
}

bool
error_has (const char *needle)
{
  if (strstr (fake.last_error, needle))
    return true;
  fprintf (stderr,
           "\n  expected in the error message: %s\n"
           "  the error message: %s\n",
           needle, fake.last_error);
  return false;
}

static void
setup_test (void)
{
  PyErr_Clear ();
  fake_reset ();
  pyp_set_errno (0);
}

static void
teardown_test (void)
{
  if (PyErr_Occurred ()) {
    fprintf (stderr, "\n  a test left a Python exception pending:\n");
    PyErr_Print ();
  }
  PyErr_Clear ();
  fake_reset ();
}

CU_pSuite
add_suite (const char *name)
{
  CU_pSuite suite =
    CU_add_suite_with_setup_and_teardown (name, NULL, NULL, setup_test,
                                          teardown_test);
  if (suite == NULL) {
    fprintf (stderr, "test-runtime: CU_add_suite: %s\n", CU_get_error_msg ());
    exit (EXIT_FAILURE);
  }
  return suite;
}

/* Python as a generated plugin starts it, in isolated mode so that the
 * environment of `make check` cannot change what is tested.
 */
static void
start_python (void)
{
  PyConfig config;
  PyStatus status;
  PyObject *code, *r;

  pyp_script = &test_script;
  if (PyImport_AppendInittab ("nbdkit", pyp_module_init) == -1) {
    fprintf (stderr, "test-runtime: PyImport_AppendInittab failed\n");
    exit (EXIT_FAILURE);
  }
  PyConfig_InitIsolatedConfig (&config);
  config.install_signal_handlers = 0;
  status = Py_InitializeFromConfig (&config);
  PyConfig_Clear (&config);
  if (PyStatus_Exception (status)) {
    fprintf (stderr, "test-runtime: cannot start Python: %s\n",
             status.err_msg ? status.err_msg : "?");
    exit (EXIT_FAILURE);
  }
  if (pyp_threads_init (PyThreadState_Get ()) == -1) {
    fprintf (stderr, "test-runtime: pyp_threads_init failed\n");
    exit (EXIT_FAILURE);
  }

  /* Run the test script as __main__'s namespace would hold it. */
  globals = PyDict_New ();
  code = Py_CompileString (script_source, SCRIPT_NAME, Py_file_input);
  if (globals == NULL || code == NULL
      || PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ())
           == -1)
    goto fail;
  r = PyEval_EvalCode (code, globals, globals);
  Py_DECREF (code);
  if (r == NULL)
    goto fail;
  Py_DECREF (r);
  module = PyDict_GetItemString (globals, "nbdkit"); /* borrowed */
  if (module == NULL)
    goto fail;
  return;

fail:
  fprintf (stderr, "test-runtime: cannot run the test script:\n");
  PyErr_Print ();
  exit (EXIT_FAILURE);
}

/* Run every test, or those of one suite (SUITE), or one test (SUITE
 * TEST); false if a name names nothing.
 */
static bool
run (int argc, char **argv)
{
  CU_pSuite suite;
  CU_pTest test;

  if (argc < 2) {
    CU_basic_run_tests ();
    return true;
  }
  suite = CU_get_suite (argv[1]);
  if (suite == NULL) {
    fprintf (stderr, "test-runtime: no suite %s\n", argv[1]);
    return false;
  }
  if (argc < 3) {
    CU_basic_run_suite (suite);
    return true;
  }
  test = CU_get_test (suite, argv[2]);
  if (test == NULL) {
    fprintf (stderr, "test-runtime: no test %s in %s\n", argv[2], argv[1]);
    return false;
  }
  CU_basic_run_test (suite, test);
  return true;
}

int
main (int argc, char **argv)
{
  unsigned failures;

  /* The GIL stays with this thread for the tests, as a callback holds
   * it; the thread tests hand it over explicitly.
   */
  start_python ();

  if (CU_initialize_registry () != CUE_SUCCESS) {
    fprintf (stderr, "test-runtime: %s\n", CU_get_error_msg ());
    return EXIT_FAILURE;
  }
  add_arenas_tests ();
  add_convert_tests ();
  add_errors_tests ();
  add_extensions_tests ();
  add_module_tests ();
  add_threads_tests ();

  CU_basic_set_mode (CU_BRM_VERBOSE);
  failures = run (argc, argv) ? 0 : 1;
  failures += CU_get_number_of_failure_records ();
  CU_cleanup_registry ();

  Py_CLEAR (globals);
  fake_reset ();
  if (Py_FinalizeEx () == -1)
    failures++;
  pyp_threads_fini ();
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Interpreter lifecycle: start Python, run the embedded script, resolve
 * its callbacks once, and the hooks nbdkit's lifecycle needs: load
 * failures surfacing at config time, the fork into the background, and
 * finalization at unload.
 */

#include "pyplugin.h"

#include <marshal.h>
#include <stdbool.h>
#include <unistd.h>

const struct pyp_script *pyp_script;

static bool loaded;                /* the script ran and callbacks resolved */
static PyThreadState *main_tstate; /* of the thread that loaded */
static pid_t pid_before_fork;
static bool holding_for_fork;
static PyThreadState *held_for_fork; /* what pyp_leave hands back */

static int
check_python_version (void)
{
  if (PyImport_GetMagicNumber () == (long) pyp_script->magic)
    return 0;
  nbdkit_error ("%s: the plugin's bytecode was compiled by Python %s, but "
                "the plugin runs with libpython %s; regenerate it with a "
                "pyplugin-gen that uses this Python",
                pyp_script->name, pyp_script->python_version,
                Py_GetVersion ());
  return -1;
}

/* The work of the site module that paths do not cover (see site.c). */
static int
run_site (void)
{
  const char *why = pyp_site_reason ();

  if (why != NULL)
    nbdkit_debug ("%s: sys.path not from the build, site runs: %s",
                  pyp_script->name, why);
  if (pyp_site_run () == -1) {
    pyp_report ("site");
    return -1;
  }
  return 0;
}

/* Run the embedded code as __main__, as `nbdkit python` runs a script. */
static int
run_script (void)
{
  PyObject *code, *main, *dict, *file, *r;

  code = PyMarshal_ReadObjectFromString ((const char *) pyp_script->code,
                                         (Py_ssize_t) pyp_script->code_len);
  if (code == NULL) {
    pyp_report ("load");
    return -1;
  }
  main = PyImport_AddModule ("__main__"); /* borrowed */
  dict = main ? PyModule_GetDict (main) : NULL;
  file = PyUnicode_FromString (pyp_script->name);
  if (dict == NULL || file == NULL
      || PyDict_SetItemString (dict, "__file__", file) == -1) {
    Py_XDECREF (file);
    Py_DECREF (code);
    pyp_report ("load");
    return -1;
  }
  Py_DECREF (file);
  r = PyEval_EvalCode (code, dict, dict);
  Py_DECREF (code);
  if (r == NULL) {
    pyp_report ("load");
    return -1;
  }
  Py_DECREF (r);
  return 0;
}

/* Fetch every callback the script defines, once, so that serving never
 * looks a name up.
 */
static int
resolve_callables (void)
{
  PyObject *main = PyImport_AddModule ("__main__");
  const struct pyp_callable *c;

  for (c = pyp_script->callables; c->name != NULL; c++) {
    PyObject *fn = PyObject_GetAttrString (main, c->name);

    if (fn == NULL || !PyCallable_Check (fn)) {
      PyErr_Clear ();
      Py_XDECREF (fn);
      nbdkit_error ("%s: %s: error: the script defines %s, but after "
                    "running it %s is not a callable",
                    pyp_script->name, c->name, c->name, c->name);
      return -1;
    }
    *c->fn = fn;
  }
  return 0;
}

void
pyp_load (const struct pyp_script *script)
{
  PyConfig config;
  PyStatus status;
  char *argv[] = { (char *) script->name };

  pyp_script = script;
  if (PyImport_AppendInittab ("nbdkit", pyp_module_init) == -1) {
    nbdkit_error ("%s: cannot register the nbdkit module", script->name);
    return;
  }
  PyConfig_InitPythonConfig (&config);
  config.install_signal_handlers = 0; /* signals belong to nbdkit */
  config.parse_argv = 0;
  status = PyConfig_SetBytesArgv (&config, 1, argv);
  if (!PyStatus_Exception (status))
    status = pyp_site_configure (&config, script->site);
  if (!PyStatus_Exception (status))
    status = Py_InitializeFromConfig (&config);
  PyConfig_Clear (&config);
  if (PyStatus_Exception (status)) {
    nbdkit_error ("%s: cannot start Python: %s", script->name,
                  status.err_msg ? status.err_msg : "unknown error");
    return;
  }
  main_tstate = PyThreadState_Get ();
  if (pyp_threads_init (main_tstate) == -1) {
    nbdkit_error ("%s: cannot create a thread-specific key", script->name);
    PyEval_SaveThread ();
    return;
  }
  loaded = check_python_version () == 0 && run_site () == 0
           && run_script () == 0 && resolve_callables () == 0;
  PyEval_SaveThread ();
}

void
pyp_unload (void)
{
  const struct pyp_callable *c;

  if (main_tstate == NULL)
    return;
  /* Unless the fork window left the GIL with us already. */
  if (!holding_for_fork)
    PyEval_RestoreThread (main_tstate);
  for (c = pyp_script->callables; c->name != NULL; c++)
    Py_CLEAR (*c->fn);
  Py_FinalizeEx ();
  pyp_threads_fini ();
  main_tstate = NULL;
}

int
pyp_check_loaded (void)
{
  if (loaded)
    return 0;
  nbdkit_error ("%s: the script could not be loaded (see above)",
                pyp_script->name);
  return -1;
}

void
pyp_dump_plugin (void)
{
  const struct pyp_script *s = pyp_script;
  const struct pyp_callable *c;

  printf ("python_version=%s\n", PY_VERSION);
  printf ("python_pep_384_abi_version=%d\n", PYTHON_ABI_VERSION);
  printf ("pyplugin_gen_version=%s\n", s->generator_version);
  printf ("script=%s\n", s->name);
  printf ("script_sha256=%s\n", s->sha256);
  printf ("python_api_version=%d\n", s->api_version);
  printf ("python_api_dialect=%s\n", s->dialect);
  printf ("python_site=%s\n", pyp_site_mode ());
  printf ("callbacks=");
  for (c = s->callables; c->name != NULL; c++)
    printf ("%s%s", c == s->callables ? "" : ",", c->name);
  printf ("\n");
  fflush (stdout);
}

/* nbdkit may fork between get_ready and after_fork.  A fork while another
 * Python thread (one the script started) holds the GIL would leave the
 * child unable to take it; so the loading thread holds the GIL across the
 * window, and Python's own fork hooks run as for os.fork().
 */
void
pyp_before_fork (void)
{
  held_for_fork = pyp_enter ();
  holding_for_fork = true;
  PyOS_BeforeFork ();
  pid_before_fork = getpid ();
}

void
pyp_after_fork (void)
{
  if (getpid () != pid_before_fork)
    PyOS_AfterFork_Child ();
  else
    PyOS_AfterFork_Parent ();
  holding_for_fork = false;
  pyp_leave (&held_for_fork);
}

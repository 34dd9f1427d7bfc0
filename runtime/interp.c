/* SPDX-License-Identifier: BSD-3-Clause */
/* Interpreter lifecycle: start Python, run the embedded script, resolve
 * its callbacks once, and the hooks nbdkit's lifecycle needs: load
 * failures surfacing at config time, the fork into the background, and
 * the exit at unload.
 */

#include "pyplugin.h"

#include <dlfcn.h>
#include <marshal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct pyp_script *pyp_script;

static bool loaded;                /* the script ran and callbacks resolved */
static PyThreadState *main_tstate; /* of the thread that loaded */
static pid_t pid_before_fork;
static bool holding_for_fork;
static PyThreadState *held_for_fork; /* what pyp_leave hands back */

/* The SHA-256 of the plugin's SBOM (pyplugin-gen --sbom), written in
 * after linking (gen/pyplugin_gen/sbom.py); all zeros without one.
 * Volatile: the compiler must not read the zeros it was given.
 */
static volatile const char sbom_sha256[64]
  __attribute__ ((section (".pyplugin_sbom_sha256"), used));

/* Milliseconds from *since to now; *since becomes now.  For the timings
 * nbdkit -v shows (make bench reads them).
 */
double
pyp_lap (struct timespec *since)
{
  struct timespec now;
  double ms;

  clock_gettime (CLOCK_MONOTONIC, &now);
  ms =
    (now.tv_sec - since->tv_sec) * 1e3 + (now.tv_nsec - since->tv_nsec) / 1e6;
  *since = now;
  return ms;
}

static int
check_python_version (void)
{
  if (PyImport_GetMagicNumber () == (long) pyp_script->magic)
    return 0;
  nbdkit_error ("%s: the plugin's bytecode was compiled by Python %s, but "
                "the plugin runs with libpython %s; regenerate it with a "
                "pyplugin-gen that uses this Python",
                pyp_script->name, pyp_script->python_version, Py_GetVersion ());
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

/* A standalone plugin's Python after start-up; its embedded C extensions
 * are imported from memory.
 */
static int
run_extensions (void)
{
  if (pyp_standalone_started () == -1
      || pyp_extensions_install (pyp_script->standalone->extensions) == -1) {
    pyp_report ("load");
    return -1;
  }
  return 0;
}

static void flush_std (const char *name);

/* What the script printed so far, written out: nbdkit replaces its
 * standard output with /dev/null once it serves (foreground or not),
 * and a forked child would write a copy of the buffer at its exit.
 * Not stdout when it is the client's socket (nbdkit -s): bytes there
 * would break the protocol.
 */
static void
flush_output (void)
{
  if (nbdkit_stdio_safe ())
    flush_std ("stdout");
  flush_std ("stderr");
  PyErr_Clear ();
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
 * looks a name up: into the plugin's variables, or into fns (in the
 * order of pyp_script->callables) for a connection's interpreter.
 */
static int
resolve_callables (PyObject **fns)
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
    if (fns != NULL)
      fns[c - pyp_script->callables] = fn;
    else
      *c->fn = fn;
  }
  return 0;
}

/* Prepare the current interpreter, not the main one, as pyp_load did the
 * main one: site (or the embedded extensions), the script, its callables
 * into fns.
 */
int
pyp_load_in (PyObject **fns)
{
  return (pyp_script->standalone ? run_extensions () : run_site ()) == 0
             && run_script () == 0 && resolve_callables (fns) == 0
           ? 0
           : -1;
}

void
pyp_load (const struct pyp_script *script)
{
  PyConfig config;
  PyStatus status;
  char *argv[] = { (char *) script->name };
  struct timespec t;
  double init_ms, site_ms;

  clock_gettime (CLOCK_MONOTONIC, &t);
  pyp_script = script;
  pyp_per_connection = script->interpreters != NULL;
  if (PyImport_AppendInittab ("nbdkit", pyp_module_init) == -1) {
    nbdkit_error ("%s: cannot register the nbdkit module", script->name);
    return;
  }
  /* Start-up fills the arenas it maps: see arenas.c. */
  PyObject_SetArenaAllocator (&pyp_arenas);
  pyp_arenas_populate (true);
  /* Before anything decodes a string: standalone chooses UTF-8 mode. */
  if (script->standalone && pyp_standalone_preinit (script->standalone) == -1)
    return;
  PyConfig_InitPythonConfig (&config);
  config.install_signal_handlers = 0; /* signals belong to nbdkit */
  config.parse_argv = 0;
  status = PyConfig_SetBytesArgv (&config, 1, argv);
  if (!PyStatus_Exception (status))
    status = script->standalone ? pyp_standalone_configure (&config)
                                : pyp_site_configure (&config, script->site);
  if (!PyStatus_Exception (status))
    status = Py_InitializeFromConfig (&config);
  PyConfig_Clear (&config);
  if (PyStatus_Exception (status)) {
    nbdkit_error ("%s: cannot start Python: %s", script->name,
                  status.err_msg ? status.err_msg : "unknown error");
    return;
  }
  init_ms = pyp_lap (&t);
  main_tstate = PyThreadState_Get ();
  if (pyp_threads_init (main_tstate) == -1) {
    nbdkit_error ("%s: cannot create a thread-specific key", script->name);
    PyEval_SaveThread ();
    return;
  }
  loaded = check_python_version () == 0
           && (script->standalone ? run_extensions () : run_site ()) == 0;
  site_ms = pyp_lap (&t);
  loaded = loaded && run_script () == 0 && resolve_callables (NULL) == 0;
  flush_output ();
  nbdkit_debug ("%s: start-up: Python %.1f ms, site %.1f ms (%s), "
                "script %.1f ms",
                script->name, init_ms, site_ms,
                script->standalone ? "standalone" : pyp_site_mode (),
                pyp_lap (&t));
  PyEval_SaveThread ();
}

/* Call module.name(); an exception is printed as unraisable. */
static void
call_quietly (PyObject *module, const char *name)
{
  PyObject *r = PyObject_CallMethod (module, name, NULL);

  if (r == NULL)
    PyErr_WriteUnraisable (module);
  Py_XDECREF (r);
}

/* Clear a module's namespace as Python's finalization does: first the
 * names with one leading underscore, then every other name but
 * __builtins__, so that the objects go in a predictable order and their
 * finalizers still find the builtins.
 */
static void
clear_module (PyObject *module)
{
  PyObject *dict = PyModule_GetDict (module), *key, *value;
  int pass;

  for (pass = 0; pass < 2; pass++) {
    Py_ssize_t pos = 0;

    while (PyDict_Next (dict, &pos, &key, &value)) {
      const char *k;

      if (value == Py_None || !PyUnicode_Check (key))
        continue;
      k = PyUnicode_AsUTF8 (key);
      if (k == NULL) {
        PyErr_Clear ();
        continue;
      }
      if (pass == 0 ? k[0] == '_' && k[1] != '_'
                    : strcmp (k, "__builtins__") != 0) {
        if (PyDict_SetItem (dict, key, Py_None) == -1)
          PyErr_WriteUnraisable (module);
      }
    }
  }
}

/* Make the current interpreter, not the main one, ready for its next
 * connection: the script's globals released as at exit, then the script
 * run again as __main__ in a fresh module, its callables into fns.  The
 * modules it imported stay imported.
 */
int
pyp_rerun (PyObject **fns)
{
  PyObject *old = PyImport_AddModule ("__main__"); /* borrowed */
  PyObject *fresh;
  int r;

  if (old != NULL)
    clear_module (old);
  PyErr_Clear ();
  fresh = PyModule_New ("__main__");
  r = fresh == NULL
          || PyDict_SetItemString (PyImport_GetModuleDict (), "__main__", fresh)
               == -1
        ? -1
        : 0;
  Py_XDECREF (fresh);
  if (r == -1) {
    pyp_report ("load");
    return -1;
  }
  return run_script () == 0 && resolve_callables (fns) == 0 ? 0 : -1;
}

static void
flush_std (const char *name)
{
  PyObject *f = PySys_GetObject (name); /* borrowed */

  if (f != NULL && f != Py_None)
    call_quietly (f, "flush");
}

/* The module name if it has been imported (a new reference), or NULL. */
static PyObject *
imported (const char *name)
{
  PyObject *n = PyUnicode_FromString (name);
  PyObject *module = n != NULL ? PyImport_GetModule (n) : NULL;

  Py_XDECREF (n);
  PyErr_Clear ();
  return module;
}

/* Keep this plugin, and so libpython, mapped after nbdkit's dlclose. */
static bool
pin_plugin (void)
{
  Dl_info info;

  return dladdr ((void *) pin_plugin, &info) != 0 && info.dli_fname != NULL
         && dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE)
              != NULL;
}

/* The number of threads started by the script (through threading or
 * _thread) still running, or -1.
 */
static long
script_threads (void)
{
  PyObject *thread = imported ("_thread"), *n = NULL;
  long count = -1;

  if (thread != NULL)
    n = PyObject_CallMethod (thread, "_count", NULL);
  if (n != NULL)
    count = PyLong_AsLong (n);
  Py_XDECREF (n);
  Py_XDECREF (thread);
  PyErr_Clear ();
  return count;
}

/* nbdkit unloads the plugin only to exit.  Py_FinalizeEx would free every
 * object, and after nbdkit's fork every page it touches is copied first:
 * the slowest part of a short nbdkit run.  Instead the plugin does what
 * an exiting Python program can rely on: wait for the script's
 * non-daemon threads, run the atexit functions, release the script's
 * globals as finalization does (so the finalizers of its objects run,
 * and files are flushed and closed), and flush sys.stdout and
 * sys.stderr.  Then it keeps the GIL and stays mapped until the process
 * ends.
 *
 * Releasing the globals while a daemon thread of the script may still
 * run its code would break that code; so when such a thread is left,
 * Python is finalized as usual (which stops daemon threads first).
 * Either way the plugin stays mapped: a daemon thread parked in
 * libpython must not find it unmapped by nbdkit's dlclose.
 */
static void
exit_python (void)
{
  PyObject *threading = imported ("threading"), *atexit, *main;
  bool pinned = pin_plugin ();

  if (threading != NULL) {
    call_quietly (threading, "_shutdown");
    Py_DECREF (threading);
  }
  PyErr_Clear ();
  if (!pinned || script_threads () != 0) {
    Py_FinalizeEx ();
    pyp_threads_fini ();
    return;
  }
  /* Functions are registered through the atexit module: if nothing
   * imported it, there are none, and importing it now would only copy
   * the pages the import machinery writes to.
   */
  atexit = imported ("atexit");
  if (atexit != NULL) {
    call_quietly (atexit, "_run_exitfuncs");
    Py_DECREF (atexit);
  }
  PyErr_Clear ();
  main = PyImport_AddModule ("__main__"); /* borrowed */
  if (main != NULL)
    clear_module (main);
  PyErr_Clear ();
  flush_output ();
}

void
pyp_unload (void)
{
  const struct pyp_callable *c;
  struct timespec t;

  if (main_tstate == NULL)
    return;
  clock_gettime (CLOCK_MONOTONIC, &t);
  /* Threads that end from now on leave Python alone. */
  pyp_threads_stop ();
  /* Unless the fork window left the GIL with us already. */
  if (!holding_for_fork)
    PyEval_RestoreThread (main_tstate);
  for (c = pyp_script->callables; c->name != NULL; c++)
    Py_CLEAR (*c->fn);
  if (pyp_per_connection)
    pyp_pool_drain ();
  exit_python ();
  nbdkit_debug ("%s: exit: %.1f ms", pyp_script->name, pyp_lap (&t));
  main_tstate = NULL;
}

/* The callbacks nbdkit may call after a failed load (those before
 * config_complete) fail silently: the load reported the one error.
 */
int
pyp_check_loaded (void)
{
  if (loaded)
    return 0;
  nbdkit_debug ("%s: refused: the script did not load", pyp_script->name);
  return -1;
}

static void
dump_sbom (void)
{
  char sha[sizeof sbom_sha256 + 1];
  size_t i;

  for (i = 0; i < sizeof sbom_sha256; i++)
    sha[i] = sbom_sha256[i];
  sha[i] = '\0';
  if (sha[0] == '\0')
    return;
  printf ("sbom_sha256=%s\n", sha);
  printf ("sbom_extract=objcopy --dump-section .pyplugin_sbom=sbom.json "
          "PLUGIN /dev/null\n");
}

/* --dump-plugin: the plugin's fields, or, if the script did not load,
 * the exit status nbdkit gives a plugin whose configuration fails (it has
 * no way for dump_plugin to fail).
 */
void
pyp_dump_plugin (void)
{
  const struct pyp_script *s = pyp_script;
  const struct pyp_callable *c;

  if (pyp_check_loaded () == -1) {
    fflush (stdout);
    exit (EXIT_FAILURE);
  }

  printf ("python_version=%s\n", PY_VERSION);
  printf ("python_pep_384_abi_version=%d\n", PYTHON_ABI_VERSION);
  printf ("pyplugin_gen_version=%s\n", s->generator_version);
  printf ("script=%s\n", s->name);
  printf ("script_sha256=%s\n", s->sha256);
  printf ("python_api_version=%d\n", s->api_version);
  printf ("python_api_dialect=%s\n", s->dialect);
  if (s->standalone)
    pyp_standalone_dump ();
  else
    printf ("python_site=%s\n", pyp_site_mode ());
  dump_sbom ();
  printf ("callbacks=");
  for (c = s->callables; c->name != NULL; c++)
    printf ("%s%s", c == s->callables ? "" : ",", c->name);
  printf ("\n");
  fflush (stdout);
}

/* gc.freeze() or gc.unfreeze(). */
static void
gc_call (const char *name)
{
  PyObject *gc = PyImport_ImportModule ("gc");

  if (gc != NULL) {
    call_quietly (gc, name);
    Py_DECREF (gc);
  }
  PyErr_Clear ();
}

/* nbdkit may fork between get_ready and after_fork.  A fork while another
 * Python thread (one the script started) holds the GIL would leave the
 * child unable to take it; so the loading thread holds the GIL across the
 * window, and Python's own fork hooks run as for os.fork().
 *
 * The objects that exist then are frozen, as the gc module's manual
 * advises before a fork without exec: otherwise the first full
 * collection in the serving process writes to every one of them, and
 * each page they share with the parent is copied (a collection right
 * after the fork was the largest single cost of a short nbdkit run).
 * Without a fork they are unfrozen again.
 */
void
pyp_before_fork (void)
{
  held_for_fork = pyp_enter ();
  holding_for_fork = true;
  flush_output ();
  pyp_arenas_populate (false); /* loaded: requests map arenas lazily */
  gc_call ("freeze");
  PyOS_BeforeFork ();
  pid_before_fork = getpid ();
}

int
pyp_after_fork (void)
{
  int r = 0;

  if (getpid () != pid_before_fork) {
    struct timespec t;

    clock_gettime (CLOCK_MONOTONIC, &t);
    PyOS_AfterFork_Child ();
    nbdkit_debug ("%s: after fork: Python's fork handlers %.1f ms",
                  pyp_script->name, pyp_lap (&t));
  } else {
    PyOS_AfterFork_Parent ();
    gc_call ("unfreeze");
  }
  /* In the serving process: interpreters do not survive a fork. */
  if (pyp_per_connection)
    r = pyp_pool_fill ();
  holding_for_fork = false;
  pyp_leave (&held_for_fork);
  return r;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* One interpreter per connection, each with its own GIL (PEP 684).
 *
 * The main interpreter loads the script and runs the process-wide
 * callbacks; it records the script's config and config_complete calls.
 * After nbdkit forks, a pool of interpreters is made, in each of which
 * the script has run and those calls have been replayed in their order.
 * A connection takes one on its first callback (a new one is made if the
 * pool is empty, up to the limit, beyond which it waits), and every
 * callback of the connection runs there.  When the connection's last
 * thread ends, the interpreter is reset (the script's globals released,
 * the script run again in a fresh __main__, the configuration replayed)
 * and goes back to the pool.  doc/internals.md has the measurements
 * behind resetting rather than ending it.
 */

#include "pyplugin.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool pyp_per_connection;

/* A config-phase call of the main interpreter, replayed in each new one. */
struct replay {
  int index; /* in pyp_script->callables */
  int nargs; /* strings a and b passed, 0 to 2 */
  char *a, *b;
};

static struct replay *replays;
static size_t replay_count;

void
pyp_replay_record (int ret, int index, int nargs, const char *a, const char *b)
{
  struct replay *r;

  if (ret != 0 || !pyp_per_connection)
    return;
  r = realloc (replays, (replay_count + 1) * sizeof *replays);
  if (r == NULL) {
    nbdkit_error ("%s: out of memory", pyp_script->name);
    abort ();
  }
  replays = r;
  r = &replays[replay_count++];
  r->index = index;
  r->nargs = nargs;
  r->a = a ? strdup (a) : NULL;
  r->b = b ? strdup (b) : NULL;
  if ((a && !r->a) || (b && !r->b)) {
    nbdkit_error ("%s: out of memory", pyp_script->name);
    abort ();
  }
}

#if PY_VERSION_HEX >= 0x030c0000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t available = PTHREAD_COND_INITIALIZER; /* put or ended */
static struct pyp_conn *pool; /* made and not yet taken */
static unsigned pooled;       /* in pool */
static unsigned alive;        /* made, taken or not, or being made */

static size_t
callable_count (void)
{
  size_t n = 0;

  while (pyp_script->callables[n].name != NULL)
    n++;
  return n;
}

static int
replay (struct pyp_conn *c)
{
  size_t i;

  for (i = 0; i < replay_count; i++) {
    const struct replay *r = &replays[i];
    PyObject *fn = c->fns[r->index];
    PyObject *v;

    /* The callback table holds the replayed rows to these formats. */
    if (r->nargs == 2)
      v = pyp_call (fn, "(ss)", r->a, r->b);
    else if (r->nargs == 1)
      v = pyp_call (fn, "(s)", r->a);
    else
      v = pyp_call (fn, "()");

    if (pyp_result_none (v, pyp_script->callables[r->index].name) == -1)
      return -1;
  }
  return 0;
}

/* Release what the interpreter of ts holds of ours and end it; ts is
 * current and its only thread state.  Leaves no thread state current.
 */
static void
end (struct pyp_conn *c, PyThreadState *ts)
{
  size_t i, n = callable_count ();

  for (i = 0; i < n; i++)
    Py_CLEAR (c->fns[i]);
  Py_EndInterpreter (ts);
  free (c->fns);
  free (c);
}

/* A new interpreter, made ready to serve; NULL if it cannot be (the
 * reason is reported).  Called with a thread state current, of any
 * interpreter, which is current again on return.
 */
static struct pyp_conn *
make (void)
{
  PyInterpreterConfig config = {
    .use_main_obmalloc = 0,
    .allow_fork = 0,
    .allow_exec = 0,
    .allow_threads = 1,
    .allow_daemon_threads = 0,
    /* An extension module without per-interpreter GIL support fails to
     * import, naming itself, rather than crash later.
     */
    .check_multi_interp_extensions = 1,
    .gil = PyInterpreterConfig_OWN_GIL,
  };
  PyThreadState *caller = PyThreadState_Get (), *ts = NULL;
  struct pyp_conn *c = calloc (1, sizeof *c);
  struct timespec t;
  double python_ms, script_ms;
  PyStatus status;

  clock_gettime (CLOCK_MONOTONIC, &t);
  if (c != NULL)
    c->fns = calloc (callable_count () + 1, sizeof *c->fns);
  if (c == NULL || c->fns == NULL) {
    nbdkit_error ("%s: out of memory", pyp_script->name);
    goto fail;
  }
  status = Py_NewInterpreterFromConfig (&ts, &config);
  if (PyStatus_Exception (status)) {
    /* The caller's thread state is current again. */
    nbdkit_error ("%s: cannot create a connection's interpreter: %s",
                  pyp_script->name,
                  status.err_msg ? status.err_msg : "unknown error");
    goto fail;
  }
  c->interp = PyThreadState_GetInterpreter (ts);
  python_ms = pyp_lap (&t);
  if (pyp_load_in (c->fns) == -1
      || (script_ms = pyp_lap (&t), replay (c)) == -1) {
    nbdkit_error ("%s: a connection's interpreter could not be made ready: "
                  "the script fails in an interpreter of its own (above)",
                  pyp_script->name);
    end (c, ts);
    PyEval_RestoreThread (caller);
    return NULL;
  }
  /* Threads bind states of their own: see threads.c. */
  PyThreadState_Clear (ts);
  PyThreadState_DeleteCurrent ();
  PyEval_RestoreThread (caller);
  nbdkit_debug ("%s: interpreter made: Python %.1f ms, site and script "
                "%.1f ms, replay %.1f ms",
                pyp_script->name, python_ms, script_ms, pyp_lap (&t));
  return c;

fail:
  if (c != NULL)
    free (c->fns);
  free (c);
  return NULL;
}

static void
put (struct pyp_conn *c)
{
  pthread_mutex_lock (&lock);
  c->next = pool;
  pool = c;
  pooled++;
  pthread_cond_signal (&available);
  pthread_mutex_unlock (&lock);
}

/* After nbdkit forks (interpreters do not survive a fork: CPython deletes
 * all but the main one in the child), with the main GIL held.
 */
int
pyp_pool_fill (void)
{
  unsigned i;

  if (pyp_threads_init_conn () == -1) {
    nbdkit_error ("%s: cannot create a thread-specific key", pyp_script->name);
    return -1;
  }
  for (i = 0; i < pyp_script->interpreters->pool; i++) {
    struct pyp_conn *c = make ();

    if (c == NULL)
      return -1;
    pthread_mutex_lock (&lock);
    alive++;
    pthread_mutex_unlock (&lock);
    put (c);
  }
  return 0;
}

struct pyp_conn *
pyp_pool_take (void)
{
  struct pyp_conn *c;

  pthread_mutex_lock (&lock);
  while (pool == NULL && alive >= pyp_script->interpreters->limit)
    pthread_cond_wait (&available, &lock);
  if (pool != NULL) {
    c = pool;
    pool = c->next;
    pooled--;
    pthread_mutex_unlock (&lock);
    return c;
  }
  alive++;
  pthread_mutex_unlock (&lock);
  {
    PYP_GIL;

    c = make ();
  }
  if (c == NULL) {
    pthread_mutex_lock (&lock);
    alive--;
    pthread_cond_signal (&available);
    pthread_mutex_unlock (&lock);
  }
  return c;
}

/* Make c ready for its next connection (ts current): the script's
 * globals released, the script run again in a fresh __main__, the
 * configuration replayed.  0, or -1 with the reason reported.
 */
static int
reset (struct pyp_conn *c)
{
  size_t i, n = callable_count ();

  for (i = 0; i < n; i++)
    Py_CLEAR (c->fns[i]);
  return pyp_rerun (c->fns) == 0 && replay (c) == 0 ? 0 : -1;
}

/* A thread bound to c ends; ts, its state there, is current.  The last
 * one resets the interpreter and puts it back in the pool, or ends it if
 * the script fails to run again.
 */
void
pyp_conn_unbind (struct pyp_conn *c, PyThreadState *ts)
{
  bool last = __atomic_sub_fetch (&c->threads, 1, __ATOMIC_SEQ_CST) == 0;
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  if (last && reset (c) == -1) {
    nbdkit_error ("%s: an interpreter could not be made ready for another "
                  "connection: the script fails when run again (above); "
                  "it is ended",
                  pyp_script->name);
    end (c, ts);
    pthread_mutex_lock (&lock);
    alive--;
    pthread_cond_signal (&available);
    pthread_mutex_unlock (&lock);
    return;
  }
  PyThreadState_Clear (ts);
  PyThreadState_DeleteCurrent ();
  if (last) {
    put (c);
    nbdkit_debug ("%s: interpreter reset in %.1f ms", pyp_script->name,
                  pyp_lap (&t));
  }
}

/* At unload, with the main GIL held: end the interpreters no connection
 * took, so that their atexit functions and finalizers run.
 */
void
pyp_pool_drain (void)
{
  PyThreadState *main = PyThreadState_Get ();
  struct pyp_conn *c;

  pthread_mutex_lock (&lock);
  c = pool;
  pool = NULL;
  pooled = 0;
  pthread_mutex_unlock (&lock);
  while (c != NULL) {
    struct pyp_conn *next = c->next;
    PyThreadState *ts = PyThreadState_New (c->interp);

    PyEval_SaveThread ();
    PyEval_RestoreThread (ts);
    end (c, ts);
    PyEval_RestoreThread (main);
    c = next;
  }
}

#else /* Python older than 3.12: generated plugins refuse the mode. */

int
pyp_pool_fill (void)
{
  nbdkit_error ("%s: one interpreter per connection needs Python 3.12 or "
                "later, with its per-interpreter GIL",
                pyp_script->name);
  return -1;
}

struct pyp_conn *
pyp_pool_take (void)
{
  return NULL;
}

void
pyp_pool_drain (void)
{
}

void
pyp_conn_unbind (struct pyp_conn *c __attribute__ ((unused)),
                 PyThreadState *ts __attribute__ ((unused)))
{
}

#endif

/* open's result in this mode: the script's handle and the interpreter it
 * lives in, so that any thread of the connection finds it.
 */
void *
pyp_conn_handle (PyObject *h)
{
  struct pyp_handle *handle = malloc (sizeof *handle);

  if (handle == NULL) {
    Py_DECREF (h);
    nbdkit_error ("%s: out of memory", pyp_script->name);
    return NULL;
  }
  handle->h = h;
  handle->conn = pyp_bound_conn ();
  return handle;
}

void
pyp_conn_release (void *handle)
{
  {
    PYP_CONN_GIL (handle);

    Py_DECREF (pyp_conn_object (handle));
  }
  free (handle);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* One Python thread state per nbdkit thread.
 *
 * nbdkit's worker threads are not created by Python.  PyGILState_Ensure
 * would build and destroy a thread state on every call from such a thread
 * (an mmap, a munmap and a gettid per request).  Instead each thread gets
 * its thread state on first use and keeps it until the thread ends, when
 * the key's destructor frees it; a call then costs one GIL handover.
 */

#include "pyplugin.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

static pthread_key_t tstate_key;
static bool key_created;
static PyInterpreterState *interp;

/* Set, under the lock, once the plugin is unloading: a thread that ends
 * after that must not touch Python (the interpreter is finalized, or
 * parked for the exit, see interp.c).  A destructor holds the lock for as
 * long as it uses Python, so that unloading waits for it to finish.
 */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static bool stopped;

static void
free_tstate (void *p)
{
  PyThreadState *ts = p;

  pthread_mutex_lock (&stop_lock);
  if (!stopped) {
    PyEval_RestoreThread (ts);
    PyThreadState_Clear (ts);
    PyThreadState_DeleteCurrent ();
  }
  pthread_mutex_unlock (&stop_lock);
}

/* Per-connection interpreters: the thread's state in the interpreter
 * of the connection it serves.  The destructor runs when the thread ends
 * (nbdkit joins a connection's workers before the thread that accepted it
 * calls close, and that thread ends after close): the last thread of an
 * interpreter ends it.
 */
static pthread_key_t conn_key;
static bool conn_key_created;

static void
free_bound (void *p)
{
  struct pyp_bound *b = p;

  pthread_mutex_lock (&stop_lock);
  if (!stopped) {
    PyEval_RestoreThread (b->ts);
    pyp_conn_unbind (b->conn, b->ts);
  }
  pthread_mutex_unlock (&stop_lock);
  free (b);
}

int
pyp_threads_init_conn (void)
{
  if (pthread_key_create (&conn_key, free_bound) != 0)
    return -1;
  conn_key_created = true;
  return 0;
}

struct pyp_conn *
pyp_bound_conn (void)
{
  struct pyp_bound *b = pthread_getspecific (conn_key);

  return b ? b->conn : NULL;
}

/* Bind this thread to c, with a thread state of its own there. */
static struct pyp_bound *
bind_thread (struct pyp_conn *c)
{
  struct pyp_bound *b = malloc (sizeof *b);

  if (b != NULL)
    b->ts = PyThreadState_New (c->interp);
  if (b == NULL || b->ts == NULL) {
    nbdkit_error ("cannot create a Python thread state");
    abort ();
  }
  b->conn = c;
  __atomic_add_fetch (&c->threads, 1, __ATOMIC_SEQ_CST);
  pthread_setspecific (conn_key, b);
  return b;
}

struct pyp_bound *
pyp_conn_enter (void *handle)
{
  struct pyp_bound *b = pthread_getspecific (conn_key);
  struct pyp_conn *c = handle ? ((struct pyp_handle *) handle)->conn : NULL;

  if (b == NULL) {
    if (c == NULL && (c = pyp_pool_take ()) == NULL)
      return NULL;
    b = bind_thread (c);
  } else if (c != NULL && c != b->conn) {
    /* nbdkit never hands a thread another connection's handle. */
    nbdkit_error ("%s: a thread of one connection was given the handle of "
                  "another, whose interpreter it cannot enter",
                  pyp_script->name);
    abort ();
  }
  PyEval_RestoreThread (b->ts);
  pyp_set_errno (0);
  return b;
}

void
pyp_conn_leave (struct pyp_bound **entered)
{
  if (*entered != NULL)
    PyEval_SaveThread ();
}

/* Called with the GIL held by the thread that initialized Python. */
int
pyp_threads_init (PyThreadState *main)
{
  interp = main->interp;
  stopped = false;
  if (pthread_key_create (&tstate_key, free_tstate) != 0)
    return -1;
  key_created = true;
  /* The main thread's state belongs to the interpreter, never freed here:
   * the main thread ends with exit(), which runs no key destructors.
   */
  pthread_setspecific (tstate_key, main);
  return 0;
}

/* Called without the GIL, before the interpreter goes away: from now on
 * a thread that ends leaves its thread state alone.  Waits for the
 * destructors already running.
 */
void
pyp_threads_stop (void)
{
  pthread_mutex_lock (&stop_lock);
  stopped = true;
  pthread_mutex_unlock (&stop_lock);
}

/* Called after the interpreter is finalized, and before the plugin may be
 * unmapped, so that no destructor of ours runs later.
 */
void
pyp_threads_fini (void)
{
  pyp_threads_stop ();
  if (key_created) {
    pthread_key_delete (tstate_key);
    key_created = false;
  }
  if (conn_key_created) {
    pthread_key_delete (conn_key);
    conn_key_created = false;
  }
}

/* The thread state holding the GIL in this thread, or NULL: without the
 * fatal error PyThreadState_Get gives when there is none.  Python 3.13
 * made the function public, and deprecated its old name.
 */
static PyThreadState *
current_thread_state (void)
{
#if PY_VERSION_HEX >= 0x030d0000
  return PyThreadState_GetUnchecked ();
#else
  return _PyThreadState_UncheckedGet ();
#endif
}

/* Take the GIL for this thread.  Returns the thread state to hand back, or
 * NULL if this thread already held the GIL (a nested call, or the window
 * around fork), in which case pyp_leave does nothing.
 */
PyThreadState *
pyp_enter (void)
{
  PyThreadState *ts = pthread_getspecific (tstate_key);

  if (ts == NULL) {
    ts = PyThreadState_New (interp);
    if (ts == NULL) {
      nbdkit_error ("cannot create a Python thread state");
      abort ();
    }
    pthread_setspecific (tstate_key, ts);
  } else if (current_thread_state () == ts)
    return NULL;
  PyEval_RestoreThread (ts);
  pyp_set_errno (0);
  return ts;
}

void
pyp_leave (PyThreadState **entered)
{
  if (*entered != NULL)
    PyEval_SaveThread ();
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/threads.c: pyp_enter and pyp_leave from threads Python did not
 * create, as nbdkit's worker threads are.  Each thread gets one thread
 * state, on first use, reused for every later call and freed when the
 * thread ends; the errno of set_error is per thread and per call.
 */

#include "fake-nbdkit.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

/* The thread state holding the GIL in this thread, or NULL.  Python 3.13
 * made the function public and deprecated its old name.
 */
#if PY_VERSION_HEX >= 0x030d0000
#define current_tstate() PyThreadState_GetUnchecked ()
#else
#define current_tstate() _PyThreadState_UncheckedGet ()
#endif

/* Number of thread states of the interpreter; GIL held. */
static int
count_tstates (void)
{
  PyInterpreterState *interp = PyThreadState_Get ()->interp;
  PyThreadState *ts;
  int n = 0;

  for (ts = PyInterpreterState_ThreadHead (interp); ts != NULL;
       ts = PyThreadState_Next (ts))
    n++;
  return n;
}

/* Runs fn in a new thread with the GIL released here, as nbdkit's main
 * thread does not hold it while workers serve.
 */
static void
run_in_thread (void *(*fn) (void *), void *arg)
{
  PyThreadState *saved = PyEval_SaveThread ();
  pthread_t thread;

  CU_ASSERT_EQUAL_FATAL (pthread_create (&thread, NULL, fn, arg), 0);
  CU_ASSERT_EQUAL (pthread_join (thread, NULL), 0);
  PyEval_RestoreThread (saved);
}

/* What a worker saw; checked by the main thread after the join. */
struct seen {
  PyThreadState *first, *second, *nested;
  PyThreadState *current_inside, *current_after;
  int errno_before, errno_after_set, errno_next_call;
  int report_errno;
  long result;
};

static void *
worker (void *arg)
{
  struct seen *s = arg;
  PyObject *r;

  s->errno_before = pyp_last_errno ();

  /* A first call: creates the thread state. */
  s->first = pyp_enter ();
  s->current_inside = current_tstate ();
  s->nested = pyp_enter (); /* already holding: NULL */
  pyp_leave (&s->nested);
  r = eval ("sum(range(10))");
  s->result = r ? PyLong_AsLong (r) : -1;
  Py_XDECREF (r);
  Py_XDECREF (eval ("nbdkit.set_error(errno.ENOSPC)"));
  s->errno_after_set = pyp_last_errno ();
  pyp_leave (&s->first);
  s->current_after = current_tstate ();

  /* A second call: the same thread state, a fresh errno. */
  s->second = pyp_enter ();
  s->errno_next_call = pyp_last_errno ();
  PyErr_SetString (PyExc_RuntimeError, "from a worker");
  pyp_report ("pread");
  s->report_errno = fake.last_set_error;
  pyp_leave (&s->second);
  return NULL;
}

static void
threads_state_per_thread (void)
{
  PyThreadState *mine = PyThreadState_Get ();
  struct seen a, b;
  int before = count_tstates ();

  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  pyp_set_errno (EROFS);
  run_in_thread (worker, &a);
  run_in_thread (worker, &b);

  CU_ASSERT_PTR_NOT_NULL (a.first);
  CU_ASSERT_PTR_NOT_EQUAL (a.first, mine);
  CU_ASSERT_PTR_EQUAL (a.current_inside, a.first);
  CU_ASSERT_PTR_NULL (a.nested);
  CU_ASSERT_PTR_NULL (a.current_after);
  CU_ASSERT_PTR_EQUAL (a.second, a.first); /* reused, not re-created */
  CU_ASSERT_EQUAL (a.result, 45);
  CU_ASSERT_PTR_NOT_NULL (b.first);
  CU_ASSERT_PTR_EQUAL (b.second, b.first);

  /* errno: per thread, reset by each call, used by pyp_report. */
  CU_ASSERT_EQUAL (a.errno_before, 0);
  CU_ASSERT_EQUAL (a.errno_after_set, ENOSPC);
  CU_ASSERT_EQUAL (a.errno_next_call, 0);
  CU_ASSERT_EQUAL (a.report_errno, EIO);
  CU_ASSERT_EQUAL (pyp_last_errno (), EROFS);
  CU_ASSERT (error_has (SCRIPT_NAME ": pread: error: "
                                    "RuntimeError: from a worker"));

  /* The threads ended, and their thread states were freed with them. */
  CU_ASSERT_EQUAL (count_tstates (), before);
  CU_ASSERT_PTR_EQUAL (PyThreadState_Get (), mine);
}

/* The thread that initialized Python reuses its own thread state. */
static void
threads_main_thread (void)
{
  PyThreadState *mine = PyThreadState_Get (), *saved, *entered, *nested;
  int before = count_tstates ();

  /* Holding the GIL (a nested call): nothing to do. */
  nested = pyp_enter ();
  CU_ASSERT_PTR_NULL (nested);
  pyp_leave (&nested);
  CU_ASSERT_PTR_EQUAL (current_tstate (), mine);

  saved = PyEval_SaveThread ();
  CU_ASSERT_PTR_EQUAL (saved, mine);
  entered = pyp_enter ();
  CU_ASSERT_PTR_EQUAL (entered, mine);
  CU_ASSERT_PTR_EQUAL (current_tstate (), mine);
  pyp_leave (&entered);
  CU_ASSERT_PTR_NULL (current_tstate ());
  PyEval_RestoreThread (saved);
  CU_ASSERT_EQUAL (count_tstates (), before);
}

/* Two workers at once, each setting its own errno many times while the
 * other runs: neither sees the other's.
 */
struct racer {
  int err;
  int iterations;
  int wrong;
  PyThreadState *ts;
  int changed_ts;
  pthread_barrier_t *done; /* both threads wait here, their state alive */
};

static void *
racer (void *arg)
{
  struct racer *r = arg;
  char expr[64];
  int i;

  snprintf (expr, sizeof expr, "nbdkit.set_error(%d)", r->err);
  for (i = 0; i < r->iterations; i++) {
    PYP_GIL;
    PyObject *v;

    if (pyp_last_errno () != 0)
      r->wrong++;
    v = eval (expr);
    if (v == NULL)
      PyErr_Clear ();
    Py_XDECREF (v);
    if (r->ts == NULL)
      r->ts = pyp_entered_;
    else if (r->ts != pyp_entered_)
      r->changed_ts++;
    /* Let the other thread run between setting and checking. */
    Py_BEGIN_ALLOW_THREADS
    sched_yield ();
    Py_END_ALLOW_THREADS
    if (pyp_last_errno () != r->err)
      r->wrong++;
  }
  /* Neither thread ends (freeing its thread state, whose memory the
   * other's may then reuse) before both are done.
   */
  pthread_barrier_wait (r->done);
  return NULL;
}

static void
threads_errno_is_per_thread (void)
{
  pthread_barrier_t done;
  struct racer a = { .err = ENOSPC, .iterations = 2000, .done = &done };
  struct racer b = { .err = EROFS, .iterations = 2000, .done = &done };
  PyThreadState *saved;
  pthread_t ta, tb;

  CU_ASSERT_EQUAL_FATAL (pthread_barrier_init (&done, NULL, 2), 0);
  saved = PyEval_SaveThread ();
  CU_ASSERT_EQUAL_FATAL (pthread_create (&ta, NULL, racer, &a), 0);
  CU_ASSERT_EQUAL_FATAL (pthread_create (&tb, NULL, racer, &b), 0);
  pthread_join (ta, NULL);
  pthread_join (tb, NULL);
  PyEval_RestoreThread (saved);
  pthread_barrier_destroy (&done);

  CU_ASSERT_EQUAL (a.wrong, 0);
  CU_ASSERT_EQUAL (b.wrong, 0);
  CU_ASSERT_EQUAL (a.changed_ts, 0);
  CU_ASSERT_EQUAL (b.changed_ts, 0);
  CU_ASSERT_PTR_NOT_NULL (a.ts);
  CU_ASSERT_PTR_NOT_EQUAL (a.ts, b.ts);
}

void
add_threads_tests (void)
{
  CU_pSuite s = add_suite ("threads");

  ADD_TEST (s, threads_state_per_thread);
  ADD_TEST (s, threads_main_thread);
  ADD_TEST (s, threads_errno_is_per_thread);
}

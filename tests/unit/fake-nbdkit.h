/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording fakes of the nbdkit functions the runtime calls, and the
 * helpers the unit tests share.  nbdkit provides the real functions at
 * run time; the test binary provides these instead, so the runtime's
 * logic can be checked in isolation.  make generates a weak stub of
 * every other nbdkit_* function the installed headers declare
 * (runtime/generated/fake-nbdkit-stubs.c), so that the program links
 * whichever helpers nbdkit has.
 */

#ifndef FAKE_NBDKIT_H
#define FAKE_NBDKIT_H

#include "pyplugin.h"

#include <CUnit/CUnit.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX 64
#define FAKE_MSG 16384

struct fake_extent {
  uint64_t offset;
  uint64_t length;
  uint32_t type;
};

struct fake_export {
  char *name;
  char *description; /* NULL when none was given */
};

/* Everything the fakes saw since fake_reset. */
struct fake_state {
  int error_calls;
  char last_error[FAKE_MSG]; /* formatted nbdkit_error message */
  int set_error_calls;
  int last_set_error;
  int debug_calls;
  char last_debug[FAKE_MSG];
  int shutdown_calls;
  int intern_calls;
  const char *last_interned; /* pointer nbdkit_strdup_intern returned */
  char last_parse_arg[256];  /* argument of parse_size / parse_bool */
  int unfaked_calls;         /* calls of the generated stubs */
  const char *unfaked;       /* the function the last of them was */

  size_t n_extents;
  struct fake_extent extents[FAKE_MAX];
  int add_extent_calls;
  size_t n_exports;
  struct fake_export exports[FAKE_MAX];
  int add_export_calls;

  /* Behaviour the test chooses. */
  bool fail_add;           /* nbdkit_add_extent/add_export fail */
  bool fail_intern;        /* nbdkit_strdup_intern fails */
  const char *export_name; /* what nbdkit_export_name returns */
  int is_tls;
  int64_t peer_id; /* peer_pid, peer_uid and peer_gid */
  int nanosleep_result;
};

extern struct fake_state fake;

/* The list the runtime hands nbdkit_add_export and nbdkit_add_extent:
 * any pointer that is not NULL (nbdkit's header declares it non-null),
 * as the fakes record into fake.
 */
#define FAKE_LIST ((void *) &fake)

/* Forget what was recorded (and free interned strings and exports). */
extern void fake_reset (void);

/* Shared test helpers (test-main.c). */

/* The pyp_script the runtime sees; its source is SCRIPT_SOURCE. */
extern const struct pyp_script test_script;
#define SCRIPT_NAME "test_script.py"

/* Evaluate a Python expression in the test script's namespace, as a
 * generated wrapper would call a callback: returns a new reference, or
 * NULL with the exception set.  Must hold the GIL.
 */
extern PyObject *eval (const char *expr);

/* eval, for results that are singletons (None, True, False): returns
 * the (borrowed-like) object, or NULL, having dropped the reference.
 */
extern PyObject *eval_owned (const char *expr);

/* Bind name to value in the test script's namespace. */
extern void set_global (const char *name, PyObject *value);

/* The `nbdkit` module as the script sees it (borrowed). */
extern PyObject *nbdkit_module (void);

/* True if the last nbdkit_error message contains needle. */
extern bool error_has (const char *needle);

/* Consistent checks of a callback that failed: the error was logged
 * once, naming the script and the callback, the client gets err, and
 * no Python exception is left pending for the next call.
 */
#define CHECK_REPORTED(callback, err)                              \
  do {                                                             \
    CU_ASSERT_EQUAL (fake.error_calls, 1);                         \
    CU_ASSERT (error_has (SCRIPT_NAME ": " callback ": error: ")); \
    CU_ASSERT_EQUAL (fake.set_error_calls, 1);                     \
    CU_ASSERT_EQUAL (fake.last_set_error, (err));                  \
    CU_ASSERT_PTR_NULL (PyErr_Occurred ());                        \
  } while (0)

/* Nothing was reported, nothing is pending, and no nbdkit function
 * that is not faked was called.
 */
#define CHECK_QUIET()                          \
  do {                                         \
    CU_ASSERT_EQUAL (fake.error_calls, 0);     \
    CU_ASSERT_EQUAL (fake.set_error_calls, 0); \
    CU_ASSERT_EQUAL (fake.unfaked_calls, 0);   \
    CU_ASSERT_PTR_NULL (PyErr_Occurred ());    \
  } while (0)

/* Evaluate expr, then forget what evaluating it recorded, so that the
 * checks see only what the conversion under test did.
 */
extern PyObject *eval_quietly (const char *expr);

/* A suite whose tests each start from fake_reset and errno 0. */
extern CU_pSuite add_suite (const char *name);
#define ADD_TEST(suite, fn) CU_add_test ((suite), #fn, (fn))

/* Suites. */
extern void add_arenas_tests (void);
extern void add_convert_tests (void);
extern void add_errors_tests (void);
extern void add_extensions_tests (void);
extern void add_module_tests (void);
extern void add_threads_tests (void);

#endif /* FAKE_NBDKIT_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/* pyplugin-gen runtime: the static C every generated plugin links.
 *
 * This is the one place that fixes the include order: Python.h must come
 * first (it sets feature macros), with PY_SSIZE_T_CLEAN so '#' format
 * units take Py_ssize_t, and nbdkit-plugin.h is always read at API
 * version 2 whatever the script's dialect; older dialects differ only in
 * what the Python function is called with.
 */

#ifndef PYPLUGIN_H
#define PYPLUGIN_H

#define PY_SSIZE_T_CLEAN 1
#include <Python.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A callback the script defines, resolved once at load. */
struct pyp_callable {
  const char *name;
  PyObject **fn;
};

/* What Python's site module computed when the plugin was built (see
 * site.c).  Lists end with an entry whose first field is NULL.
 */
struct pyp_site_dir {
  const char *path; /* a directory site scans for .pth files */
  int exists;       /* ... which existed at build time */
};

struct pyp_pth {
  const char *dir, *name;   /* a .pth file site read */
  long long size, mtime_ns; /* its st_size and st_mtime_ns */
};

struct pyp_site {
  const char *executable;          /* sys.executable of the build Python */
  const char *stdlib_dir;          /* sys._stdlib_dir: holds os.py */
  const char *user_site_suffix;    /* "/lib/python3.11/site-packages" */
  const char *const *path;         /* sys.path after site; NULL ends it */
  const struct pyp_site_dir *dirs; /* the directories site scans */
  const struct pyp_pth *pth;       /* in the order site reads them */
};

/* A standalone plugin's Python (standalone.c, extensions.c): libpython
 * linked in, the modules the script needs frozen into the plugin.  The
 * runtime is compiled once for both kinds of plugin: these files use
 * only the public C API, which libpython's shared library and its PIC
 * archive both provide, and a plugin picks its kind at load by whether
 * pyp_script.standalone is set.
 */
struct pyp_extension {
  const char *name;          /* "_ctypes" */
  const unsigned char *data; /* the extension's shared object */
  size_t size;
};

struct pyp_standalone {
  const struct _frozen *modules; /* ends with a NULL name */
  size_t module_count, module_bytes;
  const struct pyp_extension *extensions; /* ends with a NULL name */
  const char *const *libraries; /* the extensions need; NULL ends it */
  const char *const *left_out;  /* built-in modules not linked; NULL ends */
  const char *prefix;           /* sys.prefix of the build's Python */
  const char *stdlib_dir;       /* and its sys._stdlib_dir */
  /* For the importer of gen/pyplugin_gen/embedded.py: what the frozen
   * modules' files were (marshalled), and the data files' bytes.
   */
  const unsigned char *manifest, *data;
  size_t manifest_size, data_size;
};

/* A plugin built with one interpreter per connection: how many are made
 * ahead, after nbdkit forks, and how many may exist at once.
 */
struct pyp_interpreters {
  unsigned pool, limit;
};

/* What the generated plugin tells the runtime about its script. */
struct pyp_script {
  const char *name;          /* file name only, e.g. "disk.py" */
  const char *sha256;        /* of the script's bytes, hex */
  const unsigned char *code; /* the code object, marshalled */
  size_t code_len;
  const char *source; /* for source lines in tracebacks */
  size_t source_len;
  unsigned long magic;        /* importlib MAGIC_NUMBER of the compiler */
  const char *python_version; /* "3.11": the Python that compiled it */
  int api_version;            /* 1 or 2 */
  const char *dialect;        /* "api1", "seed" or "released" */
  const char *generator_version;
  const struct pyp_callable *callables;        /* ends with { NULL, NULL } */
  const struct pyp_site *site;                 /* NULL: site runs at start-up */
  const struct pyp_standalone *standalone;     /* NULL: libpython on disk */
  const struct pyp_interpreters *interpreters; /* NULL: one interpreter */
};

/* interp.c: interpreter lifecycle. */
extern const struct pyp_script *pyp_script;
extern void pyp_load (const struct pyp_script *script);
extern void pyp_unload (void);
extern int pyp_check_loaded (void);
extern void pyp_dump_plugin (void);
extern void pyp_before_fork (void);
extern int pyp_after_fork (void);
extern int pyp_load_in (PyObject **fns);
extern int pyp_rerun (PyObject **fns);
extern double pyp_lap (struct timespec *since);

/* site.c: sys.path and the site module's work, from the build. */
extern PyStatus pyp_site_configure (PyConfig *config,
                                    const struct pyp_site *site);
extern int pyp_site_run (void);
extern const char *pyp_site_mode (void);
extern const char *pyp_site_reason (void);

/* standalone.c: start Python from the frozen modules alone. */
extern int pyp_standalone_preinit (const struct pyp_standalone *s);
extern PyStatus pyp_standalone_configure (PyConfig *config);
extern int pyp_standalone_started (void);
extern void pyp_standalone_dump (void);

/* extensions.c: embedded C extensions, imported from memory. */
extern int pyp_extensions_install (const struct pyp_extension *extensions);

/* arenas.c: Python's object arenas, set with PyObject_SetArenaAllocator
 * before Python starts; mapped populated while pyp_arenas_populate is on.
 */
extern PyObjectArenaAllocator pyp_arenas;
extern void pyp_arenas_populate (bool on);

/* threads.c: one Python thread state per nbdkit thread, kept for the
 * thread's life, so a call costs a GIL handover and no allocation.
 */
extern int pyp_threads_init (PyThreadState *main);
extern void pyp_threads_stop (void);
extern void pyp_threads_fini (void);
extern PyThreadState *pyp_enter (void);
extern void pyp_leave (PyThreadState **entered);

/* Hold the GIL for the rest of the enclosing block. */
#define PYP_GIL                                                       \
  __attribute__ ((cleanup (pyp_leave))) PyThreadState *pyp_entered_ = \
    pyp_enter ()

/* interpreters.c: one interpreter per connection, each with its own GIL
 * (pyp_script->interpreters set; Python 3.12 and later).
 */
struct pyp_conn {
  PyInterpreterState *interp;
  PyObject **fns;        /* the script's callables there, in the order of
                            pyp_script->callables */
  unsigned threads;      /* threads bound to it: see threads.c */
  struct pyp_conn *next; /* in the pool */
};

/* What open gives nbdkit as the handle in this mode. */
struct pyp_handle {
  PyObject *h; /* what the script's open returned */
  struct pyp_conn *conn;
};

extern bool pyp_per_connection;
extern int pyp_pool_fill (void);
extern struct pyp_conn *pyp_pool_take (void);
extern void pyp_pool_drain (void);
extern void pyp_conn_unbind (struct pyp_conn *c, PyThreadState *ts);
extern void pyp_replay_record (int ret, int index, int nargs, const char *a,
                               const char *b);
extern void *pyp_conn_handle (PyObject *h);
extern void pyp_conn_release (void *handle);

/* threads.c: a thread's state in the interpreter of the connection it
 * serves.  nbdkit runs a connection in threads of its own (the one that
 * accepted it, and its workers), so a thread is bound to one connection's
 * interpreter from its first callback until it ends.
 */
struct pyp_bound {
  struct pyp_conn *conn;
  PyThreadState *ts;
};
extern int pyp_threads_init_conn (void);
extern struct pyp_bound *pyp_conn_enter (void *handle);
extern void pyp_conn_leave (struct pyp_bound **entered);
extern struct pyp_conn *pyp_bound_conn (void);

/* Hold the GIL of the connection's interpreter for the rest of the
 * block: that of the handle, or else the one this thread serves (taken
 * from the pool on its first callback).  pyp_entered_ is NULL if no
 * interpreter could be had (the error is reported).
 */
#define PYP_CONN_GIL(handle)                                                  \
  __attribute__ ((cleanup (pyp_conn_leave))) struct pyp_bound *pyp_entered_ = \
    pyp_conn_enter (handle)
#define PYP_CONN_FN(i) (pyp_entered_->conn->fns[i])

static inline PyObject *
pyp_conn_object (void *handle)
{
  return ((struct pyp_handle *) handle)->h;
}

/* errors.c: exceptions to nbdkit errors, and the errno for the client. */
extern void pyp_set_errno (int err);
extern int pyp_last_errno (void);
extern void pyp_report (const char *callback);
extern int pyp_not_defined (const char *callback);

/* module.c: the built-in nbdkit module. */
extern PyObject *pyp_module_init (void);

/* convert.c: Python results to C results, one function per result kind
 * of the callback table.  Each takes the new reference the call returned
 * (NULL when it raised), releases it, and reports any error.
 */
static inline PyObject *
pyp_bool (int b)
{
  return b ? Py_True : Py_False;
}

/* The call of a script's callback (the most units a format has: the
 * table checks it).
 */
#define PYP_CALL_MAX 5
extern PyObject *pyp_call (PyObject *fn, const char *format, ...);

/* A memoryview on nbdkit's buffer; flags PyBUF_READ or PyBUF_WRITE. */
extern PyObject *pyp_view (const void *buf, uint32_t count, int flags);
extern void pyp_view_release (PyObject *view);

extern int pyp_result_none (PyObject *r, const char *callback);
extern void *pyp_result_handle (PyObject *r, const char *callback);
extern void pyp_release_handle (void *handle);
extern int pyp_result_bool (PyObject *r, const char *callback);
extern int pyp_result_fua (PyObject *r, const char *callback);
extern int pyp_result_cache (PyObject *r, const char *callback);
extern int pyp_result_thread_model (PyObject *r, const char *callback);
extern int64_t pyp_result_size (PyObject *r, const char *callback);
extern int pyp_result_buffer (PyObject *r, const char *callback, void *buf,
                              uint32_t count);
extern const char *pyp_result_string (PyObject *r, const char *callback);
extern int pyp_result_exports (PyObject *r, const char *callback,
                               struct nbdkit_exports *exports);
extern int pyp_result_extents (PyObject *r, const char *callback,
                               struct nbdkit_extents *extents);
extern int pyp_result_block_size (PyObject *r, const char *callback,
                                  uint32_t *minimum, uint32_t *preferred,
                                  uint32_t *maximum);
extern int pyp_result_zero (PyObject *r, const char *callback);

#endif /* PYPLUGIN_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/* The built-in `nbdkit` module: nbdkit's helpers and constants, for
 * `import nbdkit` in the script.  No file on disk.
 *
 * The module has exactly the helpers the installed nbdkit declares:
 * each is wrapped under the PYP_HAVE_NBDKIT_<NAME> that make writes into
 * nbdkit-record.h from its record of nbdkit's header (see
 * gen/pyplugin_gen/header_record.py); so nbdkit.disconnect exists only
 * where nbdkit_disconnect does.  The method table, with each helper's
 * flags and docstring, is that of gen/pyplugin_gen/helpers.py, and the
 * constants are the record's too.  Functions that make no sense from
 * Python are listed, with the reason, in gen/pyplugin_gen/nbdkit_header.py.
 */

#include "pyplugin.h"
#include "nbdkit-record.h"

#include <stdlib.h>

#define UNUSED __attribute__ ((unused))

#ifdef PYP_HAVE_NBDKIT_DEBUG
static PyObject *
do_debug (PyObject *self UNUSED, PyObject *args)
{
  const char *msg;

  if (!PyArg_ParseTuple (args, "s:debug", &msg))
    return NULL;
  nbdkit_debug ("%s", msg);
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_DEBUG_HEXDUMP
static PyObject *
do_debug_hexdump (PyObject *self UNUSED, PyObject *args)
{
  Py_buffer buf;
  const char *prefix;
  unsigned long long start;

  if (!PyArg_ParseTuple (args, "y*zK:debug_hexdump", &buf, &prefix, &start))
    return NULL;
  nbdkit_debug_hexdump (buf.buf, buf.len, prefix, start);
  PyBuffer_Release (&buf);
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_DEBUG_HEXDIFF
static PyObject *
do_debug_hexdiff (PyObject *self UNUSED, PyObject *args)
{
  Py_buffer buf1, buf2;
  const char *prefix;
  unsigned long long start;
  PyObject *r = NULL;

  if (!PyArg_ParseTuple (args, "y*y*zK:debug_hexdiff", &buf1, &buf2, &prefix,
                         &start))
    return NULL;
  if (buf1.len != buf2.len)
    PyErr_Format (PyExc_RuntimeError,
                  "debug_hexdiff: the buffers differ in length (%zd, %zd)",
                  buf1.len, buf2.len);
  else {
    nbdkit_debug_hexdiff (buf1.buf, buf2.buf, buf1.len, prefix, start);
    r = Py_NewRef (Py_None);
  }
  PyBuffer_Release (&buf1);
  PyBuffer_Release (&buf2);
  return r;
}
#endif

#ifdef PYP_HAVE_NBDKIT_EXPORT_NAME
static PyObject *
do_export_name (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *s = nbdkit_export_name ();

  if (s == NULL) {
    PyErr_SetString (PyExc_RuntimeError, "export_name: no export name here");
    return NULL;
  }
  return PyUnicode_FromString (s);
}
#endif

#ifdef PYP_HAVE_NBDKIT_SET_ERROR
/* Remembered for the current call: the client gets it when the callback
 * raises, and zero falls back to pwrite on EOPNOTSUPP.
 */
static PyObject *
do_set_error (PyObject *self UNUSED, PyObject *args)
{
  int err;

  if (!PyArg_ParseTuple (args, "i:set_error", &err))
    return NULL;
  pyp_set_errno (err);
  nbdkit_set_error (err);
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_SHUTDOWN
static PyObject *
do_shutdown (PyObject *self UNUSED, PyObject *args UNUSED)
{
  nbdkit_shutdown ();
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_DISCONNECT
/* Drops the current client: at once with force, else once its requests
 * in flight are done.
 */
static PyObject *
do_disconnect (PyObject *self UNUSED, PyObject *args)
{
  int force;

  if (!PyArg_ParseTuple (args, "p:disconnect", &force))
    return NULL;
  nbdkit_disconnect (force);
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_PARSE_SIZE
static PyObject *
do_parse_size (PyObject *self UNUSED, PyObject *args)
{
  const char *s;
  int64_t size;

  if (!PyArg_ParseTuple (args, "s:parse_size", &s))
    return NULL;
  size = nbdkit_parse_size (s);
  if (size == -1) {
    PyErr_Format (PyExc_ValueError, "cannot parse size: %s", s);
    return NULL;
  }
  return PyLong_FromLongLong (size);
}
#endif

#ifdef PYP_HAVE_NBDKIT_PARSE_BOOL
static PyObject *
do_parse_bool (PyObject *self UNUSED, PyObject *args)
{
  const char *s;
  int b;

  if (!PyArg_ParseTuple (args, "s:parse_bool", &s))
    return NULL;
  b = nbdkit_parse_bool (s);
  if (b == -1) {
    PyErr_Format (PyExc_ValueError, "cannot parse boolean: %s", s);
    return NULL;
  }
  return PyBool_FromLong (b);
}
#endif

#ifdef PYP_HAVE_NBDKIT_PARSE_DELAY
static PyObject *
do_parse_delay (PyObject *self UNUSED, PyObject *args)
{
  const char *what, *s;
  unsigned sec, nsec;

  if (!PyArg_ParseTuple (args, "ss:parse_delay", &what, &s))
    return NULL;
  if (nbdkit_parse_delay (what, s, &sec, &nsec) == -1) {
    PyErr_Format (PyExc_ValueError, "%s: cannot parse delay: %s", what, s);
    return NULL;
  }
  return Py_BuildValue ("(II)", sec, nsec);
}
#endif

#ifdef PYP_HAVE_NBDKIT_PARSE_PROBABILITY
static PyObject *
do_parse_probability (PyObject *self UNUSED, PyObject *args)
{
  const char *what, *s;
  double p;

  if (!PyArg_ParseTuple (args, "ss:parse_probability", &what, &s))
    return NULL;
  if (nbdkit_parse_probability (what, s, &p) == -1) {
    PyErr_Format (PyExc_ValueError, "%s: cannot parse probability: %s", what,
                  s);
    return NULL;
  }
  return PyFloat_FromDouble (p);
}
#endif

#ifdef PYP_HAVE_NBDKIT_IS_TLS
static PyObject *
do_is_tls (PyObject *self UNUSED, PyObject *args UNUSED)
{
  int r = nbdkit_is_tls ();

  if (r == -1) {
    PyErr_SetString (PyExc_RuntimeError, "is_tls failed");
    return NULL;
  }
  return PyBool_FromLong (r);
}
#endif

/* The client's pid, uid or gid; -1 (no Unix socket client) is an error,
 * as in nbdkit python.
 */
static UNUSED PyObject *
peer_id (int64_t id, const char *what)
{
  if (id == -1) {
    PyErr_Format (PyExc_ValueError, "%s failed", what);
    return NULL;
  }
  return PyLong_FromLongLong (id);
}

#ifdef PYP_HAVE_NBDKIT_PEER_PID
static PyObject *
do_peer_pid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return peer_id (nbdkit_peer_pid (), "peer_pid");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_UID
static PyObject *
do_peer_uid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return peer_id (nbdkit_peer_uid (), "peer_uid");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_GID
static PyObject *
do_peer_gid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return peer_id (nbdkit_peer_gid (), "peer_gid");
}
#endif

/* A str of a string nbdkit malloc'd for us (a path, the client's
 * credentials), which it frees; NULL (nbdkit reported why) raises exc.
 */
static UNUSED PyObject *
take_string (char *s, PyObject *exc, const char *what)
{
  PyObject *r;

  if (s == NULL) {
    PyErr_Format (exc, "%s failed", what);
    return NULL;
  }
  r = PyUnicode_DecodeFSDefault (s);
  free (s);
  return r;
}

#ifdef PYP_HAVE_NBDKIT_PEER_SECURITY_CONTEXT
static PyObject *
do_peer_security_context (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return take_string (nbdkit_peer_security_context (), PyExc_ValueError,
                      "peer_security_context");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_TLS_DN
static PyObject *
do_peer_tls_dn (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return take_string (nbdkit_peer_tls_dn (), PyExc_ValueError, "peer_tls_dn");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_TLS_ISSUER_DN
static PyObject *
do_peer_tls_issuer_dn (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return take_string (nbdkit_peer_tls_issuer_dn (), PyExc_ValueError,
                      "peer_tls_issuer_dn");
}
#endif

#ifdef PYP_HAVE_NBDKIT_STDIO_SAFE
static PyObject *
do_stdio_safe (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return PyBool_FromLong (nbdkit_stdio_safe ());
}
#endif

#ifdef PYP_HAVE_NBDKIT_ABSOLUTE_PATH
static PyObject *
do_absolute_path (PyObject *self UNUSED, PyObject *args)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:absolute_path", &path))
    return NULL;
  return take_string (nbdkit_absolute_path (path), PyExc_OSError,
                      "absolute_path");
}
#endif

#ifdef PYP_HAVE_NBDKIT_REALPATH
static PyObject *
do_realpath (PyObject *self UNUSED, PyObject *args)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:realpath", &path))
    return NULL;
  return take_string (nbdkit_realpath (path), PyExc_OSError, "realpath");
}
#endif

#ifdef PYP_HAVE_NBDKIT_READ_PASSWORD
/* bytes, as in nbdkit python: a password need not be text. */
static PyObject *
do_read_password (PyObject *self UNUSED, PyObject *args)
{
  const char *value;
  char *password;
  PyObject *r;

  if (!PyArg_ParseTuple (args, "s:read_password", &value))
    return NULL;
  if (nbdkit_read_password (value, &password) == -1) {
    PyErr_SetString (PyExc_ValueError, "read_password failed");
    return NULL;
  }
  r = PyBytes_FromString (password);
  free (password);
  return r;
}
#endif

#ifdef PYP_HAVE_NBDKIT_NANOSLEEP
/* Sleeps without the GIL; returns False if nbdkit is shutting down. */
static PyObject *
do_nanosleep (PyObject *self UNUSED, PyObject *args)
{
  unsigned sec, nsec;
  int r;

  if (!PyArg_ParseTuple (args, "II:nanosleep", &sec, &nsec))
    return NULL;
  Py_BEGIN_ALLOW_THREADS
  r = nbdkit_nanosleep (sec, nsec);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong (r == 0);
}
#endif

#ifdef PYP_HAVE_NBDKIT_NAME
static PyObject *
do_name (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *s = nbdkit_name ();

  if (s == NULL)
    Py_RETURN_NONE;
  return PyUnicode_FromString (s);
}
#endif

#ifdef PYP_HAVE_NBDKIT_TIMESTAMP
static PyObject *
do_timestamp (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return PyUnicode_FromString (nbdkit_timestamp ());
}
#endif

/* The helpers of this nbdkit, their flags and docstrings: the rows of
 * gen/pyplugin_gen/helpers.py whose function its header declares.
 */
/* clang-format off */
#define METHOD(name, flags, doc) { #name, do_##name, flags, doc },
/* clang-format on */

static PyMethodDef methods[] = {
  PYP_NBDKIT_HELPERS (METHOD) /* then the end: */
  { NULL },
};

/* Kept on one line: clang-format would split the braces over four. */
/* clang-format off */
#define CONSTANT(name) { #name, NBDKIT_##name },
/* clang-format on */

static const struct {
  const char *name;
  int value;
} constants[] = { PYP_NBDKIT_CONSTANTS (CONSTANT) };

/* Runs once in each interpreter that imports the module. */
static int
module_exec (PyObject *m)
{
  size_t i;

  for (i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    if (PyModule_AddIntConstant (m, constants[i].name, constants[i].value)
        == -1)
      return -1;
  }
  return 0;
}

/* Multi-phase initialisation: each interpreter gets a module object of
 * its own.  The module keeps no C state (m_size 0): what a call needs
 * from earlier calls, the errno of set_error, belongs to the thread
 * running the callback (errors.c), and a thread runs one interpreter's
 * callback at a time; so the module is safe under an interpreter's own
 * GIL, which Python 3.12 lets it declare.
 */
static PyModuleDef_Slot slots[] = {
  { Py_mod_exec, module_exec },
#if PY_VERSION_HEX >= 0x030c0000
  { Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED },
#endif
  { 0, NULL },
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "nbdkit",
  .m_doc = "nbdkit's helpers for plugins built by pyplugin-gen",
  .m_size = 0,
  .m_methods = methods,
  .m_slots = slots,
};

PyObject *
pyp_module_init (void)
{
  return PyModuleDef_Init (&module_def);
}

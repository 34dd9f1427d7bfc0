/* The built-in `nbdkit` module: nbdkit's helpers and constants, for
 * `import nbdkit` in the script.  No file on disk.
 *
 * The module has exactly the helpers the installed nbdkit declares:
 * each is wrapped under the PYP_HAVE_NBDKIT_<NAME> that make writes into
 * nbdkit-record.h from its record of nbdkit's header (see
 * gen/pyplugin_gen/header_record.py); so nbdkit.disconnect exists only
 * where nbdkit_disconnect does.  Its constants are that record's too. Functions
 * that make no sense from Python are listed, with the reason, in
 * gen/pyplugin_gen/nbdkit_header.py.
 */

#include "pyplugin.h"
#include "nbdkit-record.h"

#include <stdlib.h>

#define UNUSED __attribute__ ((unused))

#ifdef PYP_HAVE_NBDKIT_DEBUG
static PyObject *
do_debug (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *msg;

  if (!PyArg_ParseTuple (args, "s:debug", &msg))
    return NULL;
  nbdkit_debug ("%s", msg);
  Py_RETURN_NONE;
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
do_set_error (PyObject *self UNUSED, PyObject *args UNUSED)
{
  int err;

  if (!PyArg_ParseTuple (args, "i:set_error", &err))
    return NULL;
  pyp_set_errno (err);
  nbdkit_set_error (err);
  Py_RETURN_NONE;
}
#endif

#ifdef PYP_HAVE_NBDKIT_PARSE_SIZE
static PyObject *
do_parse_size (PyObject *self UNUSED, PyObject *args UNUSED)
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
do_parse_bool (PyObject *self UNUSED, PyObject *args UNUSED)
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

#ifdef PYP_HAVE_NBDKIT_SHUTDOWN
static PyObject *
do_shutdown (PyObject *self UNUSED, PyObject *args UNUSED)
{
  nbdkit_shutdown ();
  Py_RETURN_NONE;
}
#endif

/* Wraps a helper that returns -1 on error (reported by nbdkit). */
static UNUSED PyObject *
int64_or_error (int64_t v, const char *what)
{
  if (v == -1) {
    PyErr_Format (PyExc_RuntimeError, "%s failed", what);
    return NULL;
  }
  return PyLong_FromLongLong (v);
}

#ifdef PYP_HAVE_NBDKIT_IS_TLS
static PyObject *
do_is_tls (PyObject *self UNUSED, PyObject *args UNUSED)
{
  int r = nbdkit_is_tls ();

  if (r == -1)
    return int64_or_error (r, "is_tls");
  return PyBool_FromLong (r);
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_PID
static PyObject *
do_peer_pid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_pid (), "peer_pid");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_UID
static PyObject *
do_peer_uid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_uid (), "peer_uid");
}
#endif

#ifdef PYP_HAVE_NBDKIT_PEER_GID
static PyObject *
do_peer_gid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_gid (), "peer_gid");
}
#endif

#ifdef PYP_HAVE_NBDKIT_STDIO_SAFE
static PyObject *
do_stdio_safe (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return PyBool_FromLong (nbdkit_stdio_safe ());
}
#endif

/* A str of a string nbdkit malloc'd for us (a path, a password), which
 * it frees; NULL (nbdkit reported why) becomes OSError.
 */
static UNUSED PyObject *
take_string (char *s, const char *what)
{
  PyObject *r;

  if (s == NULL) {
    PyErr_Format (PyExc_OSError, "%s failed", what);
    return NULL;
  }
  r = PyUnicode_DecodeFSDefault (s);
  free (s);
  return r;
}

#ifdef PYP_HAVE_NBDKIT_ABSOLUTE_PATH
static PyObject *
do_absolute_path (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:absolute_path", &path))
    return NULL;
  return take_string (nbdkit_absolute_path (path), "absolute_path");
}
#endif

#ifdef PYP_HAVE_NBDKIT_REALPATH
static PyObject *
do_realpath (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:realpath", &path))
    return NULL;
  return take_string (nbdkit_realpath (path), "realpath");
}
#endif

#ifdef PYP_HAVE_NBDKIT_READ_PASSWORD
static PyObject *
do_read_password (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *value;
  char *password;

  if (!PyArg_ParseTuple (args, "s:read_password", &value))
    return NULL;
  if (nbdkit_read_password (value, &password) == -1) {
    PyErr_SetString (PyExc_RuntimeError, "read_password failed");
    return NULL;
  }
  return take_string (password, "read_password");
}
#endif

#ifdef PYP_HAVE_NBDKIT_NANOSLEEP
/* Sleeps without the GIL; returns False if nbdkit is shutting down. */
static PyObject *
do_nanosleep (PyObject *self UNUSED, PyObject *args UNUSED)
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

#ifdef PYP_HAVE_NBDKIT_DISCONNECT
/* Drops the current client: at once with force, else once its requests
 * in flight are done (nbdkit 1.34 and later).
 */
static PyObject *
do_disconnect (PyObject *self UNUSED, PyObject *args UNUSED)
{
  int force;

  if (!PyArg_ParseTuple (args, "p:disconnect", &force))
    return NULL;
  nbdkit_disconnect (force);
  Py_RETURN_NONE;
}
#endif

static PyMethodDef methods[] = {
#ifdef PYP_HAVE_NBDKIT_DEBUG
  { "debug", do_debug, METH_VARARGS, "Print a debug message." },
#endif
#ifdef PYP_HAVE_NBDKIT_EXPORT_NAME
  { "export_name", do_export_name, METH_NOARGS,
    "Return the export name the client asked for." },
#endif
#ifdef PYP_HAVE_NBDKIT_SET_ERROR
  { "set_error", do_set_error, METH_VARARGS,
    "Set the errno the client sees when this callback raises." },
#endif
#ifdef PYP_HAVE_NBDKIT_PARSE_SIZE
  { "parse_size", do_parse_size, METH_VARARGS,
    "Parse a size such as '100M' into bytes." },
#endif
#ifdef PYP_HAVE_NBDKIT_PARSE_BOOL
  { "parse_bool", do_parse_bool, METH_VARARGS,
    "Parse a boolean such as 'on' or 'false'." },
#endif
#ifdef PYP_HAVE_NBDKIT_SHUTDOWN
  { "shutdown", do_shutdown, METH_NOARGS, "Request server shutdown." },
#endif
#ifdef PYP_HAVE_NBDKIT_IS_TLS
  { "is_tls", do_is_tls, METH_NOARGS, "Is this connection using TLS?" },
#endif
#ifdef PYP_HAVE_NBDKIT_PEER_PID
  { "peer_pid", do_peer_pid, METH_NOARGS, "Client process ID (Unix socket)." },
#endif
#ifdef PYP_HAVE_NBDKIT_PEER_UID
  { "peer_uid", do_peer_uid, METH_NOARGS, "Client user ID (Unix socket)." },
#endif
#ifdef PYP_HAVE_NBDKIT_PEER_GID
  { "peer_gid", do_peer_gid, METH_NOARGS, "Client group ID (Unix socket)." },
#endif
#ifdef PYP_HAVE_NBDKIT_STDIO_SAFE
  { "stdio_safe", do_stdio_safe, METH_NOARGS,
    "May the plugin use stdin and stdout?" },
#endif
#ifdef PYP_HAVE_NBDKIT_ABSOLUTE_PATH
  { "absolute_path", do_absolute_path, METH_VARARGS,
    "Make a path absolute, relative to nbdkit's start directory." },
#endif
#ifdef PYP_HAVE_NBDKIT_REALPATH
  { "realpath", do_realpath, METH_VARARGS,
    "Resolve a path, relative to nbdkit's start directory." },
#endif
#ifdef PYP_HAVE_NBDKIT_READ_PASSWORD
  { "read_password", do_read_password, METH_VARARGS,
    "Read a password given as a config value (-, +FILE, -FD ...)." },
#endif
#ifdef PYP_HAVE_NBDKIT_NANOSLEEP
  { "nanosleep", do_nanosleep, METH_VARARGS,
    "Sleep, waking early on shutdown; False if woken early." },
#endif
#ifdef PYP_HAVE_NBDKIT_DISCONNECT
  { "disconnect", do_disconnect, METH_VARARGS,
    "Drop the client connection (force: at once)." },
#endif
  { NULL }
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "nbdkit",
  .m_doc = "nbdkit's helpers for plugins built by pyplugin-gen",
  .m_size = -1,
  .m_methods = methods,
};

/* Kept on one line: clang-format would split the braces over four. */
/* clang-format off */
#define CONSTANT(name) { #name, NBDKIT_##name },
/* clang-format on */

static const struct {
  const char *name;
  int value;
} constants[] = { PYP_NBDKIT_CONSTANTS (CONSTANT) };

PyObject *
pyp_module_init (void)
{
  PyObject *m = PyModule_Create (&module_def);
  size_t i;

  if (m == NULL)
    return NULL;
  for (i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    if (PyModule_AddIntConstant (m, constants[i].name, constants[i].value)
        == -1) {
      Py_DECREF (m);
      return NULL;
    }
  }
  return m;
}

/* The built-in `nbdkit` module: nbdkit's helpers and constants, for
 * `import nbdkit` in the script.  No file on disk.
 */

#include "pyplugin.h"

#include <stdlib.h>

#define UNUSED __attribute__ ((unused))

static PyObject *
do_debug (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *msg;

  if (!PyArg_ParseTuple (args, "s:debug", &msg))
    return NULL;
  nbdkit_debug ("%s", msg);
  Py_RETURN_NONE;
}

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

static PyObject *
do_shutdown (PyObject *self UNUSED, PyObject *args UNUSED)
{
  nbdkit_shutdown ();
  Py_RETURN_NONE;
}

/* Wraps a helper that returns -1 on error (reported by nbdkit). */
static PyObject *
int64_or_error (int64_t v, const char *what)
{
  if (v == -1) {
    PyErr_Format (PyExc_RuntimeError, "%s failed", what);
    return NULL;
  }
  return PyLong_FromLongLong (v);
}

static PyObject *
do_is_tls (PyObject *self UNUSED, PyObject *args UNUSED)
{
  int r = nbdkit_is_tls ();

  if (r == -1)
    return int64_or_error (r, "is_tls");
  return PyBool_FromLong (r);
}

static PyObject *
do_peer_pid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_pid (), "peer_pid");
}

static PyObject *
do_peer_uid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_uid (), "peer_uid");
}

static PyObject *
do_peer_gid (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return int64_or_error (nbdkit_peer_gid (), "peer_gid");
}

static PyObject *
do_stdio_safe (PyObject *self UNUSED, PyObject *args UNUSED)
{
  return PyBool_FromLong (nbdkit_stdio_safe ());
}

/* Takes a path, returns a malloc'd path or NULL (reported by nbdkit). */
static PyObject *
path_result (char *path, const char *what)
{
  PyObject *r;

  if (path == NULL) {
    PyErr_Format (PyExc_OSError, "%s failed", what);
    return NULL;
  }
  r = PyUnicode_DecodeFSDefault (path);
  free (path);
  return r;
}

static PyObject *
do_absolute_path (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:absolute_path", &path))
    return NULL;
  return path_result (nbdkit_absolute_path (path), "absolute_path");
}

static PyObject *
do_realpath (PyObject *self UNUSED, PyObject *args UNUSED)
{
  const char *path;

  if (!PyArg_ParseTuple (args, "s:realpath", &path))
    return NULL;
  return path_result (nbdkit_realpath (path), "realpath");
}

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
  return path_result (password, "read_password");
}

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

static PyMethodDef methods[] = {
  { "debug", do_debug, METH_VARARGS, "Print a debug message." },
  { "export_name", do_export_name, METH_NOARGS,
    "Return the export name the client asked for." },
  { "set_error", do_set_error, METH_VARARGS,
    "Set the errno the client sees when this callback raises." },
  { "parse_size", do_parse_size, METH_VARARGS,
    "Parse a size such as '100M' into bytes." },
  { "parse_bool", do_parse_bool, METH_VARARGS,
    "Parse a boolean such as 'on' or 'false'." },
  { "shutdown", do_shutdown, METH_NOARGS, "Request server shutdown." },
  { "is_tls", do_is_tls, METH_NOARGS, "Is this connection using TLS?" },
  { "peer_pid", do_peer_pid, METH_NOARGS, "Client process ID (Unix socket)." },
  { "peer_uid", do_peer_uid, METH_NOARGS, "Client user ID (Unix socket)." },
  { "peer_gid", do_peer_gid, METH_NOARGS, "Client group ID (Unix socket)." },
  { "stdio_safe", do_stdio_safe, METH_NOARGS,
    "May the plugin use stdin and stdout?" },
  { "absolute_path", do_absolute_path, METH_VARARGS,
    "Make a path absolute, relative to nbdkit's start directory." },
  { "realpath", do_realpath, METH_VARARGS,
    "Resolve a path, relative to nbdkit's start directory." },
  { "read_password", do_read_password, METH_VARARGS,
    "Read a password given as a config value (-, +FILE, -FD ...)." },
  { "nanosleep", do_nanosleep, METH_VARARGS,
    "Sleep, waking early on shutdown; False if woken early." },
  { NULL }
};

static struct PyModuleDef module_def = {
  PyModuleDef_HEAD_INIT,
  .m_name = "nbdkit",
  .m_doc = "nbdkit's helpers for plugins built by pyplugin-gen",
  .m_size = -1,
  .m_methods = methods,
};

#define CONSTANT(name) { #name, NBDKIT_##name }

static const struct {
  const char *name;
  int value;
} constants[] = {
  CONSTANT (THREAD_MODEL_SERIALIZE_CONNECTIONS),
  CONSTANT (THREAD_MODEL_SERIALIZE_ALL_REQUESTS),
  CONSTANT (THREAD_MODEL_SERIALIZE_REQUESTS),
  CONSTANT (THREAD_MODEL_PARALLEL),
  CONSTANT (FLAG_MAY_TRIM),
  CONSTANT (FLAG_FUA),
  CONSTANT (FLAG_REQ_ONE),
  CONSTANT (FLAG_FAST_ZERO),
  CONSTANT (FUA_NONE),
  CONSTANT (FUA_EMULATE),
  CONSTANT (FUA_NATIVE),
  CONSTANT (CACHE_NONE),
  CONSTANT (CACHE_EMULATE),
  CONSTANT (CACHE_NATIVE),
  CONSTANT (EXTENT_HOLE),
  CONSTANT (EXTENT_ZERO),
};

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

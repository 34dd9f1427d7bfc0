/* SPDX-License-Identifier: BSD-3-Clause */
/* Conversions of Python results to what nbdkit expects.
 *
 * One function per result kind of the generator's callback table.  Each
 * takes the new reference the call returned (NULL if the call raised),
 * releases it, and on any error reports it with pyp_report and returns
 * the callback's error value.  A malformed result is turned into a Python
 * exception first, so that it is reported the same way.
 */

#include "pyplugin.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* PyObject_CallFunction (fn, format, ...) for the formats of the
 * callback table: "(...)" of the units O, I, K and s, which read what
 * Py_BuildValue's read.  The arguments go on the stack to a vectorcall,
 * without the general format parser and the argument tuple: the larger
 * part of a call's own cost, paid on every request.
 */
PyObject *
pyp_call (PyObject *fn, const char *format, ...)
{
  PyObject *args[PYP_CALL_MAX], *r = NULL;
  size_t n = 0, i;
  const char *p;
  va_list ap;

  va_start (ap, format);
  for (p = format + 1; *p != ')'; p++) {
    PyObject *a;

    switch (*p) {
      case 'O':
        a = va_arg (ap, PyObject *);
        Py_XINCREF (a);
        break;
      case 'I':
        a = PyLong_FromUnsignedLong (va_arg (ap, unsigned int));
        break;
      case 'K':
        a = PyLong_FromUnsignedLongLong (va_arg (ap, unsigned long long));
        break;
      case 's':
        a = PyUnicode_FromString (va_arg (ap, const char *));
        break;
      default:
        a = NULL;
        PyErr_Format (PyExc_SystemError, "pyp_call: unit '%c'", *p);
    }
    if (a == NULL) {
      if (!PyErr_Occurred ())
        PyErr_SetString (PyExc_SystemError, "pyp_call: NULL object");
      goto out;
    }
    args[n++] = a;
  }
  r = PyObject_Vectorcall (fn, args, n, NULL);
out:
  va_end (ap);
  for (i = 0; i < n; i++)
    Py_DECREF (args[i]);
  return r;
}

/* A memoryview on nbdkit's buffer: zero-copy in both directions. */
PyObject *
pyp_view (const void *buf, uint32_t count, int flags)
{
  return PyMemoryView_FromMemory ((char *) buf, count, flags);
}

/* nbdkit reuses the buffer after the callback, so no memoryview may
 * reach it any more: neither the view nor a slice, cast or
 * memoryview () of it, which share the view's managed buffer.
 * memoryview.release () cannot do that (it leaves the slices be), so the
 * managed buffer is marked released as CPython's own release does
 * (documented fields of cpython/memoryobject.h): every memoryview on it
 * then raises ValueError.  The callback's exception, if any, stays
 * pending for pyp_report.
 */
void
pyp_view_release (PyObject *view)
{
  _PyManagedBufferObject *mbuf;

  if (view == NULL)
    return;
  mbuf = ((PyMemoryViewObject *) view)->mbuf;
  /* The usual case, once per request: the script kept nothing, and
   * freeing the view frees the managed buffer.
   */
  if (Py_REFCNT (view) > 1 || Py_REFCNT (mbuf) > 1) {
    if (!(mbuf->flags & _Py_MANAGED_BUFFER_RELEASED)) {
      mbuf->flags |= _Py_MANAGED_BUFFER_RELEASED;
      PyObject_GC_UnTrack (mbuf);
    }
  }
  Py_DECREF (view);
}

int
pyp_result_none (PyObject *r, const char *callback)
{
  if (r == NULL) {
    pyp_report (callback);
    return -1;
  }
  Py_DECREF (r);
  return 0;
}

void *
pyp_result_handle (PyObject *r, const char *callback)
{
  if (r == NULL) {
    pyp_report (callback);
    return NULL;
  }
  /* The reference is the handle, released by close. */
  return pyp_per_connection ? pyp_conn_handle (r) : r;
}

/* After close, whether or not the script defines it. */
void
pyp_release_handle (void *handle)
{
  if (pyp_per_connection) {
    pyp_conn_release (handle);
    return;
  }
  PYP_GIL;

  Py_DECREF ((PyObject *) handle);
}

int
pyp_result_bool (PyObject *r, const char *callback)
{
  int b;

  if (r == NULL) {
    pyp_report (callback);
    return -1;
  }
  b = PyObject_IsTrue (r);
  Py_DECREF (r);
  if (b == -1)
    pyp_report (callback);
  return b;
}

/* The result as an int (anything with __index__ will do, as for
 * PyLong_AsLong), or NULL once reported: the call's exception, or a
 * TypeError that names the callback and what it returned rather than
 * Python's "cannot be interpreted as an integer".  Steals r.
 */
static PyObject *
result_int (PyObject *r, const char *callback)
{
  PyObject *n;

  if (r == NULL) {
    pyp_report (callback);
    return NULL;
  }
  n = PyNumber_Index (r);
  if (n == NULL && PyErr_ExceptionMatches (PyExc_TypeError)) {
    PyErr_Clear ();
    PyErr_Format (PyExc_TypeError, "%s must return an int, not %.100s",
                  callback, Py_TYPE (r)->tp_name);
  }
  Py_DECREF (r);
  if (n == NULL)
    pyp_report (callback);
  return n;
}

/* An integer in [lo, hi], or -1. */
static int
result_in_range (PyObject *r, const char *callback, long lo, long hi,
                 const char *what)
{
  PyObject *n;
  long v;
  int overflow;

  n = result_int (r, callback);
  if (n == NULL)
    return -1;
  v = PyLong_AsLongAndOverflow (n, &overflow);
  if (v == -1 && PyErr_Occurred ()) {
    Py_DECREF (n);
    pyp_report (callback);
    return -1;
  }
  if (overflow || v < lo || v > hi) {
    PyErr_Format (overflow ? PyExc_OverflowError : PyExc_ValueError,
                  "%s returned %R, which is not one of %s", callback, n, what);
    Py_DECREF (n);
    pyp_report (callback);
    return -1;
  }
  Py_DECREF (n);
  return (int) v;
}

int
pyp_result_fua (PyObject *r, const char *callback)
{
  return result_in_range (r, callback, NBDKIT_FUA_NONE, NBDKIT_FUA_NATIVE,
                          "nbdkit.FUA_*");
}

int
pyp_result_cache (PyObject *r, const char *callback)
{
  return result_in_range (r, callback, NBDKIT_CACHE_NONE, NBDKIT_CACHE_NATIVE,
                          "nbdkit.CACHE_*");
}

int
pyp_result_thread_model (PyObject *r, const char *callback)
{
  return result_in_range (r, callback,
                          NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS,
                          NBDKIT_THREAD_MODEL_PARALLEL,
                          "nbdkit.THREAD_MODEL_*");
}

int64_t
pyp_result_size (PyObject *r, const char *callback)
{
  PyObject *n;
  long long size;
  int overflow;

  n = result_int (r, callback);
  if (n == NULL)
    return -1;
  size = PyLong_AsLongLongAndOverflow (n, &overflow);
  if (size == -1 && PyErr_Occurred ()) {
    Py_DECREF (n);
    pyp_report (callback);
    return -1;
  }
  if (overflow > 0)
    PyErr_Format (PyExc_OverflowError,
                  "%s returned %R, more than the "
                  "largest size nbdkit can serve (2**63 - 1)",
                  callback, n);
  else if (overflow < 0 || size < 0)
    PyErr_Format (PyExc_ValueError, "%s returned a negative size (%R)",
                  callback, n);
  Py_DECREF (n);
  if (PyErr_Occurred ()) {
    pyp_report (callback);
    return -1;
  }
  return size;
}

int
pyp_result_buffer (PyObject *r, const char *callback, void *buf, uint32_t count)
{
  Py_buffer view;

  if (r == NULL) {
    pyp_report (callback);
    return -1;
  }
  if (PyObject_GetBuffer (r, &view, PyBUF_SIMPLE) == -1) {
    Py_DECREF (r);
    pyp_report (callback);
    return -1;
  }
  if (view.len < (Py_ssize_t) count) {
    PyErr_Format (PyExc_ValueError,
                  "%s returned %zd bytes, fewer than the %u requested",
                  callback, view.len, (unsigned) count);
    PyBuffer_Release (&view);
    Py_DECREF (r);
    pyp_report (callback);
    return -1;
  }
  memcpy (buf, view.buf, count); /* a longer buffer is cut, as in nbdkit */
  PyBuffer_Release (&view);
  Py_DECREF (r);
  return 0;
}

/* The longest export name or description NBD can carry, in bytes. */
#define NBD_MAX_STRING 4096

/* A str, a name or description, as UTF-8 for nbdkit, or NULL with an
 * exception.  C strings end at the first NUL, so a NUL inside would
 * silently cut the name; and nbdkit ignores, or refuses with a message
 * that names neither the script nor the callback, strings NBD cannot
 * carry.
 */
static const char *
nbd_string (PyObject *o, const char *callback, const char *what)
{
  Py_ssize_t len;
  const char *s = PyUnicode_AsUTF8AndSize (o, &len);

  if (s == NULL)
    return NULL;
  if (strlen (s) != (size_t) len) {
    PyErr_Format (PyExc_ValueError, "%s: %s contains a NUL character: %.200R",
                  callback, what, o);
    return NULL;
  }
  if (len > NBD_MAX_STRING) {
    PyErr_Format (PyExc_ValueError,
                  "%s: %s is %zd bytes long in UTF-8; "
                  "NBD allows at most %d",
                  callback, what, len, NBD_MAX_STRING);
    return NULL;
  }
  return s;
}

const char *
pyp_result_string (PyObject *r, const char *callback)
{
  const char *s, *interned = NULL;

  if (r == NULL) {
    pyp_report (callback);
    return NULL;
  }
  if (!PyUnicode_Check (r))
    PyErr_Format (PyExc_TypeError, "%s must return a str, not %.100s", callback,
                  Py_TYPE (r)->tp_name);
  else if ((s = nbd_string (r, callback, "the string returned")) != NULL)
    interned = nbdkit_strdup_intern (s);
  Py_DECREF (r);
  if (interned == NULL && PyErr_Occurred ())
    pyp_report (callback);
  return interned;
}

/* A str from an item of an iterable result, or NULL with an exception. */
static const char *
item_str (PyObject *o, const char *callback, const char *what)
{
  if (!PyUnicode_Check (o)) {
    PyErr_Format (PyExc_TypeError, "%s: %s must be a str, not %.100s", callback,
                  what, Py_TYPE (o)->tp_name);
    return NULL;
  }
  return nbd_string (o, callback, what);
}

/* Adds one item of an iterable result to nbdkit's list.  Returns 0, or -1
 * with a Python exception set, or -2 when nbdkit has reported the error.
 */
typedef int (*add_item_fn) (PyObject *item, const char *callback, void *list);

static int
add_each (PyObject *r, const char *callback, add_item_fn add, void *list,
          size_t min_items)
{
  PyObject *it, *item;
  int ret = 0;
  size_t n = 0;

  if (r == NULL) {
    pyp_report (callback);
    return -1;
  }
  it = PyObject_GetIter (r);
  Py_DECREF (r);
  if (it == NULL) {
    pyp_report (callback);
    return -1;
  }
  while (ret == 0 && (item = PyIter_Next (it)) != NULL) {
    ret = add (item, callback, list);
    n++;
    if (ret == -2) {
      /* nbdkit's message says what is wrong but not where it came from. */
      PyObject *repr = PyObject_Repr (item);
      const char *text = repr ? PyUnicode_AsUTF8 (repr) : NULL;

      nbdkit_error ("%s: %s: error: nbdkit refused item %zu of the result, "
                    "%.200s (see above)",
                    pyp_script->name, callback, n,
                    text ? text : "(which cannot be printed)");
      PyErr_Clear ();
      Py_XDECREF (repr);
    }
    Py_DECREF (item);
  }
  Py_DECREF (it);
  if (ret == 0 && !PyErr_Occurred () && n < min_items) {
    PyErr_Format (PyExc_ValueError,
                  "%s returned %zu items, at least %zu "
                  "needed",
                  callback, n, min_items);
    ret = -1;
  }
  if (ret == -1 || PyErr_Occurred ()) {
    pyp_report (callback);
    return -1;
  }
  return ret == 0 ? 0 : -1;
}

/* A bare name, or (name, description) with description str or None. */
static int
add_export (PyObject *item, const char *callback, void *exports)
{
  PyObject *desc_obj = Py_None;
  const char *name, *desc = NULL;

  if (PyTuple_Check (item) && PyTuple_GET_SIZE (item) == 2) {
    desc_obj = PyTuple_GET_ITEM (item, 1);
    item = PyTuple_GET_ITEM (item, 0);
  }
  name = item_str (item, callback, "an export name");
  if (name == NULL)
    return -1;
  if (desc_obj != Py_None) {
    desc = item_str (desc_obj, callback, "an export description");
    if (desc == NULL)
      return -1;
  }
  return nbdkit_add_export (exports, name, desc) == -1 ? -2 : 0;
}

int
pyp_result_exports (PyObject *r, const char *callback,
                    struct nbdkit_exports *exports)
{
  return add_each (r, callback, add_export, exports, 0);
}

/* o as an integer from 0 to max, or -1 with an exception.  (The K and I
 * units of PyArg_ParseTuple would silently wrap -1 to the maximum and
 * 2**32 to 0.)  Anything with __index__ will do, as for those units.
 */
static int
to_unsigned (PyObject *o, unsigned long long max, const char *callback,
             const char *what, unsigned long long *out)
{
  PyObject *n = PyNumber_Index (o);
  unsigned long long v;

  if (n == NULL) {
    if (PyErr_ExceptionMatches (PyExc_TypeError)) {
      PyErr_Clear ();
      PyErr_Format (PyExc_TypeError, "%s: %s must be an int, not %.100s",
                    callback, what, Py_TYPE (o)->tp_name);
    }
    return -1;
  }
  v = PyLong_AsUnsignedLongLong (n);
  if (v == (unsigned long long) -1 && PyErr_Occurred ()) {
    if (!PyErr_ExceptionMatches (PyExc_OverflowError)) {
      Py_DECREF (n);
      return -1;
    }
    PyErr_Clear ();
  } else if (v <= max) {
    Py_DECREF (n);
    *out = v;
    return 0;
  }
  PyErr_Format (PyExc_ValueError, "%s: %s must be from 0 to %llu, not %R",
                callback, what, max, n);
  Py_DECREF (n);
  return -1;
}

static int
add_extent (PyObject *item, const char *callback, void *extents)
{
  unsigned long long offset, length, type;

  if (!PyTuple_Check (item) || PyTuple_GET_SIZE (item) != 3) {
    PyErr_Format (PyExc_TypeError,
                  "%s: an extent must be a tuple (offset, length, type)",
                  callback);
    return -1;
  }
  if (to_unsigned (PyTuple_GET_ITEM (item, 0), UINT64_MAX, callback,
                   "an extent's offset", &offset)
        == -1
      || to_unsigned (PyTuple_GET_ITEM (item, 1), UINT64_MAX, callback,
                      "an extent's length", &length)
           == -1
      || to_unsigned (PyTuple_GET_ITEM (item, 2), UINT32_MAX, callback,
                      "an extent's type", &type)
           == -1)
    return -1;
  return nbdkit_add_extent (extents, offset, length, type) == -1 ? -2 : 0;
}

int
pyp_result_extents (PyObject *r, const char *callback,
                    struct nbdkit_extents *extents)
{
  /* An empty list is an error for the client, EIO as in nbdkit python,
   * rather than nbdkit's own EINVAL for a plugin adding no extent.
   */
  return add_each (r, callback, add_extent, extents, 1);
}

int
pyp_result_block_size (PyObject *r, const char *callback, uint32_t *minimum,
                       uint32_t *preferred, uint32_t *maximum)
{
  unsigned long long min, pref, max;
  int ok;

  if (r == NULL) {
    pyp_report (callback);
    return -1;
  }
  ok = PyTuple_Check (r) && PyTuple_GET_SIZE (r) == 3;
  if (!ok)
    PyErr_SetString (PyExc_TypeError, "block_size must return a tuple "
                                      "(minimum, preferred, maximum)");
  else
    ok = to_unsigned (PyTuple_GET_ITEM (r, 0), UINT32_MAX, callback,
                      "the minimum", &min)
           == 0
         && to_unsigned (PyTuple_GET_ITEM (r, 1), UINT32_MAX, callback,
                         "the preferred size", &pref)
              == 0
         && to_unsigned (PyTuple_GET_ITEM (r, 2), UINT32_MAX, callback,
                         "the maximum", &max)
              == 0;
  Py_DECREF (r);
  if (!ok) {
    pyp_report (callback);
    return -1;
  }
  *minimum = min;
  *preferred = pref;
  *maximum = max;
  return 0;
}

/* As pyp_result_none, except that nbdkit.set_error(EOPNOTSUPP) asks
 * nbdkit to fall back to pwrite: not an error worth logging.
 */
int
pyp_result_zero (PyObject *r, const char *callback)
{
  int err = pyp_last_errno ();

  if (r == NULL && (err == EOPNOTSUPP || err == ENOTSUP)) {
    PyErr_Clear ();
    nbdkit_set_error (err);
    return -1;
  }
  return pyp_result_none (r, callback);
}

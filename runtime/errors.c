/* SPDX-License-Identifier: BSD-3-Clause */
/* Python exceptions become nbdkit errors.
 *
 * The log gets the script, the callback and the full traceback (with
 * source lines, from the source embedded in the plugin, since no script
 * file exists at run time); the client gets the errno the script gave
 * nbdkit.set_error during this call, else EIO.
 */

#include "pyplugin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Per thread: nbdkit calls callbacks of different connections at once. */
static _Thread_local int last_errno;

void
pyp_set_errno (int err)
{
  last_errno = err;
}

int
pyp_last_errno (void)
{
  return last_errno;
}

/* Teach linecache the embedded source, so tracebacks show lines.  On
 * each error: linecache is per interpreter, and may drop the entry.
 */
static void
register_source (void)
{
  PyObject *linecache, *cache, *lines, *entry;

  linecache = PyImport_ImportModule ("linecache");
  if (linecache == NULL)
    goto out;
  cache = PyObject_GetAttrString (linecache, "cache");
  lines = PyUnicode_DecodeUTF8 (pyp_script->source,
                                (Py_ssize_t) pyp_script->source_len, "replace");
  if (cache != NULL && lines != NULL) {
    PyObject *split = PyUnicode_Splitlines (lines, 1);
    if (split != NULL) {
      entry = Py_BuildValue ("(nOOs)", (Py_ssize_t) pyp_script->source_len,
                             Py_None, split, pyp_script->name);
      if (entry != NULL)
        PyDict_SetItemString (cache, pyp_script->name, entry);
      Py_XDECREF (entry);
      Py_DECREF (split);
    }
  }
  Py_XDECREF (lines);
  Py_XDECREF (cache);
  Py_DECREF (linecache);
out:
  PyErr_Clear ();
}

/* "".join(traceback.format_exception(type, value, tb)), or NULL. */
static PyObject *
format_traceback (PyObject *type, PyObject *value, PyObject *tb)
{
  PyObject *traceback, *lines, *empty, *text = NULL;

  register_source ();
  traceback = PyImport_ImportModule ("traceback");
  if (traceback == NULL)
    return NULL;
  lines = PyObject_CallMethod (traceback, "format_exception", "OOO", type,
                               value ? value : Py_None, tb ? tb : Py_None);
  Py_DECREF (traceback);
  if (lines == NULL)
    return NULL;
  empty = PyUnicode_FromString ("");
  if (empty != NULL)
    text = PyUnicode_Join (empty, lines);
  Py_XDECREF (empty);
  Py_DECREF (lines);
  return text;
}

/* Whether the script's nbdkit.set_error gave an errno at all: 0, a
 * negative number or one the C library has no name for (4242) is not
 * one, and the client gets EIO instead (nbdkit would map an unknown
 * number to EINVAL, and abort on a negative one).
 */
static int
is_errno (int err)
{
#if defined __GLIBC__ && __GLIBC_PREREQ(2, 32)
  return err > 0 && strerrorname_np (err) != NULL;
#else
  return err > 0;
#endif
}

/* Report the pending exception (or a missing one) as an nbdkit error,
 * and choose the errno the client sees.  Must hold the GIL.  Never lets
 * SystemExit or KeyboardInterrupt escape: they are reported like any
 * other exception, and nbdkit goes on serving.
 */
void
pyp_report (const char *callback)
{
  PyObject *type, *value, *tb, *text, *utf8 = NULL;
  const char *msg = NULL, *sep = "";
  int err = last_errno;
  char note[128] = "";

  if (err != 0 && !is_errno (err)) {
    snprintf (note, sizeof note,
              "(nbdkit.set_error(%d): %d is not an errno, "
              "so the client gets EIO)",
              err, err);
    err = EIO;
  }

  PyErr_Fetch (&type, &value, &tb);
  if (type == NULL) {
    nbdkit_error ("%s: %s: error: failed without raising an exception %s",
                  pyp_script->name, callback, note);
    goto out;
  }
  PyErr_NormalizeException (&type, &value, &tb);
  text = format_traceback (type, value, tb);
  if (text == NULL) {
    /* e.g. str() of the exception raised: name the type at least. */
    PyErr_Clear ();
    text = PyObject_GetAttrString (type, "__name__");
  }
  /* Escaped, not lost, when UTF-8 cannot carry it (lone surrogates). */
  if (text != NULL)
    utf8 = PyUnicode_AsEncodedString (text, "utf-8", "backslashreplace");
  if (utf8 != NULL)
    msg = PyBytes_AS_STRING (utf8);
  else
    PyErr_Clear ();
  if (msg == NULL)
    msg = "an exception that cannot be printed";
  /* A traceback ends with a newline; the note goes on a line of its own. */
  if (*note && (*msg == '\0' || msg[strlen (msg) - 1] != '\n'))
    sep = "\n";
  nbdkit_error ("%s: %s: error: %s%s%s", pyp_script->name, callback, msg, sep,
                note);
  Py_XDECREF (utf8);
  Py_XDECREF (text);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (tb);
out:
  nbdkit_set_error (err > 0 ? err : EIO);
}

/* An operation the script has no function for, though a can_* callback
 * of it offered the operation to the client: an error and EIO, as
 * nbdkit python gives (nbdkit's own answer for a missing callback would
 * be EINVAL or EROFS).
 */
int
pyp_not_defined (const char *callback)
{
  nbdkit_error ("%s: %s: error: the script defines no %s, but one of its "
                "can_* callbacks offered it to the client",
                pyp_script->name, callback, callback);
  nbdkit_set_error (EIO);
  return -1;
}

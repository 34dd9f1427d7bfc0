/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/extensions.c: C extension modules imported from bytes in
 * memory, as a standalone plugin imports those it embeds.
 */

#include "fake-nbdkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shared object of the extension module name, read whole. */
static unsigned char *
read_extension (const char *name, size_t *size)
{
  char expr[256];
  PyObject *path;
  const char *p;
  unsigned char *data = NULL;
  FILE *f;
  long n;

  snprintf (expr, sizeof expr,
            "__import__('importlib.util').util.find_spec('%s').origin", name);
  path = eval (expr);
  p = path ? PyUnicode_AsUTF8 (path) : NULL;
  f = p ? fopen (p, "rb") : NULL;
  if (f != NULL && fseek (f, 0, SEEK_END) == 0 && (n = ftell (f)) > 0) {
    rewind (f);
    data = malloc (n);
    if (data != NULL && fread (data, 1, n, f) != (size_t) n) {
      free (data);
      data = NULL;
    }
    *size = n;
  }
  if (f != NULL)
    fclose (f);
  Py_XDECREF (path);
  PyErr_Clear ();
  return data;
}

static void
extensions_none (void)
{
  const struct pyp_extension none[] = { { NULL, NULL, 0 } };
  PyObject *before = eval ("len(__import__('sys').meta_path)"), *after;

  CU_ASSERT_EQUAL (pyp_extensions_install (none), 0);
  after = eval ("len(__import__('sys').meta_path)");
  CU_ASSERT (before != NULL && after != NULL
             && PyObject_RichCompareBool (before, after, Py_EQ) == 1);
  Py_XDECREF (before);
  Py_XDECREF (after);
}

/* Extension modules to import from memory, each with an expression
 * that uses it: the test takes the first that this Python has as a
 * shared object (_json is built in from Python 3.13 on).
 */
static const struct {
  const char *name;
  const char *use;
} candidates[] = {
  { "_json", "__import__('_json').scanstring('\"abc\"', 1) == ('abc', 5)" },
  { "_bz2", "(lambda m, c: m.BZ2Decompressor().decompress("
            "c.compress(b'abc') + c.flush()) == b'abc')"
            "(__import__('_bz2'), __import__('_bz2').BZ2Compressor())" },
};

static void
extensions_from_memory (void)
{
  size_t size = 0, i;
  unsigned char *data = NULL;
  const char *name = NULL, *use = NULL;
  char expr[256];

  for (i = 0; data == NULL && i < sizeof candidates / sizeof candidates[0];
       i++) {
    name = candidates[i].name;
    use = candidates[i].use;
    data = read_extension (name, &size);
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  struct pyp_extension list[] = { { name, data, size }, { NULL, NULL, 0 } };

  snprintf (expr, sizeof expr, "'%s' in __import__('sys').modules", name);
  CU_ASSERT_PTR_EQUAL (eval_owned (expr), Py_False);
  CU_ASSERT_EQUAL (pyp_extensions_install (list), 0);
  /* Loaded from a memfd, though the same module is on disk. */
  snprintf (expr, sizeof expr,
            "__import__('%s').__file__.startswith('/proc/self/fd/')", name);
  CU_ASSERT_PTR_EQUAL (eval_owned (expr), Py_True);
  CU_ASSERT_PTR_EQUAL (eval_owned (use), Py_True);
  /* The loader keeps what it needs: the bytes can go. */
  memset (data, 0, size);
  free (data);
  CU_ASSERT_PTR_EQUAL (eval_owned (use), Py_True);
}

void
add_extensions_tests (void)
{
  CU_pSuite s = add_suite ("extensions");

  ADD_TEST (s, extensions_none);
  ADD_TEST (s, extensions_from_memory);
}

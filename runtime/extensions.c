/* SPDX-License-Identifier: BSD-3-Clause */
/* C extension modules embedded in a standalone plugin, loaded from
 * memory.
 *
 * An extension module is a shared object that Python dlopens.  Its bytes
 * travel inside the plugin; on its first import a finder on sys.meta_path
 * copies them to a memfd and has Python's own ExtensionFileLoader (from
 * the import machinery, which is always there) load
 * /proc/self/fd/N.  The finder comes first, so that an embedded module
 * is the one imported even where the same module is on disk.  Its
 * undefined Py* symbols resolve against the
 * plugin's, which nbdkit loaded with RTLD_GLOBAL and which exports
 * libpython's symbols.  The memfd stays open: the dynamic loader knows a
 * library by its path, and a reused descriptor number would make it
 * hand out the library loaded before.
 */

#include "pyplugin.h"

static const char finder_source[] =
  "import os, sys\n"
  "from _frozen_importlib import ModuleSpec\n"
  "from _frozen_importlib_external import ExtensionFileLoader\n"
  "\n"
  "class EmbeddedExtensionFinder:\n"
  "    \"\"\"C extension modules embedded in the plugin.\"\"\"\n"
  "\n"
  "    def __init__(self, blobs):\n"
  "        self.blobs = blobs\n"
  "\n"
  "    def find_spec(self, name, path=None, target=None):\n"
  "        blob = self.blobs.pop(name, None)\n"
  "        if blob is None:\n"
  "            return None\n"
  "        fd = os.memfd_create(name, os.MFD_CLOEXEC)\n"
  "        view = memoryview(blob)\n"
  "        while view:\n"
  "            view = view[os.write(fd, view):]\n"
  "        origin = '/proc/self/fd/%d' % fd\n"
  "        spec = ModuleSpec(name, ExtensionFileLoader(name, origin),\n"
  "                          origin=origin)\n"
  "        spec.has_location = True  # __file__, as for any extension\n"
  "        return spec\n"
  "\n"
  "sys.meta_path.insert(0, EmbeddedExtensionFinder(blobs))\n";

int
pyp_extensions_install (const struct pyp_extension *extensions)
{
  const struct pyp_extension *e;
  PyObject *blobs, *globals = NULL, *r = NULL;

  if (extensions->name == NULL)
    return 0;
  blobs = PyDict_New ();
  if (blobs == NULL)
    return -1;
  for (e = extensions; e->name != NULL; e++) {
    PyObject *view = PyMemoryView_FromMemory ((char *) e->data,
                                              (Py_ssize_t) e->size, PyBUF_READ);

    if (view == NULL || PyDict_SetItemString (blobs, e->name, view) == -1) {
      Py_XDECREF (view);
      goto out;
    }
    Py_DECREF (view);
  }
  globals = PyDict_New ();
  if (globals == NULL
      || PyDict_SetItemString (globals, "__builtins__", PyEval_GetBuiltins ())
           == -1
      || PyDict_SetItemString (globals, "blobs", blobs) == -1)
    goto out;
  r = PyRun_String (finder_source, Py_file_input, globals, globals);
out:
  Py_XDECREF (r);
  Py_XDECREF (globals);
  Py_DECREF (blobs);
  return r == NULL ? -1 : 0;
}

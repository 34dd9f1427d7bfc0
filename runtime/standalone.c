/* SPDX-License-Identifier: BSD-3-Clause */
/* Standalone plugins: Python started from the modules frozen into the
 * plugin, with no file of Python on disk.
 *
 * libpython is linked in (its PIC archive), the script's import closure
 * is frozen into the plugin (struct pyp_standalone), and Python is told
 * where everything is so that it probes nothing: no site, no user site,
 * an empty sys.path, environment variables ignored, and fixed home,
 * prefix and standard library directories.  UTF-8 mode, because a C or
 * Latin-1 locale would otherwise need a codec that is not frozen to
 * decode file names.
 */

#include "pyplugin.h"

#include <stdlib.h>
#include <string.h>

static const struct pyp_standalone *standalone;

/* Drops the built-in modules the plugin left out from Python's init
 * table: their entries point nowhere (weak references that nothing
 * defines), and without an entry, importing one fails as for any
 * missing module.
 */
static void
drop_left_out (const char *const *left_out)
{
  struct _inittab *from, *to = PyImport_Inittab;
  const char *const *name;

  for (from = PyImport_Inittab; from->name != NULL; from++) {
    for (name = left_out; *name != NULL; name++)
      if (strcmp (from->name, *name) == 0)
        break;
    if (*name == NULL)
      *to++ = *from;
  }
  *to = *from;
}

int
pyp_standalone_preinit (const struct pyp_standalone *s)
{
  PyPreConfig preconfig;
  PyStatus status;

  standalone = s;
  /* Searched after Python's own frozen bootstrap modules, before
   * anything on disk (and sys.path is empty anyway).
   */
  PyImport_FrozenModules = s->modules;
  drop_left_out (s->left_out);
  PyPreConfig_InitIsolatedConfig (&preconfig);
  preconfig.utf8_mode = 1;
  status = Py_PreInitialize (&preconfig);
  if (PyStatus_Exception (status)) {
    nbdkit_error ("cannot start Python: %s",
                  status.err_msg ? status.err_msg : "unknown error");
    return -1;
  }
  return 0;
}

static PyStatus
set_string (PyConfig *config, wchar_t **field, const char *value)
{
  return PyConfig_SetBytesString (config, field, value);
}

PyStatus
pyp_standalone_configure (PyConfig *config)
{
  const struct pyp_standalone *s = standalone;
  PyStatus status;

  config->site_import = 0;
  config->user_site_directory = 0;
  config->use_environment = 0; /* PYTHONPATH, PYTHONHOME, ... */
  config->pathconfig_warnings = 0;
  config->use_frozen_modules = 1;
  config->write_bytecode = 0;
  config->module_search_paths_set = 1; /* and empty */
  /* The one variable of the environment kept: whether output is
   * buffered, so that a standalone plugin prints as the default one.
   */
  if (getenv ("PYTHONUNBUFFERED") != NULL
      && getenv ("PYTHONUNBUFFERED")[0] != '\0')
    config->buffered_stdio = 0;
  status = set_string (config, &config->home, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->prefix, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->base_prefix, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->exec_prefix, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->base_exec_prefix, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->stdlib_dir, s->stdlib_dir);
  /* Given no executable, Python looks for the program name (the
   * script's) on PATH; it is told one instead, and pyp_standalone_started
   * empties sys.executable, since no interpreter exists to name.
   */
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->executable, s->prefix);
  if (!PyStatus_Exception (status))
    status = set_string (config, &config->base_executable, s->prefix);
  return status;
}

/* The importer that gives the frozen modules their files (__file__,
 * package data, metadata): gen/pyplugin_gen/embedded.py, frozen as
 * _pyplugin_embedded.
 */
static int
install_importer (const struct pyp_standalone *s)
{
  PyObject *module, *manifest = NULL, *data = NULL, *r = NULL;

  module = PyImport_ImportModule ("_pyplugin_embedded");
  if (module == NULL)
    return -1;
  manifest =
    PyMemoryView_FromMemory ((char *) s->manifest,
                             (Py_ssize_t) s->manifest_size, PyBUF_READ);
  data = PyMemoryView_FromMemory ((char *) s->data, (Py_ssize_t) s->data_size,
                                  PyBUF_READ);
  if (manifest != NULL && data != NULL)
    r = PyObject_CallMethod (module, "install", "(OO)", manifest, data);
  Py_XDECREF (r);
  Py_XDECREF (data);
  Py_XDECREF (manifest);
  Py_DECREF (module);
  return r == NULL ? -1 : 0;
}

int
pyp_standalone_started (void)
{
  PyObject *empty = PyUnicode_FromString ("");
  int r = empty == NULL || PySys_SetObject ("executable", empty) == -1
              || PySys_SetObject ("_base_executable", empty) == -1
              || install_importer (standalone) == -1
            ? -1
            : 0;

  Py_XDECREF (empty);
  return r;
}

void
pyp_standalone_dump (void)
{
  const struct pyp_standalone *s = standalone;
  const struct pyp_extension *e;
  const char *const *lib;

  printf ("python_standalone=yes\n");
  printf ("python_frozen_modules=%zu\n", s->module_count);
  printf ("python_frozen_bytes=%zu\n", s->module_bytes);
  printf ("python_embedded_data_bytes=%zu\n", s->data_size);
  printf ("python_embedded_extensions=");
  for (e = s->extensions; e->name != NULL; e++)
    printf ("%s%s", e == s->extensions ? "" : ",", e->name);
  printf ("\n");
  printf ("python_extension_libraries=");
  for (lib = s->libraries; *lib != NULL; lib++)
    printf ("%s%s", lib == s->libraries ? "" : ",", *lib);
  printf ("\n");
}

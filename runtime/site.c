/* SPDX-License-Identifier: BSD-3-Clause */
/* Python's site module, baked at build time.
 *
 * `import site` at start-up lists the site-packages directories, reads
 * every .pth file in them and builds sys.path.  The generator ran that
 * once, with the Python the plugin links, and recorded the result
 * (struct pyp_site): sys.path, the directories site scanned, and each
 * .pth file with its size and mtime.  At load the plugin checks that the
 * record still describes this machine (a few stat calls and a readdir
 * per directory), starts Python with that sys.path and without site,
 * and then runs what site would run besides computing paths: the import
 * lines of the .pth files (site.addpackage on each, whose path lines are
 * already in sys.path), the builtins exit/quit/help/..., sitecustomize
 * and usercustomize.  If anything differs (a .pth file added, removed or
 * changed, a user site-packages directory, PYTHONHOME, a moved standard
 * library), Python starts as usual and site runs at start-up, exactly as
 * under nbdkit python.
 */

#include "pyplugin.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why the record cannot be used, for --dump-plugin and debug output. */
static char reason[4200];
static bool baked;

/* site.ENABLE_USER_SITE as site.check_enableusersite computes it:
 * 1 True, 0 False, -1 None.
 */
static int enable_user_site;

static const char *
getenv_nonempty (const char *name)
{
  const char *v = getenv (name);

  return v != NULL && *v != '\0' ? v : NULL;
}

static bool
is_dir (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* As site.check_enableusersite and site.getuserbase: -1 (None) when the
 * process runs set-uid or set-gid, 0 when PYTHONNOUSERSITE is set.  On 1,
 * *dir is the user site-packages directory, if a home can be found.
 */
static int
user_site (const struct pyp_site *s, char *dir, size_t len)
{
  const char *base, *home;
  int n;

  if (getenv_nonempty ("PYTHONNOUSERSITE"))
    return 0;
  if (getuid () != geteuid () || getgid () != getegid ())
    return -1;
  *dir = '\0';
  base = getenv_nonempty ("PYTHONUSERBASE");
  if (base != NULL)
    n = snprintf (dir, len, "%s%s", base, s->user_site_suffix);
  else {
    home = getenv_nonempty ("HOME");
    if (home == NULL) {
      struct passwd *pw = getpwuid (getuid ());
      home = pw != NULL ? pw->pw_dir : NULL;
    }
    if (home == NULL)
      return 1;
    n = snprintf (dir, len, "%s/.local%s", home, s->user_site_suffix);
  }
  if (n < 0 || (size_t) n >= len)
    *dir = '\0';
  return 1;
}

static bool
is_pth_name (const char *name)
{
  size_t n = strlen (name);

  /* As site.addsitedir: *.pth, not hidden. */
  return name[0] != '.' && n > 4 && strcmp (name + n - 4, ".pth") == 0;
}

/* The recorded .pth file dir/name, or NULL. */
static const struct pyp_pth *
find_pth (const struct pyp_site *s, const char *dir, const char *name)
{
  const struct pyp_pth *p;

  for (p = s->pth; p->dir != NULL; p++)
    if (strcmp (p->dir, dir) == 0 && strcmp (p->name, name) == 0)
      return p;
  return NULL;
}

/* Whether the .pth files of the site directory are those recorded. */
static bool
same_pth_files (const struct pyp_site *s, const char *dir)
{
  const struct pyp_pth *p;
  DIR *d = opendir (dir);
  struct dirent *e;
  size_t seen = 0, recorded = 0;
  bool same = true;

  if (d == NULL) {
    snprintf (reason, sizeof reason, "%s: %s", dir, strerror (errno));
    return false;
  }
  while (same && (e = readdir (d)) != NULL) {
    char path[4096];
    struct stat st;

    if (!is_pth_name (e->d_name))
      continue;
    seen++;
    p = find_pth (s, dir, e->d_name);
    snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
    if (p == NULL) {
      snprintf (reason, sizeof reason, "%s is new", path);
      same = false;
    } else if (stat (path, &st) == -1 || (long long) st.st_size != p->size
               || (long long) st.st_mtim.tv_sec * 1000000000LL
                      + st.st_mtim.tv_nsec
                    != p->mtime_ns) {
      snprintf (reason, sizeof reason, "%s changed", path);
      same = false;
    }
  }
  closedir (d);
  for (p = s->pth; p->dir != NULL; p++)
    recorded += strcmp (p->dir, dir) == 0;
  if (same && seen != recorded) {
    snprintf (reason, sizeof reason, "a .pth file of %s is gone", dir);
    same = false;
  }
  return same;
}

/* Whether the record still holds here; if not, reason says why. */
static bool
record_holds (const struct pyp_site *s)
{
  const struct pyp_site_dir *d;
  char path[4096];

  if (getenv_nonempty ("PYTHONHOME")) {
    snprintf (reason, sizeof reason, "PYTHONHOME is set");
    return false;
  }
  snprintf (path, sizeof path, "%s/os.py", s->stdlib_dir);
  if (access (path, F_OK) == -1) {
    snprintf (reason, sizeof reason, "%s: %s", path, strerror (errno));
    return false;
  }
  enable_user_site = user_site (s, path, sizeof path);
  if (enable_user_site == 1 && path[0] != '\0' && is_dir (path)) {
    snprintf (reason, sizeof reason, "there is a user site directory %s", path);
    return false;
  }
  for (d = s->dirs; d->path != NULL; d++) {
    if (!d->exists) {
      if (is_dir (d->path)) {
        snprintf (reason, sizeof reason, "%s is new", d->path);
        return false;
      }
    } else if (!same_pth_files (s, d->path))
      return false;
  }
  return true;
}

static PyStatus
append (PyWideStringList *list, const char *s)
{
  wchar_t *w = Py_DecodeLocale (s, NULL);
  PyStatus status;

  if (w == NULL)
    return PyStatus_NoMemory ();
  status = PyWideStringList_Append (list, w);
  PyMem_RawFree (w);
  return status;
}

/* PYTHONPATH, made absolute as Python's getpath does, then the record. */
static PyStatus
set_path (PyConfig *config, const struct pyp_site *s)
{
  const char *env = getenv_nonempty ("PYTHONPATH");
  const char *const *p;
  PyStatus status;
  char cwd[4096];

  if (env != NULL) {
    char *copy = strdup (env), *entry, *next;

    if (copy == NULL)
      return PyStatus_NoMemory ();
    if (getcwd (cwd, sizeof cwd) == NULL)
      cwd[0] = '\0';
    for (entry = copy; entry != NULL; entry = next) {
      char abs[8192];

      next = strchr (entry, ':');
      if (next != NULL)
        *next++ = '\0';
      if (entry[0] == '/')
        snprintf (abs, sizeof abs, "%s", entry);
      else if (entry[0] == '\0')
        snprintf (abs, sizeof abs, "%s", cwd);
      else
        snprintf (abs, sizeof abs, "%s/%s", cwd, entry);
      status = append (&config->module_search_paths, abs);
      if (PyStatus_Exception (status)) {
        free (copy);
        return status;
      }
    }
    free (copy);
  }
  for (p = s->path; *p != NULL; p++) {
    status = append (&config->module_search_paths, *p);
    if (PyStatus_Exception (status))
      return status;
  }
  config->module_search_paths_set = 1;
  return PyStatus_Ok ();
}

PyStatus
pyp_site_configure (PyConfig *config, const struct pyp_site *s)
{
  PyStatus status;

  baked = false;
  if (s == NULL) {
    snprintf (reason, sizeof reason, "not recorded at build time");
    return PyStatus_Ok ();
  }
  /* sys.executable: the Python that compiled the script and whose
   * libpython the plugin links, rather than whatever python3 is first
   * on PATH.
   */
  status = PyConfig_SetBytesString (config, &config->executable, s->executable);
  if (PyStatus_Exception (status) || !record_holds (s))
    return status;
  status = set_path (config, s);
  if (PyStatus_Exception (status))
    return status;
  config->site_import = 0;
  baked = true;
  return PyStatus_Ok ();
}

/* Call site.NAME(), if it exists. */
static int
call (PyObject *site, const char *name)
{
  PyObject *r;

  if (!PyObject_HasAttrString (site, name))
    return 0;
  r = PyObject_CallMethod (site, name, NULL);
  Py_XDECREF (r);
  return r == NULL ? -1 : 0;
}

/* site.addpackage on each .pth file, in site's order: it runs the import
 * lines (reporting an error as site does), and adds no path, all of them
 * being known already.
 */
static int
run_pth_files (PyObject *site)
{
  const struct pyp_pth *p;
  PyObject *path = PySys_GetObject ("path"); /* borrowed */
  PyObject *known = path ? PySet_New (path) : NULL;
  int r = 0;

  if (known == NULL)
    return -1;
  for (p = pyp_script->site->pth; r == 0 && p->dir != NULL; p++) {
    PyObject *v =
      PyObject_CallMethod (site, "addpackage", "ssO", p->dir, p->name, known);

    r = v == NULL ? -1 : 0;
    Py_XDECREF (v);
  }
  Py_DECREF (known);
  return r;
}

/* What site.main does besides building sys.path, in its order. */
int
pyp_site_run (void)
{
  PyObject *site, *flag;
  int r = 0;

  if (!baked)
    return 0;
  /* With site_import off, importing site does not run site.main. */
  site = PyImport_ImportModule ("site");
  if (site == NULL)
    return -1;
  flag = enable_user_site == 1   ? Py_True
         : enable_user_site == 0 ? Py_False
                                 : Py_None;
  if (PyObject_SetAttrString (site, "ENABLE_USER_SITE", flag) == -1
      || call (site, "getusersitepackages") == -1 || run_pth_files (site) == -1
      || call (site, "setquit") == -1 || call (site, "setcopyright") == -1
      || call (site, "sethelper") == -1
      || call (site, "enablerlcompleter") == -1
      || call (site, "execsitecustomize") == -1
      || (enable_user_site == 1 && call (site, "execusercustomize") == -1))
    r = -1;
  Py_DECREF (site);
  return r;
}

const char *
pyp_site_mode (void)
{
  return baked ? "baked" : "imported";
}

const char *
pyp_site_reason (void)
{
  return baked ? NULL : reason;
}

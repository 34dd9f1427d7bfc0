/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording fakes of nbdkit's functions; see fake-nbdkit.h. */

#include "fake-nbdkit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fake_state fake;

/* Interned strings live until fake_reset, as nbdkit's live until the
 * end of the connection.
 */
static char *interned[FAKE_MAX * 4];
static size_t n_interned;

void
fake_reset (void)
{
  size_t i;

  for (i = 0; i < n_interned; i++)
    free (interned[i]);
  n_interned = 0;
  for (i = 0; i < fake.n_exports; i++) {
    free (fake.exports[i].name);
    free (fake.exports[i].description);
  }
  memset (&fake, 0, sizeof fake);
}

static void
remember_arg (const char *s)
{
  snprintf (fake.last_parse_arg, sizeof fake.last_parse_arg, "%s", s);
}

void
nbdkit_verror (const char *msg, va_list args)
{
  fake.error_calls++;
  vsnprintf (fake.last_error, sizeof fake.last_error, msg, args);
}

void
nbdkit_error (const char *msg, ...)
{
  va_list args;

  va_start (args, msg);
  nbdkit_verror (msg, args);
  va_end (args);
}

void
nbdkit_set_error (int err)
{
  fake.set_error_calls++;
  fake.last_set_error = err;
}

void
nbdkit_vdebug (const char *msg, va_list args)
{
  fake.debug_calls++;
  vsnprintf (fake.last_debug, sizeof fake.last_debug, msg, args);
}

void
nbdkit_debug (const char *msg, ...)
{
  va_list args;

  va_start (args, msg);
  nbdkit_vdebug (msg, args);
  va_end (args);
}

int
nbdkit_add_extent (struct nbdkit_extents *extents, uint64_t offset,
                   uint64_t length, uint32_t type)
{
  struct fake_extent *e;

  (void) extents;
  fake.add_extent_calls++;
  if (fake.fail_add || fake.n_extents == FAKE_MAX) {
    nbdkit_error ("fake nbdkit_add_extent: refused");
    return -1;
  }
  /* Field by field: clang-format versions space a compound literal
   * differently.
   */
  e = &fake.extents[fake.n_extents++];
  e->offset = offset;
  e->length = length;
  e->type = type;
  return 0;
}

int
nbdkit_add_export (struct nbdkit_exports *exports, const char *name,
                   const char *description)
{
  (void) exports;
  fake.add_export_calls++;
  if (fake.fail_add || fake.n_exports == FAKE_MAX) {
    nbdkit_error ("fake nbdkit_add_export: refused");
    return -1;
  }
  fake.exports[fake.n_exports].name = strdup (name);
  fake.exports[fake.n_exports].description =
    description ? strdup (description) : NULL;
  fake.n_exports++;
  return 0;
}

int
nbdkit_use_default_export (struct nbdkit_exports *exports)
{
  return nbdkit_add_export (exports, "", NULL);
}

const char *
nbdkit_strdup_intern (const char *str)
{
  char *copy;

  fake.intern_calls++;
  if (fake.fail_intern || n_interned == sizeof interned / sizeof interned[0]) {
    nbdkit_error ("fake nbdkit_strdup_intern: refused");
    return NULL;
  }
  copy = strdup (str);
  interned[n_interned++] = copy;
  fake.last_interned = copy;
  return copy;
}

/* Like nbdkit's: a decimal number with an optional binary suffix. */
int64_t
nbdkit_parse_size (const char *str)
{
  static const char suffixes[] = "bkmgtpe";
  char *end;
  long long n;
  const char *s;
  int shift = 0;

  remember_arg (str);
  errno = 0;
  n = strtoll (str, &end, 10);
  if (errno || end == str || n < 0)
    goto bad;
  if (*end) {
    s = strchr (suffixes, *end | 0x20);
    if (s == NULL || end[1] != '\0')
      goto bad;
    shift = (int) (s - suffixes) * 10;
  }
  if (shift && n > (INT64_MAX >> shift))
    goto bad;
  return (int64_t) n << shift;
bad:
  nbdkit_error ("could not parse size string (%s)", str);
  return -1;
}

int
nbdkit_parse_bool (const char *str)
{
  static const char *const yes[] = { "1", "true", "on", "yes", NULL };
  static const char *const no[] = { "0", "false", "off", "no", NULL };
  size_t i;

  remember_arg (str);
  for (i = 0; yes[i]; i++)
    if (strcasecmp (str, yes[i]) == 0)
      return 1;
  for (i = 0; no[i]; i++)
    if (strcasecmp (str, no[i]) == 0)
      return 0;
  nbdkit_error ("could not decipher boolean (%s)", str);
  return -1;
}

const char *
nbdkit_export_name (void)
{
  return fake.export_name;
}

void
nbdkit_shutdown (void)
{
  fake.shutdown_calls++;
}

int
nbdkit_is_tls (void)
{
  return fake.is_tls;
}

int64_t
nbdkit_peer_pid (void)
{
  return fake.peer_id;
}

int64_t
nbdkit_peer_uid (void)
{
  return fake.peer_id;
}

int64_t
nbdkit_peer_gid (void)
{
  return fake.peer_id;
}

int
nbdkit_stdio_safe (void)
{
  return 1;
}

/* "/start/" + path, or NULL with an error for "". */
static char *
fake_path (const char *what, const char *path)
{
  char *r;

  remember_arg (path);
  if (*path == '\0') {
    nbdkit_error ("%s: empty path", what);
    return NULL;
  }
  if (*path == '/')
    return strdup (path);
  if (asprintf (&r, "/start/%s", path) == -1)
    return NULL;
  return r;
}

char *
nbdkit_absolute_path (const char *path)
{
  return fake_path ("absolute_path", path);
}

char *
nbdkit_realpath (const char *path)
{
  return fake_path ("realpath", path);
}

/* The value itself is the password; "-" (a prompt) fails here. */
int
nbdkit_read_password (const char *value, char **password)
{
  remember_arg (value);
  if (strcmp (value, "-") == 0) {
    nbdkit_error ("read_password: no terminal");
    return -1;
  }
  *password = strdup (value);
  return *password ? 0 : -1;
}

int
nbdkit_nanosleep (unsigned sec, unsigned nsec)
{
  (void) sec;
  (void) nsec;
  return fake.nanosleep_result;
}

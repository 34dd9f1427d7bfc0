/* SPDX-License-Identifier: BSD-3-Clause */
/* runtime/arenas.c: Python's object arenas, every page mapped at once
 * while the plugin loads, and left to page faults once it serves.
 */

#include "fake-nbdkit.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define ARENA_SIZE (256 * 1024) /* Python 3.11's; the allocator takes any */

/* How many pages of [p, p + size) are resident. */
static size_t
resident_pages (void *p, size_t size)
{
  size_t page = sysconf (_SC_PAGESIZE), n = (size + page - 1) / page, i;
  unsigned char *vec = malloc (n);
  size_t resident = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (vec);
  CU_ASSERT_EQUAL_FATAL (mincore (p, size, vec), 0);
  for (i = 0; i < n; i++)
    resident += vec[i] & 1;
  free (vec);
  return resident;
}

static void
arenas_populated_while_loading (void)
{
  size_t pages = ARENA_SIZE / sysconf (_SC_PAGESIZE);
  void *p;

  pyp_arenas_populate (true);
  p = pyp_arenas.alloc (pyp_arenas.ctx, ARENA_SIZE);
  pyp_arenas_populate (false);
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL (resident_pages (p, ARENA_SIZE), pages);
  pyp_arenas.free (pyp_arenas.ctx, p, ARENA_SIZE);
}

static void
arenas_lazy_when_serving (void)
{
  void *p = pyp_arenas.alloc (pyp_arenas.ctx, ARENA_SIZE);

  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL (resident_pages (p, ARENA_SIZE), 0);
  /* Writable, and zeroed as Python expects of fresh arenas. */
  CU_ASSERT_EQUAL (((unsigned char *) p)[ARENA_SIZE - 1], 0);
  ((unsigned char *) p)[ARENA_SIZE - 1] = 1;
  CU_ASSERT_EQUAL (resident_pages (p, ARENA_SIZE), 1);
  pyp_arenas.free (pyp_arenas.ctx, p, ARENA_SIZE);
}

/* Freed arenas go back to the system, not to a cache of ours. */
static void
arenas_freed_to_the_system (void)
{
  void *p = pyp_arenas.alloc (pyp_arenas.ctx, ARENA_SIZE);
  unsigned char vec;

  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  pyp_arenas.free (pyp_arenas.ctx, p, ARENA_SIZE);
  CU_ASSERT_EQUAL (mincore (p, 1, &vec), -1); /* ENOMEM: unmapped */
}

void
add_arenas_tests (void)
{
  CU_pSuite s = add_suite ("arenas");

  ADD_TEST (s, arenas_populated_while_loading);
  ADD_TEST (s, arenas_lazy_when_serving);
  ADD_TEST (s, arenas_freed_to_the_system);
}

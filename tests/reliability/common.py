# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the reliability tests (tests/reliability).

They reuse the end-to-end harness (tests/e2e/harness.py: Server,
build_plugin, ...) and add what survival tests need: a control file for
the corpus scripts, bounded waits, outcomes of requests as errno names,
and PYPLUGIN_SLOW for the long variants.
"""

import errno
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

import nbd  # noqa: E402

from harness import (ENV, GEN, MiB, Server, ServerError,  # noqa: E402
                     TempDirMixin, build_plugin, close_handle, example,
                     generate, pattern, run, script)

__all__ = ["ENV", "GEN", "MiB", "Server", "ServerError", "TempDirMixin",
           "build_plugin", "close_handle", "example", "generate", "pattern",
           "run", "script", "nbd", "SLOW", "PYTHON", "CORPUS", "TOP", "HERE",
           "corpus", "errname", "outcome", "wait_for", "Control",
           "buildconfig", "compile_c", "compile_plugin", "canary",
           "build_shim", "interned_by_python"]

# make check-slow sets this: the long variants of the load tests.
SLOW = os.environ.get("PYPLUGIN_SLOW", "") not in ("", "0")

# Debian's interpreter, which has python3-libnbd (the `python3` on PATH
# may not).
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable


def corpus(name):
    return os.path.join(CORPUS, name)


def errname(e):
    """An nbd.Error as the errno name the client saw ("EIO"), or
    "error" when the failure carries no errno."""
    return errno.errorcode.get(e.errnum, "error") if e.errnum else "error"


def outcome(fn, *args):
    """Run one client request: "ok" (or the data it returned) on
    success, the errno name on failure."""
    try:
        r = fn(*args)
    except nbd.Error as e:
        return errname(e)
    if r is None or isinstance(r, int):
        return "ok"
    return bytes(r)


def wait_for(predicate, timeout, interval=0.02):
    """Poll predicate() until it is true or timeout seconds pass;
    returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


class Control:
    """The order file of the corpus scripts (see corpus/misbehave.py):
    each line "CALLBACK ACTION [ARG]" is carried out once, by the next
    call of CALLBACK, and removed."""

    def __init__(self, path):
        self.path = path
        self.clear()

    def order(self, *lines):
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.replace(tmp, self.path)

    def clear(self):
        self.order()

    def pending(self):
        """Orders not carried out yet."""
        try:
            with open(self.path) as f:
                return [line for line in f.read().splitlines() if line]
        except FileNotFoundError:
            return []

    @property
    def env(self):
        return {"MISBEHAVE": self.path}



def buildconfig():
    """What configure found (gen/pyplugin_gen/buildconfig.py): the
    compiler and the flags plugins are built with."""
    from pyplugin_gen import buildconfig as config
    return config


# CPython interns some strings immortal: the key PyDict_SetItemString
# stores (Objects/dictobject.c) and the strings marked interned in what
# PyMarshal_ReadObjectFromString reads (Python/marshal.c, r_object), such
# as a script's names.  When an interpreter ends, _PyUnicode_ClearInterned
# (Objects/unicodeobject.c, from Py_EndInterpreter) empties its dict of
# interned strings; before Python 3.14 it makes the immortal ones mortal
# again, to be freed, only in a Py_DEBUG build, so in a release build each
# such string is left allocated with nothing pointing to it, whoever had
# Python intern it.  Read in the source of CPython 3.13.5 (Debian's
# python3.13); 3.14 frees them (no such leak on Debian unstable).
IMMORTAL_INTERNING = ("PyDict_SetItemString",
                      "PyMarshal_ReadObjectFromString")


def interned_by_python(functions):
    """The functions under which a leak whose allocation stack is
    `functions` (innermost first, from malloc's caller; "?" where
    unnamed) is Python's own, beyond those of Python's own work: for a
    string (allocated by PyUnicode_New) that the target Python never
    frees once interned immortal, IMMORTAL_INTERNING; else none."""
    version = tuple(int(x) for x in buildconfig().PYTHON_VERSION.split("."))
    if version < (3, 14) and functions[:1] == ["PyUnicode_New"]:
        return IMMORTAL_INTERNING
    return ()


def compile_c(args, cwd=None):
    """Run the C compiler (configure's CC) with args; fail the test
    with its messages if it fails."""
    import shlex
    cmd = shlex.split(buildconfig().CC) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                       timeout=300)
    if p.returncode != 0:
        raise AssertionError("compiling failed: %s\n%s"
                             % (" ".join(cmd), p.stderr))
    return p


def compile_plugin(c_source, so, cflags=(), archive=None):
    """Compile generated C (pyplugin-gen -S) into a plugin, as the
    generator would, with more cflags and another runtime archive."""
    config = buildconfig()
    compile_c(["-std=gnu11", "-shared", "-fPIC", "-fvisibility=hidden",
               *cflags, "-I", config.RUNTIME_INCLUDE_DIR,
               *config.PYTHON_CFLAGS.split(), *config.NBDKIT_CFLAGS.split(),
               "-o", so, c_source, archive or config.RUNTIME_LIB,
               *config.PYTHON_LIBS.split()])
    return so


def canary(c_text, code):
    """Generated C with code inserted into pread_wrapper, after the
    call, for the tests that must show they can catch a bug."""
    anchor = "  pyp_view_release (view);\n"
    at = c_text.index(anchor, c_text.index("\npread_wrapper (")) \
        + len(anchor)
    return c_text[:at] + code + c_text[at:]


# A shim preloaded into nbdkit by the memory-checking tests.
#
# dlclose does nothing: nbdkit unloads the plugin (and with it
# libpython) before exit, after which valgrind and LeakSanitizer can no
# longer name a function in either, and report everything libpython
# still held as lost.
#
# setlocale only keeps the name it was given, and freelocale does
# nothing: with ASan's runtime preloaded, the constructor of p11-kit
# (which nbdkit links through gnutls) leaves glibc's setlocale lock
# unusable, so the next setlocale (Python's, as it starts; nbdkit
# python's too) or freelocale (p11-kit's, at exit) waits for ever.
SHIM_SOURCE = r"""
#include <locale.h>
#include <string.h>

int
dlclose (void *handle)
{
  (void) handle;
  return 0;
}

#ifdef SHIM_LOCALE
static char current[256] = "C";

char *
setlocale (int category, const char *locale)
{
  (void) category;
  if (locale != NULL)
    strncpy (current, *locale ? locale : "C.UTF-8", sizeof current - 1);
  return current;
}

void
freelocale (locale_t l)
{
  (void) l;
}
#endif
"""


def build_shim(directory, locale=False):
    """Compile the shim into directory; returns its path."""
    src = os.path.join(directory, "shim.c")
    so = os.path.join(directory, "shim-locale.so" if locale else "shim.so")
    with open(src, "w") as f:
        f.write(SHIM_SOURCE)
    compile_c(["-shared", "-fPIC", "-O1"]
              + (["-DSHIM_LOCALE"] if locale else []) + ["-o", so, src])
    return so

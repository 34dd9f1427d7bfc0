"""Helpers shared by the reliability tests (tests/reliability).

They reuse the end-to-end harness (tests/e2e/harness.py: Server,
build_plugin, ...) and add what survival tests need: a control file for
the corpus scripts, bounded waits, outcomes of requests as errno names,
and PYPLUGIN_SLOW for the long variants.
"""

import errno
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))

import nbd  # noqa: E402

from harness import (ENV, GEN, MiB, Server, ServerError,  # noqa: E402
                     TempDirMixin, build_plugin, close_handle, example,
                     generate, pattern, run, script)

__all__ = ["ENV", "GEN", "MiB", "Server", "ServerError", "TempDirMixin",
           "build_plugin", "close_handle", "example", "generate", "pattern",
           "run", "script", "nbd", "SLOW", "PYTHON", "CORPUS", "TOP",
           "corpus", "errname", "outcome", "wait_for", "Control"]

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


# SPDX-License-Identifier: BSD-3-Clause
"""Misbehaving scripts: every callback raising (plainly, with
set_error(ENOSPC), (EPERM), (EOPNOTSUPP) and with errnos that are not
errnos), returning the wrong type or an invalid value, raising
SystemExit, KeyboardInterrupt, or an exception whose str() raises.

The corpus script (corpus/misbehave*.py) is a well-behaved RAM disk that
misbehaves once on order (see common.Control).  For each case:
  - the client gets the expected error (the errno from set_error, else
    EIO; a failed handshake for the callbacks of connection set-up);
  - the log of the generated plugin names the script and the callback,
    with the traceback when the script raised;
  - the very next request on the same connection (or the next
    connection) succeeds, and no byte of the disk was lost.
The same cases run against `nbdkit python` on the same script; where it
answers differently, or crashes, the case says so and why.

Failures before serving (raising in config, get_ready, ...) are in
tests/e2e/test_setup_errors.py; the kinds of buffer pread may return in
tests/e2e/test_robustness.py; extents of every shape in
tests/e2e/test_setup_errors.py.  Here are the cases those do not cover,
and the uniform checks above for all of them.
"""

import os
import time
import unittest
from typing import NamedTuple

from common import (Control, MiB, Server, TempDirMixin,
                    close_handle, corpus, errname, outcome, pattern,
                    wait_for)

import nbd

from nopython import hide_python_wrapper

SCRIPT = corpus("misbehave.py")
TRACEBACK = "Traceback (most recent call last)"


class Case(NamedTuple):
    order: str              # "CALLBACK ACTION [ARG]", see misbehave.py
    op: str                 # what the client does: a method of Client
    want: object            # the client's outcome
    log: tuple = ()         # text the generated plugin's log must have;
                            # None: no error may be logged
    peer: object = None     # nbdkit python's outcome when it differs
    why: str = ""           # ... and why

    @property
    def callback(self):
        return self.order.split()[0]

    def __str__(self):
        return "%s (by %s)" % (self.order, self.op)


SKIP = "skip"   # as peer: nbdkit python crashes, so it is not run there

# As the first item of Case.log: the message is nbdkit's own (it checks
# block sizes and extents itself), which does not name the script.
NBDKIT = "nbdkit says"

DATA_OPS = {"pread": "pread", "pwrite": "pwrite", "flush": "flush",
            "trim": "trim", "zero": "zero", "cache": "cache",
            "extents": "extents"}

# set_error's argument -> what the client gets when the callback then
# raises.  nbdkit maps errnos NBD has no code for to EINVAL (EOPNOTSUPP
# among them, except for a fast zero).
RAISES = [("", "EIO"), ("ENOSPC", "ENOSPC"), ("EPERM", "EPERM"),
          ("EOPNOTSUPP", "EINVAL"), ("4242", "EIO"), ("-5", "EIO"),
          ("0", "EIO")]
PEER_RAISES = {
    "4242": ("EINVAL", "nbdkit python passes any number on to nbdkit, "
             "which maps what it does not know to EINVAL"),
    "-5": (SKIP, "nbdkit python passes a negative errno on, and nbdkit "
           "aborts: protocol.c: Assertion `(int) error >= 0' failed"),
}


def raising_cases():
    cases = []
    for cb, op in DATA_OPS.items():
        for arg, want in RAISES:
            if cb == "zero" and arg == "EOPNOTSUPP":
                continue            # the fallback, below
            peer, why = PEER_RAISES.get(arg, (None, ""))
            cases.append(Case("%s raise %s" % (cb, arg), op, want,
                              (TRACEBACK, "misbehave-" + cb), peer, why))
    # set_error(EOPNOTSUPP) in zero: nbdkit writes zeroes with pwrite
    # instead, no error logged; a fast zero must not fall back.
    cases += [Case("zero raise EOPNOTSUPP", "zero", "ok", None),
              Case("zero raise EOPNOTSUPP", "zero_fast", "ENOTSUP", None),
              Case("zero raise ENOTSUP", "zero", "ok", None)]
    return cases


# Callbacks of connection set-up: raising fails the handshake of that
# connection only.  export_description and close cannot fail it.
SETUP = ["open", "get_size", "block_size", "is_rotational",
         "can_multi_conn", "can_write", "can_flush", "can_trim",
         "can_zero", "can_fast_zero", "can_fua", "can_cache",
         "can_extents", "preconnect", "default_export"]


def setup_cases():
    cases = []
    for cb in SETUP:
        for arg in ("", "ENOSPC"):
            cases.append(Case("%s raise %s" % (cb, arg), "connect",
                              "refused", (TRACEBACK, "misbehave-" + cb)))
    cases += [
        Case("export_description raise", "connect", "ok",
             (TRACEBACK, "misbehave-export_description")),
        Case("close raise EPERM", "close", "ok",
             (TRACEBACK, "misbehave-close")),
        Case("list_exports raise", "list", "ENOTSUP",
             (TRACEBACK, "misbehave-list_exports")),
        Case("list_exports raise ENOSPC", "list", "ENOTSUP",
             (TRACEBACK, "misbehave-list_exports")),
    ]
    return cases


def returning(cb, expr, op, want, log, peer=None, why=""):
    return Case("%s return %s" % (cb, expr), op, want, log, peer, why)


def wrong_results():
    size = "get_size must return an int"
    bs = "block_size"
    ext = "extents"
    exp = "list_exports"
    return [
        # get_size
        returning("get_size", "None", "connect", "refused",
                  (size, "NoneType")),
        returning("get_size", "'1M'", "connect", "refused", (size, "str")),
        returning("get_size", "1.5", "connect", "refused", (size, "float")),
        returning("get_size", "-1", "connect", "refused",
                  ("negative size",)),
        returning("get_size", "2**63", "connect", "refused",
                  ("returned 9223372036854775808, more than the largest "
                   "size",)),
        returning("get_size", "2**64", "connect", "refused",
                  ("returned 18446744073709551616, more than the largest "
                   "size",)),
        # block_size: not a triple, or sizes nbdkit refuses
        returning("block_size", "None", "connect", "refused",
                  ("(minimum, preferred, maximum)",)),
        returning("block_size", "(512, 4096)", "connect", "refused",
                  ("(minimum, preferred, maximum)",)),
        returning("block_size", "'abc'", "connect", "refused",
                  ("(minimum, preferred, maximum)",)),
        returning("block_size", "('a', 'b', 'c')", "connect", "refused",
                  (bs, "str")),
        returning("block_size", "(-1, 4096, 65536)", "connect", "refused",
                  ("the minimum must be from 0 to 4294967295, not -1",)),
        returning("block_size", "(1, 4096, 2**32)", "connect", "refused",
                  ("the maximum must be from 0 to 4294967295",)),
        returning("block_size", "(3, 4096, 65536)", "connect", "refused",
                  (NBDKIT, "minimum block size to a power of 2")),
        returning("block_size", "(512, 256, 65536)", "connect", "refused",
                  (NBDKIT, "preferred block size")),
        returning("block_size", "(4096, 4096, 1024)", "connect", "refused",
                  (NBDKIT, "maximum block size")),
        returning("block_size", "(2**17, 2**20, 2**25)", "connect",
                  "refused", (NBDKIT, "minimum block size")),
        # can_fua and can_cache out of range, thread-less can_* oddities
        returning("can_fua", "3", "connect", "refused",
                  ("can_fua returned 3", "nbdkit.FUA_"), "ok",
                  "nbdkit python passes any int on; nbdkit takes 3 as "
                  "native FUA"),
        returning("can_fua", "-1", "connect", "refused",
                  ("can_fua returned -1",)),
        returning("can_fua", "2**70", "connect", "refused",
                  ("can_fua", "1180591620717411303424")),
        returning("can_fua", "'native'", "connect", "refused",
                  ("can_fua must return an int", "str")),
        returning("can_fua", "None", "connect", "refused",
                  ("can_fua must return an int", "NoneType")),
        returning("can_cache", "99", "connect", "refused",
                  ("can_cache returned 99", "nbdkit.CACHE_"), "ok",
                  "nbdkit python passes any int on"),
        returning("can_cache", "-1", "connect", "refused",
                  ("can_cache returned -1",)),
        returning("can_cache", "'x'", "connect", "refused",
                  ("can_cache must return an int", "str")),
        returning("can_write", "BadBool()", "connect", "refused",
                  ("ZeroDivisionError", "bool() of this object raises"),
                  "ok", "nbdkit python compares with `is True` and never "
                  "asks for a truth value"),
        # extents
        returning("extents", "42", "extents", "EIO", (ext, "int")),
        returning("extents", "None", "extents", "EIO", (ext, "NoneType")),
        returning("extents", "[7]", "extents", "EIO",
                  ("(offset, length, type)",)),
        returning("extents", "[(offset, count)]", "extents", "EIO",
                  ("(offset, length, type)",)),
        returning("extents", "[(offset, count, 'x')]", "extents", "EIO",
                  ("type", "str")),
        returning("extents", "[]", "extents", "EIO", ("at least 1",)),
        returning("extents", "(e for e in [(offset, 256, 0), 1/0])",
                  "extents", "EIO", ("ZeroDivisionError",)),
        returning("extents", "[(offset, -1, 0)]", "extents", "EIO",
                  ("length must be from 0",)),
        returning("extents", "[(offset, 2**64, 0)]", "extents", "EIO",
                  ("length must be from 0",)),
        returning("extents", "[(2**64, 1, 0)]", "extents", "EIO",
                  ("offset must be from 0",)),
        returning("extents", "[(offset, count, 2**32)]", "extents", "EIO",
                  ("type must be from 0 to 4294967295",),
                  [512, 0], "nbdkit python truncates the type to 32 bits"),
        returning("extents", "[(offset, 256, 0), (offset, 256, 3)]",
                  "extents", "EIO",
                  ("ascending order", "nbdkit refused item 2 of the result, "
                   "(0, 256, 3)")),
        returning("extents", "[(offset, 0, 0)]", "extents", "EINVAL",
                  (NBDKIT, "extents: plugin must return at least one "
                   "extent")),
        returning("extents", "[(offset + 2**21, 512, 0)]", "extents",
                  "EINVAL", (NBDKIT, "extents: plugin must return at least "
                             "one extent")),
        # past the end of the request: cut by nbdkit, fine
        returning("extents", "[(offset, count + 2**20, 3)]", "extents",
                  [MiB, 3], None),
        # list_exports
        returning("list_exports", "42", "list", "ENOTSUP", (exp, "int")),
        returning("list_exports", "None", "list", "ENOTSUP",
                  (exp, "NoneType")),
        returning("list_exports", "[42]", "list", "ENOTSUP",
                  ("an export name must be a str, not int",)),
        returning("list_exports", "[('a', 5)]", "list", "ENOTSUP",
                  ("an export description must be a str, not int",)),
        returning("list_exports", "[('a', 'b', 'c')]", "list", "ENOTSUP",
                  ("an export name must be a str, not tuple",)),
        returning("list_exports", "['x' * 5000]", "list", "ENOTSUP",
                  (exp, "4096")),
        returning("list_exports", "[('a', 'd' * 5000)]", "list", "ENOTSUP",
                  (exp, "4096")),
        returning("list_exports", "['a\\0b']", "list", "ENOTSUP",
                  (exp, "NUL"), [("a", "")],
                  "nbdkit python cuts the name at the NUL"),
        returning("list_exports", "['\\udcff']", "list", "ENOTSUP",
                  (exp, "UnicodeEncodeError"), SKIP,
                  "nbdkit python crashes (SIGSEGV) on a name UTF-8 "
                  "cannot encode"),
        returning("list_exports", "(n for n in ['a', 1/0])", "list",
                  "ENOTSUP", ("ZeroDivisionError",)),
        returning("list_exports", "[]", "list", [], None),
        # default_export and export_description
        returning("default_export", "None", "connect", "refused",
                  ("default_export must return a str, not NoneType",)),
        returning("default_export", "42", "connect", "refused",
                  ("default_export must return a str, not int",)),
        returning("default_export", "'x' * 5000", "connect", "refused",
                  ("default_export", "4096")),
        returning("default_export", "'a\\0b'", "connect", "refused",
                  ("default_export", "NUL"), "ok",
                  "nbdkit python cuts the name at the NUL"),
        returning("default_export", "'\\udcff'", "connect", "refused",
                  ("default_export", "UnicodeEncodeError"), SKIP,
                  "nbdkit python crashes (SIGSEGV) on a name UTF-8 "
                  "cannot encode"),
        returning("export_description", "5", "connect", "ok",
                  ("export_description must return a str, not int",)),
        returning("export_description", "'d' * 5000", "connect", "ok",
                  ("export_description", "4096")),
        returning("export_description", "'a\\0b'", "connect", "ok",
                  ("export_description", "NUL")),
    ]


def exception_cases():
    """SystemExit and KeyboardInterrupt are errors like any other; an
    exception whose str() and repr() raise is still reported."""
    cases = []
    for action, shows in (("exit", "SystemExit: 3"),
                          ("interrupt", "KeyboardInterrupt"),
                          ("badstr", "BadStr")):
        for cb, op, want in (("pread", "pread", "EIO"),
                             ("pwrite", "pwrite", "EIO"),
                             ("zero", "zero", "EIO"),
                             ("flush", "flush", "EIO"),
                             ("extents", "extents", "EIO"),
                             ("open", "connect", "refused"),
                             ("get_size", "connect", "refused"),
                             ("can_zero", "connect", "refused"),
                             ("list_exports", "list", "ENOTSUP"),
                             ("close", "close", "ok")):
            cases.append(Case("%s %s" % (cb, action), op, want,
                              (TRACEBACK, shows)))
    return cases


class Client:
    """One connection kept open across the cases, a model of the disk,
    and each operation a case can trigger."""

    OFFSETS = {"pread": 4096, "pwrite": 8192, "trim": 12288,
               "zero": 16384, "cache": 0, "extents": 0}
    COUNT = 512

    def __init__(self, srv):
        self.srv = srv
        self.model = bytearray(MiB)
        self.h = self.connect()
        self.writes = 0

    def connect(self):
        h = nbd.NBD()
        h.set_full_info(True)
        h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
        try:
            h.connect_unix(self.srv.sock)
        except BaseException:
            close_handle(h)
            raise
        self.srv.handles.append(h)
        return h

    def check_data(self, h=None):
        got = bytes((h or self.h).pread(65536, 0))
        if got != self.model[:65536]:
            return "wrong data"
        return "ok"

    # --- operations: each returns the client's outcome ----------------

    def pread(self):
        off = self.OFFSETS["pread"]
        r = outcome(self.h.pread, self.COUNT, off)
        if isinstance(r, bytes):
            return "ok" if r == self.model[off:off + self.COUNT] \
                else "wrong data"
        return r

    def _write(self, fn, off, data, *args):
        r = outcome(fn, *args)
        if r == "ok":
            self.model[off:off + len(data)] = data
        return r

    def pwrite(self):
        off = self.OFFSETS["pwrite"]
        self.writes += 1
        data = pattern(self.writes, self.COUNT)
        return self._write(self.h.pwrite, off, data, data, off)

    def flush(self):
        return outcome(self.h.flush)

    def trim(self):
        off = self.OFFSETS["trim"]
        return self._write(self.h.trim, off, bytes(self.COUNT), self.COUNT,
                           off)

    def zero(self, flags=0):
        off = self.OFFSETS["zero"]
        return self._write(self.h.zero, off, bytes(self.COUNT), self.COUNT,
                           off, flags)

    def zero_fast(self):
        return self.zero(nbd.CMD_FLAG_FAST_ZERO)

    def cache(self):
        return outcome(self.h.cache, self.COUNT, self.OFFSETS["cache"])

    def extents(self):
        seen = []

        def cb(metacontext, offset, entries, err):
            if metacontext == nbd.CONTEXT_BASE_ALLOCATION:
                seen.extend(entries)
            return 0
        r = outcome(self.h.block_status, self.COUNT,
                    self.OFFSETS["extents"], cb)
        return seen if r == "ok" else r

    def connect_op(self):
        try:
            h = self.connect()
        except nbd.Error:
            return "refused"
        try:
            return self.check_data(h)
        finally:
            self.srv.handles.remove(h)
            h.shutdown()
            close_handle(h)

    def list(self):
        h = nbd.NBD()
        try:
            h.set_opt_mode(True)
            h.connect_unix(self.srv.sock)
            names = []

            def cb(name, description):
                names.append((name, description))
                return 0
            r = outcome(h.opt_list, cb)
            with_names = names if r == "ok" else r
            h.opt_abort()
            return with_names
        except nbd.Error as e:
            return errname(e)
        finally:
            close_handle(h)

    def close(self):
        h = self.connect()
        self.srv.handles.remove(h)
        h.shutdown()
        close_handle(h)
        return "ok"

    def do(self, op):
        return getattr(self, "connect_op" if op == "connect" else op)()


class Misbehaving(TempDirMixin):
    """Runs CASES against one server; each target a subclass."""

    TARGET = None           # "generated" or "peer"
    SCRIPT = SCRIPT
    CASES = ()
    WRAPPER = ()            # runs nbdkit (see Server)

    def server(self, control):
        args = ([self.generated(self.SCRIPT)] if self.TARGET == "generated"
                else self.peer_args())
        return Server(*args, env=control.env, wrapper=self.WRAPPER)

    def peer_args(self):
        return ["python", self.SCRIPT]

    def expected(self, case):
        if self.TARGET == "peer" and case.peer is not None:
            return case.peer
        return case.want

    def run_cases(self):
        """Every case on one server; returns nbdkit's stderr."""
        control = Control(os.path.join(self.tmpdir, "orders"))
        cases = [c for c in self.CASES if self.expected(c) != SKIP]
        self.assertTrue(cases)
        with self.server(control) as srv:
            client = Client(srv)
            for case in cases:
                with self.subTest(case=str(case)):
                    self.run_case(srv, client, control, case)
                if srv.proc.poll() is not None:
                    self.fail("nbdkit died (status %s) in case %s\n%s"
                              % (srv.proc.returncode, case, srv.log))
            self.assertEqual(client.check_data(), "ok")
        return srv.log

    def run_case(self, srv, client, control, case):
        mark = len(srv.log)
        control.order(case.order)
        got = client.do(case.op)
        # The order was carried out: the callback was called (close is
        # called after the client has gone).
        self.assertEqual(wait_for(lambda: not control.pending(), 5), True,
                         "%s was never called" % case.callback)
        want = self.expected(case)
        self.assertEqual(got, want, "%s\n%s" % (case, srv.log[mark:]))
        # The very next request (or connection) succeeds, and the
        # disk is what it should be.
        again = client.do(case.op)
        if case.op in ("connect", "close", "extents", "list"):
            self.assertNotIn(again, ("refused", "EIO", "EINVAL", "ENOTSUP"),
                             "%s: the next one failed" % (case,))
        else:
            self.assertEqual(again, "ok", "%s: the next one failed" % (case,))
        self.assertEqual(client.check_data(), "ok", case)
        if self.TARGET == "generated":
            self.check_log(srv, mark, case)

    def check_log(self, srv, mark, case):
        if case.log is None:
            time.sleep(0.05)
            self.assertNotIn("error", srv.log[mark:],
                             "%s: an error was logged" % (case,))
            return
        if case.log[:1] == (NBDKIT,):
            wanted = case.log[1:]
        else:
            wanted = ("%s: %s: error: " % (os.path.basename(self.SCRIPT),
                                           case.callback),) + case.log

        def logged():
            text = srv.log[mark:]
            return all(w in text for w in wanted)
        if not wait_for(logged, 3):
            self.fail("%s: the log lacks %r:\n%s"
                      % (case, [w for w in wanted
                                if w not in srv.log[mark:]],
                         srv.log[mark:]))


class RaisingGenerated(Misbehaving, unittest.TestCase):
    TARGET = "generated"
    GENERATE = (SCRIPT,)
    CASES = raising_cases() + setup_cases()

    def test_cases(self):
        self.run_cases()


class RaisingPeer(Misbehaving, unittest.TestCase):
    TARGET = "peer"
    CASES = raising_cases() + setup_cases()

    def test_cases(self):
        self.run_cases()


class WrongResultsGenerated(Misbehaving, unittest.TestCase):
    TARGET = "generated"
    GENERATE = (SCRIPT,)
    CASES = wrong_results()

    def test_cases(self):
        self.run_cases()


class WrongResultsPeer(Misbehaving, unittest.TestCase):
    TARGET = "peer"
    CASES = wrong_results()

    def test_cases(self):
        self.run_cases()


class ExceptionsGenerated(Misbehaving, unittest.TestCase):
    TARGET = "generated"
    GENERATE = (SCRIPT,)
    CASES = exception_cases()

    def test_cases(self):
        self.run_cases()


class ExceptionsPeer(Misbehaving, unittest.TestCase):
    TARGET = "peer"
    CASES = exception_cases()

    def test_cases(self):
        self.run_cases()


# pread of API 1 and of the seed dialect returns a buffer.
def buffer_cases():
    return [
        Case("pread return None", "pread", "EIO", ("pread", "NoneType")),
        Case("pread return 'text' * 200", "pread", "EIO", ("pread", "str")),
        Case("pread return data[:-1]", "pread", "EIO",
             ("pread returned 511 bytes, fewer than the 512 requested",)),
        Case("pread return b''", "pread", "EIO", ("pread returned 0 bytes",)),
        Case("pread return data + b'longer'", "pread", "ok", None),
        Case("pread return 42", "pread", "EIO", ("pread", "int")),
        Case("pread raise ENOSPC", "pread", "ENOSPC",
             (TRACEBACK, "misbehave-pread")),
        Case("pread raise", "pread", "EIO",
             (TRACEBACK, "misbehave-pread")),
    ]


class BuffersApi1Generated(Misbehaving, unittest.TestCase):
    TARGET = "generated"
    SCRIPT = corpus("misbehave_api1.py")
    GENERATE = (SCRIPT,)
    CASES = buffer_cases()

    def test_cases(self):
        self.run_cases()


class BuffersApi1Peer(Misbehaving, unittest.TestCase):
    TARGET = "peer"
    SCRIPT = corpus("misbehave_api1.py")
    CASES = buffer_cases()

    def test_cases(self):
        self.run_cases()


class BuffersSeedGenerated(Misbehaving, unittest.TestCase):
    TARGET = "generated"
    SCRIPT = corpus("misbehave_seed.py")
    GENERATE = (SCRIPT,)
    CASES = buffer_cases()

    def test_cases(self):
        self.run_cases()


class BuffersSeedPeer(Misbehaving, unittest.TestCase):
    """Under nbdkit python through tests/e2e/scripts/seed_peer.py, which
    adapts the seed dialect's pread to today's python plugin."""
    TARGET = "peer"
    SCRIPT = corpus("misbehave_seed.py")
    CASES = buffer_cases()

    def peer_args(self):
        from common import script
        return ["python", script("seed_peer.py")]

    def server(self, control):
        return Server(*self.peer_args(),
                      env=dict(control.env, SEED_SCRIPT=self.SCRIPT))

    def test_cases(self):
        self.run_cases()



# The same cases against standalone plugins (Python linked in, the
# closure frozen), served with every Python hidden.
class Standalone:
    GENERATE_ARGS = ("--standalone",)
    WRAPPER = hide_python_wrapper()


class RaisingStandalone(Standalone, RaisingGenerated):
    pass


class WrongResultsStandalone(Standalone, WrongResultsGenerated):
    pass


class ExceptionsStandalone(Standalone, ExceptionsGenerated):
    pass


class BuffersApi1Standalone(Standalone, BuffersApi1Generated):
    pass


class BuffersSeedStandalone(Standalone, BuffersSeedGenerated):
    pass

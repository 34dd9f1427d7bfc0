# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for the end-to-end tests.

The tests drive real programs: the pyplugin-gen command, nbdkit (with
the generated plugin, and with nbdkit's own python plugin as the peer
to compare against), and real NBD clients (python3-libnbd, nbdinfo,
nbdcopy, qemu-img).  They run under Debian's /usr/bin/python3, which
has python3-libnbd.

Environment:
  PYPLUGIN_GEN    the generator to test (default: <top>/pyplugin-gen)
"""

import atexit
import contextlib
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import nbd

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(TOP, "examples")
SCRIPTS = os.path.join(HERE, "scripts")
GEN = os.environ.get("PYPLUGIN_GEN", os.path.join(TOP, "pyplugin-gen"))

MiB = 1024 * 1024

# Bounds on waiting for things that should happen quickly.
START_TIMEOUT = 30          # nbdkit accepting on its socket
STOP_TIMEOUT = 10           # nbdkit exiting after SIGTERM
CMD_TIMEOUT = 60            # any client command

# Programs the tests run (nbdsh and friends are Python scripts using
# "#!/usr/bin/env python3": put Debian's python first on PATH so they
# find python3-libnbd).
ENV = dict(os.environ)
ENV["PATH"] = "/usr/bin:" + ENV.get("PATH", "")
ENV.pop("PYTHONPATH", None)
ENV.pop("PYTHONHOME", None)


def example(name):
    return os.path.join(EXAMPLES, name)


def script(name):
    return os.path.join(SCRIPTS, name)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class GenerateError(AssertionError):
    """The generator failed.  An AssertionError, so a test reports it
    as a failure (the generator did not do its job), not as an error
    in the test."""


class ServerError(AssertionError):
    """nbdkit did not start, or died."""


def run(cmd, *, check=True, timeout=CMD_TIMEOUT, input=None, env=None):
    """Run a command, capturing output.  On failure raise an
    AssertionError that shows the command and everything it said."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       input=input, timeout=timeout, env=env or ENV)
    if check and p.returncode != 0:
        raise AssertionError(
            "command failed (exit %d): %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
            % (p.returncode, " ".join(map(str, cmd)),
               p.stdout.decode(errors="replace"),
               p.stderr.decode(errors="replace")))
    return p


def generate(script_path, out_so, *extra_args):
    """Run pyplugin-gen SCRIPT -o OUT.so [extra args].  Raise
    GenerateError with the generator's stderr on failure."""
    if not os.access(GEN, os.X_OK):
        raise GenerateError(
            "pyplugin-gen not found at %s (build it with ./configure && make, "
            "or set PYPLUGIN_GEN)" % GEN)
    cmd = [GEN, script_path, "-o", out_so] + list(extra_args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300, env=ENV)
    if p.returncode != 0:
        raise GenerateError(
            "pyplugin-gen failed (exit %d): %s\n%s%s"
            % (p.returncode, " ".join(cmd),
               p.stdout.decode(errors="replace"),
               p.stderr.decode(errors="replace")))
    if not os.path.exists(out_so):
        raise GenerateError("pyplugin-gen exited 0 but wrote no %s" % out_so)
    return out_so


# Plugins generated in this process, so that test classes using the
# same script do not each wait for the compiler:
# (file name, sha256 of the script, generator arguments) -> .so
_CACHE_DIR = None
_CACHE = {}


def _cache_dir():
    global _CACHE_DIR
    if _CACHE_DIR is None:
        _CACHE_DIR = tempfile.mkdtemp(prefix="pyplugin-e2e-cache-")
        atexit.register(shutil.rmtree, _CACHE_DIR, True)
    return _CACHE_DIR


def build_plugin(script_path, outdir, *extra_args):
    """Generate a plugin from a *copy* of script_path, then delete the
    copy, so the plugin is proven to need no script file at run time;
    the plugin is put in outdir.  The same script (name and contents)
    with the same arguments is generated once per process and copied
    after that.  Returns the path of the .so."""
    base = os.path.basename(script_path)
    stem = base[:-3] if base.endswith(".py") else base
    out_so = os.path.join(outdir, stem + "-plugin.so")
    key = (base, sha256_file(script_path), extra_args)
    if key not in _CACHE:
        srcdir = tempfile.mkdtemp(prefix="src-", dir=_cache_dir())
        copy = os.path.join(srcdir, base)
        shutil.copyfile(script_path, copy)
        cached = os.path.join(srcdir + ".so")
        try:
            generate(copy, cached, *extra_args)
        finally:
            shutil.rmtree(srcdir)
        assert not os.path.exists(copy)
        _CACHE[key] = cached
    shutil.copyfile(_CACHE[key], out_so)
    return out_so


def peer_args(script_path):
    """nbdkit arguments that run script_path under nbdkit's own python
    plugin."""
    return ["python", script_path]


_PEER_NAMES = []


def peer_module_names():
    """The names of the nbdkit module of the installed `nbdkit python`
    (its functions and constants), as a script it loads sees them."""
    if not _PEER_NAMES:
        p = run(["nbdkit", "--dump-plugin",
                 *peer_args(script("module_names.py"))])
        prefix = "nbdkit module names: "
        lines = [line for line in p.stderr.decode().splitlines()
                 if line.startswith(prefix)]
        assert len(lines) == 1, p.stderr.decode()
        _PEER_NAMES.append(frozenset(lines[0][len(prefix):].split()))
    return _PEER_NAMES[0]


# nbdkit 1.32's python plugin cannot run the seed dialect: this adapter
# runs the seed script named by SEED_SCRIPT in the environment.
SEED_PEER = script("seed_peer.py")


def peer_server(script_path, *config, seed=False, env=None, **kw):
    """A Server (not started) running script_path under nbdkit's own
    python plugin, the reference the generated plugin is held to; with
    seed=True through SEED_PEER.  config are key=value arguments, the
    keywords go to Server."""
    if seed:
        env = dict(env or {}, SEED_SCRIPT=script_path)
        script_path = SEED_PEER
    return Server(*peer_args(script_path), *config, env=env, **kw)


def _wait_gone(pid, timeout):
    """Wait for a process that is not our child to disappear."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(0); check its state.
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (FileNotFoundError, IndexError):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def close_handle(h):
    """Close an nbd.NBD handle and its connection now, not whenever the
    garbage collector gets to it (python3-libnbd 1.14 has no close());
    a closed handle is left as it is."""
    o = getattr(h, "_o", None)
    if o is None:
        return
    if hasattr(h, "close"):
        # Its __del__ reads _o, which must stay.
        h.close()
    else:
        del h._o
        nbd.libnbdmod.close(o)


class Server:
    """Run nbdkit on a Unix socket in a fresh temporary directory.

        with Server(plugin_so, "size=1M") as srv:
            h = srv.connect()
            ...
        srv.log    # everything nbdkit wrote to stdout and stderr

    args are nbdkit's plugin arguments: [PLUGIN.so, key=value...] or
    ["python", SCRIPT, key=value...].  With foreground=False nbdkit
    forks into the background (-P pidfile) and is stopped by its pid.
    The server is always stopped on leaving the block, SIGTERM first,
    SIGKILL if it does not exit in stop_timeout seconds.  wrapper is a
    command that runs nbdkit by exec'ing its arguments (so that the
    process started is nbdkit), such as one that hides Python first.
    """

    def __init__(self, *args, foreground=True, verbose=False,
                 nbdkit_options=(), env=None, readonly=False, wrapper=(),
                 stop_timeout=STOP_TIMEOUT):
        self.wrapper = list(wrapper)
        self.stop_timeout = stop_timeout
        self.args = [str(a) for a in args]
        self.foreground = foreground
        self.verbose = verbose
        self.nbdkit_options = list(nbdkit_options)
        self.env = dict(ENV, **(env or {}))
        self.readonly = readonly
        self.proc = None
        self.pid = None
        self.tmpdir = None
        self.sock = None
        self.logfile = None
        self.returncode = None
        self.handles = []
        self._log = None

    # --- lifecycle -------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def start(self):
        self.tmpdir = tempfile.mkdtemp(prefix="pyplugin-e2e-")
        self.sock = os.path.join(self.tmpdir, "nbd.sock")
        self.logfile = os.path.join(self.tmpdir, "nbdkit.log")
        self.pidfile = os.path.join(self.tmpdir, "nbdkit.pid")
        cmd = ["nbdkit", "-U", self.sock]
        if self.foreground:
            cmd.append("-f")
        else:
            cmd += ["-P", self.pidfile]
            # A daemon logs to syslog unless told otherwise.
            if not any(o.startswith("--log") for o in self.nbdkit_options):
                cmd.append("--log=stderr")
        if self.verbose:
            cmd.append("-v")
        if self.readonly:
            cmd.append("-r")
        cmd += self.nbdkit_options + self.args
        self.cmd = cmd = self.wrapper + cmd
        log = open(self.logfile, "wb")
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log,
                                         env=self.env, cwd=self.tmpdir)
        finally:
            log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.cleanup()
            raise

    def _fail(self, why):
        raise ServerError("%s\ncommand: %s\n--- nbdkit log ---\n%s"
                          % (why, " ".join(self.cmd), self.log))

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        if not self.foreground:
            # The parent exits once the socket is bound and the child
            # has been forked and written the pidfile.
            try:
                rc = self.proc.wait(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._fail("nbdkit (background) did not detach in %ds"
                           % START_TIMEOUT)
            if rc != 0:
                self._fail("nbdkit (background) exited with status %d" % rc)
            while not self._read_pidfile():
                if time.monotonic() > deadline:
                    self._fail("nbdkit wrote no pidfile")
                time.sleep(0.01)
        while True:
            if self.foreground and self.proc.poll() is not None:
                self._fail("nbdkit exited with status %d before serving"
                           % self.proc.returncode)
            if not self.foreground and _wait_gone(self.pid, 0):
                self._fail("nbdkit (pid %d) died before serving" % self.pid)
            if self._accepts():
                return
            if time.monotonic() > deadline:
                self._fail("nbdkit did not accept connections in %ds"
                           % START_TIMEOUT)
            time.sleep(0.01)

    def _read_pidfile(self):
        try:
            with open(self.pidfile) as f:
                text = f.read()
        except FileNotFoundError:
            return False
        if not text.endswith("\n"):
            return False            # still being written
        self.pid = int(text)
        return True

    def _accepts(self):
        if not os.path.exists(self.sock):
            return False
        # Connected and greeted: nbdkit is serving.  Reading the whole
        # greeting (NBDMAGIC, IHAVEOPT, 16 bits of flags) before hanging
        # up keeps nbdkit from logging a broken pipe.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(START_TIMEOUT)
        try:
            s.connect(self.sock)
            greeting = b""
            while len(greeting) < 18:
                chunk = s.recv(18 - len(greeting))
                if not chunk:
                    break
                greeting += chunk
            return greeting.startswith(b"NBDMAGIC")
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        """Stop nbdkit (idempotent).  Returns its exit status when it
        was our child, else None."""
        while self.handles:
            close_handle(self.handles.pop())
        if self.foreground and self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.returncode = self.proc.returncode
        elif not self.foreground:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)
                if not _wait_gone(self.pid, self.stop_timeout):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(self.pid, signal.SIGKILL)
                    _wait_gone(self.pid, STOP_TIMEOUT)
                self.pid = None
        return self.returncode

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """Wait for a foreground nbdkit to exit by itself; return its
        status, or None if it is still running after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def cleanup(self):
        """Stop nbdkit, keep its log in memory, remove the directory."""
        self.stop()
        if self.tmpdir:
            self._log = self.log
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    # --- what the tests use ----------------------------------------------

    @property
    def log(self):
        if self._log is not None:
            return self._log
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode(errors="replace")
        except (TypeError, FileNotFoundError):
            return ""

    @property
    def uri(self):
        return "nbd+unix:///?socket=" + self.sock

    def connect(self, export_name=None, meta_contexts=()):
        """A connected nbd.NBD() handle, asking for meta_contexts (such
        as nbd.CONTEXT_BASE_ALLOCATION).  The server closes it when it
        stops (nbdkit waits for open connections before exiting)."""
        h = nbd.NBD()
        try:
            if export_name is not None:
                h.set_export_name(export_name)
            for context in meta_contexts:
                h.add_meta_context(context)
            h.connect_unix(self.sock)
        except BaseException:
            close_handle(h)
            raise
        self.handles.append(h)
        return h

    def export_uri(self, export_name):
        return "nbd+unix:///%s?socket=%s" % (export_name, self.sock)

    def nbdinfo(self, *args, export=""):
        """nbdinfo --json [args] on the socket (and export), parsed."""
        p = run(["nbdinfo", "--json"] + list(args) + [self.export_uri(export)])
        return json.loads(p.stdout)


def block_status_calls(h, count, offset, flags=0):
    """h.block_status(count, offset, flags): the (meta context, offset,
    entries) of each call of the callback.  Raises nbd.Error if the
    request fails."""
    seen = []

    def cb(metacontext, off, entries, err):
        seen.append((metacontext, off, list(entries)))
        return 0
    h.block_status(count, offset, cb, flags)
    return seen


def export_info(srv):
    """The one export's nbdinfo --json fields."""
    info = srv.nbdinfo()
    exports = info.pop("exports")
    assert len(exports) == 1, exports
    e = exports[0]
    e.update(("server." + k, v) for k, v in info.items())
    return e


# Fields of nbdinfo --json that legitimately differ between two servers
# of the same script: "uri" contains the socket path, and each server
# has its own socket.
INFO_DIFFERS = {"uri"}


def comparable_info(srv):
    return {k: v for k, v in export_info(srv).items()
            if k not in INFO_DIFFERS}


def pattern(seed, length):
    """length deterministic pseudo-random bytes, different for each
    seed."""
    return random.Random(seed).randbytes(length)


def exercise(srv):
    """One fixed sequence of requests; returns everything observed.
    Errors are observations too (as errno names)."""
    obs = {}
    size = export_info(srv)["export-size"]
    obs["info"] = comparable_info(srv)
    h = srv.connect()
    flags = {name: getattr(h, name)() for name in (
        "can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero",
        "can_cache", "can_multi_conn", "is_rotational", "is_read_only")}
    obs["flags"] = flags
    steps = []

    def step(name, fn, *args):
        try:
            r = fn(*args)
            steps.append((name, "ok" if r is None else bytes(r)))
        except nbd.Error as e:
            steps.append((name, errno.errorcode.get(e.errnum, e.errnum)))

    for i, off in enumerate((0, 1, 4095, 65536, size // 2 + 7, size - 512)):
        step("pwrite@%d" % off, h.pwrite, pattern(i, 512), off)
        step("pread@%d" % off, h.pread, 700 if off + 700 <= size else 512, off)
    step("fua", h.pwrite, pattern(50, 4096), 8192, nbd.CMD_FLAG_FUA)
    step("zero", h.zero, 5000, 3)
    step("zero-nohole", h.zero, 5000, 6000, nbd.CMD_FLAG_NO_HOLE)
    step("zero-fua", h.zero, 100, 8192, nbd.CMD_FLAG_FUA)
    step("zero-fast", h.zero, 4096, 4096 * 3, nbd.CMD_FLAG_FAST_ZERO)
    step("trim", h.trim, 65536, 65536)
    step("flush", h.flush)
    step("cache", h.cache, 4096, 0)
    step("read-past-end", h.pread, 1024, size - 512)
    step("reread", h.pread, 20000, 0)
    obs["steps"] = steps
    h.shutdown()
    obs["map"] = srv.nbdinfo("--map")
    data = srv.connect()
    obs["data"] = [data.pread(min(MiB, size - o), o)
                   for o in range(0, size, MiB)]
    data.shutdown()
    return obs


def dump_plugin(plugin_so, *args):
    """nbdkit --dump-plugin PLUGIN [args] as a dict of key -> value (the
    first value when a key repeats) plus the raw text.  args are more
    plugin arguments: ("python", SCRIPT) runs nbdkit's python plugin
    with SCRIPT, and key=value arguments reach the plugin's config."""
    p = run(["nbdkit", "--dump-plugin", plugin_so] + list(args))
    text = p.stdout.decode()
    d = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            d.setdefault(k, v)
    return d, text


class TempDirMixin:
    """setUpClass makes cls.tmpdir (tearDownClass removes it) and
    generates a plugin from each script in GENERATE, with the generator
    arguments GENERATE_ARGS; a test gets one with self.generated(script),
    which fails the test with the generator's message if generating
    failed."""

    GENERATE = ()
    GENERATE_ARGS = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmpdir = tempfile.mkdtemp(prefix="pyplugin-e2e-%s-" % cls.__name__)
        cls._generated = {}
        for path in cls.GENERATE:
            cls._generate(path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmpdir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def _generate(cls, path):
        if path not in cls._generated:
            outdir = tempfile.mkdtemp(prefix="gen-", dir=cls.tmpdir)
            try:
                cls._generated[path] = build_plugin(path, outdir,
                                                    *cls.GENERATE_ARGS)
            except AssertionError as e:
                cls._generated[path] = e
        return cls._generated[path]

    def generated(self, path):
        r = self._generate(path)
        if isinstance(r, BaseException):
            raise GenerateError(str(r)) from None
        return r


class TargetMixin(TempDirMixin):
    """Tests of one SCRIPT run one of three ways (TARGET):
      "generated"  the plugin pyplugin-gen makes from SCRIPT (made in
                   setUpClass; if that failed, each test fails with the
                   generator's message)
      "peer"       nbdkit python SCRIPT
      "seedpeer"   nbdkit python with the seed dialect adapter (SEED_PEER)
    """

    SCRIPT = None
    TARGET = None               # "generated", "peer" or "seedpeer"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.TARGET == "generated":
            cls._generate(cls.SCRIPT)

    def target_server(self, *config, **kw):
        """A Server (not started) for TARGET with config (key=value
        arguments); the keywords go to Server."""
        if self.TARGET == "generated":
            return Server(self.generated(self.SCRIPT), *config, **kw)
        if self.TARGET in ("peer", "seedpeer"):
            return peer_server(self.SCRIPT, *config,
                               seed=self.TARGET == "seedpeer", **kw)
        raise ValueError(self.TARGET)


def python_version():
    return "%d.%d.%d" % sys.version_info[:3]

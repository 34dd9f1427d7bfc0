# SPDX-License-Identifier: BSD-3-Clause
"""--import: run the script in a child process and look at what it defines.

By default pyplugin-gen only reads a script; a script that makes its
callbacks at run time (globals()[name] = ..., exec, a factory, a
decorator) cannot be checked that way.  With --import the script is run,
as nbdkit would run it when loading the plugin, in a child Python with a
stand-in `nbdkit` module, and each callback it has afterwards is examined
with inspect.signature.  introspect() returns what it found, leaving
the Script read from the source as it was; the caller checks (and the
plugin registers) exactly those callbacks, so the checks judge what
Python will call.

The child is the target Python (the one the plugin links, which may not
be the generator's own interpreter), runs the script as __main__ with
__file__ set to its file name and sys.path as the plugin would have it
(no script directory), with stdin from /dev/null and the script's output sent to stderr, and is
killed after IMPORT_TIMEOUT seconds.  Its report comes back as JSON on
its original stdout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from dataclasses import dataclass

from . import buildconfig, nbdkit_header
from .callbacks import BY_NAME
from .diagnostics import Diagnostics, note
from .reporter import with_article
from .script import Definition, Script, Signature


@dataclass(frozen=True)
class Imported:
    """What the script has after running: each callback name it binds
    then, in table order, pointed at where the source defines it."""

    callbacks: dict[str, Definition]


IMPORT_TIMEOUT = 60  # seconds; the PYPLUGIN_GEN_IMPORT_TIMEOUT variable wins

# The stand-in for the plugin's built-in nbdkit module: every helper the
# runtime may have, doing what it can without a server (there is no
# client connection while the script is loaded, so nothing here needs
# one).  The child keeps those the plugin will have with the installed
# nbdkit (nbdkit_header.python_helpers), as module.c does.
STAND_IN = r'''
import os as _os
import re as _re

def debug(msg):
    str(msg)

def export_name():
    raise RuntimeError("export_name: no export name here")

def set_error(err):
    int(err)

_SIZE = _re.compile(r"\s*([0-9]+)\s*([bBkKmMgGtTpPeE]?)\s*\Z")

def parse_size(s):
    m = _SIZE.match(s)
    if not m:
        raise ValueError("cannot parse size: %s" % s)
    shift = " kmgtpe".index(m.group(2).lower() or " ") if \
        m.group(2).lower() != "b" else 0
    size = int(m.group(1)) << (10 * shift)
    if size >= 1 << 63:
        raise ValueError("cannot parse size: %s" % s)
    return size

def parse_bool(s):
    v = s.strip().lower()
    if v in ("1", "true", "t", "yes", "y", "on"):
        return True
    if v in ("0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError("cannot parse boolean: %s" % s)

def shutdown():
    pass

def is_tls():
    raise RuntimeError("is_tls failed")

def _no_client(what):
    def helper():
        raise ValueError(what + " failed")
    helper.__name__ = what
    return helper

peer_pid = _no_client("peer_pid")
peer_uid = _no_client("peer_uid")
peer_gid = _no_client("peer_gid")
peer_security_context = _no_client("peer_security_context")
peer_tls_dn = _no_client("peer_tls_dn")
peer_tls_issuer_dn = _no_client("peer_tls_issuer_dn")

_DELAY = _re.compile(r"\s*([0-9]+(?:\.[0-9]*)?)\s*(s|ms|us|\u03bcs|ns)?\s*\Z")

def parse_delay(what, s):
    m = _DELAY.match(s)
    if not m:
        raise ValueError("%s: cannot parse delay: %s" % (what, s))
    ns = round(float(m.group(1)) * {None: 1e9, "s": 1e9, "ms": 1e6,
                                     "us": 1e3, "\u03bcs": 1e3,
                                     "ns": 1}[m.group(2)])
    return divmod(ns, 1000000000)

_RATIO = _re.compile(r"\s*([0-9.eE+-]+)\s*([:/])\s*([0-9.eE+-]+)\s*\Z")

def parse_probability(what, s):
    try:
        m = _RATIO.match(s)
        if m:
            p = float(m.group(1)) / float(m.group(3))
        elif s.strip().endswith("%"):
            p = float(s.strip()[:-1]) / 100
        else:
            p = float(s)
    except (ValueError, ZeroDivisionError):
        p = -1.0
    if not 0 <= p < float("inf"):
        raise ValueError("%s: cannot parse probability: %s" % (what, s))
    return p

def debug_hexdump(buf, prefix, start):
    memoryview(buf)

def debug_hexdiff(buf1, buf2, prefix, start):
    if len(memoryview(buf1).cast("B")) != len(memoryview(buf2).cast("B")):
        raise RuntimeError("debug_hexdiff: the buffers differ in length")

def name():
    return None

def timestamp():
    import datetime
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")

def stdio_safe():
    return True

def absolute_path(path):
    return _os.path.abspath(path)

def realpath(path):
    return _os.path.realpath(path)

def read_password(value):
    return _os.fsencode(value)

def nanosleep(sec, nsec):
    return True

def disconnect(force):
    bool(force)
'''

# Run by the child: sys.argv = [-c, path, filename, request]; the source
# comes on stdin.
_CHILD = r'''
import inspect, json, os, sys, traceback, types

path, filename, request = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
source = sys.stdin.buffer.read()
result_fd = os.dup(1)
os.dup2(2, 1)  # what the script prints goes to stderr, not the report
devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(devnull, 0)
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]  # -c put the current directory first; the plugin has
    # no such entry (nor the script's directory)

nbdkit = types.ModuleType("nbdkit")
exec(request["stand_in"], nbdkit.__dict__)
if request["helpers"] is not None:
    for name, value in list(vars(nbdkit).items()):
        if callable(value) and not name.startswith("_") and \
                name not in request["helpers"]:
            delattr(nbdkit, name)
for k, v in (request["constants"] or {}).items():
    setattr(nbdkit, k, v)
sys.modules["nbdkit"] = nbdkit

main = types.ModuleType("__main__")
main.__file__ = filename
main.__builtins__ = __builtins__
sys.modules["__main__"] = main

def signature(obj):
    try:
        sig = inspect.signature(obj, follow_wrapped=False)
    except (TypeError, ValueError):
        return None
    P = inspect.Parameter
    positional = required = 0
    varargs = False
    kwonly = []
    for p in sig.parameters.values():
        if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD):
            positional += 1
            required += p.default is P.empty
        elif p.kind is P.VAR_POSITIONAL:
            varargs = True
        elif p.kind is P.KEYWORD_ONLY and p.default is P.empty:
            kwonly.append(p.name)
    return [positional, required, varargs, kwonly]

def describe(obj):
    info = {"callable": callable(obj), "type": type(obj).__name__}
    if not info["callable"]:
        return info
    info["lambda"] = getattr(obj, "__name__", None) == "<lambda>"
    info["async"] = inspect.iscoroutinefunction(obj) or \
        inspect.isasyncgenfunction(obj)
    info["generator"] = inspect.isgeneratorfunction(obj)
    info["signature"] = signature(obj)
    code = getattr(obj, "__code__", None)
    if code is None:
        code = getattr(getattr(obj, "__call__", None), "__code__", None)
    if code is not None and code.co_filename == path:
        info["line"] = code.co_firstlineno
    return info

def where(tb):
    frames = traceback.extract_tb(tb)
    mine = [f for f in frames if f.filename == path]
    line = mine[-1].lineno if mine else None
    last = frames[-1] if frames else None
    return line, (last.filename, last.lineno) if last else None

report = {}
try:
    exec(compile(source, path, "exec", dont_inherit=True), main.__dict__)
except BaseException as e:
    line, last = where(e.__traceback__)
    report["error"] = {"type": type(e).__name__, "message": str(e),
                       "line": line, "last": last}
else:
    names = {}
    for name in request["names"]:
        if name in main.__dict__:
            names[name] = describe(main.__dict__[name])
    report["names"] = names
    api = {}
    if "API_VERSION" in main.__dict__:
        api["API_VERSION"] = repr(main.API_VERSION)
    if callable(main.__dict__.get("api_version")):
        try:
            api["api_version"] = repr(main.api_version())
        except BaseException as e:
            api["api_version"] = "raised %s" % type(e).__name__
    report["api"] = api
sys.stdout.flush()
sys.stderr.flush()
os.write(result_fd, json.dumps(report).encode())
os._exit(0)
'''


def timeout() -> float:
    try:
        return float(os.environ["PYPLUGIN_GEN_IMPORT_TIMEOUT"])
    except (KeyError, ValueError):
        return IMPORT_TIMEOUT


def run_child(script: Script) -> tuple[dict | None, str, str | None]:
    """(report, the child's stderr, a failure message or None)."""
    try:
        record = nbdkit_header.load()
        helpers = nbdkit_header.python_helpers(record)
        constants = record.constants
    except nbdkit_header.RecordError:
        helpers = constants = None  # check_against_header reports it
    request = {"names": list(BY_NAME), "stand_in": STAND_IN,
               "constants": constants, "helpers": helpers}
    command = [buildconfig.PYTHON, "-c", _CHILD, script.path, script.filename,
               json.dumps(request)]
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    limit = timeout()
    try:
        proc = subprocess.run(command, input=script.source,
                              capture_output=True, env=env, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, "", (f"importing the script did not finish within "
                          f"{limit:g} seconds")
    except OSError as e:
        return None, "", f"cannot run {buildconfig.PYTHON}: {e.strerror}"
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        return None, stderr, f"importing the script killed Python ({name})"
    try:
        report = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        return None, stderr, (f"importing the script ended Python without "
                              f"a report (exit status {proc.returncode})")
    return report, stderr, None


def introspect(script: Script, diags: Diagnostics) -> Imported | None:
    """Import the script and say which callbacks it has after running;
    script is not changed.  None (with an error reported) if the import
    failed."""
    report, stderr, failure = run_child(script)
    path = script.path
    if failure is not None:
        notes = _stderr_notes(path, stderr)
        diags.error(path, 1, 1, failure, notes=notes, rule="import-failed")
        return None
    assert report is not None
    if "error" in report:
        e = report["error"]
        message = f"importing the script raised {e['type']}"
        if e["message"]:
            message += f": {_one_line(e['message'])}"
        notes = []
        last = e.get("last")
        if last and (last[0] != path or last[1] != e["line"]):
            notes.append(note(last[0], last[1], 0, "raised here"))
        line = e["line"] or 1
        diags.error(path, line, _indent(script, line), message, notes=notes,
                    rule="import-failed")
        return None
    _compare_api(script, report.get("api", {}), diags)
    return Imported(_definitions(script, report["names"]))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _indent(script: Script, line: int) -> int:
    if 1 <= line <= len(script.lines):
        text = script.lines[line - 1]
        return len(text) - len(text.lstrip()) + 1
    return 1


def _stderr_notes(path: str, stderr: str) -> list:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return [note(path, 0, 0, f"the script's output ended: {lines[-1]}")] \
        if lines else []


def _definitions(script: Script, names: dict) -> dict[str, Definition]:
    """The child's description of each callback, as a Definition."""
    found = {}
    for name in BY_NAME:
        info = names.get(name)
        if info is None:
            continue
        line, col, length = _location(script, name, info)
        where = dict(name=name, line=line, col=col, length=length)
        if not info["callable"]:
            t = info["type"]
            what = "None" if t == "NoneType" else with_article(t)
            d = Definition(kind="literal", signature=None, what=what, **where)
        elif info["signature"] is None:
            t = info["type"]
            d = Definition(kind="other", signature=None,
                           what=f"{with_article(t)} whose parameters Python "
                           "cannot tell", **where)
        else:
            p, r, v, k = info["signature"]
            d = Definition(kind="lambda" if info["lambda"] else "def",
                           signature=Signature(p, r, v, tuple(k)),
                           is_async=info["async"],
                           generator=info["generator"], **where)
        found[name] = d
    return found


def _location(script: Script, name: str, info: dict) -> tuple[int, int, int]:
    """Where to point for a callback found by importing: its code's first
    line if that is in the script, else where the source binds the name,
    else the first construct that binds names dynamically."""
    line = info.get("line")
    if line and 1 <= line <= len(script.lines):
        text = script.lines[line - 1]
        m = re.search(r"\b(?:def|class)\s+(\w+)", text)
        if m:
            return line, m.start(1) + 1, len(m.group(1))
        return line, _indent(script, line), 1
    static = script.candidates.get(name)
    if static:
        d = static[-1]
        return d.line, d.col, d.length
    if script.dynamic:
        line, col, _ = script.dynamic[0]
        return line, col, 1
    return 1, 1, 1


def _compare_api(script: Script, api: dict, diags: Diagnostics) -> None:
    """The API version must be what the source declares literally."""
    if not script.dialect_known:
        return
    declared = {}
    for form in ("API_VERSION", "api_version"):
        if script.candidates.get(form):
            declared[form] = repr(script.dialect.api_version)
    if declared != api:
        have = ", ".join(
            f"{form}{'()' if form == 'api_version' else ''} is {v}"
            for form, v in sorted(api.items())) or "nothing declares it"
        diags.error(script.path, 1, 1,
                    "after importing the script its API version is not the "
                    f"one its source declares ({have}); declare it once, "
                    "as a literal: API_VERSION = 2", rule="api-declaration")

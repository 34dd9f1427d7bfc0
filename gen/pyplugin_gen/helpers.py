# SPDX-License-Identifier: BSD-3-Clause
"""The helpers of the plugin's built-in nbdkit module, one row each.

This table is the one description of the module's functions: make
writes its rows for the installed nbdkit into the runtime's C header
(header_record.c_header: the method table of runtime/module.c, with
each helper's flags and docstring, comes from here), the generator
checks scripts' calls against it, and the type stubs are printed from
it.  A helper exists where the installed nbdkit's header declares its
C function (`c_function`); a row whose function the header lacks is
left out of the module, and a script calling it gets a diagnostic
(check_helper_calls in check.py).

Each helper takes its arguments by position only (as `nbdkit python`'s
do) and has the Python signature and result type of the helper of the
same name in nbdkit's own Python plugin, where that plugin has it.

Row fields:

  name        the Python name: nbdkit.NAME
  c_function  the nbdkit_* function it wraps; the helper exists exactly
              where the header declares it
  params      its parameters, in order (positional-only)
  result      the type of its result, as a Python annotation
  doc         its docstring (one line, our words)
  load_time   True when a script may call it while it loads (module
              level, or config): it needs no client connection
  raises      the exception it raises when nbdkit reports a failure
              (None: it does not fail)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .nbdkit_header import Record

# A bytes-like object: anything with the buffer protocol.
BUFFER = "bytes | bytearray | memoryview"


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # a Python annotation


@dataclass(frozen=True)
class Helper:
    name: str
    c_function: str
    params: tuple[Param, ...]
    result: str
    doc: str
    load_time: bool
    raises: str | None = None

    @property
    def signature(self) -> str:
        """The stub's spelling: '(what: str, s: str, /) -> float'."""
        params = ", ".join(f"{p.name}: {p.type}" for p in self.params)
        if params:
            params += ", /"
        return f"({params}) -> {self.result}"

    @property
    def meth_flags(self) -> str:
        """The PyMethodDef flags of its C function."""
        return "METH_VARARGS" if self.params else "METH_NOARGS"


def _p(spec: str) -> tuple[Param, ...]:
    """'what: str, s: str' -> the parameters."""
    out = []
    for part in filter(None, (s.strip() for s in spec.split(","))):
        name, type_ = part.split(":", 1)
        out.append(Param(name.strip(), type_.strip()))
    return tuple(out)


def _row(name: str, params: str, result: str, doc: str, load_time: bool,
         raises: str | None = None) -> Helper:
    return Helper(name, f"nbdkit_{name}", _p(params), result, doc,
                  load_time, raises)


def _p_buffers(*names: str) -> str:
    return ", ".join(f"{n}: {BUFFER}" for n in names)


HELPERS: tuple[Helper, ...] = (
    _row("debug", "msg: str", "None",
         "Log a debug message (shown with nbdkit -v).", True),
    _row("debug_hexdump", f"{_p_buffers('buf')}, prefix: str | None, "
         "start: int", "None",
         "Log a buffer as a hex dump, its offsets counted from start.", True),
    _row("debug_hexdiff", f"{_p_buffers('buf1', 'buf2')}, "
         "prefix: str | None, start: int", "None",
         "Log where two buffers of equal length differ, as a hex dump.",
         True, "RuntimeError"),
    _row("export_name", "", "str",
         "The export name the client asked for.", False, "RuntimeError"),
    _row("set_error", "err: int", "None",
         "The errno the client gets when this callback raises.", False),
    _row("shutdown", "", "None",
         "Ask nbdkit to shut down (it does so once the call returns).", True),
    _row("disconnect", "force: bool", "None",
         "Drop the current client: at once with force, else once its "
         "requests in flight are done.", False),
    _row("parse_size", "s: str", "int",
         "Parse a size such as '100M' into bytes.", True, "ValueError"),
    _row("parse_bool", "s: str", "bool",
         "Parse a boolean such as 'on' or 'false'.", True, "ValueError"),
    _row("parse_delay", "what: str, s: str", "tuple[int, int]",
         "Parse a delay such as '10ms' into (seconds, nanoseconds); "
         "what names the setting in errors.", True, "ValueError"),
    _row("parse_probability", "what: str, s: str", "float",
         "Parse a probability such as '10%' or '1:10'; what names the "
         "setting in errors.", True, "ValueError"),
    _row("is_tls", "", "bool",
         "Whether the client connection uses TLS.", False, "RuntimeError"),
    _row("peer_pid", "", "int",
         "The client's process ID (Unix socket clients).", False,
         "ValueError"),
    _row("peer_uid", "", "int",
         "The client's user ID (Unix socket clients).", False, "ValueError"),
    _row("peer_gid", "", "int",
         "The client's group ID (Unix socket clients).", False, "ValueError"),
    _row("peer_security_context", "", "str",
         "The client's security context (an SELinux label, say).", False,
         "ValueError"),
    _row("peer_tls_dn", "", "str",
         "The Distinguished Name of the client's TLS certificate.", False,
         "ValueError"),
    _row("peer_tls_issuer_dn", "", "str",
         "The Distinguished Name of the issuer of the client's TLS "
         "certificate.", False, "ValueError"),
    _row("stdio_safe", "", "bool",
         "Whether the plugin may use stdin and stdout while configured.",
         True),
    _row("absolute_path", "path: str", "str",
         "A path made absolute, relative to nbdkit's start directory.", True,
         "OSError"),
    _row("realpath", "path: str", "str",
         "A path resolved, relative to nbdkit's start directory.", True,
         "OSError"),
    _row("read_password", "value: str", "bytes",
         "Read a password given as a setting ('-', '+FILE', '-FD' or the "
         "password itself).", True, "ValueError"),
    # nbdkit 1.32's nbdkit_nanosleep aborts outside a connection.
    _row("nanosleep", "sec: int, nsec: int", "bool",
         "Sleep, waking early when nbdkit shuts down or the client goes; "
         "False if woken early.", False),
    _row("name", "", "str | None",
         "The name of this nbdkit instance (nbdkit --name), or None.", True),
    _row("timestamp", "", "str",
         "A timestamp for log messages.", True),
)

BY_NAME: dict[str, Helper] = {h.name: h for h in HELPERS}
BY_C_FUNCTION: dict[str, Helper] = {h.c_function: h for h in HELPERS}


def available(record: Record) -> list[Helper]:
    """The helpers the module has with this record of nbdkit's header,
    sorted by name."""
    return sorted((h for h in HELPERS if h.c_function in record.functions),
                  key=lambda h: h.name)


def missing(record: Record) -> list[Helper]:
    """The helpers this nbdkit's header lacks the functions of."""
    return [h for h in HELPERS if h.c_function not in record.functions]


def _check_table() -> None:
    assert len(BY_NAME) == len(HELPERS), "a helper name repeats"
    for h in HELPERS:
        assert h.c_function.startswith("nbdkit_"), h
        assert h.doc.endswith("."), h
        assert len({p.name for p in h.params}) == len(h.params), h


_check_table()

"""The callback table: the one description of every nbdkit callback.

Each entry says, once, what nbdkit's C plugin API calls (the C signature of
the field in ``struct nbdkit_plugin`` at NBDKIT_API_VERSION 2), what the
Python script is called with in each dialect, how the result is converted,
and what happens when the script leaves the callback out.  The template,
the checks, the docs and the tests all read this table.

The ``PyObject_CallFunction`` format string of each call is derived here
from the Python parameter names (see ``PY_ARGS``), so it cannot drift from
the signature it serves.  Every format is parenthesised, so that it always
builds the argument tuple: with a format of one unit, PyObject_CallFunction
takes a tuple value as the whole argument list, and a handle that is a
tuple would reach the callback unpacked.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Dialect(enum.Enum):
    """How a script talks to nbdkit (README.md, "The three dialects")."""

    API1 = "api1"
    SEED = "seed"
    RELEASED = "released"

    @property
    def api_version(self) -> int:
        return 1 if self is Dialect.API1 else 2

    @property
    def declaration(self) -> str:
        """How a script declares this dialect, for messages."""
        return {
            Dialect.API1: "API 1 (no API declaration)",
            Dialect.SEED: "API 2 (def api_version(): return 2)",
            Dialect.RELEASED: "API 2 (API_VERSION = 2)",
        }[self]

    @property
    def title(self) -> str:
        """Its short name, for the manual."""
        return {Dialect.API1: "API 1", Dialect.SEED: "API 2 seed",
                Dialect.RELEASED: "API 2 released"}[self]


class Result(enum.Enum):
    """How the Python return value becomes the C return value.

    Each kind names one conversion function in runtime/convert.c.
    """

    NONE = "none"
    HANDLE = "handle"
    BOOL = "bool"
    FUA = "fua"
    CACHE = "cache"
    THREAD_MODEL = "thread_model"
    SIZE = "size"
    BUFFER = "buffer"
    STRING = "string"
    EXPORTS = "exports"
    EXTENTS = "extents"
    BLOCK_SIZE = "block_size"
    ZERO = "zero"

    @property
    def returns(self) -> str:
        """What the script returns, for the manual."""
        return _RETURNS[self]


_RETURNS = {
    Result.NONE: "nothing (a result is ignored)",
    Result.HANDLE: "the connection's handle, any object",
    # nbdkit python takes only `is True` as true.
    Result.BOOL: "a truth value (Python truthiness)",
    Result.FUA: "nbdkit.FUA_NONE, FUA_EMULATE or FUA_NATIVE",
    Result.CACHE: "nbdkit.CACHE_NONE, CACHE_EMULATE or CACHE_NATIVE",
    Result.THREAD_MODEL: "one of nbdkit.THREAD_MODEL_*",
    Result.SIZE: "a non-negative integer that fits in int64_t",
    Result.BUFFER: "an object with the buffer protocol, at least count "
                   "bytes (a longer one is cut)",
    Result.STRING: "a str",
    Result.EXPORTS: "an iterable of names or (name, description) pairs",
    Result.EXTENTS: "an iterable of (offset, length, type) triples",
    Result.BLOCK_SIZE: "(minimum, preferred, maximum)",
    Result.ZERO: "nothing; nbdkit.set_error(errno.EOPNOTSUPP) before "
                 "raising makes nbdkit fall back to pwrite",
}


# Result kinds that fill in C parameters rather than return a value.
RESULT_PARAMS: dict[Result, tuple[str, ...]] = {
    Result.BUFFER: ("buf", "count"),
    Result.EXPORTS: ("exports",),
    Result.EXTENTS: ("extents",),
    Result.BLOCK_SIZE: ("minimum", "preferred", "maximum"),
}


@dataclass(frozen=True)
class PyArg:
    """How one Python parameter is passed: format unit and C expression."""

    unit: str
    expr: str


# Python parameter name -> how the C wrapper passes it.  `buf` is special:
# it becomes a memoryview on nbdkit's buffer, writable when the C parameter
# is `void *` and read-only when it is `const void *` (see Callback.view).
PY_ARGS: dict[str, PyArg] = {
    "h": PyArg("O", "h"),
    "key": PyArg("s", "key"),
    "value": PyArg("s", "value"),
    "readonly": PyArg("O", "pyp_bool (readonly)"),
    "is_tls": PyArg("O", "pyp_bool (is_tls)"),
    "count": PyArg("I", "count"),
    "offset": PyArg("K", "offset"),
    "flags": PyArg("I", "flags"),
    "may_trim": PyArg("O", "pyp_bool (flags & NBDKIT_FLAG_MAY_TRIM)"),
    "buf": PyArg("O", "view"),
}


@dataclass(frozen=True)
class Gate:
    """The operation a can_X answer offers clients: nbdkit calls it when
    can_X returns true (or, for an enum answer, one of values)."""

    operation: str  # the callback nbdkit then calls
    requests: str  # what the client sends, for messages
    values: tuple[str, ...] = ()  # nbdkit constants that offer it


@dataclass(frozen=True)
class Missing:
    """What the plugin does for an operation the script leaves out while
    a can_X callback offers it, as `nbdkit python` does."""

    c: str  # the C expression the wrapper returns
    client: str  # what the client gets, for messages


# nbdkit python fails an operation it has no function for with EIO.
NOT_DEFINED = "pyp_not_defined ({name})"


@dataclass(frozen=True)
class CParam:
    type: str
    name: str

    def declaration(self) -> str:
        sep = "" if self.type.endswith("*") else " "
        return f"{self.type}{sep}{self.name}"


@dataclass(frozen=True)
class Callback:
    """One row of the table."""

    name: str
    c_return: str
    c_params: tuple[CParam, ...]
    # Python parameters in each dialect; one tuple when all dialects agree.
    py_params: dict[Dialect, tuple[str, ...]]
    result: dict[Dialect, Result]
    required: bool = False
    # What nbdkit (and so `nbdkit python`) does when the script omits it.
    default: str = ""
    # The wrapper is registered even when the script omits the callback,
    # because the runtime has work to do there (see the template).
    always: bool = False
    # nbdkit may call it although the script failed to load (it comes
    # before config_complete, or --dump-plugin calls it): the call fails
    # without running anything of the script, and nbdkit exits.
    check_loaded: bool = False
    summary: str = ""
    # can_X: the operation its answer offers.
    gate: Gate | None = None
    # An operation a Gate names: what the plugin does without it.
    missing: Missing | None = None

    def params(self, dialect: Dialect) -> tuple[str, ...]:
        return self.py_params[dialect]

    def missing_expression(self) -> str:
        """The C the wrapper returns when the script lacks it."""
        assert self.missing is not None, self.name
        return self.missing.c.format(name=f'"{self.name}"')

    def missing_unused(self) -> tuple[str, ...]:
        """C parameters missing_expression does not use."""
        used = set(re.findall(r"[A-Za-z_]\w*", self.missing_expression()))
        return tuple(p.name for p in self.c_params if p.name not in used)

    def call_args(self, dialect: Dialect) -> tuple[PyArg, ...]:
        return tuple(PY_ARGS[p] for p in self.params(dialect))

    def format(self, dialect: Dialect) -> str:
        """The PyObject_CallFunction format string for this dialect:
        always a tuple, "(O)" and not "O", whatever the number of units."""
        return "(" + "".join(a.unit for a in self.call_args(dialect)) + ")"

    def call_expression(self, dialect: Dialect) -> str:
        """The C call of the script's function, NAME_fn, in this dialect."""
        args = "".join(f", {a.expr}" for a in self.call_args(dialect))
        return (f'PyObject_CallFunction ({self.name}_fn, '
                f'"{self.format(dialect)}"{args})')

    def view(self, dialect: Dialect) -> str | None:
        """'write' or 'read' if `buf` is passed as a memoryview, else None."""
        if "buf" not in self.params(dialect):
            return None
        buf = next(p for p in self.c_params if p.name == "buf")
        return "read" if buf.type.startswith("const") else "write"

    def unused_params(self, dialect: Dialect) -> tuple[str, ...]:
        """C parameters this dialect's call does not pass on."""
        used = set(self.result_params(dialect))
        for arg in self.call_args(dialect):
            used.update(re.findall(r"[A-Za-z_]\w*", arg.expr))
        if self.view(dialect):
            used.update(("buf", "count"))
        if self.has_handle():
            used.add("handle")
        return tuple(p.name for p in self.c_params if p.name not in used)

    def has_handle(self) -> bool:
        return any(p.name == "handle" for p in self.c_params)

    def c_param_list(self) -> str:
        return ", ".join(p.declaration() for p in self.c_params) or "void"

    def c_signature(self) -> str:
        return f"{self.c_return} (*{self.name}) ({self.c_param_list()})"

    def result_params(self, dialect: Dialect) -> tuple[str, ...]:
        """C parameters the result conversion writes to."""
        return RESULT_PARAMS.get(self.result[dialect], ())

    def python_signature(self, dialect: Dialect) -> str:
        return f"{self.name}({', '.join(self.params(dialect))})"

    def signatures(self) -> list[tuple[tuple[Dialect, ...], tuple[str, ...]]]:
        """The Python parameters, each with the dialects that use them,
        in dialect order: one entry when every dialect agrees."""
        out: dict[tuple[str, ...], list[Dialect]] = {}
        for d in Dialect:
            out.setdefault(self.params(d), []).append(d)
        return [(tuple(ds), params) for params, ds in out.items()]


def _all(params: tuple[str, ...]) -> dict[Dialect, tuple[str, ...]]:
    return {d: params for d in Dialect}


def _same(result: Result) -> dict[Dialect, Result]:
    return {d: result for d in Dialect}


def _p(*pairs: str) -> tuple[CParam, ...]:
    """C parameters written as "type name" strings, split on the last space
    or star so that pointer types stay whole."""
    out = []
    for pair in pairs:
        cut = max(pair.rfind(" "), pair.rfind("*")) + 1
        out.append(CParam(pair[:cut].strip(), pair[cut:]))
    return tuple(out)


NO_ARGS = _all(())
HANDLE = _all(("h",))
HANDLE_C = _p("void *handle")


def _can(name: str, default: str, result: Result = Result.BOOL,
         gate: Gate | None = None) -> Callback:
    return Callback(
        name, "int", HANDLE_C, HANDLE, _same(result), default=default,
        summary=f"answers {name} during negotiation", gate=gate,
    )


def _data(name: str, api1: tuple[str, ...], api2: tuple[str, ...],
          c_params: tuple[CParam, ...], result: Result, default: str,
          summary: str, seed: tuple[str, ...] | None = None,
          results: dict[Dialect, Result] | None = None,
          required: bool = False,
          missing: Missing | None = None) -> Callback:
    return Callback(
        name, "int", c_params,
        {Dialect.API1: api1, Dialect.SEED: seed or api2,
         Dialect.RELEASED: api2},
        results or _same(result), required=required, default=default,
        summary=summary, missing=missing,
    )


EIO = Missing(NOT_DEFINED, "fail with EIO")


COUNT_OFFSET_FLAGS = _p("void *handle", "uint32_t count", "uint64_t offset",
                        "uint32_t flags")

CALLBACKS: tuple[Callback, ...] = (
    Callback("dump_plugin", "void", (), NO_ARGS, _same(Result.NONE),
             always=True, default="nbdkit prints only its own fields",
             summary="adds lines to nbdkit --dump-plugin"),
    Callback("config", "int", _p("const char *key", "const char *value"),
             _all(("key", "value")), _same(Result.NONE),
             default="nbdkit rejects any key=value parameter", check_loaded=True,
             summary="receives each key=value parameter"),
    Callback("config_complete", "int", (), NO_ARGS, _same(Result.NONE),
             always=True, default="nothing to check", check_loaded=True,
             summary="runs after the last parameter"),
    Callback("thread_model", "int", (), NO_ARGS, _same(Result.THREAD_MODEL),
             default="serialize_all_requests", check_loaded=True,
             summary="narrows the thread model"),
    Callback("get_ready", "int", (), NO_ARGS, _same(Result.NONE),
             always=True, default="nothing to do",
             summary="runs before nbdkit forks and serves"),
    Callback("after_fork", "int", (), NO_ARGS, _same(Result.NONE),
             always=True, default="nothing to do",
             summary="runs after nbdkit forks into the background"),
    Callback("cleanup", "void", (), NO_ARGS, _same(Result.NONE),
             default="nothing to do", summary="runs once before unload"),
    Callback("list_exports", "int",
             _p("int readonly", "int is_tls",
                "struct nbdkit_exports *exports"),
             _all(("readonly", "is_tls")), _same(Result.EXPORTS),
             default="one export, the default one",
             summary="lists the export names"),
    Callback("default_export", "const char *",
             _p("int readonly", "int is_tls"), _all(("readonly", "is_tls")),
             _same(Result.STRING), default='""',
             summary="names the default export"),
    Callback("preconnect", "int", _p("int readonly"), _all(("readonly",)),
             _same(Result.NONE), default="every client is accepted",
             summary="vets a client before negotiation"),
    Callback("open", "void *", _p("int readonly"), _all(("readonly",)),
             _same(Result.HANDLE), required=True,
             summary="returns the connection's handle"),
    Callback("close", "void", HANDLE_C, HANDLE, _same(Result.NONE),
             always=True, default="the handle is released",
             summary="ends a connection"),
    Callback("export_description", "const char *", HANDLE_C, HANDLE,
             _same(Result.STRING), default="no description",
             summary="describes the export"),
    Callback("get_size", "int64_t", HANDLE_C, HANDLE, _same(Result.SIZE),
             required=True, summary="returns the size in bytes"),
    Callback("block_size", "int",
             _p("void *handle", "uint32_t *minimum", "uint32_t *preferred",
                "uint32_t *maximum"),
             HANDLE, _same(Result.BLOCK_SIZE), default="no constraints",
             summary="returns (minimum, preferred, maximum)"),
    _can("is_rotational", "false"),
    _can("can_multi_conn", "false"),
    _can("can_write", "true if pwrite is defined",
         gate=Gate("pwrite", "writes")),
    _can("can_flush", "true if flush is defined",
         gate=Gate("flush", "flush requests")),
    _can("can_trim", "true if trim is defined",
         gate=Gate("trim", "trim requests")),
    _can("can_zero", "true if zero is defined"),
    _can("can_fast_zero", "true if zero is absent or can_zero is false"),
    # FUA_EMULATE: nbdkit follows each write with FUA by a flush.
    _can("can_fua", "FUA_EMULATE if flush is defined, else FUA_NONE",
         Result.FUA, Gate("flush", "writes with FUA", ("FUA_EMULATE",))),
    _can("can_cache", "CACHE_NATIVE if cache is defined, else CACHE_NONE",
         Result.CACHE, Gate("cache", "cache requests", ("CACHE_NATIVE",))),
    _can("can_extents", "true if extents is defined",
         gate=Gate("extents", "block status requests")),
    _data("pread", ("h", "count", "offset"), ("h", "buf", "offset", "flags"),
          _p("void *handle", "void *buf", "uint32_t count",
             "uint64_t offset", "uint32_t flags"),
          Result.NONE, "", "reads count bytes at offset",
          seed=("h", "count", "offset", "flags"),
          results={Dialect.API1: Result.BUFFER, Dialect.SEED: Result.BUFFER,
                   Dialect.RELEASED: Result.NONE},
          required=True),
    _data("pwrite", ("h", "buf", "offset"), ("h", "buf", "offset", "flags"),
          _p("void *handle", "const void *buf", "uint32_t count",
             "uint64_t offset", "uint32_t flags"),
          Result.NONE, "the export is read-only", "writes buf at offset",
          missing=EIO),
    _data("flush", ("h",), ("h", "flags"), _p("void *handle",
                                              "uint32_t flags"),
          Result.NONE, "flush is not offered", "flushes to stable storage",
          missing=EIO),
    _data("trim", ("h", "count", "offset"), ("h", "count", "offset", "flags"),
          COUNT_OFFSET_FLAGS, Result.NONE, "trim is not offered",
          "punches a hole", missing=EIO),
    _data("zero", ("h", "count", "offset", "may_trim"),
          ("h", "count", "offset", "flags"), COUNT_OFFSET_FLAGS, Result.ZERO,
          "nbdkit writes zeroes with pwrite", "writes zeroes"),
    _data("cache", ("h", "count", "offset", "flags"),
          ("h", "count", "offset", "flags"), COUNT_OFFSET_FLAGS, Result.NONE,
          "cache is not offered", "prefetches a range", missing=EIO),
    _data("extents", ("h", "count", "offset", "flags"),
          ("h", "count", "offset", "flags"),
          _p("void *handle", "uint32_t count", "uint64_t offset",
             "uint32_t flags", "struct nbdkit_extents *extents"),
          Result.EXTENTS, "the whole disk is reported as data",
          "reports allocation",
          # As nbdkit's own default: the range is all data.
          missing=Missing("nbdkit_add_extent (extents, offset, count, 0)",
                          "get the whole range reported as data")),
)

BY_NAME: dict[str, Callback] = {cb.name: cb for cb in CALLBACKS}
REQUIRED: tuple[str, ...] = tuple(cb.name for cb in CALLBACKS if cb.required)


def builds_tuple(fmt: str) -> bool:
    """True if a Py_BuildValue format is one parenthesised group, so that
    what it builds is always a tuple."""
    if not fmt.startswith("("):
        return False
    depth = 0
    for i, c in enumerate(fmt):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0:
            return i == len(fmt) - 1
    return False


def _validate() -> None:
    """Check the table against itself when it is imported."""
    assert len(BY_NAME) == len(CALLBACKS), "duplicate callback name"
    for cb in CALLBACKS:
        c_names = {p.name for p in cb.c_params}
        assert set(cb.py_params) == set(Dialect), cb.name
        assert set(cb.result) == set(Dialect), cb.name
        for dialect in Dialect:
            params = cb.params(dialect)
            for p in params:
                assert p in PY_ARGS, f"{cb.name}: unknown parameter {p}"
            if cb.has_handle():
                assert params[:1] == ("h",), f"{cb.name}: h comes first"
            # Every C name a Python argument uses must be a C parameter.
            for arg in cb.call_args(dialect):
                for word in ("key", "value", "readonly", "is_tls", "count",
                             "offset", "flags"):
                    if word in arg.expr.replace("(", " ").split():
                        assert word in c_names, f"{cb.name}: {word}"
            assert builds_tuple(cb.format(dialect)), cb.name
            assert len(cb.format(dialect)) - 2 == len(params), cb.name
            if "buf" in params:
                assert {"buf", "count"} <= c_names, cb.name
            assert set(cb.result_params(dialect)) <= c_names, cb.name
        assert not (cb.required and cb.always), cb.name
        assert not cb.check_loaded or cb.c_return == "int", cb.name
        if cb.gate is not None:
            assert BY_NAME[cb.gate.operation].missing, cb.name
            assert cb.result[Dialect.API1] in (Result.BOOL, Result.FUA,
                                               Result.CACHE), cb.name
            assert bool(cb.gate.values) == (
                cb.result[Dialect.API1] is not Result.BOOL), cb.name


_validate()

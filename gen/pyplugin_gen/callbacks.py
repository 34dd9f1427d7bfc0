# SPDX-License-Identifier: BSD-3-Clause
"""The callback table: the one description of every nbdkit callback.

Each entry says, once, what nbdkit's C plugin API calls (the C signature of
the field in ``struct nbdkit_plugin`` at NBDKIT_API_VERSION 2), what the
Python script is called with in each dialect, how the result is converted,
and what happens when the script leaves the callback out.  The template,
the checks, the docs and the tests all read this table.

Rows are records: every behaviour of a callback's wrapper is a field
(a check that the script loaded, a runtime hook before or after the
call, the result kind, the operation a can_X offers), so that the
template renders one shape for every row and never branches on a name.
Adding a callback is adding a row; a new parameter kind is one entry of
C_UNITS or SPECIAL_ARGS; a new result kind one Result and its runtime
function pyp_result_KIND.

The format string of each call (runtime/convert.c's pyp_call, which
reads Py_BuildValue's units) is derived here from the C types of the
parameters it passes (C_UNITS), so it cannot drift from the signature it
serves.  Every format is parenthesised, as PyObject_CallFunction needs
(with a format of one unit it takes a tuple value as the whole argument
list, so a handle that is a tuple would reach the callback unpacked), so
that fmtcheck holds pyp_call's formats to the same rule.
"""

from __future__ import annotations

import enum
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
    def how(self) -> str:
        """What a script writes to be in this dialect, for messages."""
        return {
            Dialect.API1: "no API declaration",
            Dialect.SEED: "def api_version(): return 2",
            Dialect.RELEASED: "API_VERSION = 2",
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

    @property
    def annotation(self) -> str:
        """What the script returns, as a Python annotation (the type
        stubs)."""
        return _ANNOTATIONS[self]


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


class Where(enum.Enum):
    """Which interpreter runs a callback in a plugin built with one
    interpreter per connection (README.md, "One interpreter per
    connection"); with one interpreter, the only one runs them all."""

    # The main interpreter: callbacks of the process, not of a client.
    PROCESS = "process"
    # The connection's interpreter, which the thread's first callback for
    # the connection takes from the pool (the handle's, once it exists).
    CONNECTION = "connection"


# What each Python parameter of a callback is, for messages and the
# type stubs: (Python type, meaning).
PARAMS: dict[str, tuple[str, str]] = {
    "h": ("Any", "the handle open returned"),
    "buf": ("memoryview", "nbdkit's buffer, a memoryview: pread fills it, "
            "pwrite reads it"),
    "count": ("int", "the number of bytes"),
    "offset": ("int", "the offset in bytes"),
    "flags": ("int", "nbdkit.FLAG_* bits"),
    "may_trim": ("bool", "whether the zeroed range may be trimmed"),
    "readonly": ("bool", "whether the connection is read-only"),
    "is_tls": ("bool", "whether the connection uses TLS"),
    "key": ("str", "the parameter's key"),
    "value": ("str", "the parameter's value"),
}

_ANNOTATIONS = {
    Result.NONE: "None",
    Result.HANDLE: "Any",
    Result.BOOL: "object",  # any truth value
    Result.FUA: "int",
    Result.CACHE: "int",
    Result.THREAD_MODEL: "int",
    Result.SIZE: "int",
    Result.BUFFER: "bytes | bytearray | memoryview",
    Result.STRING: "str",
    Result.EXPORTS: "Iterable[str | tuple[str, str]]",
    Result.EXTENTS: "Iterable[tuple[int, int, int]]",
    Result.BLOCK_SIZE: "tuple[int, int, int]",
    Result.ZERO: "None",
}

# Result kinds that fill in C parameters rather than return a value.
RESULT_PARAMS: dict[Result, tuple[str, ...]] = {
    Result.BUFFER: ("buf", "count"),
    Result.EXPORTS: ("exports",),
    Result.EXTENTS: ("extents",),
    Result.BLOCK_SIZE: ("minimum", "preferred", "maximum"),
}

# What nbdkit python's thread model is when the script does not narrow it.
DEFAULT_THREAD_MODEL = "SERIALIZE_ALL_REQUESTS"
# The most a script that returns its own thread model can ask for: its
# Result.THREAD_MODEL callback narrows it at run time.
OWN_THREAD_MODEL = "PARALLEL"


@dataclass(frozen=True)
class PyArg:
    """How one Python parameter is passed: its format unit, the C
    expression, and the C parameters the expression reads."""

    unit: str
    expr: str
    uses: tuple[str, ...]


# A C parameter passed as the Python parameter of the same name: the
# format unit of its C type and the expression ({name}: the parameter).
# Unsigned units for unsigned types, so that offsets above 2**63 or counts
# above 2**31 never turn negative; nbdkit's int parameters are flags, and
# reach Python as bools.
C_UNITS: dict[str, tuple[str, str]] = {
    "uint32_t": ("I", "{name}"),
    "uint64_t": ("K", "{name}"),
    "const char *": ("s", "{name}"),
    "int": ("O", "pyp_bool ({name})"),
}

# The units runtime/convert.c's pyp_call reads, and how many at most
# (PYP_CALL_MAX).
CALL_UNITS = "OIKs"
CALL_MAX = 5

# The Python parameters that are not a C parameter of the same name.
SPECIAL_ARGS: dict[str, PyArg] = {
    # The handle open returned (the wrapper's `PyObject *h = handle`).
    "h": PyArg("O", "h", ("handle",)),
    # A memoryview on nbdkit's buffer: writable when the C parameter is
    # `void *`, read-only when it is `const void *` (Callback.view).
    "buf": PyArg("O", "view", ("buf", "count")),
    # API 1's zero takes a bool where API 2 takes the flags.
    "may_trim": PyArg("O", "pyp_bool (flags & NBDKIT_FLAG_MAY_TRIM)",
                      ("flags",)),
}


@dataclass(frozen=True)
class Hook:
    """A runtime function the wrapper calls whether or not the script
    defines the callback: work of the plugin's own at that point of
    nbdkit's lifecycle."""

    function: str
    args: tuple[str, ...] = ()  # C parameters of the callback it is given
    # It returns -1 when the plugin cannot go on, which the wrapper
    # returns to nbdkit at once.
    fails: bool = False

    def statement(self) -> str:
        call = f"{self.function} ({', '.join(self.args)})"
        return f"if ({call} == -1)\n    return -1" if self.fails else call


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


@dataclass(frozen=True, kw_only=True)
class Callback:
    """One row of the table."""

    name: str
    summary: str
    c_return: str
    c_params: tuple[CParam, ...]
    # Python parameters in each dialect.
    py_params: dict[Dialect, tuple[str, ...]]
    result: dict[Dialect, Result]
    required: bool = False
    # What nbdkit (and so `nbdkit python`) does when the script omits it.
    default: str = ""
    # The wrapper is registered even when the script omits the callback,
    # because the runtime has work to do there (a hook, or check_loaded).
    always: bool = False
    # nbdkit may call it although the script failed to load (it comes
    # before config_complete, or --dump-plugin calls it): the call fails
    # without running anything of the script, and nbdkit exits.
    check_loaded: bool = False
    # Runtime work before the call, and after it (outside the GIL).
    before: Hook | None = None
    after: Hook | None = None
    # can_X: the operation its answer offers.
    gate: Gate | None = None
    # An operation a Gate names: what the plugin does without it.
    missing: Missing | None = None
    # With one interpreter per connection: where it runs, and whether
    # each successful call is recorded and replayed, in order, in every
    # connection's interpreter before it serves (its parameters must be
    # strings, at most two).
    runs_in: Where = Where.CONNECTION
    replayed: bool = False

    def params(self, dialect: Dialect) -> tuple[str, ...]:
        return self.py_params[dialect]

    def missing_expression(self) -> str:
        """The C the wrapper returns when the script lacks it."""
        assert self.missing is not None, self.name
        return self.missing.c.format(name=f'"{self.name}"')

    def c_param(self, name: str) -> CParam | None:
        return next((p for p in self.c_params if p.name == name), None)

    def arg(self, param: str) -> PyArg:
        """How the Python parameter param is passed."""
        if param in SPECIAL_ARGS:
            return SPECIAL_ARGS[param]
        c = self.c_param(param)
        assert c is not None, f"{self.name}: no C parameter {param}"
        unit, expr = C_UNITS[c.type]
        return PyArg(unit, expr.format(name=param), (param,))

    def call_args(self, dialect: Dialect) -> tuple[PyArg, ...]:
        return tuple(self.arg(p) for p in self.params(dialect))

    def format(self, dialect: Dialect) -> str:
        """The call's format string for this dialect:
        always a tuple, "(O)" and not "O", whatever the number of units."""
        return "(" + "".join(a.unit for a in self.call_args(dialect)) + ")"

    def view(self, dialect: Dialect) -> str | None:
        """'write' or 'read' if `buf` is passed as a memoryview, else None."""
        if "buf" not in self.params(dialect):
            return None
        buf = self.c_param("buf")
        assert buf is not None, self.name
        return "read" if buf.type.startswith("const") else "write"

    def unused_params(self, dialect: Dialect) -> tuple[str, ...]:
        """C parameters this dialect's call does not pass on."""
        used = set(self.result_params(dialect))
        for arg in self.call_args(dialect):
            used.update(arg.uses)
        return tuple(p.name for p in self.c_params if p.name not in used)

    def has_handle(self) -> bool:
        return self.c_param("handle") is not None

    def c_param_list(self) -> str:
        return ", ".join(p.declaration() for p in self.c_params) or "void"

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


def every(value):
    """The same value in every dialect."""
    return {d: value for d in Dialect}


def dialects(api1, seed, released):
    """A value for each dialect."""
    return {Dialect.API1: api1, Dialect.SEED: seed,
            Dialect.RELEASED: released}


def flags_in_api2(*api1: str):
    """API 1's parameters, to which both API 2 dialects add flags."""
    return dialects(api1, (*api1, "flags"), (*api1, "flags"))


def c_params(*pairs: str) -> tuple[CParam, ...]:
    """C parameters written as "type name" strings, split on the last space
    or star so that pointer types stay whole."""
    out = []
    for pair in pairs:
        cut = max(pair.rfind(" "), pair.rfind("*")) + 1
        out.append(CParam(pair[:cut].strip(), pair[cut:]))
    return tuple(out)


HANDLE = c_params("void *handle")
COUNT_OFFSET_FLAGS = c_params("void *handle", "uint32_t count",
                              "uint64_t offset", "uint32_t flags")
H = every(("h",))
H_COUNT_OFFSET_FLAGS = every(("h", "count", "offset", "flags"))
EIO = Missing(NOT_DEFINED, "fail with EIO")


def capability(name: str, default: str, result: Result = Result.BOOL,
               gate: Gate | None = None) -> Callback:
    """A can_X (or is_X) row: the handle in, an answer out."""
    return Callback(name=name, summary=f"answers {name} during negotiation",
                    c_return="int", c_params=HANDLE, py_params=H,
                    result=every(result), default=default, gate=gate)


CALLBACKS: tuple[Callback, ...] = (
    Callback(name="dump_plugin",
             summary="adds lines to nbdkit --dump-plugin",
             c_return="void", c_params=(), py_params=every(()),
             result=every(Result.NONE),
             default="nbdkit prints only its own fields",
             always=True, before=Hook("pyp_dump_plugin"),
             runs_in=Where.PROCESS),
    Callback(name="config", summary="receives each key=value parameter",
             c_return="int", c_params=c_params("const char *key",
                                               "const char *value"),
             py_params=every(("key", "value")), result=every(Result.NONE),
             default="nbdkit rejects any key=value parameter",
             check_loaded=True,
             runs_in=Where.PROCESS, replayed=True),
    Callback(name="config_complete", summary="runs after the last parameter",
             c_return="int", c_params=(), py_params=every(()),
             result=every(Result.NONE), default="nothing to check",
             always=True, check_loaded=True,
             runs_in=Where.PROCESS, replayed=True),
    Callback(name="thread_model", summary="narrows the thread model",
             c_return="int", c_params=(), py_params=every(()),
             result=every(Result.THREAD_MODEL),
             default="serialize_all_requests", check_loaded=True,
             runs_in=Where.PROCESS),
    Callback(name="get_ready", summary="runs before nbdkit forks and serves",
             c_return="int", c_params=(), py_params=every(()),
             result=every(Result.NONE), default="nothing to do",
             always=True, after=Hook("pyp_before_fork"),
             runs_in=Where.PROCESS),
    Callback(name="after_fork",
             summary="runs after nbdkit forks into the background",
             c_return="int", c_params=(), py_params=every(()),
             result=every(Result.NONE), default="nothing to do",
             always=True, before=Hook("pyp_after_fork", fails=True),
             runs_in=Where.PROCESS),
    Callback(name="cleanup", summary="runs once before unload",
             c_return="void", c_params=(), py_params=every(()),
             result=every(Result.NONE), default="nothing to do",
             runs_in=Where.PROCESS),
    Callback(name="list_exports", summary="lists the export names",
             c_return="int",
             c_params=c_params("int readonly", "int is_tls",
                               "struct nbdkit_exports *exports"),
             py_params=every(("readonly", "is_tls")),
             result=every(Result.EXPORTS),
             default="one export, the default one"),
    Callback(name="default_export", summary="names the default export",
             c_return="const char *",
             c_params=c_params("int readonly", "int is_tls"),
             py_params=every(("readonly", "is_tls")),
             result=every(Result.STRING), default='""'),
    Callback(name="preconnect", summary="vets a client before negotiation",
             c_return="int", c_params=c_params("int readonly"),
             py_params=every(("readonly",)), result=every(Result.NONE),
             default="every client is accepted"),
    Callback(name="open", summary="returns the connection's handle",
             c_return="void *", c_params=c_params("int readonly"),
             py_params=every(("readonly",)), result=every(Result.HANDLE),
             required=True),
    Callback(name="close", summary="ends a connection",
             c_return="void", c_params=HANDLE, py_params=H,
             result=every(Result.NONE), default="the handle is released",
             always=True, after=Hook("pyp_release_handle", ("handle",))),
    Callback(name="export_description", summary="describes the export",
             c_return="const char *", c_params=HANDLE, py_params=H,
             result=every(Result.STRING), default="no description"),
    Callback(name="get_size", summary="returns the size in bytes",
             c_return="int64_t", c_params=HANDLE, py_params=H,
             result=every(Result.SIZE), required=True),
    Callback(name="block_size",
             summary="returns (minimum, preferred, maximum)",
             c_return="int",
             c_params=c_params("void *handle", "uint32_t *minimum",
                               "uint32_t *preferred", "uint32_t *maximum"),
             py_params=H, result=every(Result.BLOCK_SIZE),
             default="no constraints"),
    capability("is_rotational", "false"),
    capability("can_multi_conn", "false"),
    capability("can_write", "true if pwrite is defined",
               gate=Gate("pwrite", "writes")),
    capability("can_flush", "true if flush is defined",
               gate=Gate("flush", "flush requests")),
    capability("can_trim", "true if trim is defined",
               gate=Gate("trim", "trim requests")),
    capability("can_zero", "true if zero is defined"),
    capability("can_fast_zero",
               "true if zero is absent or can_zero is false"),
    # FUA_EMULATE: nbdkit follows each write with FUA by a flush.
    capability("can_fua", "FUA_EMULATE if flush is defined, else FUA_NONE",
               Result.FUA,
               Gate("flush", "writes with FUA", ("FUA_EMULATE",))),
    capability("can_cache",
               "CACHE_NATIVE if cache is defined, else CACHE_NONE",
               Result.CACHE,
               Gate("cache", "cache requests", ("CACHE_NATIVE",))),
    capability("can_extents", "true if extents is defined",
               gate=Gate("extents", "block status requests")),
    Callback(name="pread", summary="reads count bytes at offset",
             c_return="int",
             c_params=c_params("void *handle", "void *buf", "uint32_t count",
                               "uint64_t offset", "uint32_t flags"),
             py_params=dialects(("h", "count", "offset"),
                                ("h", "count", "offset", "flags"),
                                ("h", "buf", "offset", "flags")),
             result=dialects(Result.BUFFER, Result.BUFFER, Result.NONE),
             required=True),
    Callback(name="pwrite", summary="writes buf at offset",
             c_return="int",
             c_params=c_params("void *handle", "const void *buf",
                               "uint32_t count", "uint64_t offset",
                               "uint32_t flags"),
             py_params=flags_in_api2("h", "buf", "offset"),
             result=every(Result.NONE), default="the export is read-only",
             missing=EIO),
    Callback(name="flush", summary="flushes to stable storage",
             c_return="int", c_params=c_params("void *handle",
                                               "uint32_t flags"),
             py_params=flags_in_api2("h"),
             result=every(Result.NONE), default="flush is not offered",
             missing=EIO),
    Callback(name="trim", summary="punches a hole",
             c_return="int", c_params=COUNT_OFFSET_FLAGS,
             py_params=flags_in_api2("h", "count", "offset"),
             result=every(Result.NONE), default="trim is not offered",
             missing=EIO),
    Callback(name="zero", summary="writes zeroes",
             c_return="int", c_params=COUNT_OFFSET_FLAGS,
             py_params=dialects(("h", "count", "offset", "may_trim"),
                                ("h", "count", "offset", "flags"),
                                ("h", "count", "offset", "flags")),
             result=every(Result.ZERO),
             default="nbdkit writes zeroes with pwrite"),
    Callback(name="cache", summary="prefetches a range",
             c_return="int", c_params=COUNT_OFFSET_FLAGS,
             py_params=H_COUNT_OFFSET_FLAGS, result=every(Result.NONE),
             default="cache is not offered", missing=EIO),
    Callback(name="extents", summary="reports allocation",
             c_return="int",
             c_params=c_params("void *handle", "uint32_t count",
                               "uint64_t offset", "uint32_t flags",
                               "struct nbdkit_extents *extents"),
             py_params=H_COUNT_OFFSET_FLAGS, result=every(Result.EXTENTS),
             default="the whole disk is reported as data",
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
                assert p in SPECIAL_ARGS or cb.c_param(p) is not None and \
                    cb.c_param(p).type in C_UNITS, \
                    f"{cb.name}: no way to pass parameter {p}"
            if cb.has_handle():
                assert params[:1] == ("h",), f"{cb.name}: h comes first"
            for arg in cb.call_args(dialect):
                assert set(arg.uses) <= c_names, cb.name
            assert builds_tuple(cb.format(dialect)), cb.name
            # What runtime/convert.c's pyp_call takes.
            assert set(cb.format(dialect)[1:-1]) <= set(CALL_UNITS) and \
                len(params) <= CALL_MAX, cb.name
            assert len(cb.format(dialect)) - 2 == len(params), cb.name
            assert set(cb.result_params(dialect)) <= c_names, cb.name
        assert not (cb.required and cb.always), cb.name
        assert not cb.check_loaded or cb.c_return == "int", cb.name
        for hook in (cb.before, cb.after):
            if hook is not None:
                assert cb.always, f"{cb.name}: a hook runs even if absent"
                assert set(hook.args) <= c_names, cb.name
                assert not hook.fails or cb.c_return == "int", cb.name
        if cb.has_handle():
            assert cb.runs_in is Where.CONNECTION, cb.name
        if cb.replayed:
            assert cb.runs_in is Where.PROCESS, cb.name
            assert cb.c_return == "int" and len(cb.c_params) <= 2 and all(
                p.type == "const char *" for p in cb.c_params), cb.name
            # The runtime replays with literal formats of strings only.
            for dialect in Dialect:
                assert cb.format(dialect) == \
                    "(" + "s" * len(cb.call_args(dialect)) + ")", cb.name
        if cb.check_loaded:
            assert cb.runs_in is Where.PROCESS, cb.name
        if cb.gate is not None:
            assert BY_NAME[cb.gate.operation].missing, cb.name
            assert cb.result[Dialect.API1] in (Result.BOOL, Result.FUA,
                                               Result.CACHE), cb.name
            assert bool(cb.gate.values) == (
                cb.result[Dialect.API1] is not Result.BOOL), cb.name


_validate()

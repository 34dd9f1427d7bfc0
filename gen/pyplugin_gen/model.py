# SPDX-License-Identifier: BSD-3-Clause
"""The plugin to generate, resolved: what the template prints.

plugin() joins the script (its callbacks, dialect and strings), the
callback table, the bytecode and, for the build machine, the recorded
sys.path or the standalone closure into one frozen Plugin.  Every choice
is made here, from the table's fields: which callbacks are registered,
what each wrapper calls or returns, the thread model.  The template only
prints the result, so it has no branch on a callback's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import buildconfig
from .callbacks import (CALLBACKS, DEFAULT_THREAD_MODEL, OWN_THREAD_MODEL,
                        Callback, Dialect, Result, Where)
from .script import METADATA, Script

if TYPE_CHECKING:
    from .build import Bytecode
    from .sitepath import Site

# pyp_view's flags: the buffer nbdkit passes is written (pread) or read.
VIEW_FLAGS = {"write": "PyBUF_WRITE", "read": "PyBUF_READ"}


@dataclass(frozen=True)
class Interpreters:
    """One interpreter per connection: how many are made after nbdkit
    forks, and how many may exist at once."""

    pool: int
    limit: int


@dataclass(frozen=True)
class Call:
    """The call of the script's function, inside the wrapper's GIL."""

    gil: str  # the statement that holds the GIL for the block
    # What the wrapper returns if no interpreter could be had, or None.
    no_interpreter: str | None
    declarations: tuple[str, ...]  # e.g. "PyObject *h = handle;"
    expression: str  # pyp_call (NAME_fn, "(...)", ...)
    cleanup: tuple[str, ...]  # statements after the call
    convert: str  # the result conversion, pyp_result_KIND (r, ...)


@dataclass(frozen=True)
class Wrapper:
    """One registered callback's C function."""

    name: str
    summary: str
    comment: str  # what the wrapper does for this script
    c_return: str
    c_params: str  # the parameter declarations
    check_loaded: bool
    before: str | None  # a runtime hook's statement
    after: str | None
    unused: tuple[str, ...]  # C parameters the wrapper does not read
    call: Call | None  # when the script defines the callback
    value: str | None  # else what a non-void wrapper returns
    record: str | None  # the call recorded for replay, after it

    @property
    def returns(self) -> bool:
        return self.c_return != "void"


@dataclass(frozen=True)
class Plugin:
    name: str
    filename: str  # the script's file name
    sha256: str
    source: str  # the script's text, for tracebacks
    dialect: Dialect
    defined: tuple[str, ...]  # the script's callbacks, in table order
    wrappers: tuple[Wrapper, ...]  # in table order
    strings: tuple[tuple[str, str], ...]  # struct nbdkit_plugin's strings
    thread_model: str  # the most the plugin allows: NBDKIT_THREAD_MODEL_*
    code: bytes  # the script's marshalled code object
    magic: int
    python_version: str
    site: Site | None  # what `import site` computed at build time
    standalone: Any  # standalone.Parts, or None
    version: str  # pyplugin-gen's
    interpreters: Interpreters | None = None  # None: one interpreter

    @property
    def site_record(self) -> Site | None:
        """The sys.path record the runtime checks and uses: a standalone
        plugin has its own, empty, sys.path."""
        return None if self.standalone is not None else self.site


def offered(script: Script) -> set[str]:
    """Operations the script lacks while a can_X of it may offer them:
    registered to do what nbdkit python does (Callback.missing)."""
    return {cb.gate.operation for cb in CALLBACKS
            if cb.gate and cb.name in script.callbacks
            and cb.gate.operation not in script.callbacks}


def registered(script: Script) -> list[Callback]:
    """The callbacks set in struct nbdkit_plugin, in table order.  Where
    an offered operation is registered, nbdkit's default for a can_X that
    follows it would change, so an absent can_X gated by it is registered
    too, answering as if the operation were absent (0)."""
    extra = offered(script)
    return [cb for cb in CALLBACKS
            if cb.name in script.callbacks or cb.always or cb.name in extra
            or cb.gate and cb.gate.operation in extra]


def _names(c: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", c))


def _error_value(cb: Callback) -> str:
    """How the wrapper fails at once: nbdkit's error value of its type."""
    if cb.c_return == "void":
        return "return"
    return "return NULL" if cb.c_return.endswith("*") else "return -1"


def _call(cb: Callback, dialect: Dialect, fn: str, conn: bool) -> Call:
    """The call of fn (an expression); conn: in the connection's
    interpreter, whose GIL the handle or the thread gives."""
    declarations = []
    cleanup = []
    if "h" in cb.params(dialect):
        declarations.append("PyObject *h = pyp_conn_object (handle);" if conn
                            else "PyObject *h = handle;")
    view = cb.view(dialect)
    if view is not None:
        declarations.append(f"PyObject *view = pyp_view (buf, count, "
                            f"{VIEW_FLAGS[view]});")
        cleanup.append("pyp_view_release (view)")
    args = "".join(f", {a.expr}" for a in cb.call_args(dialect))
    expression = f'pyp_call ({fn}, "{cb.format(dialect)}"{args})'
    result = cb.result[dialect]
    convert_args = "".join(f", {p}" for p in cb.result_params(dialect))
    convert = f'pyp_result_{result.value} (r, "{cb.name}"{convert_args})'
    if conn:
        gil = ("PYP_CONN_GIL (handle)" if cb.has_handle()
               else "PYP_CONN_GIL (NULL)")
        return Call(gil, _error_value(cb), tuple(declarations), expression,
                    tuple(cleanup), convert)
    return Call("PYP_GIL", None, tuple(declarations), expression,
                tuple(cleanup), convert)


def _record(cb: Callback, dialect: Dialect, index: int) -> str:
    """The statement that records a successful call for replay."""
    args = [a.expr for a in cb.call_args(dialect)]
    n = len(args)
    args += ["NULL"] * (2 - n)
    return f'pyp_replay_record (ret, {index}, {n}, {", ".join(args)})'


def _wrapper(cb: Callback, script: Script, missing: set[str],
             per_connection: bool) -> Wrapper:
    dialect = script.dialect
    hooks = [h for h in (cb.before, cb.after) if h is not None]
    hooked = {a for h in hooks for a in h.args}
    call = value = record = None
    if cb.name in script.callbacks:
        comment = f"Python: def {cb.python_signature(dialect)}"
        index = script.ordered_callbacks().index(cb.name)
        conn = per_connection and cb.runs_in is Where.CONNECTION
        call = _call(cb, dialect,
                     f"PYP_CONN_FN ({index})" if conn else f"{cb.name}_fn",
                     conn)
        if per_connection and cb.replayed:
            record = _record(cb, dialect, index)
        unused = [p for p in cb.unused_params(dialect) if p not in hooked]
    else:
        if cb.name in missing:
            assert cb.missing is not None
            comment = ("Not in the script, but a can_* callback offers it: "
                       f"clients {cb.missing.client}.")
            value = cb.missing_expression()
        else:
            comment = f"Not in the script: {cb.default}."
            value = "0" if cb.c_return != "void" else None
        used = _names(value or "") | hooked
        unused = [p.name for p in cb.c_params if p.name not in used]
    return Wrapper(
        name=cb.name, summary=cb.summary, comment=comment,
        c_return=cb.c_return, c_params=cb.c_param_list(),
        check_loaded=cb.check_loaded,
        before=cb.before.statement() if cb.before else None,
        after=cb.after.statement() if cb.after else None,
        unused=tuple(unused), call=call, value=value, record=record)


def strings(script: Script) -> tuple[tuple[str, str], ...]:
    """The string fields of struct nbdkit_plugin the script provides."""
    fields = {name: meta.value for name, meta in script.metadata.items()}
    if script.config_help is not None:
        fields["config_help"] = script.config_help
    return tuple((name, fields[name]) for name in METADATA if name in fields)


def thread_model(script: Script) -> str:
    """A script with its own thread model callback narrows the most
    there is; else nbdkit python's default is the plugin's."""
    own = any(cb.result[script.dialect] is Result.THREAD_MODEL
              for cb in CALLBACKS if cb.name in script.callbacks)
    return OWN_THREAD_MODEL if own else DEFAULT_THREAD_MODEL


def plugin(script: Script, name: str, bytecode: Bytecode,
           site: Site | None = None, standalone: Any = None,
           interpreters: Interpreters | None = None) -> Plugin:
    """The plugin of script, named name; site is what `import site`
    computes on the build machine, standalone the frozen closure,
    interpreters the pool of a plugin with one interpreter per
    connection."""
    missing = offered(script)
    return Plugin(
        name=name, filename=script.filename, sha256=script.sha256,
        source=script.text, dialect=script.dialect,
        defined=tuple(script.ordered_callbacks()),
        wrappers=tuple(_wrapper(cb, script, missing, interpreters is not None)
                       for cb in registered(script)),
        strings=strings(script), thread_model=thread_model(script),
        code=bytecode.code, magic=bytecode.magic,
        python_version=bytecode.python_version,
        site=site, standalone=standalone, version=buildconfig.VERSION,
        interpreters=interpreters)

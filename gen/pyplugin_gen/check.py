# SPDX-License-Identifier: BSD-3-Clause
"""Checks of a script model against the callback table.

script.py has already reported what makes a script unreadable and an
invalid API declaration or metadata; this judges the callbacks: that the
required ones exist, that each is a function nbdkit's call would bind to
in the script's dialect, and that no function is a near miss of a
callback name.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field

from .callbacks import (BY_NAME, CALLBACKS, PARAMS, REQUIRED, Dialect,
                        Result, Where)
from .diagnostics import Diagnostics, note
from . import helpers, nbdkit_header
from .nbdkit_header import check_against_header
from .script import Definition, Script, Signature
from .signatures import Source, own_scope

# Result kinds for which a generator function is a fine callback: nbdkit
# iterates over the result.
_ITERATED = (Result.EXPORTS, Result.EXTENTS)


def check(script: Script, diags: Diagnostics) -> None:
    _required(script, diags)
    for name, cands in script.candidates.items():
        if name in BY_NAME:
            for d in cands:
                _callback(script, d, diags)
    _near_misses(script, diags)
    _offered_but_missing(script, diags)
    # What the installed nbdkit lacks (the record make read from its header).
    check_against_header(script, diags)
    _missing_helpers(script, diags)


def expected(script: Script, name: str) -> str:
    """'(h, buf, offset, flags) in API 2 (API_VERSION = 2)'"""
    cb = BY_NAME[name]
    return (f"({', '.join(cb.params(script.dialect))}) in "
            f"{script.dialect.declaration}")


def _required(script: Script, diags: Diagnostics) -> None:
    for name in REQUIRED:
        if script.candidates.get(name):
            continue
        message = f"required callback '{name}' is not defined"
        if script.dialect_known:
            message += f"; expected def {name}{expected(script, name)}"
        if script.dynamic and not script.imported:
            line, _, what = script.dynamic[0]
            message += (f" (the script may define it through {what} on line "
                        f"{line}, which only --import can see)")
        diags.error(script.path, 1, 1, message, rule="required-callback")


def _callback(script: Script, d: Definition, diags: Diagnostics) -> None:
    path, name = script.path, d.name
    cb = BY_NAME[name]

    def error(message: str, rule: str) -> None:
        diags.error(path, d.line, d.col, message, d.length, rule=rule)

    if d.kind == "literal":
        error(f"callback '{name}' must be a function, but it is bound to "
              f"{d.what}", "not-callable")
        return
    if d.kind == "class" or d.signature is None and not d.decorated:
        _unchecked(script, d, d.what, diags)
        return
    if d.is_async:
        error(f"callback '{name}' is an async def: nbdkit calls it without "
              "awaiting it, so its body would never run", "async-callback")
        return
    if d.generator and cb.result[script.dialect] not in _ITERATED:
        error(f"callback '{name}' is a generator function (it contains "
              "yield): calling it only creates a generator, so its body "
              "would never run", "generator-callback")
        return
    if d.signature is None:
        _unchecked(script, d, d.unseen, diags)
        return
    if not script.dialect_known:
        return
    n = len(cb.params(script.dialect))
    if not d.signature.accepts(n):
        how = f"{d.via}, it accepts" if d.via else "it is defined with"
        notes = []
        if d.origin is not None:
            line, col, fn = d.origin
            notes.append(note(path, line, col, f"'{fn}' is defined here",
                              len(fn)))
        diags.error(path, d.line, d.col,
                    f"{name} takes {expected(script, name)}; {how} "
                    f"{describe(d.signature, n)}", d.length, notes,
                    rule="parameters")
        return
    _dialect_mixup(script, d, diags)
    if d.kind == "lambda":
        diags.warning(path, d.line, d.col,
                      f"callback '{name}' is a lambda: fine at run time, and "
                      "its parameters were checked, but tracebacks will call "
                      "it '<lambda>'; prefer def", d.length,
                      rule="lambda-callback")


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def _dialect_mixup(script: Script, d: Definition, diags: Diagnostics) -> None:
    """A callback written as another dialect has it: a parameter named as
    that dialect names it (`count` where the released pread gets `buf`,
    `may_trim` in API 2's zero), or a pread that returns its data where
    nbdkit passes a buffer to fill, or returns nothing where nbdkit sends
    what it returns.  The call binds, so only the reads fail at run time."""
    cb, ours = BY_NAME[d.name], script.dialect
    own = d.source.fn if d.source is not None and not d.via else None
    names = [a.arg for a in own.args.posonlyargs + own.args.args] \
        if own is not None else []
    expect = cb.params(ours)

    def other(check) -> Dialect | None:
        """The other dialect for which check holds, preferring one
        whose call the callback binds to."""
        fits = [o for o in Dialect if o is not ours and check(o)]
        # Else the released dialect, today's.
        fits.sort(key=lambda o: (not binds(o), len(cb.params(o)) !=
                                 (d.signature and d.signature.positional),
                                 o is not Dialect.RELEASED))
        return fits[0] if fits else None

    def binds(o: Dialect) -> bool:
        return bool(d.signature and d.signature.accepts(len(cb.params(o))))

    def warn(message: str, theirs: Dialect, fix: str) -> None:
        change = ("remove the API declaration" if theirs is Dialect.API1
                  else f"declare {theirs.how}")
        if ours is not Dialect.API1 and theirs is not Dialect.API1:
            change += " instead"
        if not binds(theirs):
            change += f" with def {cb.python_signature(theirs)}"
        diags.warning(script.path, d.line, d.col,
                      f"{message}; to write {theirs.title}, {change}, or "
                      f"{fix}", d.length, rule="dialect-mixup")

    for i, (got, want) in enumerate(zip(names, expect)):
        if got == want:
            continue
        theirs = other(lambda o: cb.params(o)[i:i + 1] == (got,))
        if theirs is None:
            continue
        warn(f"{cb.name}'s {_ORDINALS[i]} parameter is named '{got}', as in "
             f"{theirs.title} ({theirs.how}), but with "
             f"{ours.declaration} nbdkit passes '{want}' there", theirs,
             f"take '{want}' ({PARAMS[want][1]})")
        return
    if own is None:
        return
    result = cb.result[ours]
    if result not in (Result.BUFFER, Result.NONE):
        return
    found = answers(d, script, {})
    # Where some dialect passes a buffer.
    at = next((cb.params(o).index("buf") for o in Dialect
               if "buf" in cb.params(o)), None)
    buf = names[at] if at is not None and at < len(names) else None
    if result is Result.NONE:
        # A call given the buffer (f.readinto(buf), os.preadv(fd, [buf],
        # offset)) may return anything.
        data = [v for v in found.values if v is not None] + [
            e for _, e in found.unseen
            if not (isinstance(e, ast.Call) and buf is not None and
                    _given(e, buf))]
        theirs = other(lambda o: cb.result[o] is Result.BUFFER)
        if not data or theirs is None:
            return
        warn(f"{cb.name} returns a value, as in {theirs.title} "
             f"({theirs.how}), but with {ours.declaration} nbdkit passes "
             f"{cb.name} a buffer to fill and ignores what it returns, so "
             "clients would not get this data", theirs,
             "fill buf and return nothing")
    elif found.values and not found.unseen and \
            all(v is None for v in found.values) and \
            buf is not None and _fills(own, buf):
        theirs = other(lambda o: cb.result[o] is Result.NONE)
        if theirs is None:
            return
        warn(f"{cb.name} returns nothing, as in {theirs.title} "
             f"({theirs.how}), where it fills buf, but with "
             f"{ours.declaration} nbdkit sends clients what {cb.name} "
             "returns, so every read would fail", theirs,
             "return the data read")


def _given(call: ast.Call, name: str) -> bool:
    """Is name an argument of call, alone or in a list or tuple?"""
    for a in call.args:
        items = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
        if any(isinstance(i, ast.Name) and i.id == name for i in items):
            return True
    return False


def _fills(fn: ast.FunctionDef | ast.Lambda, name: str) -> bool:
    """Does fn use its parameter name as a buffer it fills: assign to a
    slice of it (`buf[:] = data`) or hand it to a readinto-like call?"""
    body = fn.body if isinstance(fn.body, list) else [fn.body]
    for node in own_scope(body):
        if isinstance(node, ast.Subscript) and \
                isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _FILLERS and _given(node, name):
            return True
    return False


# Calls that fill a buffer they are given (file.readinto, os.preadv,
# socket.recv_into ...).
_FILLERS = frozenset({"readinto", "readv", "preadv", "recv_into",
                      "recvfrom_into", "readinto1"})


def _unchecked(script: Script, d: Definition, what: str,
               diags: Diagnostics) -> None:
    """What reading cannot see is no mistake: a note, shown only when
    asked for (-v, -Wunchecked)."""
    hint = "" if script.imported else " (--import checks them)"
    diags.unchecked(script.path, d.line, d.col,
                    f"callback '{d.name}' is {what}: its parameters were "
                    f"not checked{hint}", d.length)


def _offered_but_missing(script: Script, diags: Diagnostics) -> None:
    """A can_X that may offer clients an operation the script does not
    define: nbdkit calls it anyway, and the client gets an error.  Only
    an answer that can be seen to offer it is a warning; one that cannot
    be seen without running the script is a note (-Wunchecked)."""
    try:
        constants = nbdkit_header.load().constants
    except nbdkit_header.RecordError:
        return  # check_against_header reports it
    for cb in CALLBACKS:
        gate = cb.gate
        if gate is None or script.candidates.get(gate.operation):
            continue
        missing = BY_NAME[gate.operation].missing
        assert missing is not None
        for d in script.candidates.get(cb.name, []):
            if d.kind == "literal" or d.signature and \
                    not d.signature.accepts(1):
                continue  # already an error
            values = {constants[v] for v in gate.values}
            found = answers(d, script, constants)
            what = " or ".join(f"nbdkit.{v}" for v in gate.values) or "true"
            outcome = (f"a client's {gate.requests} would {missing.client}")
            if any(a in values if values else a for a in found.values):
                diags.warning(script.path, d.line, d.col,
                              f"'{cb.name}' may return {what}, but the "
                              f"script defines no '{gate.operation}': "
                              f"{outcome}", d.length, rule="offered-missing")
            elif found.unseen:
                diags.unchecked(script.path, d.line, d.col,
                                f"'{cb.name}' {found.unseen[0][0]}, so "
                                f"whether it returns {what} cannot be seen "
                                "without running the script; if it does, "
                                f"{outcome}, as the script defines no "
                                f"'{gate.operation}'", d.length)


@dataclass
class Answers:
    """What a callable returns, as far as reading shows: the constant
    values some path returns (None for a bare return or running off the
    end), and what cannot be seen: (a phrase for messages, the returned
    expression or None)."""

    values: list[object] = field(default_factory=list)
    unseen: list[tuple[str, ast.expr | None]] = field(default_factory=list)


def answers(d: Definition, script: Script,
            constants: dict[str, int]) -> Answers:
    """What d returns, read through what the script shows: decorators of
    the script whose wrapper returns the wrapped call, functools.partial
    of a function of the script, calls of the script's own functions."""
    found = Answers()
    if d.source is None:
        found.unseen.append((f"is {d.unseen or d.what or 'not a def'}",
                             None))
    else:
        _answers(d.source, script, constants, found, frozenset())
    return found


def _answers(source: Source, script: Script, constants: dict[str, int],
             found: Answers, active: frozenset[ast.AST]) -> None:
    fn = source.fn
    if fn in active:  # recursion: its value is what it computes
        found.unseen.append(("is recursive", None))
        return
    active |= {fn}
    if isinstance(fn, ast.Lambda):
        results: list[ast.expr | None] = [fn.body]
    else:
        results = [r.value for r in own_scope(fn.body)
                   if isinstance(r, ast.Return)]
        if not fn.body or not isinstance(fn.body[-1], (ast.Return,
                                                        ast.Raise)):
            results.append(None)  # it can run off its end
    wraps = dict(source.wraps)
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args}
    todo = list(results)
    while todo:
        e = todo.pop()
        if e is None:
            found.values.append(None)
            continue
        if isinstance(e, ast.IfExp):
            todo += [e.body, e.orelse]
            continue
        value = _constant(e, constants)
        if value is not _UNKNOWN:
            found.values.append(value)
            continue
        callee = e.func.id if isinstance(e, ast.Call) and \
            isinstance(e.func, ast.Name) else None
        if callee in wraps:
            _answers(wraps[callee], script, constants, found, active)
            continue
        f = script.functions.get(callee) if callee not in params else None
        if f is not None and f.source is not None:
            _answers(f.source, script, constants, found, active)
            continue
        text = ast.unparse(e)
        if len(text) > 40:
            text = text[:37] + "..."
        found.unseen.append((f"returns {text}", e))


_UNKNOWN = object()


def _constant(e: ast.expr, constants: dict[str, int]) -> object:
    """A literal, or nbdkit.NAME of constants; else _UNKNOWN."""
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and \
            e.value.id == "nbdkit" and e.attr in constants:
        return constants[e.attr]
    return _UNKNOWN


def describe(sig: Signature, n: int) -> str:
    """What is wrong with sig for a call with n positional arguments."""
    if sig.required_kwonly:
        names = ", ".join(sig.required_kwonly)
        s = "s" if len(sig.required_kwonly) > 1 else ""
        return (f"required keyword-only parameter{s} {names}, which "
                "nbdkit's positional call cannot give")
    p = sig.positional
    if p < 0:
        return f"{-p} bound argument{'s' if p != -1 else ''} too many"
    text = f"{p} parameter{'s' if p != 1 else ''}"
    if sig.required < p:
        text += f" ({sig.required} required)"
    if sig.varargs:
        text += " and *args"
    return text


def _near_misses(script: Script, diags: Diagnostics) -> None:
    """Warn about top-level functions one edit away from a callback name
    the script does not define, e.g. pwirte for pwrite."""
    undefined = [cb.name for cb in CALLBACKS
                 if not script.candidates.get(cb.name)]
    for fn in script.functions.values():
        # A private helper (_cache) is named so on purpose.
        if fn.name in BY_NAME or fn.name in ("api_version",) or \
                fn.name.startswith("_"):
            continue
        match = closest(fn.name, undefined)
        if match:
            diags.warning(script.path, fn.line, fn.col,
                          f"function '{fn.name}' is not an nbdkit callback;"
                          f" did you mean '{match}'?", fn.length,
                          rule="near-miss")
    # A misspelt API declaration silently means API 1.
    if script.candidates.get("API_VERSION") or \
            script.candidates.get("api_version"):
        return
    for name, (line, col) in script.bound.items():
        target = closest(name, ["API_VERSION", "api_version"])
        if target and name not in script.functions:
            diags.warning(script.path, line, col,
                          f"'{name}' does not declare the API version; "
                          f"did you mean '{target}'?", len(name),
                          rule="near-miss")
        elif target:
            diags.warning(script.path, line, col,
                          f"function '{name}' does not declare the API "
                          f"version; did you mean '{target}'?", len(name),
                          rule="near-miss")


def closest(name: str, candidates: list[str]) -> str | None:
    """The first candidate one edit (insertion, deletion, substitution or
    transposition of neighbours) or only letter case away from name."""
    for c in candidates:
        if name != c and (name.casefold() == c.casefold()
                          or _one_edit(name, c)):
            return c
    return None


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    # b is one longer: deleting one character of b gives a.
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _helper_uses(tree: ast.Module) -> list[tuple[str, ast.AST, bool]]:
    """(helper name, node, runs at load) for each use of a name of the
    nbdkit module: nbdkit.NAME through any alias the script imports it
    as, and `from nbdkit import NAME`.  A use runs at load unless it is
    inside a function or lambda body; one guarded by `if hasattr(nbdkit,
    "NAME")` or inside a try that catches AttributeError is left out."""
    aliases = {a.asname or a.name for n in ast.walk(tree)
               if isinstance(n, ast.Import) for a in n.names
               if a.name == "nbdkit"}
    uses: list[tuple[str, ast.AST, bool]] = []

    def guarded(test: ast.expr) -> set[str]:
        return {c.args[1].value for c in ast.walk(test)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                and c.func.id == "hasattr" and len(c.args) == 2
                and isinstance(c.args[0], ast.Name)
                and c.args[0].id in aliases
                and isinstance(c.args[1], ast.Constant)
                and isinstance(c.args[1].value, str)}

    def catches_attribute_error(t: ast.Try) -> bool:
        names = set()
        for h in t.handlers:
            if h.type is None:
                return True
            types = h.type.elts if isinstance(h.type, ast.Tuple) \
                else [h.type]
            names |= {e.id for e in types if isinstance(e, ast.Name)}
        return bool(names & {"AttributeError", "ImportError", "Exception",
                             "BaseException"})

    # Iterative: a script may nest deeper than Python's recursion limit.
    todo: list[tuple[ast.AST, bool, frozenset[str]]] = [
        (tree, False, frozenset())]
    while todo:
        node, deferred, skip = todo.pop()
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda)):
            # Decorators, defaults and annotations run where the def is.
            body = node.body if isinstance(node.body, list) \
                else [node.body]
            todo += [(c, deferred or c in body, skip) for c in children]
            continue
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            inner = skip | guarded(node.test)
            todo += [(c, deferred, skip if c is node.test else inner)
                     for c in children]
            continue
        if isinstance(node, ast.Try) and catches_attribute_error(node):
            everything = frozenset(helpers.BY_NAME)
            todo += [(c, deferred, everything if c in node.body else skip)
                     for c in children]
            continue
        if isinstance(node, ast.Attribute) and \
                isinstance(node.value, ast.Name) and \
                node.value.id in aliases and node.attr not in skip:
            uses.append((node.attr, node, not deferred))
        elif isinstance(node, ast.ImportFrom) and node.module == "nbdkit" \
                and node.level == 0:
            uses.extend((a.name, node, not deferred) for a in node.names
                        if a.name not in skip)
        todo += [(c, deferred, skip) for c in children]
    uses.sort(key=lambda u: (u[1].lineno, u[1].col_offset))
    return uses


def _missing_helpers(script: Script, diags: Diagnostics) -> None:
    """Helpers of the nbdkit module the script uses that the installed
    nbdkit lacks: an error where the use runs as the script loads (the
    plugin would fail to load), else a warning (the use raises
    AttributeError when it runs)."""
    try:
        record = nbdkit_header.load()
        with warnings.catch_warnings():
            # The reader reported Python's warnings (Python 3.12 and
            # later print SyntaxWarnings of ast.parse, which would land
            # in the middle of JSON or SARIF on stderr).
            warnings.simplefilter("ignore")
            tree = ast.parse(script.text, script.path)
        uses = _helper_uses(tree)
    except (nbdkit_header.RecordError, SyntaxError, ValueError):
        return  # reported by check_against_header or the reader
    except RecursionError:
        return  # nested deeper than the walk goes: not checked
    lacking = {h.name: h for h in helpers.missing(record)}
    for name, node, at_load in uses:
        h = lacking.get(name)
        if h is None:
            continue
        message = (f"nbdkit.{name} is not available with nbdkit "
                   f"{record.nbdkit_version}: its header declares no "
                   f"{h.c_function}")
        line, col = node.lineno, node.col_offset + 1
        length = len(name)
        if isinstance(node, ast.Attribute) and node.end_col_offset:
            col, length = node.end_col_offset - len(name) + 1, len(name)
        if at_load:
            diags.error(script.path, line, col, message + "; this runs "
                        "while the script loads, so the plugin would not "
                        "load", length, rule="nbdkit-helper")
        else:
            diags.warning(script.path, line, col, message + "; the use "
                          "raises AttributeError when it runs", length,
                          rule="nbdkit-helper")


# Methods that change the object they are called on.
_MUTATORS = frozenset({
    "append", "extend", "insert", "remove", "pop", "popitem", "clear",
    "update", "add", "discard", "setdefault", "sort", "reverse",
    "appendleft", "extendleft", "rotate", "move_to_end", "__setitem__",
    "__delitem__", "__iadd__"})


def _module_values(tree: ast.Module) -> dict[str, ast.expr | None]:
    """Names the module's top level binds, with the value of the first
    plain assignment (None where it is not one: an import, a def ...)."""
    values: dict[str, ast.expr | None] = {}

    def visit(body: list[ast.stmt]) -> None:
        for st in body:
            if isinstance(st, (ast.Assign, ast.AnnAssign)):
                targets = st.targets if isinstance(st, ast.Assign) \
                    else [st.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            values.setdefault(n.id, st.value)
            elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
                values.setdefault(st.name, None)
            elif isinstance(st, (ast.Import, ast.ImportFrom)):
                for a in st.names:
                    values.setdefault((a.asname or a.name).split(".")[0],
                                      None)
            for field_name in ("body", "orelse", "finalbody"):
                inner = getattr(st, field_name, None)
                if isinstance(inner, list) and not isinstance(
                        st, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.ClassDef)):
                    visit(inner)
            for handler in getattr(st, "handlers", []):
                visit(handler.body)
    visit(tree.body)
    return values


def _root(e: ast.expr) -> ast.Name | None:
    """The name x of x[...].y[...]..., or None."""
    while isinstance(e, (ast.Subscript, ast.Attribute)):
        e = e.value
    return e if isinstance(e, ast.Name) else None


def _is_dict(value: ast.expr | None) -> bool:
    return isinstance(value, (ast.Dict, ast.DictComp)) or (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
        and value.func.id in ("dict", "defaultdict", "OrderedDict"))


def _changes(fn: ast.FunctionDef | ast.AsyncFunctionDef,
             module: dict[str, ast.expr | None]):
    """(name, node) for each change fn makes to module-level state: a
    rebinding declared global, a store or deletion into it, a call of a
    mutating method on it.  A dict changed item by item (a dict of
    handles, one entry per connection) is not state the connections
    share, and is left out."""
    declared = {n for st in ast.walk(fn) if isinstance(st, ast.Global)
                for n in st.names}
    local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) \
                and n.id not in declared:
            local.add(n.id)
    for n in ast.walk(fn):
        targets: list[ast.expr] = []
        if isinstance(n, ast.Assign):
            targets = n.targets
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
            targets = [n.target]
        elif isinstance(n, ast.Delete):
            targets = n.targets
        for t in targets:
            if isinstance(t, ast.Name):
                if t.id in declared and t.id in module:
                    yield t.id, t
                continue
            root = _root(t)
            if root is None or root.id in local or root.id not in module:
                continue
            if _is_dict(module[root.id]) and isinstance(t, ast.Subscript) \
                    and t.value is root:
                continue
            yield root.id, t
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                and n.func.attr in _MUTATORS:
            root = _root(n.func.value)
            if root is None or root.id in local or root.id not in module:
                continue
            if _is_dict(module[root.id]) and n.func.value is root:
                continue
            yield root.id, n


def per_connection_state(script: Script, diags: Diagnostics) -> None:
    """With one interpreter per connection, the script's module runs in
    each: state at module level that a connection's callbacks change is
    that connection's own, and a change one client makes is not seen by
    another (a RAM disk's writes, a counter).  Each such change is a
    warning, naming the state and the callback."""
    try:
        tree = ast.parse(script.text, script.path)
    except (SyntaxError, ValueError):
        return  # reported by the reader
    module = _module_values(tree)
    for cb in CALLBACKS:
        d = script.callbacks.get(cb.name)
        if cb.runs_in is not Where.CONNECTION or d is None or \
                not isinstance(d.node, (ast.FunctionDef,
                                        ast.AsyncFunctionDef)):
            continue
        warned = set()
        for name, node in _changes(d.node, module):
            if name in warned:
                continue
            warned.add(name)
            diags.warning(
                script.path, node.lineno, node.col_offset + 1,
                f"{cb.name} changes the module-level {name!r}; with one "
                "interpreter per connection each connection has its own "
                f"{name!r}, so what one client changes is not seen by "
                "another", len(name), rule="per-connection-state")

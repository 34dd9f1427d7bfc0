"""Checks of a script model against the callback table.

script.py has already reported what makes a script unreadable and an
invalid API declaration or metadata; this judges the callbacks: that the
required ones exist, that each is a function nbdkit's call would bind to
in the script's dialect, and that no function is a near miss of a
callback name.
"""

from __future__ import annotations

import ast

from .callbacks import BY_NAME, CALLBACKS, REQUIRED, Result
from .diagnostics import Diagnostics, note
from . import nbdkit_header
from .nbdkit_header import check_against_header
from .script import Definition, Script, Signature
from .signatures import own_scope

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
        diags.error(script.path, 1, 1, message)


def _callback(script: Script, d: Definition, diags: Diagnostics) -> None:
    path, name = script.path, d.name
    cb = BY_NAME[name]

    def error(message: str) -> None:
        diags.error(path, d.line, d.col, message, d.length)

    def warning(message: str) -> None:
        diags.warning(path, d.line, d.col, message, d.length)

    if d.kind == "literal":
        error(f"callback '{name}' must be a function, but it is bound to "
              f"{d.what}")
        return
    if d.kind == "class" or d.signature is None and not d.decorated:
        _unchecked(script, d, d.what, diags)
        return
    if d.is_async:
        error(f"callback '{name}' is an async def: nbdkit calls it without "
              "awaiting it, so its body would never run")
        return
    if d.generator and cb.result[script.dialect] not in _ITERATED:
        error(f"callback '{name}' is a generator function (it contains "
              "yield): calling it only creates a generator, so its body "
              "would never run")
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
                    f"{describe(d.signature, n)}", d.length, notes)
        return
    if d.kind == "lambda":
        warning(f"callback '{name}' is a lambda: fine at run time, and its "
                "parameters were checked, but tracebacks will call it "
                "'<lambda>'; prefer def")


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
    define: nbdkit calls it anyway, and the client gets an error."""
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
            answers = returns(d, constants)
            if answers is not None and not any(
                    a in values if values else a for a in answers):
                continue
            what = " or ".join(f"nbdkit.{v}" for v in gate.values) or "true"
            diags.warning(script.path, d.line, d.col,
                          f"'{cb.name}' may return {what}, but the script "
                          f"defines no '{gate.operation}': a client's "
                          f"{gate.requests} would {missing.client}",
                          d.length)


def returns(d: Definition,
            constants: dict[str, int]) -> list[object] | None:
    """The values a def or lambda can return, when each is a constant
    (a literal or nbdkit.NAME of constants); None when any cannot be
    known."""
    node = d.node
    if d.kind == "lambda" and isinstance(d.value, ast.Lambda):
        return _constants(d.value.body, constants)
    if d.kind != "def" or d.decorated or \
            not isinstance(node, ast.FunctionDef):
        return None
    values: list[object] = []
    for r in own_scope(node.body):
        if isinstance(r, ast.Return):
            found = _constants(r.value, constants) if r.value else [None]
            if found is None:
                return None
            values += found
    if not node.body or not isinstance(node.body[-1], (ast.Return,
                                                        ast.Raise)):
        values.append(None)  # it can run off its end
    return values


def _constants(e: ast.expr,
               constants: dict[str, int]) -> list[object] | None:
    if isinstance(e, ast.Constant):
        return [e.value]
    if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and \
            e.value.id == "nbdkit" and e.attr in constants:
        return [constants[e.attr]]
    if isinstance(e, ast.IfExp):
        a, b = _constants(e.body, constants), _constants(e.orelse, constants)
        return a + b if a is not None and b is not None else None
    return None


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
        if fn.name in BY_NAME or fn.name in ("api_version",):
            continue
        match = closest(fn.name, undefined)
        if match:
            diags.warning(script.path, fn.line, fn.col,
                          f"function '{fn.name}' is not an nbdkit callback;"
                          f" did you mean '{match}'?", fn.length)
    # A misspelt API declaration silently means API 1.
    if script.candidates.get("API_VERSION") or \
            script.candidates.get("api_version"):
        return
    for name, (line, col) in script.bound.items():
        target = closest(name, ["API_VERSION", "api_version"])
        if target and name not in script.functions:
            diags.warning(script.path, line, col,
                          f"'{name}' does not declare the API version; "
                          f"did you mean '{target}'?", len(name))
        elif target:
            diags.warning(script.path, line, col,
                          f"function '{name}' does not declare the API "
                          f"version; did you mean '{target}'?", len(name))


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

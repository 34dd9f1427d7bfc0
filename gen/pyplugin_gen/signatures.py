# SPDX-License-Identifier: BSD-3-Clause
"""What a callable the script binds accepts, as far as reading shows.

A def's parameters are in its statement.  Real plugins also decorate
callbacks, build them with functools.partial or make them instances of a
class with __call__; where the code that decides what the result accepts
is in the script, it is read through:

- a decorator that returns the function itself (atexit.register, or a
  decorator of the script whose body is `...; return fn`) keeps the def's
  parameters;
- a decorator of the script that returns a def nested in it (the usual
  `@functools.wraps(fn) def wrapper(h, *args)`) gives that def's
  parameters (functools.wraps changes only the name and docstring);
- functools.partial(f, a, b) of a function of the script takes the bound
  positional arguments off f's parameters;
- an instance of a class of the script with a plain __call__ takes
  __call__'s parameters after self.

Anything else (an import, another decorator, the result of another call)
cannot be seen without running the script: its Seen has no signature and
says why.

What such a callable returns is read through the same way (Source): the
return statements of the def whose body runs, where a wrapper's `return
fn(h, *args)` of the function it wraps gives that function's returns.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Mapping, Protocol


@dataclass(frozen=True)
class Signature:
    """What a def or lambda accepts, as far as positional calls go."""

    positional: int  # parameters that can be given positionally
    required: int  # of those, how many have no default
    varargs: bool
    required_kwonly: tuple[str, ...]

    def accepts(self, n: int) -> bool:
        """Would a call with n positional arguments bind?"""
        if self.required_kwonly:
            return False
        return self.required <= n and (self.varargs or n <= self.positional)

    @classmethod
    def of(cls, args: ast.arguments) -> "Signature":
        positional = len(args.posonlyargs) + len(args.args)
        kwonly = tuple(a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults)
                       if d is None)
        return cls(positional, positional - len(args.defaults),
                   args.vararg is not None, kwonly)

    def bind(self, n: int, keywords: tuple[str, ...] = ()) -> "Signature":
        """What is left after binding n positional arguments and the named
        keyword-only parameters (functools.partial).  More positional
        arguments than parameters leave a negative count: no call binds."""
        return Signature(self.positional - n, max(0, self.required - n),
                         self.varargs,
                         tuple(k for k in self.required_kwonly
                               if k not in keywords))


class Function(Protocol):
    """A top-level function of the script, as the reader records it."""

    signature: Signature | None
    node: ast.AST | None
    source: Source | None


@dataclass(frozen=True)
class Source:
    """Where a callable's result comes from: what fn's return statements
    return, where a call of one of the names in `wraps` (a decorator's
    parameter, inside its wrapper) returns what that Source returns."""

    fn: ast.FunctionDef | ast.Lambda
    wraps: tuple[tuple[str, "Source"], ...] = ()


@dataclass(frozen=True)
class Seen:
    """What a binding accepts, or why that cannot be seen."""

    signature: Signature | None
    # How the signature was found, for messages ("decorated with 'log'");
    # empty when it is the def's own.
    via: str = ""
    # The def whose parameters these are, when it is not the binding's
    # own (a decorator's wrapper, __call__): for a note.
    origin: ast.AST | None = None
    # Why the signature cannot be seen, when it is None.
    unseen: str = ""
    # Where its result comes from, when the script's code shows it.
    source: Source | None = None


class Names:
    """What names mean at module level: the imports seen so far (local
    name -> dotted origin, `ft` -> `functools`) and the script's own
    functions and classes."""

    def __init__(self, functions: Mapping[str, Function],
                 classes: Mapping[str, ast.ClassDef]) -> None:
        self.imports: dict[str, str] = {}
        self.functions = functions
        self.classes = classes

    def imported(self, stmt: ast.Import | ast.ImportFrom) -> None:
        for alias in stmt.names:
            if isinstance(stmt, ast.Import):
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
            elif stmt.level == 0 and stmt.module and alias.name != "*":
                self.imports[alias.asname or alias.name] = \
                    f"{stmt.module}.{alias.name}"

    def forget(self, name: str) -> None:
        """name was rebound to something other than an import."""
        self.imports.pop(name, None)

    def dotted(self, expr: ast.expr) -> str | None:
        """'functools.partial' for `partial` after `from functools import
        partial`, or for `ft.partial` after `import functools as ft`."""
        if isinstance(expr, ast.Name):
            return self.imports.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.dotted(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    # Decorators -------------------------------------------------------

    def decorated(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Seen:
        """What fn accepts once its decorators have been applied (the one
        nearest the def first, as Python applies them)."""
        seen = Seen(Signature.of(fn.args), source=Source(fn))
        for deco in reversed(fn.decorator_list):
            seen = self.through(deco, seen)
            if seen.signature is None:
                break
        return seen

    def through(self, deco: ast.expr, seen: Seen) -> Seen:
        label = ast.unparse(deco)
        if self.dotted(deco) in _IDENTITY:
            return seen
        target = self.functions.get(deco.id) \
            if isinstance(deco, ast.Name) else None
        node = target.node if target is not None else None
        if not isinstance(node, ast.FunctionDef) or node.decorator_list:
            return Seen(None, unseen=f"decorated with '{label}'")
        returned = _returned(node)
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        if returned is not None and params[:1] == [returned]:
            return seen  # `return fn`: the function itself
        wrapper = _nested_def(node, returned)
        if wrapper is None or not all(self._wraps(d)
                                      for d in wrapper.decorator_list):
            return Seen(None, unseen=f"decorated with '{label}', whose "
                        "result cannot be seen")
        wraps = ((params[0], seen.source),) \
            if params and seen.source is not None else ()
        return Seen(Signature.of(wrapper.args), f"decorated with '{label}'",
                    wrapper, source=Source(wrapper, wraps))

    def _wraps(self, deco: ast.expr) -> bool:
        """functools.wraps(...) copies names, not parameters."""
        return isinstance(deco, ast.Call) and \
            self.dotted(deco.func) == "functools.wraps"

    # Values -----------------------------------------------------------

    def value(self, value: ast.expr) -> Seen | None:
        """What a callable built by a call accepts, if it can be seen;
        None if value is not such a call."""
        if not isinstance(value, ast.Call):
            return None
        if self.dotted(value.func) == "functools.partial":
            return self.partial(value)
        if isinstance(value.func, ast.Name) and \
                value.func.id in self.classes:
            return self.instance(self.classes[value.func.id])
        return None

    def partial(self, call: ast.Call) -> Seen:
        text = ast.unparse(call)
        if len(text) > 60:
            text = ast.unparse(call.func) + "(...)"
        unseen = Seen(None, unseen=f"{text}, whose parameters cannot be "
                      "seen")
        if not call.args or any(isinstance(a, ast.Starred)
                                for a in call.args[1:]):
            return unseen
        first = call.args[0]
        target = self.functions.get(first.id) \
            if isinstance(first, ast.Name) else None
        if target is None or target.signature is None:
            return unseen
        keywords = tuple(k.arg for k in call.keywords if k.arg is not None)
        if len(keywords) != len(call.keywords) or \
                not set(keywords) <= _kwonly(target.node):
            # **kwargs, or a keyword that binds a positional parameter.
            return unseen
        n = len(call.args) - 1
        s = "" if n == 1 else "s"
        origin = target.node if isinstance(target.node, ast.FunctionDef) \
            else None
        return Seen(target.signature.bind(n, keywords),
                    f"as {text}, with {n} argument{s} bound", origin,
                    source=target.source)

    def instance(self, cls: ast.ClassDef) -> Seen:
        call = next((s for s in cls.body
                     if isinstance(s, ast.FunctionDef)
                     and s.name == "__call__"), None)
        if call is None or call.decorator_list:
            return Seen(None, unseen=f"an instance of the class "
                        f"'{cls.name}', whose __call__ cannot be seen")
        return Seen(Signature.of(call.args).bind(1),
                    f"as an instance of '{cls.name}'", call,
                    source=Source(call))


# Decorators that return the function they are given.
_IDENTITY = frozenset({"atexit.register"})


def own_scope(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of a function body that run in its own scope: nested
    defs, lambdas and classes are skipped whole (their decorators and
    defaults cannot hold a yield or a return of the outer function)."""
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                             ast.Lambda, ast.ClassDef)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _returned(fn: ast.FunctionDef) -> str | None:
    """The name fn returns, if its body has one return, `return NAME`."""
    returns = [n for n in own_scope(fn.body) if isinstance(n, ast.Return)]
    if len(returns) == 1 and returns[0] in fn.body and \
            isinstance(returns[0].value, ast.Name):
        return returns[0].value.id
    return None


def _nested_def(fn: ast.FunctionDef, name: str | None) -> ast.FunctionDef | None:
    """The def named name directly in fn's body."""
    defs = [s for s in fn.body if isinstance(s, ast.FunctionDef)
            and s.name == name]
    return defs[-1] if len(defs) == 1 else None


def _kwonly(node: ast.AST | None) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return {a.arg for a in node.args.kwonlyargs}
    return set()

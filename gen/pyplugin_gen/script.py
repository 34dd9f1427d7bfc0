# SPDX-License-Identifier: BSD-3-Clause
"""Read a plugin script with `ast` into a small model.  Never runs it.

The reader records what the script binds at module level (callbacks, the
API declaration, metadata) and where, and reports what makes a script
unreadable: I/O errors, undecodable bytes, syntax errors (Python's own
messages, including the ones only the bytecode compiler finds), and an
invalid API declaration or metadata.  Judging the callbacks against the
callback table is check.py's job.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import tokenize
import warnings
from dataclasses import dataclass, field

from .callbacks import BY_NAME, Dialect
from .declarations import API_FORMS, METADATA, DeclarationReader, Metadata
from .diagnostics import Diagnostics, source_lines
from .reporter import Reporter, describe_literal
from .signatures import Names, Seen, Signature, Source, own_scope

# Names whose every module-level binding the reader tracks.
_TRACKED = frozenset(BY_NAME) | frozenset(METADATA) | frozenset(API_FORMS)


@dataclass(frozen=True)
class Definition:
    """A module-level binding of a name the generator cares about."""

    name: str
    line: int
    col: int  # 1-based, in characters, of the name where it is bound
    # "def", "lambda", "alias" (of a def or lambda), "class",
    # "literal" (a value that is certainly not callable, e.g. `pread = 3`)
    # or "other" (an expression whose value is unknown until run time).
    kind: str
    # None when it cannot be known without running the script.
    signature: Signature | None
    # The compound statement the binding is inside ("if", "try", ...), or
    # None for a plain top-level binding that always happens.
    conditional: str | None = None
    is_async: bool = False
    generator: bool = False  # the def contains yield
    decorated: bool = False
    what: str = ""  # for "literal", "class" and "other": what it is
    # How the signature was seen through a decorator, functools.partial
    # or a class's __call__ (signatures.Seen), and the (line, column,
    # name) of the def it comes from.
    via: str = ""
    origin: tuple[int, int, str] | None = None
    # Why the signature cannot be seen, when it is None.
    unseen: str = ""
    length: int = 1  # length of the name, for the caret display
    # Where its result comes from, when the script's code shows it.
    source: Source | None = field(default=None, compare=False, repr=False)
    value: ast.expr | None = field(default=None, compare=False, repr=False)
    node: ast.AST | None = field(default=None, compare=False, repr=False)

    @property
    def is_function(self) -> bool:
        return self.kind in ("def", "lambda", "alias")


@dataclass
class Script:
    path: str  # as given on the command line, for diagnostics
    filename: str  # base name, used as co_filename and in the plugin
    source: bytes
    dialect: Dialect = Dialect.API1
    # False when the API declaration is invalid: the dialect is a guess
    # and parameters are not judged against it.
    dialect_known: bool = True
    # The binding of each callback name in effect at the end of the module
    # (the last one, as Python would use).
    callbacks: dict[str, Definition] = field(default_factory=dict)
    # Every binding of a tracked name that may be in effect at the end:
    # the last top-level one plus any made conditionally after it.
    candidates: dict[str, list[Definition]] = field(default_factory=dict)
    # Top-level functions (def, lambda, alias) by name, callbacks or not.
    functions: dict[str, Definition] = field(default_factory=dict)
    metadata: dict[str, Metadata] = field(default_factory=dict)
    docstring: str | None = None
    # Constructs that may bind names the reader cannot see, with their
    # positions: `from m import *`, globals(), setattr(), exec() ...
    dynamic: list[tuple[int, int, str]] = field(default_factory=list)
    text: str = ""  # the source, decoded as Python decodes it
    lines: list[str] = field(default_factory=list)
    # True when the callbacks are what --import found the script has
    # after running (introspect.Imported), not those read from source.
    imported: bool = False
    # Every name bound at module level (at any depth of if/try/...), with
    # the position of its first binding.
    bound: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source).hexdigest()

    @property
    def config_help(self) -> str | None:
        meta = self.metadata.get("config_help")
        return meta.value if meta else self.docstring

    def ordered_callbacks(self) -> list[str]:
        """Defined callbacks in table order, so output is stable."""
        return [name for name in BY_NAME if name in self.callbacks]


def read(path: str, diags: Diagnostics) -> Script | None:
    """Read and parse the script; report problems to diags.

    Returns None when the script cannot be parsed at all; otherwise the
    model, possibly with errors reported.
    """
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        diags.error(path, 0, 0, f"cannot read script: "
                    f"{e.strerror or e}", rule="unreadable")
        return None
    script = Script(path, os.path.basename(path), source)
    try:
        script.filename.encode("utf-8")
    except UnicodeEncodeError:
        # The name travels in the plugin as a C string and becomes the
        # script's __file__, which must be valid UTF-8.
        diags.error(path, 0, 0, "the script's file name is not valid UTF-8;"
                    " rename it", rule="unreadable")
        return None
    text = _decode(script, diags)
    if text is None:
        return None
    script.text = text
    script.lines = source_lines(text)
    diags.set_source(path, text)
    tree = _parse(script, text, diags)
    if tree is None:
        return None
    _Reader(script, diags).visit_module(tree)
    return script


def _decode(script: Script, diags: Diagnostics) -> str | None:
    """The source text, or None after reporting why it cannot be had."""
    source, path = script.source, script.path
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as e:
        # A bad coding line, or a BOM that contradicts it.  Point at the
        # declared encoding name when there is one.
        line, col = _coding_position(source)
        diags.error(path, line, col, f"cannot decode script: {e.msg}",
                    rule="decode")
        return None
    try:
        return source.decode(encoding)
    except UnicodeDecodeError as e:
        line = source.count(b"\n", 0, e.start) + 1
        start = source.rfind(b"\n", 0, e.start) + 1
        col = len(source[start:e.start].decode(encoding, "replace")) + 1
        bad = source[e.start:e.end]
        diags.error(path, line, col,
                    f"cannot decode script as {encoding}: {e.reason} "
                    f"(byte{'s' if len(bad) > 1 else ''} "
                    f"{' '.join('0x%02x' % b for b in bad)}); declare the "
                    "encoding with a '# -*- coding: NAME -*-' line (PEP 263)",
                    rule="decode")
        return None


def _coding_position(source: bytes) -> tuple[int, int]:
    for number, line in enumerate(source.split(b"\n")[:2], 1):
        m = re.match(rb"[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", line)
        if m:
            return number, len(line[:m.start(1)].decode("latin-1")) + 1
    return 1, 1


def _parse(script: Script, text: str, diags: Diagnostics) -> ast.Module | None:
    """Parse and compile (without running) the source.  Compiling finds
    the errors the parser leaves to the compiler ('return' outside a
    function, nonlocal at module level, ...) and Python's warnings."""
    path = script.path
    nul = text.find("\0")
    if nul != -1:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        diags.error(path, line, col, "source code cannot contain null bytes",
                    rule="syntax")
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = ast.parse(text, filename=path)
            compile(tree, path, "exec", dont_inherit=True)
        except SyntaxError as e:
            line = e.lineno or 1
            col = e.offset or 0
            if line > len(script.lines) + 1:
                line = len(script.lines) or 1
            length = 1
            if e.end_lineno == e.lineno and e.end_offset and col \
                    and e.end_offset > col:
                length = e.end_offset - col
            diags.error(path, line, col, e.msg, length, rule="syntax")
            return None
        except (RecursionError, MemoryError):
            diags.error(path, 1, 1, "the script is nested too deeply for "
                        "Python to compile", rule="syntax")
            return None
        except ValueError as e:  # defensive: anything else compile rejects
            diags.error(path, 1, 1, str(e), rule="syntax")
            return None
    seen = set()
    for w in caught:
        if not issubclass(w.category, (SyntaxWarning, DeprecationWarning)):
            continue
        message = str(w.message)
        line = w.lineno or 1
        if (line, message) in seen:
            continue
        seen.add((line, message))
        col, length = _warning_column(script, line, message)
        diags.warning(path, line, col, message, length,
                      rule="python-warning")
    return tree


def _warning_column(script: Script, line: int,
                    message: str) -> tuple[int, int]:
    """(column, length): Python's warnings carry no column, so find the
    quoted text, e.g. the '\\d' of "invalid escape sequence '\\d'", else
    point at the first non-blank."""
    if not 1 <= line <= len(script.lines):
        return 1, 1
    text = script.lines[line - 1]
    m = re.search(r"""['"]([^'"]+)['"]""", message)
    if m:
        where = text.find(m.group(1))
        if where != -1:
            return where + 1, len(m.group(1))
    return len(text) - len(text.lstrip()) + 1, 1


def _is_generator(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Does fn's own body (not nested scopes) contain yield?"""
    return any(isinstance(node, (ast.Yield, ast.YieldFrom))
               for node in own_scope(fn.body))


_DYNAMIC_CALLS = ("globals", "vars", "setattr", "exec", "eval", "locals",
                  "__import__")


class _Reader(Reporter):
    """The binding walk: what each module-level name is bound to."""

    def __init__(self, script: Script, diags: Diagnostics) -> None:
        super().__init__(script, diags)
        # Per tracked name: the last unconditional binding.
        self.last: dict[str, Definition] = {}
        # Names bound to a class statement.
        self.classes: dict[str, ast.ClassDef] = {}
        self.names = Names(script.functions, self.classes)

    # The walk ---------------------------------------------------------

    def visit_module(self, tree: ast.Module) -> None:
        self.script.docstring = ast.get_docstring(tree, clean=True)
        self.docstring_node = tree.body[0].value \
            if self.script.docstring is not None else None
        self.find_dynamic(tree)
        self.body(tree.body, None)
        self.script.callbacks = {
            name: cands[-1] for name, cands in self.script.candidates.items()
            if name in BY_NAME and cands}
        declarations = DeclarationReader(self.script, self.diags)
        declarations.api_declaration()
        declarations.read_metadata(self.docstring_node)

    def find_dynamic(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            what = None
            if isinstance(node, ast.ImportFrom) and \
                    any(a.name == "*" for a in node.names):
                what = f"'from {'.' * node.level}{node.module or ''} import *'"
            elif isinstance(node, ast.Call) and \
                    isinstance(node.func, ast.Name) and \
                    node.func.id in _DYNAMIC_CALLS:
                what = f"{node.func.id}()"
            if what:
                self.script.dynamic.append((*self.pos(node), what))
        self.script.dynamic.sort()

    def body(self, stmts: list[ast.stmt], cond: str | None) -> None:
        for stmt in stmts:
            self.statement(stmt, cond)

    def statement(self, stmt: ast.stmt, cond: str | None) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bind(self.function(stmt, cond))
        elif isinstance(stmt, ast.ClassDef):
            line, col = self.name_pos(stmt, stmt.name)
            self.bind(Definition(stmt.name, line, col, "class", None, cond,
                                 what="a class", length=len(stmt.name),
                                 node=stmt))
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self.target(target, stmt.value, cond)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.target(stmt.target, stmt.value, cond)
        elif isinstance(stmt, ast.AugAssign):
            self.target(stmt.target, None, cond)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.names.imported(stmt)
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                name = (alias.asname or alias.name).split(".")[0]
                module = alias.name if isinstance(stmt, ast.Import) else \
                    "." * stmt.level + (stmt.module or "")
                line, col = self.pos(stmt)
                self.bind(Definition(name, line, col, "other", None, cond,
                                     what=f"an import from '{module}'",
                                     node=stmt))
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and cond is None:
                    self.script.candidates.pop(target.id, None)
                    self.script.functions.pop(target.id, None)
                    self.last.pop(target.id, None)
        elif isinstance(stmt, ast.If):
            self.body(stmt.body, cond or "if")
            self.body(stmt.orelse, cond or "if")
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.target(stmt.target, None, cond or "for")
            self.body(stmt.body, cond or "for")
            self.body(stmt.orelse, cond or "for")
        elif isinstance(stmt, ast.While):
            self.body(stmt.body, cond or "while")
            self.body(stmt.orelse, cond or "while")
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    self.target(item.optional_vars, None, cond)
            # The body of a with statement always runs (or the module
            # fails), so it does not make bindings conditional.
            self.body(stmt.body, cond)
        elif isinstance(stmt, ast.Try) or \
                type(stmt).__name__ == "TryStar":
            self.body(stmt.body, cond or "try")
            for handler in stmt.handlers:
                self.body(handler.body, cond or "try")
            self.body(stmt.orelse, cond or "try")
            self.body(stmt.finalbody, cond)
        elif type(stmt).__name__ == "Match":
            for case in stmt.cases:
                self.body(case.body, cond or "match")

    def function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef,
                 cond: str | None) -> Definition:
        line, col = self.name_pos(stmt, stmt.name)
        seen = self.names.decorated(stmt)
        return Definition(
            stmt.name, line, col, "def", seen.signature, cond,
            is_async=isinstance(stmt, ast.AsyncFunctionDef),
            generator=_is_generator(stmt),
            decorated=bool(stmt.decorator_list), length=len(stmt.name),
            node=stmt, **self.seen(seen))

    def target(self, target: ast.expr, value: ast.expr | None,
               cond: str | None) -> None:
        """Bind the names in an assignment target to value (None: a value
        the reader does not follow, as in `for x in ...` or `x += 1`)."""
        if isinstance(target, ast.Name):
            self.bind(self.definition_of(target, value, cond))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.target(element, None, cond)
        elif isinstance(target, ast.Starred):
            self.target(target.value, None, cond)
        # Attributes and subscripts bind no module-level name, except by
        # way of globals()[...], which find_dynamic notes.

    def definition_of(self, target: ast.Name, value: ast.expr | None,
                      cond: str | None) -> Definition:
        name = target.id
        line, col = self.pos(target)
        where = dict(name=name, line=line, col=col, conditional=cond,
                     length=len(name), value=value, node=target)
        if isinstance(value, ast.Lambda):
            return Definition(kind="lambda", signature=Signature.of(value.args),
                              generator=_is_generator_lambda(value),
                              source=Source(value), **where)
        if isinstance(value, ast.Name) and value.id in self.script.functions:
            f = self.script.functions[value.id]
            return Definition(kind="alias", signature=f.signature,
                              is_async=f.is_async, generator=f.generator,
                              decorated=f.decorated, via=f.via,
                              origin=f.origin, unseen=f.unseen,
                              source=f.source,
                              what=f"an alias of '{value.id}'", **where)
        literal = describe_literal(value) if value is not None else None
        if literal is not None:
            return Definition(kind="literal", signature=None, what=literal,
                              **where)
        seen = self.names.value(value) if value is not None else None
        if seen is not None:
            return Definition(kind="other", signature=seen.signature,
                              what=seen.via or seen.unseen, **self.seen(seen),
                              **where)
        if isinstance(value, ast.Name) and value.id in self.classes:
            what = f"the class '{value.id}'"
        elif isinstance(value, ast.Call) and \
                isinstance(value.func, ast.Name) and \
                value.func.id in self.classes:
            what = f"an instance of the class '{value.func.id}'"
        elif isinstance(value, ast.Call):
            what = "the result of a call"
        else:
            what = "an expression"
        return Definition(kind="other", signature=None, what=what, **where)

    def seen(self, seen: Seen) -> dict:
        """The Definition fields of what signatures.Names saw."""
        origin = None
        if seen.origin is not None:
            origin = (*self.name_pos(seen.origin, seen.origin.name),
                      seen.origin.name)
        return dict(via=seen.via, origin=origin, unseen=seen.unseen,
                    source=seen.source)

    def bind(self, d: Definition) -> None:
        self.script.bound.setdefault(d.name, (d.line, d.col))
        if d.kind == "class":
            self.classes[d.name] = d.node
        else:
            self.classes.pop(d.name, None)
        if not isinstance(d.node, (ast.Import, ast.ImportFrom)):
            self.names.forget(d.name)
        if d.is_function:
            self.script.functions[d.name] = d
        else:
            self.script.functions.pop(d.name, None)
        if d.name not in _TRACKED:
            return
        cands = self.script.candidates.setdefault(d.name, [])
        if d.conditional is not None:
            cands.append(d)
            return
        previous = self.last.get(d.name)
        if previous is not None:
            what = "callback" if d.name in BY_NAME else "name"
            self.diags.warning(
                self.script.path, d.line, d.col,
                f"{what} '{d.name}' is defined again; the last definition "
                "is the one used, as in Python", d.length,
                [self.note_at(previous, f"previous definition of "
                                        f"'{d.name}' was here")],
                rule="redefined")
        self.last[d.name] = d
        cands[:] = [d]

def _is_generator_lambda(fn: ast.Lambda) -> bool:
    todo: list[ast.AST] = [fn.body]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.Lambda, ast.GeneratorExp, ast.ListComp,
                             ast.SetComp, ast.DictComp)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False

"""Read a plugin script with `ast` into a small model.  Never runs it."""

from __future__ import annotations

import ast
import hashlib
import io
import os
import tokenize
from dataclasses import dataclass, field

from .callbacks import BY_NAME, Dialect
from .diagnostics import Diagnostics

# Module-level strings nbdkit python ignores and the generated plugin uses.
METADATA = ("longname", "description", "version", "config_help",
            "magic_config_key")


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


@dataclass(frozen=True)
class Definition:
    """A top-level name the script binds, with where and how."""

    name: str
    line: int
    col: int
    kind: str  # "def", "alias" (of a top-level def), "lambda" or "other"
    signature: Signature | None  # None when it cannot be known statically
    value_is_literal: bool = False  # e.g. `pread = 3`


@dataclass(frozen=True)
class Metadata:
    value: str
    line: int
    col: int


@dataclass
class Script:
    path: str  # as given on the command line, for diagnostics
    filename: str  # base name, used as co_filename and in the plugin
    source: bytes
    dialect: Dialect = Dialect.API1
    callbacks: dict[str, Definition] = field(default_factory=dict)
    functions: dict[str, Definition] = field(default_factory=dict)
    metadata: dict[str, Metadata] = field(default_factory=dict)
    docstring: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source).hexdigest()

    @property
    def text(self) -> str:
        return decode(self.source)

    @property
    def config_help(self) -> str | None:
        meta = self.metadata.get("config_help")
        return meta.value if meta else self.docstring

    def ordered_callbacks(self) -> list[str]:
        """Defined callbacks in table order, so output is stable."""
        return [name for name in BY_NAME if name in self.callbacks]


def decode(source: bytes) -> str:
    """Decode as Python would, honouring a PEP 263 coding line."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding)


def read(path: str, diags: Diagnostics) -> Script | None:
    """Read and parse the script; report problems to diags."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        diags.error(path, 0, 0, f"cannot read script: {e.strerror}")
        return None
    script = Script(path, os.path.basename(path), source)
    try:
        text = decode(source)
    except (SyntaxError, UnicodeDecodeError, LookupError) as e:
        diags.error(path, getattr(e, "lineno", None) or 1, 0,
                    f"cannot decode script: {e}")
        return None
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as e:
        diags.error(path, e.lineno or 1, e.offset or 0, e.msg)
        return None
    _Reader(script, diags).visit_module(tree)
    return script


class _Reader:
    def __init__(self, script: Script, diags: Diagnostics) -> None:
        self.script = script
        self.diags = diags
        self.api_decls: list[tuple[str, ast.AST, int | None]] = []

    def error(self, node: ast.AST, message: str) -> None:
        self.diags.error(self.script.path, node.lineno, node.col_offset + 1,
                         message)

    def visit_module(self, tree: ast.Module) -> None:
        self.script.docstring = ast.get_docstring(tree, clean=True)
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.bind(Definition(stmt.name, stmt.lineno,
                                     stmt.col_offset + 1, "def",
                                     Signature.of(stmt.args)))
                if stmt.name == "api_version":
                    self.api_decls.append(("api_version()", stmt,
                                           _returned_literal(stmt)))
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self.assignment(stmt)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    name = (alias.asname or alias.name).split(".")[0]
                    self.bind(Definition(name, stmt.lineno,
                                         stmt.col_offset + 1, "other", None))
        self.dialect()

    def assignment(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        for target in targets:
            if not isinstance(target, ast.Name) or value is None:
                continue
            name = target.id
            if name == "API_VERSION":
                literal = value.value if isinstance(value, ast.Constant) \
                    else None
                self.api_decls.append(("API_VERSION", stmt, literal))
            elif name in METADATA:
                if isinstance(value, ast.Constant) and \
                        isinstance(value.value, str):
                    self.script.metadata[name] = Metadata(
                        value.value, stmt.lineno, stmt.col_offset + 1)
                else:
                    self.error(value, f"'{name}' must be a string literal")
            self.bind(self.definition_of(name, stmt, value))

    def definition_of(self, name: str, stmt: ast.stmt,
                      value: ast.expr) -> Definition:
        where = (stmt.lineno, stmt.col_offset + 1)
        if isinstance(value, ast.Lambda):
            return Definition(name, *where, "lambda", Signature.of(value.args))
        if isinstance(value, ast.Name) and value.id in self.script.functions:
            target = self.script.functions[value.id]
            return Definition(name, *where, "alias", target.signature)
        return Definition(name, *where, "other", None,
                          value_is_literal=isinstance(value, ast.Constant))

    def bind(self, d: Definition) -> None:
        if d.kind in ("def", "alias"):
            self.script.functions[d.name] = d
        else:
            self.script.functions.pop(d.name, None)
        if d.name in BY_NAME:
            self.script.callbacks[d.name] = d
        else:
            self.script.callbacks.pop(d.name, None)

    def dialect(self) -> None:
        if not self.api_decls:
            return
        if len({form for form, _, _ in self.api_decls}) > 1:
            form, node, _ = self.api_decls[-1]
            self.error(node, "both API_VERSION and api_version() are "
                       "declared; declare the API version once")
            return
        form, node, version = self.api_decls[-1]
        if isinstance(version, bool) or not isinstance(version, int):
            self.error(node, f"{form} must be the integer literal 1 or 2")
            return
        if version not in (1, 2):
            self.error(node, f"{form} declares API version {version}; "
                       "only 1 and 2 exist")
            return
        if version == 1:
            self.script.dialect = Dialect.API1
        elif form == "API_VERSION":
            self.script.dialect = Dialect.RELEASED
        else:
            self.script.dialect = Dialect.SEED


def _returned_literal(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> object:
    """The literal `def api_version(): return N` returns, else None."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and \
            isinstance(body[0].value, ast.Constant) and \
            isinstance(body[0].value.value, str):
        body = body[1:]  # docstring
    if len(body) == 1 and isinstance(body[0], ast.Return) and \
            isinstance(body[0].value, ast.Constant):
        return body[0].value.value
    return None

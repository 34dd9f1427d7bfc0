# SPDX-License-Identifier: BSD-3-Clause
"""Diagnostics at a script's nodes: where a node is, in characters, and
what a literal is, for messages.  Shared by the binder (script.py) and
the readers of what the script declares (declarations.py)."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Diagnostics, note

if TYPE_CHECKING:
    from .script import Definition, Script


def char_col(lines: list[str], lineno: int, byte_offset: int) -> int:
    """ast's UTF-8 byte offset as a 1-based character column."""
    if not 1 <= lineno <= len(lines):
        return byte_offset + 1
    prefix = lines[lineno - 1].encode("utf-8")[:byte_offset]
    return len(prefix.decode("utf-8", "replace")) + 1


def with_article(noun: str) -> str:
    """'an int', 'a list'."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def describe_literal(value: ast.expr) -> str | None:
    """'an int', 'a list' ... for values that certainly cannot be called."""
    if isinstance(value, ast.Constant):
        v = value.value
        if v is None:
            return "None"
        if v is Ellipsis:
            return "Ellipsis"
        name = type(v).__name__
        if name == "bytes":
            return "a bytes object"
        return with_article(name)
    kinds = {
        ast.List: "a list", ast.ListComp: "a list", ast.Tuple: "a tuple",
        ast.Dict: "a dict", ast.DictComp: "a dict", ast.Set: "a set",
        ast.SetComp: "a set", ast.GeneratorExp: "a generator",
        ast.JoinedStr: "an f-string",
    }
    for kind, text in kinds.items():
        if isinstance(value, kind):
            return text
    return None


class Reporter:
    """Errors and notes at the nodes and definitions of one script."""

    def __init__(self, script: Script, diags: Diagnostics) -> None:
        self.script = script
        self.diags = diags

    def pos(self, node: ast.AST) -> tuple[int, int]:
        return node.lineno, char_col(self.script.lines, node.lineno,
                                      node.col_offset)

    def name_pos(self, node: ast.AST, name: str) -> tuple[int, int]:
        """Where name appears in the def/class statement at node."""
        line, col = self.pos(node)
        if 1 <= line <= len(self.script.lines):
            text = self.script.lines[line - 1]
            m = re.compile(r"(?:async\s+)?(?:def|class)\s+(" + re.escape(name)
                           + r")\b").match(text, col - 1)
            if m:
                return line, m.start(1) + 1
        return line, col

    def error(self, node: ast.AST, message: str, notes=(), *,
              rule: str) -> None:
        """An error at node, underlining all of it when it is on one
        line."""
        line, col = self.pos(node)
        length = 1
        if getattr(node, "end_lineno", None) == node.lineno and \
                node.end_col_offset is not None:
            end = char_col(self.script.lines, line, node.end_col_offset)
            length = max(1, end - col)
        self.diags.error(self.script.path, line, col, message, length, notes,
                         rule=rule)

    def error_at(self, d: Definition, message: str, notes=(), *,
                 rule: str) -> None:
        self.diags.error(self.script.path, d.line, d.col, message, d.length,
                         notes, rule=rule)

    def note_at(self, d: Definition, message: str) -> Diagnostic:
        return note(self.script.path, d.line, d.col, message, d.length)

# SPDX-License-Identifier: BSD-3-Clause
"""Render the C plugin (model.Plugin) with the Jinja2 templates, and the
filters that keep any text safe in C."""

from __future__ import annotations

import re

import jinja2

from . import buildconfig
from .model import Plugin


def c_string(value: str) -> str:
    """A C string literal carrying value unchanged (as UTF-8).

    Octal escapes cannot swallow a following digit the way hex escapes
    do, and '?' is escaped so no trigraph can form.
    """
    out = ['"']
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= byte < 0x7f:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def c_string_lines(value: str) -> str:
    """A C string literal split after each newline, one piece a line."""
    pieces = value.splitlines(keepends=True) or [""]
    return "\n".join("  " + c_string(p) for p in pieces)


def c_bytes(data: bytes, per_line: int = 12) -> str:
    """The bytes as the rows of a C array initializer."""
    rows = []
    for i in range(0, len(data), per_line):
        rows.append("  " + ", ".join(f"0x{b:02x}" for b in
                                     data[i:i + per_line]) + ",")
    return "\n".join(rows)


def c_comment(value: str) -> str:
    """Text safe inside a /* */ comment, on one line."""
    text = value.encode("unicode_escape").decode("ascii")
    text = text.replace("*/", "*\\/").replace("/*", "/\\*")
    # Every '?' before another '?', so that no two are left adjacent
    # ("???=" would keep a "??=").
    return re.sub(r"\?(?=\?)", r"?\\", text)


def wrap(line: str, width: int = 80) -> str:
    """Break a long call or declaration after commas, continuation lines
    aligned after its first '(', as clang-format does with the project's
    .clang-format; so the generated C is formatted without running it."""
    if len(line) <= width or "(" not in line:
        return line
    indent = line.index("(") + 1
    lines: list[str] = []
    current = ""
    for piece in _split_args(line):
        candidate = current + piece
        if current and len(candidate.rstrip()) > width:
            lines.append(current.rstrip())
            current = " " * indent + piece.lstrip()
        else:
            current = candidate
    lines.append(current.rstrip())
    return "\n".join(lines)


def _split_args(line: str) -> list[str]:
    """Pieces of line each ending just after a top-level ', ' of the
    outermost parenthesis (string literals kept whole)."""
    pieces, depth, start, in_str, i = [], 0, 0, False, 0
    while i < len(line):
        ch = line[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 1:
            pieces.append(line[start:i + 2])
            start = i + 2
        i += 1
    pieces.append(line[start:])
    return pieces


def environment(templates_dir: str | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir
                                       or buildconfig.TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["c_string"] = c_string
    env.filters["c_comment"] = c_comment
    env.filters["wrap"] = wrap
    env.filters["c_string_lines"] = c_string_lines
    env.filters["c_bytes"] = c_bytes
    return env


def render(plugin: Plugin, templates_dir: str | None = None) -> str:
    """The C source of the plugin."""
    template = environment(templates_dir).get_template("plugin.c.j2")
    return template.render(plugin=plugin)

# SPDX-License-Identifier: BSD-3-Clause
"""Write the manual page, its CALLBACKS section rendered from the table.

Run by make:

    python3 -m pyplugin_gen.manpage doc/pyplugin-gen.1.in \\
        doc/callbacks.man.j2 -o doc/pyplugin-gen.1

The line MARKER in the page's source is replaced by the section the
template renders from the callback table: every callback, its Python
parameters in each dialect, what it returns and its default when absent.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import jinja2

from .callbacks import CALLBACKS, Callback, Dialect, Result, Where
from .files import write_atomic

MARKER = '.\\" @CALLBACKS@'


@dataclass(frozen=True)
class Entry:
    """One callback as the manual shows it."""

    name: str
    summary: str
    required: bool
    default: str
    # (dialects, Python parameters, result) for each distinct signature.
    entries: tuple[tuple[tuple[Dialect, ...], tuple[str, ...], Result], ...]
    # With one interpreter per connection: which one runs it, and
    # whether its calls are replayed in each connection's.
    where: str


def entry(cb: Callback) -> Entry:
    entries = []
    for dialects, params in cb.signatures():
        results = {cb.result[d] for d in dialects}
        # Dialects that share parameters share the result's meaning too.
        assert len(results) == 1, cb.name
        entries.append((dialects, params, results.pop()))
    where = ("the main interpreter" if cb.runs_in is Where.PROCESS
             else "the connection's interpreter")
    if cb.replayed:
        where += ", and replayed in each connection's"
    return Entry(cb.name, cb.summary, cb.required, cb.default,
                 tuple(entries), where)


def text(s: str) -> str:
    """s as troff text: backslashes escaped, no request at a line start."""
    s = s.replace("\\", "\\e")
    return "\\&" + s if s.startswith((".", "'")) else s


def signature(params: tuple[str, ...], name: str) -> str:
    """name(p, q) as a .BI request: the name bold, parameters italic."""
    if not params:
        return f".B {name}()"
    words = [f"{name}("]
    for i, p in enumerate(params):
        words.append(p)
        words.append(", " if i < len(params) - 1 else ")")
    return ".BI " + " ".join(f'"{w}"' for w in words)


def section(template_path: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.dirname(template_path)),
        undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["man"] = text
    env.filters["sentence"] = lambda s: s[:1].upper() + s[1:]
    env.filters["signature"] = signature
    template = env.get_template(os.path.basename(template_path))
    return template.render(callbacks=[entry(cb) for cb in CALLBACKS])


def render(page: str, template_path: str) -> str:
    """The page with its MARKER line replaced by the CALLBACKS section."""
    lines = page.splitlines(keepends=True)
    where = [i for i, line in enumerate(lines) if line.rstrip("\n") == MARKER]
    if len(where) != 1:
        raise ValueError(f"the page must have the line {MARKER} once, "
                         f"not {len(where)} times")
    lines[where[0]] = section(template_path)
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="manpage", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("page", help="the page's source, with the marker line")
    p.add_argument("template", help="the CALLBACKS section's template")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    try:
        with open(args.page, encoding="utf-8") as f:
            page = f.read()
        write_atomic(args.output, render(page, args.template))
    except (OSError, ValueError, jinja2.TemplateError) as e:
        print(f"manpage: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

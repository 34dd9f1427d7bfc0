"""Render the C plugin from the Jinja2 template and the callback table."""

from __future__ import annotations

import os
import re

import jinja2

from . import buildconfig
from .callbacks import BY_NAME, CALLBACKS, Callback
from .script import Script


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


def c_comment(value: str) -> str:
    """Text safe inside a /* */ comment, on one line."""
    text = value.encode("unicode_escape").decode("ascii")
    text = text.replace("*/", "*\\/").replace("/*", "/\\*")
    # Every '?' before another '?', so that no two are left adjacent
    # ("???=" would keep a "??=").
    return re.sub(r"\?(?=\?)", r"?\\", text)


def registered(script: Script) -> list[Callback]:
    """The callbacks set in struct nbdkit_plugin, in table order."""
    return [cb for cb in CALLBACKS if cb.name in script.callbacks or cb.always]


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
    return env


def render(script: Script, name: str, code: bytes, magic: int,
           python_version: str, templates_dir: str | None = None) -> str:
    """The C source of the plugin for script."""
    template = environment(templates_dir).get_template("plugin.c.j2")
    return template.render(
        script=script,
        name=name,
        dialect=script.dialect,
        defined=script.ordered_callbacks(),
        registered=registered(script),
        code=code,
        magic=magic,
        python_version=python_version,
        source_lines=script.text.splitlines(keepends=True),
        thread_model=("PARALLEL" if "thread_model" in script.callbacks
                      else "SERIALIZE_ALL_REQUESTS"),
        version=buildconfig.VERSION,
        by_name=BY_NAME,
    )

# SPDX-License-Identifier: BSD-3-Clause
"""Make dependency files, as gcc -MD writes them.

    disk-plugin.so: disk.py /usr/share/pyplugin-gen/templates/plugin.c.j2 ...

so that a Makefile that includes them rebuilds a plugin exactly when one
of the files it was built from changes.
"""

from __future__ import annotations

import re

# What GNU make would take as syntax in a file name: a blank separates
# words and '#' starts a comment, so both are backslash-escaped, and '$'
# starts a reference, so it is doubled; as gcc does.
_SPECIAL = re.compile(r"[ \t#]")


def quote(path: str) -> str:
    """path as one word of a make rule."""
    if "\n" in path or "\0" in path:
        raise ValueError(f"{path!r}: a file name with a newline cannot be "
                         "written into a make dependency file")
    return _SPECIAL.sub(lambda m: "\\" + m.group(0),
                        path.replace("$", "$$"))


def render(target: str, inputs: list[str], phony: bool = False) -> str:
    """The rule `target: inputs...`, one input a line; with phony (-MP)
    also an empty rule for each input but the first (the script), so
    that make does not fail when one of them is deleted."""
    lines = [quote(target) + ":"]
    lines += [" " + quote(i) for i in inputs]
    text = " \\\n".join(lines) + "\n"
    if phony:
        text += "".join(f"\n{quote(i)}:\n" for i in inputs[1:])
    return text

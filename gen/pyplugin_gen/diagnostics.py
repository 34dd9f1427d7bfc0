# SPDX-License-Identifier: BSD-3-Clause
"""Compiler-style diagnostics: FILE:LINE:COL: error: MESSAGE.

Lines and columns are 1-based; columns count characters, as Python's own
SyntaxError does (ast's byte offsets are converted by the reader).  Line 0
means the file as a whole (an unreadable file) and prints as FILE: only.

On a terminal, as gcc does, each diagnostic is followed by its source line
and a caret, and the output is coloured (unless NO_COLOR is set or TERM is
"dumb").  Anywhere else the output is plain, one line per diagnostic, so
that it can be parsed.  Every diagnostic names its rule (rules.py); a
warning shows it as gcc shows its option, `[-Wname]`.  machine.py writes
the same diagnostics as JSON or SARIF.
"""

from __future__ import annotations

import enum
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TextIO

from .rules import BY_NAME as RULES


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; 0 when the problem is the file as a whole
    col: int  # 1-based, in characters; 0 when unknown
    severity: Severity
    message: str
    length: int = 1  # characters underlined from col, for the caret line
    notes: tuple["Diagnostic", ...] = field(default=())
    rule: str = ""  # rules.py's name; empty for a note attached to another
    promoted: bool = False  # a warning made an error by -Werror

    @property
    def location(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return where

    @property
    def option(self) -> str:
        """gcc's display of the option behind a warning: -Wname, or
        -Werror=name when -Werror made it an error; else empty."""
        if self.promoted:
            return f"-Werror={self.rule}"
        if self.severity is Severity.WARNING:
            return f"-W{self.rule}"
        return ""

    @property
    def text(self) -> str:
        """The message as the text format shows it."""
        option = self.option
        return f"{self.message} [{option}]" if option else self.message

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.text}"


def source_lines(text: str) -> list[str]:
    """The lines of Python source as Python numbers them: split at \\n,
    \\r\\n and \\r only (str.splitlines also splits at form feeds,
    U+2028 and others, which would shift every later line)."""
    return re.split(r"\r\n|\r|\n", text)


def note(file: str, line: int, col: int, message: str,
         length: int = 1) -> Diagnostic:
    """A note to attach to an error or warning (printed right after it)."""
    return Diagnostic(file, line, col, Severity.NOTE, message, length)


# gcc's default colours (GCC_COLORS): bold locations, red errors, magenta
# warnings, cyan notes, green carets.
_COLOURS = {
    "location": "\033[1m",
    Severity.ERROR: "\033[1;31m",
    Severity.WARNING: "\033[1;35m",
    Severity.NOTE: "\033[1;36m",
    "caret": "\033[1;32m",
}
_RESET = "\033[m"


def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and not when the user asks for none."""
    return (_isatty(stream) and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Diagnostics:
    """Collects the diagnostics of one run of the generator.

    With werror, warnings are recorded as errors, marked [-Werror=name]
    as gcc marks them; a warning whose rule is in disabled (-Wno-name) is
    not recorded.  What the checks could not see (unchecked) is recorded
    as a note only with show_unchecked (-v, -Wunchecked): it is no
    mistake.
    """

    def __init__(self, werror: bool = False,
                 show_unchecked: bool = False,
                 disabled: frozenset[str] = frozenset()) -> None:
        self.items: list[Diagnostic] = []
        self.werror = werror
        self.show_unchecked = show_unchecked
        self.disabled = disabled
        # Decoded source lines per file, for the caret display.
        self.sources: dict[str, list[str]] = {}

    def set_source(self, file: str, text: str) -> None:
        self.sources[file] = source_lines(text)

    def add(self, file: str, line: int, col: int, severity: Severity,
            message: str, length: int = 1,
            notes: tuple[Diagnostic, ...] | list[Diagnostic] = (), *,
            rule: str) -> None:
        assert rule in RULES, f"no rule {rule!r}"
        promoted = False
        if severity is Severity.WARNING:
            if rule in self.disabled:
                return
            if self.werror:
                severity, promoted = Severity.ERROR, True
        self.items.append(Diagnostic(file, line, col, severity, message,
                                     max(length, 1), tuple(notes), rule,
                                     promoted))

    def error(self, file: str, line: int, col: int, message: str,
              length: int = 1, notes=(), *, rule: str) -> None:
        self.add(file, line, col, Severity.ERROR, message, length, notes,
                 rule=rule)

    def warning(self, file: str, line: int, col: int, message: str,
                length: int = 1, notes=(), *, rule: str) -> None:
        self.add(file, line, col, Severity.WARNING, message, length, notes,
                 rule=rule)

    def unchecked(self, file: str, line: int, col: int, message: str,
                  length: int = 1) -> None:
        if self.show_unchecked:
            self.add(file, line, col, Severity.NOTE, message, length,
                     rule="unchecked")

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def errors_in(self, file: str) -> bool:
        return any(d.severity is Severity.ERROR and d.file == file
                   for d in self.items)

    def ordered(self) -> list[Diagnostic]:
        """Files in the order first seen; within a file, by position."""
        files: dict[str, int] = {}
        for d in self.items:
            files.setdefault(d.file, len(files))
        return sorted(self.items,
                      key=lambda d: (files[d.file], d.line, d.col))

    def emit(self, stream: TextIO | None = None,
             caret: bool | None = None, colour: bool | None = None) -> None:
        """Print everything collected.  By default the source line, caret
        and colours appear only when stream is a terminal."""
        if stream is None:
            stream = sys.stderr
        if caret is None:
            caret = _isatty(stream)
        if colour is None:
            colour = wants_colour(stream)
        out = []
        for d in self.ordered():
            for item in (d, *d.notes):
                out.append(self.format(item, caret, colour))
        if out:
            stream.write("".join(out))
            stream.flush()

    def format(self, d: Diagnostic, caret: bool = False,
               colour: bool = False) -> str:
        def paint(key, text: str) -> str:
            return f"{_COLOURS[key]}{text}{_RESET}" if colour else text

        text = (f"{paint('location', d.location + ':')} "
                f"{paint(d.severity, d.severity.value + ':')} {d.text}\n")
        if caret:
            text += self.caret_lines(d, colour)
        return text

    def caret_lines(self, d: Diagnostic, colour: bool = False) -> str:
        """gcc's source display:   3 | def pread(h):
                                     |     ^~~~~"""
        lines = self.sources.get(d.file)
        if not lines or not 1 <= d.line <= len(lines):
            return ""
        source = lines[d.line - 1]
        number = f"{d.line:5d}"
        gutter = " " * len(number)
        if not d.col:
            return f"{number} | {source}\n"
        col = min(d.col, len(source) + 1)
        # Keep tabs, so that the caret lines up however tabs are shown.
        pad = "".join(c if c == "\t" else " " for c in source[:col - 1])
        length = max(1, min(d.length, len(source) - col + 1))
        mark = "^" + "~" * (length - 1)
        if colour:
            mark = f"{_COLOURS['caret']}{mark}{_RESET}"
        return f"{number} | {source}\n{gutter} | {pad}{mark}\n"

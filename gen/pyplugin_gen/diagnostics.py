"""Compiler-style diagnostics: FILE:LINE:COL: error: MESSAGE."""

from __future__ import annotations

import enum
import sys
from dataclasses import dataclass
from typing import TextIO


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int  # 1-based; 0 when the problem is the file as a whole
    col: int  # 1-based; 0 when unknown
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return f"{where}: {self.severity.value}: {self.message}"


class Diagnostics:
    """Collects diagnostics for one run of the generator."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, file: str, line: int, col: int, severity: Severity,
            message: str) -> None:
        self.items.append(Diagnostic(file, line, col, severity, message))

    def error(self, file: str, line: int, col: int, message: str) -> None:
        self.add(file, line, col, Severity.ERROR, message)

    def warning(self, file: str, line: int, col: int, message: str) -> None:
        self.add(file, line, col, Severity.WARNING, message)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def emit(self, stream: TextIO | None = None) -> None:
        # sys.stderr as it is now, not as it was at import.
        stream = stream or sys.stderr
        for d in self.items:
            print(d, file=stream)

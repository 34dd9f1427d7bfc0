# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the tests of pyplugin-gen's build-time checks."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(TOP, "gen")

from pyplugin_gen import cli  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")
GOOD = os.path.join(HERE, "good")
EXAMPLES = os.path.join(TOP, "examples")

# One diagnostic line: FILE[:LINE[:COL]]: error|warning|note: MESSAGE.
# FILE may be anything (even contain colons), so the tail is matched.
DIAGNOSTIC = re.compile(
    r"^(?P<file>.+?)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?: "
    r"(?P<severity>error|warning|note): (?P<message>.+)$")


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run_check(args: list[str], terminal: bool = False
              ) -> tuple[int, str, str]:
    """cli.main in this process: (status, stdout, stderr).  Any exception
    propagates: a traceback is never an acceptable way to fail.  With
    terminal, stderr claims to be a terminal (source lines, carets and
    colours appear)."""
    out, err = io.StringIO(), (Terminal() if terminal else io.StringIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(args)
        except SystemExit as e:  # argparse
            status = e.code
    return status, out.getvalue(), err.getvalue()


def generator_command() -> list[str]:
    """The pyplugin-gen command under test, for tests that need a real
    process (exit status, a terminal)."""
    gen = os.environ.get("PYPLUGIN_GEN")
    if gen and os.path.exists(gen):
        return [gen]
    return [sys.executable, "-m", "pyplugin_gen"]


def generator_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = GEN + (os.pathsep + env["PYTHONPATH"]
                               if env.get("PYTHONPATH") else "")
    return env

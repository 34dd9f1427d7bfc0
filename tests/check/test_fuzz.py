# SPDX-License-Identifier: BSD-3-Clause
"""Fuzz test: thousands of mutated copies of the examples through --check.

Every run must end in diagnostics (exit 1 with at least one error) or in
success (exit 0 with no error), in the compiler format, and never in a
Python traceback.  The runs go through cli.main in this process, so any
exception the generator lets escape fails the test, with the input that
caused it saved for reproduction.

Seeded and bounded: PYPLUGIN_GEN_FUZZ_SEED (default 20121), at most
PYPLUGIN_GEN_FUZZ_COUNT runs (default 3000), stopping early after
PYPLUGIN_GEN_FUZZ_SECONDS (default 20).
"""

from __future__ import annotations

import glob
import os
import random
import re
import tempfile
import time
import traceback
import unittest

from common import DIAGNOSTIC, EXAMPLES, TOP, run_check

from pyplugin_gen.callbacks import CALLBACKS

SEED = int(os.environ.get("PYPLUGIN_GEN_FUZZ_SEED", "20121"))
COUNT = int(os.environ.get("PYPLUGIN_GEN_FUZZ_COUNT", "3000"))
SECONDS = float(os.environ.get("PYPLUGIN_GEN_FUZZ_SECONDS", "20"))
MINIMUM = min(COUNT, 300)  # fewer runs than this proves too little

ANSI = re.compile(r"\033\[[0-9;]*m")
# The source line and caret shown on a terminal: '   12 | text', '   | ^'.
SOURCE = re.compile(r"^ *[0-9]* \| ")

NAMES = [cb.name for cb in CALLBACKS] + ["api_version", "API_VERSION",
                                         "longname", "description", "version",
                                         "config_help", "magic_config_key"]

# Bytes that tend to break tokenizers and decoders.
NASTY = [b"\x00", b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\r",
         b"\t", b"\f", b"\\", b"'", b'"', b'"""', b"(", b")", b"[", b"]",
         b"{", b"}", b":", b"#", b"\n", b" ", b"\xef\xbb\xbf", b"\\\n",
         b"@", b"*", b"**", b",", b"=", b"lambda", b"yield", b"async ",
         b"await ", b"return", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"??=",
         b"*/", b"%n"]

PARAMS = ["()", "(h)", "(h, count)", "(h, count, offset)",
          "(h, buf, offset, flags)", "(h, count, offset, flags, extra)",
          "(*args)", "(h, *args)", "(h, *, flags)", "(h, count=0, offset=0)",
          "(h, /, count, offset, flags=0)", "(self, *a, **kw)", "(**kw)",
          "(h, count, offset, *, flags=0)", "(h, c, o, f, *, x)"]

LINES = [
    "API_VERSION = {n}", "API_VERSION = 1 + 1", "API_VERSION = '2'",
    "API_VERSION = True", "API_VERSION: int = {n}", "API_VERSION += 1",
    "def api_version(): return {n}", "def api_version(x): return 2",
    "def api_version():\n    v = 2\n    return v",
    "api_version = {n}", "api_version = lambda: 2",
    "{name} = {n}", "{name} = None", "{name} = [1, 2]", "{name} = f'x'",
    "{name} = lambda h: 0", "{name} = lambda: 0", "{name} = lambda *a: 0",
    "{name} = object()", "{name} = print", "{name} = {name}",
    "def {name}{params}:\n    pass", "async def {name}{params}:\n    pass",
    "def {name}{params}:\n    yield 1",
    "@staticmethod\ndef {name}{params}:\n    pass",
    "class {name}:\n    pass", "from os import *", "from os import {name}",
    "import {name}", "del {name}", "global {name}",
    "if True:\n    def {name}{params}:\n        pass",
    "try:\n    {name} = 1\nexcept Exception:\n    def {name}{params}: pass",
    "for {name} in range(3):\n    pass", "with open('x') as {name}:\n    pass",
    "{name}, other = 1, 2", "*{name}, = [1]",
    "globals()['{name}'] = lambda *a: 0", "exec('x = 1')",
    "longname = '{text}'", "description = 1", "version = b'1'",
    "magic_config_key = '{text}'", "magic_config_key = 'a b'",
    "config_help = '''{text}'''", "version = 'x' if True else 'y'",
    "# -*- coding: latin-1 -*-", "# coding: bogus-encoding",
    "# -*- coding: ascii -*-", "'''docstring {text}'''",
    "x = '\\d'", "if x is 1: pass", "return 1", "nonlocal x", "break",
    "match x:\n    case {name}:\n        pass",
    "def {name}{params}:\n    nonlocal q",
    "def {near}{params}:\n    pass", "{near} = 2",
    "\tdef {name}{params}: pass", "x = (" * 30 + "1" + ")" * 30,
    "x = " + "-" * 5000 + "1", "x = [" * 300 + "]" * 300,
]

TEXTS = ["", "a b", "1abc", "ok.key-1_x", "\\x00", "\\ud800", "é", "*/",
         "%s", "??=", "\\n", "quote\\'s"]


def near_miss(rng: random.Random, name: str) -> str:
    """A name one edit away from name."""
    i = rng.randrange(len(name))
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1:] or "x"
    if op == 1:
        return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz_") + name[i:]
    if op == 2 and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1:]


def snippet(rng: random.Random) -> bytes:
    name = rng.choice(NAMES)
    text = rng.choice(LINES).format(
        n=rng.choice([0, 1, 2, 3, -1, 2 ** 70]), name=name,
        params=rng.choice(PARAMS), text=rng.choice(TEXTS),
        near=near_miss(rng, name))
    return text.encode("utf-8") + b"\n"


def mutate(rng: random.Random, source: bytes) -> bytes:
    data = bytearray(source)
    for _ in range(rng.randint(1, 4)):
        # Byte-level damage (ops 0-3) mostly ends in a syntax error; give
        # the structural mutations that reach the checks more weight.
        op = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 8, 8, 8, 8])
        pos = rng.randint(0, len(data))
        lines = bytes(data).split(b"\n")
        if op == 0 and data:  # delete a range of bytes
            del data[pos:pos + rng.randint(1, 20)]
        elif op == 1:  # insert nasty bytes
            data[pos:pos] = rng.choice(NASTY)
        elif op == 2 and data:  # replace one byte
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 3 and data:  # duplicate a chunk
            chunk = data[pos:pos + rng.randint(1, 200)]
            where = rng.randint(0, len(data))
            data[where:where] = chunk
        elif op == 4:  # delete, duplicate or swap lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            choice = rng.randrange(3)
            if choice == 0:
                del lines[i]
            elif choice == 1:
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == 5:  # re-indent a line
            i = rng.randrange(len(lines))
            lines[i] = rng.choice([b" ", b"    ", b"\t", b""]) + \
                lines[i].lstrip()
            data = bytearray(b"\n".join(lines))
        elif op == 6:  # rename an identifier
            words = list(re.finditer(rb"\b[A-Za-z_]\w*\b", data))
            if words:
                m = rng.choice(words)
                name = rng.choice(NAMES)
                new = name if rng.random() < 0.6 else near_miss(rng, name)
                data[m.start():m.end()] = new.encode()
        elif op == 7:  # change a parameter list
            defs = list(re.finditer(rb"def \w+(\([^)\n]*\))", data))
            if defs:
                m = rng.choice(defs)
                data[m.start(1):m.end(1)] = rng.choice(PARAMS).encode()
        else:  # insert a top-level statement at a line boundary
            i = rng.randint(0, len(lines))
            lines[i:i] = [snippet(rng).rstrip(b"\n")]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


class Fuzz(unittest.TestCase):
    def test_mutated_examples(self):
        sources = []
        for path in sorted(glob.glob(os.path.join(EXAMPLES, "*.py"))):
            with open(path, "rb") as f:
                sources.append(f.read())
        self.assertTrue(sources, f"no examples in {EXAMPLES}")
        rng = random.Random(SEED)
        outcomes = {0: 0, 1: 0}
        deadline = time.monotonic() + SECONDS
        runs = 0
        with tempfile.TemporaryDirectory(prefix="pyplugin-gen-fuzz-") as tmp:
            path = os.path.join(tmp, "fuzzed.py")
            for runs in range(1, COUNT + 1):
                data = mutate(rng, rng.choice(sources))
                with open(path, "wb") as f:
                    f.write(data)
                try:
                    # Every other run as if on a terminal, so that the
                    # source and caret display is fuzzed too.
                    status, out, err = run_check(["--check", path],
                                                 terminal=runs % 2 == 0)
                except BaseException:
                    self.fail_with(data, runs, traceback.format_exc())
                problem = self.judge(path, status, out, err)
                if problem:
                    self.fail_with(data, runs, problem)
                outcomes[status] += 1
                if time.monotonic() > deadline:
                    break
        self.assertGreaterEqual(runs, MINIMUM,
                                f"only {runs} runs in {SECONDS} s")
        # Both outcomes must occur, or the mutations are not exercising
        # the checks (nothing but syntax errors, or nothing at all).
        self.assertGreater(outcomes[0], 0, outcomes)
        self.assertGreater(outcomes[1], 0, outcomes)

    def judge(self, path: str, status, out: str, err: str) -> str | None:
        """Why this run's output is unacceptable, or None."""
        if status not in (0, 1):
            return f"exit status {status!r}"
        if out:
            return f"--check wrote to stdout: {out!r}"
        if "Traceback" in err:
            return "a traceback on stderr"
        errors = 0
        # Split at newlines only: a source line shown on a terminal may
        # hold a form feed or U+2028, which splitlines() would split at.
        for line in ANSI.sub("", err).split("\n")[:-1]:
            if SOURCE.match(line):
                continue
            m = DIAGNOSTIC.match(line)
            if not m or m.group("file") != path:
                return f"not a diagnostic line: {line!r}"
            errors += m.group("severity") == "error"
        if status == 1 and not errors:
            return "exit status 1 without an error"
        if status == 0 and errors:
            return "an error but exit status 0"
        return None

    def fail_with(self, data: bytes, run: int, problem: str) -> None:
        keep = os.path.join(tempfile.gettempdir(),
                            f"pyplugin-gen-fuzz-{SEED}-{run}.py")
        with open(keep, "wb") as f:
            f.write(data)
        self.fail(f"run {run} (seed {SEED}): {problem}\ninput kept in {keep}"
                  f"; reproduce with: PYTHONPATH={TOP}/gen python3 -m "
                  f"pyplugin_gen --check {keep}")

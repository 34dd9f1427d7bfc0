# SPDX-License-Identifier: BSD-3-Clause
"""The corpus of broken scripts: each gives exactly its diagnostics.

Every script in corpus/ is one case.  Its `# expect:` comments list, in
order, every line --check must print, without the leading FILE: (which
must be the path given on the command line):

    # expect: 13:5: error: pread takes (h, buf, offset, flags) in API 2 ...

A `# args:` comment adds options (-Werror, --import).  The exit status
must be 1 if an error is expected and 0 otherwise, and nothing may be
printed on stdout.  The expectations sit at the end of each script, so
that they do not move the lines they point at.

Every script in good/, and every example, must give no output at all and
exit 0.
"""

from __future__ import annotations

import glob
import os
import re
import unittest

from common import CORPUS, EXAMPLES, GOOD, run_check

_COMMENT = re.compile(rb"^# (expect|args): ?(.*?)\r?$", re.M)


def directives(path: str) -> tuple[list[str], list[str]]:
    """(expected lines, extra arguments) of a corpus script.  Read as
    bytes: some scripts are deliberately not valid UTF-8."""
    with open(path, "rb") as f:
        data = f.read()
    expected, args = [], []
    for kind, text in _COMMENT.findall(data):
        text = text.decode("utf-8")
        if kind == b"expect":
            expected.append(text)
        else:
            args.extend(text.split())
    return expected, args


def strip_file(path: str, line: str) -> str:
    """'PATH:3:1: error: m' -> '3:1: error: m'; 'PATH: error: m' ->
    'error: m'.  Lines about other files are kept whole."""
    if line.startswith(path + ":"):
        return line[len(path) + 1:].lstrip(" ")
    return line


def scripts(directory: str) -> list[str]:
    return sorted(glob.glob(os.path.join(directory, "*.py")))


class Corpus(unittest.TestCase):
    """One test per corpus script (added below)."""

    def check_case(self, path: str) -> None:
        expected, args = directives(path)
        self.assertTrue(expected, f"{path} has no '# expect:' line")
        status, out, err = run_check(["--check", *args, path])
        got = [strip_file(path, line) for line in err.splitlines()]
        self.assertEqual(got, expected, f"diagnostics of {path}")
        errors = any(re.match(r"(\d+:){0,2} ?error: ", e) for e in expected)
        self.assertEqual(status, 1 if errors else 0, err)
        self.assertEqual(out, "")


def _add_case(path: str) -> None:
    name = "test_" + os.path.basename(path)[:-3]
    setattr(Corpus, name, lambda self: self.check_case(path))


for _path in scripts(CORPUS):
    _add_case(_path)


class Clean(unittest.TestCase):
    """Correct scripts: no output, exit status 0."""

    def assertClean(self, path: str, args: list[str] = ()) -> None:
        status, out, err = run_check(["--check", *args, path])
        self.assertEqual((status, out, err), (0, "", ""), path)

    def test_good(self):
        paths = scripts(GOOD)
        self.assertGreaterEqual(len(paths), 5)
        for path in paths:
            with self.subTest(path=os.path.basename(path)):
                self.assertClean(path, directives(path)[1])

    def test_examples(self):
        paths = scripts(EXAMPLES)
        self.assertTrue(paths, f"no examples in {EXAMPLES}")
        for path in paths:
            with self.subTest(path=os.path.basename(path)):
                self.assertClean(path)

    def test_corpus_size(self):
        # One script per kind of mistake, and then some: a corpus that
        # shrinks by accident should not pass quietly.
        self.assertGreaterEqual(len(scripts(CORPUS)), 60)


if __name__ == "__main__":
    unittest.main()

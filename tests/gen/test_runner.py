# SPDX-License-Identifier: BSD-3-Clause
"""tests/run.py SUITE:NAME runs one thing: a unittest module, class or
test, or a CUnit suite or test, counted alone; a name that names nothing
is a failure."""

import os
import re
import subprocess
import sys
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUN = os.path.join(TOP, "tests", "run.py")
CUNIT = os.path.join(TOP, "tests", "unit", "test-runtime")


def run(*args):
    p = subprocess.run([sys.executable, RUN, *args], capture_output=True,
                       text=True, cwd=TOP, stdin=subprocess.DEVNULL,
                       timeout=300)
    return p.returncode, p.stdout.splitlines()[-1], p.stdout


class Selection(unittest.TestCase):

    def test_one_unittest_test(self):
        status, last, _ = run("gen:test_manpage.Manpage.test_marker_once")
        self.assertEqual((status, last), (0, "1 passed, 0 failed"))

    def test_one_unittest_class(self):
        status, last, out = run("gen:test_manpage.Manpage")
        self.assertEqual(status, 0, out)
        n = int(re.match(r"(\d+) passed, 0 failed$", last).group(1))
        self.assertGreater(n, 1)

    def test_nothing_named_fails(self):
        status, last, _ = run("gen:test_no_such_module")
        self.assertEqual((status, last), (1, "0 passed, 1 failed"))

    @unittest.skipUnless(os.path.exists(CUNIT), "make builds test-runtime")
    def test_one_cunit_suite_and_test(self):
        status, last, out = run("unit:errors")
        self.assertEqual(status, 0, out)
        m = re.match(r"(\d+) passed, 0 failed$", last)
        self.assertIsNotNone(m, last)  # no skips: the rest was not chosen
        suite = int(m.group(1))
        status, last, out = run("unit:errors:report_error_message_is_not_a_"
                                "format")
        self.assertEqual((status, last), (0, "1 passed, 0 failed"), out)
        status, last, out = run("unit:no_such_suite")
        self.assertEqual((status, last), (1, "0 passed, 1 failed"), out)
        self.assertIn("no suite no_such_suite", out)
        self.assertGreater(suite, 1)

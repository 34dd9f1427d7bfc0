# SPDX-License-Identifier: BSD-3-Clause
"""Run the test suites and total them: tests/run.py [SUITE...]

`make check` runs this with Debian's Python (the one configure chose),
with PYPLUGIN_GEN, PYPLUGIN_TOP and PYTHON in the environment.

Suites, in this order:
  unit   the CUnit program tests/unit/test-runtime (the runtime's C)
  gen    unittest discovery in tests/gen (the generator)
  ...    every other tests/<dir> holding test_*.py, by name
  e2e    unittest discovery in tests/e2e (real nbdkit, real clients)
With arguments, only the suites named; SUITE:NAME runs only NAME of
that suite, a module, class or test as unittest names it
(e2e:test_handles, e2e:test_handles.Seed.test_generated), and a CUnit
suite or test of unit (unit:convert, unit:convert:view_bounds).  This is
the one way to run part of a suite: test modules do not set up their own
import path and are not run as programs.

The child that runs a suite puts on sys.path, first to last: the suite's
own directory (its common.py, harness.py, ...), the directories of the
suites it shares helpers with (SHARED: reliability uses e2e's harness),
and the top's gen/ (the pyplugin_gen package).

Each suite prints its tests as they run, then one line:
  suite SUITE: N passed, N failed, N skipped (S s)
and the very last line of all is
  N passed, N failed[, N skipped]
A skipped test is not a pass.  A test module that cannot be imported, a
crash, or a program that exits non-zero without reporting a failure
counts as a failure.  The exit status is 1 if anything failed, or if no
test passed at all, else 0.

PYPLUGIN_SLOW=1 in the environment (make check-slow) lets the long tests
run; this script only passes it on.

PYPLUGIN_TEST_MISSING (make sets it from configure) names what only the
tests need and this machine lacks (cunit, nbdkit, nbdinfo, python3-nbd,
...).  A suite that needs one of them is not run: it is reported, with
what it lacks, and counted as one skipped test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

# The tests expect what a plain environment gives: the caller's
# PYTHONUNBUFFERED would hide what buffered output does (some shells and
# CI systems set it).
os.environ.pop("PYTHONUNBUFFERED", None)

TOP = os.environ.get("PYPLUGIN_TOP") or \
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(TOP, "tests")
CUNIT = os.path.join(TESTS, "unit", "test-runtime")
CUNIT_TIMEOUT = 600  # seconds; the unit tests take well under one

# What each suite needs beyond the build (configure's words for them).
SERVING = ("nbdkit", "nbdinfo", "nbdsh", "nbdcopy", "qemu-img",
           "python3-nbd", "nbdkit-python")
REQUIRES = {
    "unit": ("cunit",),
    "e2e": SERVING,
    "reliability": SERVING,
    "pack": SERVING,
}

# The other suites whose helper modules a suite imports.
SHARED = {
    "reliability": ("e2e",),
}


class Totals:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = 0

    def add(self, name: str, passed: int, failed: int, skipped: int,
            seconds: float) -> None:
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        print(f"suite {name}: {passed} passed, {failed} failed, "
              f"{skipped} skipped ({seconds:.1f} s)", flush=True)

    def summary(self) -> str:
        line = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        return line


# CUnit's basic interface ends with a table such as
#   Run Summary:    Type  Total    Ran Passed Failed Inactive
#                 suites      5      5    n/a      0        0
#                  tests     40     40     38      2        0
CUNIT_ROW = r"^\s*{}\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s*$"


def run_cunit(totals: Totals, only: str | None = None) -> None:
    """The CUnit program; only is SUITE or SUITE:TEST."""
    start = time.monotonic()
    if not os.path.exists(CUNIT):
        sources = [f for f in os.listdir(os.path.join(TESTS, "unit"))
                   if f.endswith(".c")] \
            if os.path.isdir(os.path.join(TESTS, "unit")) else []
        if sources:
            print(f"{CUNIT} is not built: run make check", flush=True)
            totals.add("unit", 0, 1, 0, 0)
        else:
            print("tests/unit has no CUnit sources yet", flush=True)
            totals.add("unit", 0, 0, 0, 0)
        return
    sys.stdout.flush()
    try:
        proc = subprocess.run([CUNIT, *(only.split(":") if only else [])],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              errors="replace", cwd=TOP,
                              stdin=subprocess.DEVNULL,
                              timeout=CUNIT_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        sys.stdout.write(out.decode(errors="replace")
                         if isinstance(out, bytes) else out)
        print(f"test-runtime did not finish in {CUNIT_TIMEOUT} s: "
              f"counted as one failure", flush=True)
        totals.add("unit", 0, 1, 0, time.monotonic() - start)
        return
    sys.stdout.write(proc.stdout)
    seconds = time.monotonic() - start
    tests = re.search(CUNIT_ROW.format("tests"), proc.stdout, re.M)
    suites = re.search(CUNIT_ROW.format("suites"), proc.stdout, re.M)
    if tests is None:
        print(f"test-runtime printed no Run Summary (exit status "
              f"{proc.returncode}): counted as one failure", flush=True)
        totals.add("unit", 0, 1, 0, seconds)
        return
    total, ran, failed_tests = (int(tests.group(i)) for i in (1, 2, 4))
    passed = ran - failed_tests
    # Tests left out by a SUITE:TEST choice are not skips.
    failed, skipped = failed_tests, 0 if only else total - ran
    # A suite whose set-up fails runs none of its tests: they are
    # failures, not skips.
    suite_failures = int(suites.group(4)) if suites else 0
    if suite_failures:
        failed += max(total - ran, suite_failures)
        skipped = 0
    if proc.returncode != 0 and failed == 0:
        print(f"test-runtime exited with status {proc.returncode} but "
              f"reported no failure: counted as one", flush=True)
        failed = 1
    totals.add("unit", passed, failed, skipped, seconds)


class CountingResult(unittest.TextTestResult):
    """Counts tests, not reports: a test with three failing subtests is
    one failed test, and a test counts once, by its worst outcome
    (failed, then skipped, then passed).  An error outside any test
    (a module that does not import, a failing setUpClass) is a failure
    of its own."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.started: set[str] = set()
        self.failed_ids: set[str] = set()
        self.skipped_ids: set[str] = set()

    @staticmethod
    def _id(test: unittest.TestCase) -> str:
        return getattr(test, "test_case", test).id()

    def startTest(self, test: unittest.TestCase) -> None:
        self.started.add(self._id(test))
        super().startTest(test)

    def addFailure(self, test, err) -> None:
        self.failed_ids.add(self._id(test))
        super().addFailure(test, err)

    def addError(self, test, err) -> None:
        self.failed_ids.add(self._id(test))
        super().addError(test, err)

    def addSubTest(self, test, subtest, err) -> None:
        if err is not None:
            self.failed_ids.add(self._id(test))
        super().addSubTest(test, subtest, err)

    def addUnexpectedSuccess(self, test) -> None:
        self.failed_ids.add(self._id(test))
        super().addUnexpectedSuccess(test)

    def addSkip(self, test, reason) -> None:
        self.skipped_ids.add(self._id(test))
        super().addSkip(test, reason)

    def counts(self) -> tuple[int, int, int]:
        failed = self.failed_ids
        skipped = self.skipped_ids - failed
        passed = self.started - failed - skipped
        return len(passed), len(failed), len(skipped)


def import_path(directory: str) -> list[str]:
    """What a suite's test modules import from, in that order."""
    shared = SHARED.get(os.path.basename(directory), ())
    return [directory, *(os.path.join(TESTS, s) for s in shared),
            os.path.join(TOP, "gen")]


def unittest_child(directory: str, result_file: str,
                   name: str | None = None) -> int:
    """In the child: run one unittest suite (or only name in it), write
    its counts."""
    sys.path[:0] = import_path(directory)
    loader = unittest.TestLoader()
    suite = loader.discover(directory, pattern="test_*.py",
                            top_level_dir=directory)
    if name is not None:
        suite = loader.loadTestsFromName(name)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=CountingResult)
    result = runner.run(suite)
    sys.stdout.flush()
    with open(result_file, "w") as f:
        f.write("%d %d %d\n" % result.counts())
    return 0


def run_unittest(name: str, directory: str, totals: Totals,
                 only: str | None = None) -> None:
    """Each suite in a process of its own: test modules of different
    suites may share a name, and a crash ends only its own suite."""
    start = time.monotonic()
    sys.stdout.flush()
    with tempfile.NamedTemporaryFile("r", prefix="pyplugin-run-",
                                     suffix=".counts") as counts:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__),
                               "--child", directory, counts.name,
                               *([only] if only else [])],
                              cwd=TOP, stdin=subprocess.DEVNULL)
        text = counts.read().split()
    seconds = time.monotonic() - start
    if len(text) != 3:
        print(f"the {name} suite ended without counts (exit status "
              f"{proc.returncode}): counted as one failure", flush=True)
        totals.add(name, 0, 1, 0, seconds)
        return
    passed, failed, skipped = map(int, text)
    totals.add(name, passed, failed, skipped, seconds)


def all_suites() -> list[str]:
    others = sorted(
        entry for entry in os.listdir(TESTS)
        if entry not in ("unit", "gen", "e2e")
        and os.path.isdir(os.path.join(TESTS, entry))
        and any(f.startswith("test_") and f.endswith(".py")
                for f in os.listdir(os.path.join(TESTS, entry))))
    # The slow end-to-end suite last.
    return ["unit", "gen", *others, "e2e"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"] and len(argv) in (3, 4):
        return unittest_child(*argv[1:])
    if any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    totals = Totals()
    missing = set(os.environ.get("PYPLUGIN_TEST_MISSING", "").split())
    for arg in argv or all_suites():
        name, _, only = arg.partition(":")
        lacks = [m for m in REQUIRES.get(name, ()) if m in missing]
        if lacks:
            print(f"suite {name} skipped: configure found no "
                  f"{', '.join(lacks)}", flush=True)
            totals.add(name, 0, 0, 1, 0)
            continue
        if name == "unit":
            run_cunit(totals, only or None)
            continue
        directory = os.path.join(TESTS, name)
        if not os.path.isdir(directory):
            print(f"there is no suite tests/{name}", flush=True)
            totals.add(name, 0, 1, 0, 0)
            continue
        run_unittest(name, directory, totals, only or None)
    print(totals.summary(), flush=True)
    return 1 if totals.failed or totals.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

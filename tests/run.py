"""Run every test suite and total them: tests/run.py [SUITE...]

Suites: unit (the CUnit binary), gen (generator unittest), check (the
diagnostics corpus and fuzz test), e2e (end to end against real nbdkit
and real clients), and any other tests/<dir> holding test_*.py.  The
last line printed is `N passed, N failed` (`, N skipped` when any were
skipped: a skip is never a pass).  Exits 1 if anything failed or if no
test ran at all.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.getcwd()
CUNIT = os.path.join(BUILD, "tests", "unit", "test-runtime")


class Totals:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = 0

    def add(self, name: str, passed: int, failed: int, skipped: int,
            seconds: float) -> None:
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        print(f"== {name}: {passed} passed, {failed} failed, "
              f"{skipped} skipped ({seconds:.1f} s)", flush=True)


def run_cunit(totals: Totals) -> None:
    """The CUnit binary prints a Run Summary; a crash is one failure."""
    start = time.monotonic()
    if not os.path.exists(CUNIT):
        print(f"{CUNIT} is missing: run make check", flush=True)
        totals.add("unit", 0, 1, 0, 0)
        return
    proc = subprocess.run([CUNIT], capture_output=True, text=True)
    sys.stdout.write(proc.stdout + proc.stderr)
    m = re.search(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", proc.stdout,
                  re.M)
    if m is None:
        totals.add("unit", 0, 1, 0, time.monotonic() - start)
        return
    ran, failed = int(m.group(2)), int(m.group(4))
    if proc.returncode != 0 and failed == 0:
        failed = 1  # the binary crashed or failed after its summary
    totals.add("unit", ran - failed, failed, 0, time.monotonic() - start)


def unittest_counts(directory: str) -> tuple[int, int, int]:
    """Run one unittest suite here; returns (passed, failed, skipped)."""
    suite = unittest.TestLoader().discover(directory, pattern="test_*.py",
                                           top_level_dir=directory)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    # Import errors of test modules arrive as failing tests too.
    failed = len(result.failures) + len(result.errors) + \
        len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    return result.testsRun - failed - skipped, failed, skipped


def run_unittest(name: str, directory: str, totals: Totals) -> None:
    """In a child process of its own, so that test modules of different
    suites with the same name cannot shadow each other."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, __file__, "--one", directory],
                          stdout=subprocess.PIPE, text=True)
    out = proc.stdout
    m = re.search(r"^@@ (\d+) (\d+) (\d+)$", out, re.M)
    sys.stdout.write(out[:m.start()] if m else out)
    if m is None:
        totals.add(name, 0, 1, 0, time.monotonic() - start)
        return
    passed, failed, skipped = map(int, m.groups())
    totals.add(name, passed, failed, skipped, time.monotonic() - start)


def suites() -> list[str]:
    found = ["unit"]
    tests = os.path.join(TOP, "tests")
    for entry in sorted(os.listdir(tests)):
        path = os.path.join(tests, entry)
        if entry != "unit" and os.path.isdir(path) and any(
                f.startswith("test_") and f.endswith(".py")
                for f in os.listdir(path)):
            found.append(entry)
    # The slow end-to-end suite last.
    if "e2e" in found:
        found.remove("e2e")
        found.append("e2e")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        sys.stdout.flush()
        counts = unittest_counts(argv[1])
        sys.stderr.flush()
        print("@@ %d %d %d" % counts, flush=True)
        return 0
    wanted = argv or suites()
    totals = Totals()
    for name in wanted:
        if name == "unit":
            run_cunit(totals)
        else:
            directory = os.path.join(TOP, "tests", name)
            if not os.path.isdir(directory):
                print(f"no suite {name!r}", flush=True)
                totals.add(name, 0, 1, 0, 0)
                continue
            run_unittest(name, directory, totals)
    line = f"{totals.passed} passed, {totals.failed} failed"
    if totals.skipped:
        line += f", {totals.skipped} skipped"
    print(line)
    return 1 if totals.failed or totals.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

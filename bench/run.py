#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark: a generated plugin (default and standalone) against
`nbdkit python` and nbdkit's C memory plugin, side by side in one run,
same script, same clients.

    make bench                  (runs this with the configured Python)
    /usr/bin/python3 bench/run.py [--quick] [--repeats N] [--runtime S]

The script is bench/ramdisk.py (released API 2 dialect) served four ways:

    generated   nbdkit WORK/ramdisk-plugin.so    (built by pyplugin-gen)
    standalone  the same built --standalone      (Python linked in)
    python      nbdkit python bench/ramdisk.py
    memory      nbdkit memory SIZE               (the C ceiling)

and in two thread models: the script's default (serialize_all_requests)
and PARALLEL (the same script with a thread_model() appended).  The
memory plugin is always parallel; it serves both rows.

Cases (each repeated; servers of the three targets are measured one
right after the other in every repeat, so that a change of load on the
machine hits all three alike, and each ratio is taken within a repeat):

  fio 4 KiB randread / randwrite at queue depth 1 and 8, both models
  fio 1 MiB sequential read / write (queue depth 4)
  nbdcopy of 1 GiB from the server to null: and from a file to it
  start-up: nbdkit -U - PLUGIN size=1M --run true, median of many, with
  the pages each run faults in, for ramdisk.py and for tiny.py (which
  imports nothing: a start-up that is the plugin's, not the script's); then the generated plugin's start-up by
  phase, from the timings it logs under nbdkit -v
  system calls per request: strace -c -f around two fio runs of
  different lengths, the shorter subtracted (connection set-up and
  tear-down cancel out)
  instructions per request: valgrind --tool=callgrind on nbdkit over two
  runs of serial 4 KiB reads of different lengths, subtracted likewise;
  unlike IOPS it does not move with the load of a shared machine

The standalone plugin is measured where it can differ: start-up, the
4 KiB QD8 cases and instructions per request; it serves as the default
plugin does once started.

It prints a table of ratios (generated / python, generated / memory,
standalone / python, standalone / generated) and the plugins' sizes,
checks the project's speed targets, and writes bench/results/bench.json,
bench.md and bench.png (matplotlib, Agg backend).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("PYPLUGIN_TOP") or os.path.dirname(HERE)
GEN = os.environ.get("PYPLUGIN_GEN") or os.path.join(TOP, "pyplugin-gen")
SCRIPT = os.path.join(HERE, "ramdisk.py")
TINY = os.path.join(HERE, "tiny.py")
RESULTS = os.path.join(HERE, "results")

PARALLEL_SUFFIX = """

# Appended by bench/run.py: the PARALLEL variant.
def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL
"""

TARGETS = ("generated", "standalone", "python", "memory")
MODELS = ("default", "parallel")

# The project's speed targets.
TARGET_VS_PYTHON = 2.0   # 4K QD8 IOPS, generated / python, at least
TARGET_VS_MEMORY = 0.9   # 4K QD8 IOPS, generated / memory, at least
TARGET_STARTUP = 0.6     # start-up time, generated / python, at most
# Standalone: start-up against nbdkit python and the default plugin, at
# most; 4K QD8 IOPS against the default plugin, within; instructions per
# read, at most the default plugin's.
TARGET_SA_STARTUP_PYTHON = 0.5
TARGET_SA_STARTUP_GENERATED = 0.7
TARGET_SA_SERVING = (0.95, 1.05)
CALLGRIND_TARGETS = ("memory", "generated", "standalone", "python")
PER_REQUEST_SYSCALLS = ("mmap", "munmap", "clone", "clone3", "gettid")

# The start-up timings a generated plugin logs under nbdkit -v
# (runtime/interp.c): (phase, pattern of its milliseconds).
STARTUP_PHASES = (
    ("Python initialization", r"start-up: Python ([\d.]+) ms"),
    ("site (.pth import lines, sitecustomize)", r"site ([\d.]+) ms"),
    ("the script's top level", r"script ([\d.]+) ms"),
    ("Python's fork handlers, in the server", r"fork handlers ([\d.]+) ms"),
    ("exit (atexit, globals, flush)", r"exit: ([\d.]+) ms"),
)


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- servers

@dataclass
class Server:
    """An nbdkit serving one target on a Unix socket until stopped."""

    name: str
    argv: list[str]
    workdir: str
    strace: str | None = None   # write strace -c -f output here
    callgrind: str | None = None  # write valgrind callgrind output here
    prefix: list[str] = field(default_factory=list)  # e.g. taskset -c 0
    proc: subprocess.Popen | None = None
    sock: str = ""
    pidfile: str = ""

    @property
    def uri(self) -> str:
        return f"nbd+unix:///?socket={self.sock}"

    def start(self) -> None:
        fd, self.sock = tempfile.mkstemp(prefix="sock-", dir=self.workdir)
        os.close(fd)
        os.unlink(self.sock)
        self.pidfile = self.sock + ".pid"
        cmd = [*self.prefix, "nbdkit", "-f", "-P", self.pidfile, "-U",
               self.sock, *self.argv]
        if self.strace:
            cmd = ["strace", "-f", "-c", "-o", self.strace, *cmd]
        if self.callgrind:
            cmd = ["valgrind", "--tool=callgrind", "-q",
                   f"--callgrind-out-file={self.callgrind}", *cmd]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not (os.path.exists(self.sock)
                   and os.path.exists(self.pidfile)
                   and os.path.getsize(self.pidfile) > 0):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: nbdkit exited "
                                   f"({self.proc.returncode}): {cmd}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name}: nbdkit did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            with open(self.pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        for p in (self.sock, self.pidfile):
            if os.path.exists(p):
                os.unlink(p)

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def build_plugins(work: str) -> dict[str, str]:
    """The generated plugins of both models; their scripts are in work."""
    scripts = {"default": os.path.join(work, "ramdisk.py"),
               "parallel": os.path.join(work, "ramdisk_parallel.py"),
               "tiny": os.path.join(work, "tiny.py")}
    with open(SCRIPT) as f:
        text = f.read()
    with open(scripts["default"], "w") as f:
        f.write(text)
    with open(scripts["parallel"], "w") as f:
        f.write(text + PARALLEL_SUFFIX)
    shutil.copyfile(TINY, scripts["tiny"])
    plugins = {}
    for model, script in scripts.items():
        for kind, extra in (("", []), ("-standalone", ["--standalone"])):
            so = os.path.join(work, f"ramdisk-{model}{kind}-plugin.so")
            subprocess.run([GEN, *extra, script, "-o", so], check=True)
            plugins[f"{model}{kind}.so"] = so
    return scripts | plugins


def plugin_sizes(files: dict[str, str]) -> dict[str, int]:
    return {t: os.path.getsize(files[f"default{k}.so"])
            for t, k in (("generated", ""), ("standalone", "-standalone"))}


def measured(target: str, key: str) -> bool:
    """Whether target is measured in the case key: the standalone plugin
    only where it can differ from the default one."""
    return target != "standalone" or key.startswith("startup") \
        or "-qd8-" in key


def target_argv(target: str, model: str, files: dict[str, str],
                size: str) -> list[str]:
    if target == "generated":
        return [files[f"{model}.so"], f"size={size}"]
    if target == "standalone":
        return [files[f"{model}-standalone.so"], f"size={size}"]
    if target == "python":
        return ["python", files[model], f"size={size}"]
    return ["memory", size]


# ----------------------------------------------------------------- clients

def fio(uri: str, rw: str, bs: str, depth: int, runtime: float,
        ramp: float = 0.5, number_ios: int | None = None) -> dict:
    """One fio job with the nbd engine; its json job record."""
    cmd = ["fio", "--name=bench", "--ioengine=nbd", f"--uri={uri}",
           f"--rw={rw}", f"--bs={bs}", f"--iodepth={depth}",
           "--size=64M", "--output-format=json"]
    if number_ios is not None:
        cmd += [f"--number_ios={number_ios}", "--rwmixread=50"]
    else:
        cmd += ["--time_based", f"--runtime={runtime}",
                f"--ramp_time={ramp}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout
    if proc.returncode != 0 or "{" not in out:
        raise RuntimeError(f"fio failed: {' '.join(cmd)}\n{proc.stderr}")
    # The nbd engine prints "fio: connected to NBD server" first.
    return json.loads(out[out.index("{"):])["jobs"][0]


def total_ios(job: dict) -> int:
    return job["read"]["total_ios"] + job["write"]["total_ios"]


def rotated(r: int) -> tuple[str, ...]:
    """The targets in the order of repeat r: each goes first in turn, so
    that none is always measured right after another."""
    k = r % len(TARGETS)
    return TARGETS[k:] + TARGETS[:k]


def iops(job: dict) -> float:
    return job["read"]["iops"] + job["write"]["iops"]


def mib_per_s(job: dict) -> float:
    return (job["read"]["bw_bytes"] + job["write"]["bw_bytes"]) / 2**20


# ----------------------------------------------------------------- results

@dataclass
class Case:
    """One measured case: a number per target and repeat."""

    key: str
    title: str
    unit: str
    higher_is_better: bool = True
    values: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""

    def add(self, target: str, value: float) -> None:
        self.values.setdefault(target, []).append(value)

    def ratios(self, other: str, of: str = "generated") -> list[float]:
        """of / other, within each repeat."""
        a, b = self.values.get(of, []), self.values.get(other, [])
        return [x / y for x, y in zip(a, b) if y]

    def ratio(self, other: str, of: str = "generated") -> float | None:
        r = self.ratios(other, of)
        return statistics.median(r) if r else None

    def summary(self) -> dict:
        d = {"title": self.title, "unit": self.unit,
             "higher_is_better": self.higher_is_better, "note": self.note,
             "values": self.values}
        for t, v in self.values.items():
            d[f"{t}_min"] = min(v)
            d[f"{t}_median"] = statistics.median(v)
        for of, other, name in (("generated", "python", "python"),
                                ("generated", "memory", "memory"),
                                ("standalone", "python", "standalone_python"),
                                ("standalone", "generated",
                                 "standalone_generated")):
            r = self.ratios(other, of)
            if r:
                d[f"ratio_{name}_median"] = statistics.median(r)
                d[f"ratio_{name}_min"] = min(r)
                d[f"ratio_{name}_max"] = max(r)
        return d


# ----------------------------------------------------------------- cases

def run_fio_cases(cases: list[Case], files: dict[str, str], args) -> None:
    servers = {}
    try:
        for model in MODELS:
            for target in TARGETS:
                if target == "memory" and model == "parallel":
                    continue
                s = Server(f"{target}-{model}",
                           target_argv(target, model, files, "64M"),
                           files["work"])
                s.start()
                servers[(target, model)] = s
        # Every page of every disk written first, so that no target reads
        # holes (the memory plugin reads a hole faster than data).
        for s in servers.values():
            fio(s.uri, "write", "1M", 4, 0, number_ios=64)

        specs = []
        for model in MODELS:
            for rw in ("randread", "randwrite"):
                for depth in (1, 8):
                    specs.append((f"{rw}-4k-qd{depth}-{model}",
                                  f"4K {rw} QD{depth} ({model})",
                                  rw, "4k", depth, model))
        for rw in ("read", "write"):
            specs.append((f"seq{rw}-1m-qd4", f"1M seq {rw} QD4",
                          rw, "1M", 4, "default"))
        for key, title, rw, bs, depth, model in specs:
            unit = "MiB/s" if bs == "1M" else "IOPS"
            case = Case(key, title, unit)
            if model == "parallel":
                case.note = "memory: always parallel"
            for r in range(args.repeats):
                for target in rotated(r):
                    if not measured(target, key):
                        continue
                    m = "default" if target == "memory" else model
                    job = fio(servers[(target, m)].uri, rw, bs, depth,
                              args.runtime)
                    case.add(target, mib_per_s(job) if bs == "1M"
                             else iops(job))
            log(f"  {title}: " + ", ".join(
                f"{t} {statistics.median(v):.0f}"
                for t, v in case.values.items()))
            cases.append(case)
    finally:
        for s in servers.values():
            s.stop()


def run_nbdcopy_cases(cases: list[Case], files: dict[str, str],
                      args) -> None:
    if shutil.which("nbdcopy") is None:
        log("  nbdcopy not found: skipped")
        return
    size = args.copy_size
    source = os.path.join(files["work"], "copy-source")
    # Data with no zero block (nbdcopy would send zero blocks as zero
    # requests): one random MiB repeated.
    block = os.urandom(2**20)
    with open(source, "wb") as f:
        for _ in range(parse_size(size) // 2**20):
            f.write(block)
    read = Case("nbdcopy-read", f"nbdcopy {size} server->null:", "s",
                higher_is_better=False)
    write = Case("nbdcopy-write", f"nbdcopy {size} file->server", "s",
                 higher_is_better=False,
                 note="disk written once before, untimed")
    try:
        for r in range(min(args.repeats, 3)):
            for target in rotated(r):
                if not measured(target, "nbdcopy"):
                    continue
                with Server(f"{target}-copy",
                            target_argv(target, "default", files, size),
                            files["work"]) as s:
                    # The memory plugin allocates a page on its first
                    # write, the scripts their whole bytearray at start:
                    # a first, untimed copy makes the timed one compare
                    # overwrites with overwrites.
                    subprocess.run(["nbdcopy", source, s.uri], check=True)
                    t = time.perf_counter()
                    subprocess.run(["nbdcopy", source, s.uri], check=True)
                    write.add(target, time.perf_counter() - t)
                    t = time.perf_counter()
                    subprocess.run(["nbdcopy", s.uri, "null:"], check=True)
                    read.add(target, time.perf_counter() - t)
    finally:
        os.unlink(source)
    for case in (read, write):
        log(f"  {case.title}: " + ", ".join(
            f"{t} {statistics.median(v):.2f} s"
            for t, v in case.values.items()))
        cases.append(case)


def run_startup_case(cases: list[Case], files: dict[str, str],
                     args, script: str = "default") -> None:
    """script "default" is ramdisk.py, "tiny" tiny.py."""
    suffix = "" if script == "default" else f"-{script}"
    name = "ramdisk.py" if script == "default" else f"{script}.py"
    case = Case(f"startup{suffix}",
                f"start-up ({name}): -U - PLUGIN --run true", "ms",
                higher_is_better=False, note="size=1M")
    # Page faults: where most of a start-up's time goes on a virtual
    # machine, where each one is dear.
    faults = Case(f"startup-faults{suffix}",
                  f"start-up ({name}): pages faulted in", "pages",
                  higher_is_better=False,
                  note="getrusage minor faults of nbdkit and its children, "
                  "MAP_POPULATE pages included")
    cmds = {t: ["nbdkit", "-U", "-",
                *target_argv(t, script, files, "1M"), "--run", "true"]
            for t in TARGETS}
    for i in range(args.startup_runs + 3):
        for target in rotated(i):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
            t = time.perf_counter()
            subprocess.run(cmds[target], check=True,
                           stdout=subprocess.DEVNULL)
            elapsed = (time.perf_counter() - t) * 1000
            if i >= 3:       # warm-up runs not counted
                case.add(target, elapsed)
                faults.add(target, resource.getrusage(
                    resource.RUSAGE_CHILDREN).ru_minflt - before)
    log(f"  start-up ({name}): " + ", ".join(
        f"{t} {statistics.median(v):.1f} ms"
        for t, v in case.values.items()))
    cases += [case, faults]


def run_startup_profile(files: dict[str, str], args) -> dict[str, float]:
    """Where the generated plugin's start-up goes, from the timings it
    logs under nbdkit -v: the median milliseconds of each phase."""
    cmd = ["nbdkit", "-v", "-U", "-",
           *target_argv("generated", "default", files, "1M"),
           "--run", "true"]
    runs: dict[str, list[float]] = {phase: [] for phase, _ in STARTUP_PHASES}
    for _ in range(max(5, args.startup_runs // 4)):
        p = subprocess.run(cmd, check=True, capture_output=True, text=True)
        for phase, pattern in STARTUP_PHASES:
            m = re.search(pattern, p.stderr)
            if m:
                runs[phase].append(float(m.group(1)))
    return {phase: statistics.median(v) for phase, v in runs.items() if v}


def parse_strace(path: str) -> dict[str, int]:
    calls = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?"
                         r"(\w+)\s*$", line)
            if m:
                calls[m.group(2)] = int(m.group(1))
    return calls


def run_syscall_cases(files: dict[str, str], args) -> dict:
    """System calls per request, by target and model, for a 50/50 mix of
    4 KiB random reads and writes at queue depth 8."""
    if shutil.which("strace") is None:
        log("  strace not found: skipped")
        return {}
    out = {}
    for target in TARGETS:
        for model in MODELS:
            if target == "memory" and model == "parallel" or \
                    not measured(target, "syscalls"):
                continue
            counts, requests = [], []
            for n in (1000, 1000 + args.syscall_requests):
                trace = os.path.join(files["work"], f"strace-{target}-"
                                     f"{model}-{n}")
                with Server(f"{target}-{model}-strace",
                            target_argv(target, model, files, "64M"),
                            files["work"], strace=trace) as s:
                    job = fio(s.uri, "randrw", "4k", 8, 0, number_ios=n)
                counts.append(parse_strace(trace))
                requests.append(total_ios(job))
            per = {}
            extra = requests[1] - requests[0]
            for name in sorted(set(counts[0]) | set(counts[1])):
                d = (counts[1].get(name, 0) - counts[0].get(name, 0)) \
                    / extra
                if abs(d) >= 0.0005 or name in PER_REQUEST_SYSCALLS:
                    per[name] = round(d, 3)
            per["total"] = round(sum(v for k, v in per.items()), 3) + 0.0
            per = {k: v + 0.0 for k, v in per.items()}  # no -0.0
            out[f"{target}-{model}"] = per
            log(f"  syscalls/request {target} {model}: " + ", ".join(
                f"{k} {v}" for k, v in per.items()))
    return out


def callgrind_total(path: str) -> int:
    """The instructions executed, from a callgrind output file."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{path}: no summary line")


def run_callgrind_cases(files: dict[str, str], args) -> dict[str, float]:
    """Instructions nbdkit executes per serial 4 KiB read, by target:
    two runs of different lengths, subtracted."""
    if shutil.which("valgrind") is None:
        log("  valgrind not found: skipped")
        return {}
    out = {}
    short, long_ = args.callgrind_reads, 2 * args.callgrind_reads
    for target in CALLGRIND_TARGETS:
        counts = []
        for n in (short, long_):
            path = os.path.join(files["work"], f"callgrind-{target}-{n}")
            with Server(f"{target}-callgrind",
                        target_argv(target, "default", files, "64M"),
                        files["work"], callgrind=path) as s:
                fio(s.uri, "randread", "4k", 1, 0, number_ios=n)
            counts.append(callgrind_total(path))
        out[target] = (counts[1] - counts[0]) / (long_ - short)
        log(f"  instructions/read {target}: {out[target]:.0f}")
    return out


def parse_size(s: str) -> int:
    m = re.fullmatch(r"(\d+)([KMG]?)", s)
    assert m, s
    return int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20,
                              "G": 2**30}[m.group(2)]


# ----------------------------------------------------------------- report

def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def fmt_value(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.2f}" if v < 10 else f"{v:.1f}"


def targets_check(cases: list[Case], syscalls: dict,
                  instructions: dict[str, float]) -> list[tuple]:
    """(target, measured, verdict) rows."""
    rows = []
    by_key = {c.key: c for c in cases}
    for model in MODELS:
        for rw in ("randread", "randwrite"):
            c = by_key.get(f"{rw}-4k-qd8-{model}")
            if c is None:
                continue
            for other, want in (("python", TARGET_VS_PYTHON),
                                ("memory", TARGET_VS_MEMORY)):
                r = c.ratio(other)
                rows.append((f"{c.title}: generated/{other} >= {want}",
                             fmt_ratio(r),
                             "met" if r is not None and r >= want
                             else "MISSED"))
    for name, per in syscalls.items():
        if not name.startswith("generated"):
            continue
        bad = {k: v for k, v in per.items()
               if k in PER_REQUEST_SYSCALLS and v >= 0.01}
        rows.append((f"{name}: 0 mmap/munmap/clone/gettid per request",
                     ", ".join(f"{k} {per.get(k, 0)}"
                               for k in ("mmap", "munmap", "clone3",
                                         "gettid")),
                     "met" if not bad else "MISSED"))
    c = by_key.get("startup")
    if c is not None:
        r = c.ratio("python")
        rows.append((f"start-up median: generated/python <= "
                     f"{TARGET_STARTUP}", fmt_ratio(r),
                     "met" if r is not None and r <= TARGET_STARTUP
                     else "MISSED"))
    for key in ("startup", "startup-tiny"):
        c = by_key.get(key)
        if c is None:
            continue
        for other, want in (("python", TARGET_SA_STARTUP_PYTHON),
                            ("generated", TARGET_SA_STARTUP_GENERATED)):
            r = ratio_of_medians(c, "standalone", other)
            rows.append((f"{c.title}, median: standalone/{other} <= "
                         f"{want}", fmt_ratio(r),
                         "met" if r is not None and r <= want
                         else "MISSED"))
    low, high = TARGET_SA_SERVING
    for model in MODELS:
        for rw in ("randread", "randwrite"):
            c = by_key.get(f"{rw}-4k-qd8-{model}")
            if c is None:
                continue
            r = c.ratio("generated", "standalone")
            rows.append((f"{c.title}: standalone/generated in "
                         f"{low}-{high}", fmt_ratio(r),
                         "met" if r is not None and low <= r <= high
                         else "above: faster" if r is not None and r > high
                         else "MISSED"))
    if "generated" in instructions and "standalone" in instructions:
        rows.append(("instructions/read: standalone <= generated",
                     f"{instructions['standalone']:.0f} vs "
                     f"{instructions['generated']:.0f}",
                     "met" if instructions["standalone"]
                     <= instructions["generated"] else "MISSED"))
    return rows


def ratio_of_medians(c: Case, of: str, other: str) -> float | None:
    a, b = c.values.get(of), c.values.get(other)
    if not a or not b:
        return None
    return statistics.median(a) / statistics.median(b)


def table(cases: list[Case]) -> list[str]:
    lines = ["| case | unit | generated (min / median) | standalone "
             "| python | memory | gen/python | gen/memory | sa/python "
             "| sa/gen |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        cells = []
        for t in TARGETS:
            v = c.values.get(t)
            cells.append(f"{fmt_value(min(v))} / "
                         f"{fmt_value(statistics.median(v))}" if v else "-")
        better = "" if c.higher_is_better else " (lower is better)"
        title = c.title + (f" [{c.note}]" if c.note else "")
        lines.append(f"| {title} | {c.unit}{better} | {' | '.join(cells)} "
                     f"| {fmt_ratio(c.ratio('python'))} "
                     f"| {fmt_ratio(c.ratio('memory'))} "
                     f"| {fmt_ratio(c.ratio('python', 'standalone'))} "
                     f"| {fmt_ratio(c.ratio('generated', 'standalone'))} |")
    return lines


def syscall_table(syscalls: dict) -> list[str]:
    names = ["read", "recvfrom", "sendto", "sendmsg", "write", "futex",
             *PER_REQUEST_SYSCALLS, "total"]
    lines = ["| server | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for server, per in syscalls.items():
        lines.append(f"| {server} | " + " | ".join(
            f"{per.get(n, 0):g}" for n in names) + " |")
    return lines


def chart(cases: list[Case], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [c.title + ("" if c.higher_is_better else " [time]")
              for c in cases]
    vs_py = [c.ratio("python") or 0 for c in cases]
    vs_mem = [c.ratio("memory") or 0 for c in cases]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(cases) + 1.5))
    ys = range(len(cases))
    ax.barh([y + 0.2 for y in ys], vs_py, height=0.4,
            label="generated / nbdkit python")
    ax.barh([y - 0.2 for y in ys], vs_mem, height=0.4,
            label="generated / nbdkit memory")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(TARGET_VS_PYTHON, color="tab:blue", linestyle=":",
               linewidth=0.8)
    ax.axvline(TARGET_VS_MEMORY, color="tab:orange", linestyle=":",
               linewidth=0.8)
    ax.set_xlabel("ratio, median of repeats (throughput: higher is "
                  "better; times: lower is better)")
    ax.set_title("pyplugin-gen benchmark")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def environment() -> dict:
    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True
                                  ).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "nbdkit": version(["nbdkit", "--version"]),
        "fio": version(["fio", "--version"]),
        "python": version([sys.executable, "--version"]),
        "loadavg_start": os.getloadavg(),
    }


# ----------------------------------------------------------------- main

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5,
                   help="repeats of each case (nbdcopy: at most 3)")
    p.add_argument("--runtime", type=float, default=1.5,
                   help="seconds of each fio run (after 0.5 s ramp)")
    p.add_argument("--startup-runs", type=int, default=40)
    p.add_argument("--syscall-requests", type=int, default=20000)
    p.add_argument("--copy-size", default="1G")
    p.add_argument("--callgrind-reads", type=int, default=2000,
                   help="serial 4 KiB reads of the shorter callgrind run "
                   "(the longer has twice as many)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: one repeat, short runs, small copy")
    p.add_argument("--only", default="fio,copy,startup,syscalls,callgrind",
                   help="comma-separated subset of fio,copy,startup,"
                   "syscalls,callgrind")
    p.add_argument("-o", "--output", default=RESULTS)
    args = p.parse_args()
    if args.quick:
        args.repeats, args.runtime, args.startup_runs = 1, 1.0, 5
        args.syscall_requests, args.copy_size = 2000, "64M"
        args.callgrind_reads = 500
    only = set(args.only.split(","))
    for tool in ("nbdkit", "fio"):
        if shutil.which(tool) is None:
            log(f"bench: {tool} is needed")
            return 1

    os.makedirs(args.output, exist_ok=True)
    work = tempfile.mkdtemp(prefix="work-", dir=args.output)
    started = time.monotonic()
    env = environment()
    cases: list[Case] = []
    syscalls: dict = {}
    instructions: dict[str, float] = {}
    profile: dict[str, float] = {}
    try:
        log(f"bench: building the plugins with {GEN}")
        files = build_plugins(work) | {"work": work}
        sizes = plugin_sizes(files)
        if "fio" in only:
            log("bench: fio")
            run_fio_cases(cases, files, args)
        if "copy" in only:
            log("bench: nbdcopy")
            run_nbdcopy_cases(cases, files, args)
        if "startup" in only:
            log("bench: start-up")
            run_startup_case(cases, files, args)
            run_startup_case(cases, files, args, "tiny")
            profile = run_startup_profile(files, args)
        if "syscalls" in only:
            log("bench: system calls per request (strace)")
            syscalls = run_syscall_cases(files, args)
        if "callgrind" in only:
            log("bench: instructions per read (callgrind)")
            instructions = run_callgrind_cases(files, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    env["loadavg_end"] = os.getloadavg()
    env["seconds"] = round(time.monotonic() - started)
    env["repeats"] = args.repeats
    env["fio_runtime"] = args.runtime

    checks = targets_check(cases, syscalls, instructions)
    md = ["# pyplugin-gen benchmark", "",
          f"{env['date']}, {env['cpus']} CPUs, {env['nbdkit']}, "
          f"{env['fio']}, {env['python']}; {args.repeats} repeats; load "
          f"average {env['loadavg_start'][0]:.2f} at start, "
          f"{env['loadavg_end'][0]:.2f} at end; {env['seconds']} s.", "",
          "Ratios are medians over repeats of generated / other, each "
          "taken within one repeat.", "",
          *table(cases), ""]
    if profile:
        md += ["Start-up of the generated plugin by phase, as it logs them "
               "under `nbdkit -v` (median, ms); the rest of a run is "
               "nbdkit's own, loading libpython, the script's config to "
               "get_ready, the fork and the --run command:", "",
               "| phase | ms |", "|---|---|",
               *(f"| {k} | {v:.1f} |" for k, v in profile.items()), ""]
    md += ["Plugin sizes: " + ", ".join(
        f"{t} {v / 2**20:.1f} MiB ({v} bytes)" for t, v in sizes.items()),
        ""]
    if instructions:
        md += ["Instructions per serial 4 KiB read (valgrind --tool="
               f"callgrind on nbdkit, {2 * args.callgrind_reads} reads "
               f"minus {args.callgrind_reads}):", "",
               "| server | instructions/read |", "|---|---|",
               *(f"| {t} | {v:.0f} |" for t, v in instructions.items()),
               ""]
    if syscalls:
        md += ["System calls per request (4 KiB randrw, QD8, strace -c -f, "
               f"{args.syscall_requests} requests minus a short run):", "",
               *syscall_table(syscalls), ""]
    md += ["Targets:", "", "| target | measured | |", "|---|---|---|",
           *(f"| {a} | {b} | {c} |" for a, b, c in checks), ""]
    text = "\n".join(md)
    print(text)
    with open(os.path.join(args.output, "bench.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.output, "bench.json"), "w") as f:
        json.dump({"environment": env,
                   "cases": {c.key: c.summary() for c in cases},
                   "syscalls_per_request": syscalls,
                   "instructions_per_read": instructions,
                   "plugin_sizes": sizes,
                   "startup_profile_ms": profile,
                   "targets": [dict(zip(("target", "measured", "verdict"),
                                        row)) for row in checks]},
                  f, indent=1)
    if cases:
        try:
            chart(cases, os.path.join(args.output, "bench.png"))
        except ImportError:
            log("bench: matplotlib not found: no chart")
    log(f"bench: results in {args.output}/bench.{{md,json,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""One interpreter per connection against one, side by side in one run.

    /usr/bin/python3 bench/interpreters.py [--repeats N] [--runtime S]

Needs a target Python of 3.12 or later (pyplugin-gen
--interpreters=per-connection).  bench/cpu.py, whose reads compute their
block in Python under the GIL, is served three ways, all in the
parallel thread model:

    per-connection  built with --interpreters=per-connection
    default         built without (one interpreter, one GIL)
    python          nbdkit python bench/cpu.py

and read by fio (16 KiB random reads, queue depth 8 per connection)
over 1, 2 and 4 connections, with nbdkit on one core and on two
(taskset).  In each repeat the three servers are measured one right
after the other, in rotating order, and ratios are taken within a
repeat; the table gives the median of the reads per second and of the
ratios, and of the CPU time nbdkit used per second of the run (how many
cores it kept busy: at most about 1 under one GIL), which a shared
machine's load changes less than the throughput.  Results go to bench/results/interpreters.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from run import GEN, RESULTS, Server, environment, log

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "cpu.py")
TARGETS = ("per-connection", "default", "python")
CONNECTIONS = (1, 2, 4)
CORES = ("0", "0,1")


def fio_jobs(uri: str, connections: int, runtime: float) -> float:
    """Reads per second of `connections` fio jobs, each its own client."""
    cmd = ["fio", "--name=bench", "--ioengine=nbd", f"--uri={uri}",
           "--rw=randread", "--bs=16k", "--iodepth=8", "--size=1G",
           f"--numjobs={connections}", "--group_reporting",
           "--time_based", f"--runtime={runtime}", "--ramp_time=0.5",
           "--output-format=json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout
    if proc.returncode != 0 or "{" not in out:
        raise RuntimeError(f"fio failed: {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(out[out.index("{"):])["jobs"][0]["read"]["iops"]


def cpu_seconds(pid: int) -> float:
    """User and system time of process pid so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server(target: str, plugins: dict[str, str], cores: str,
           work: str) -> Server:
    """nbdkit serving target, on the CPUs cores."""
    plugin = ["python", SCRIPT] if target == "python" else [plugins[target]]
    return Server(target, [*plugin, "size=1G"], work,
                  prefix=["taskset", "-c", cores])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--runtime", type=float, default=3.0)
    p.add_argument("--pool", type=int, default=4,
                   help="--interpreter-pool of the per-connection plugin")
    p.add_argument("-o", "--output", default=RESULTS)
    args = p.parse_args()
    os.makedirs(args.output, exist_ok=True)
    env = environment()  # at the start: it has the load average then
    iops: dict[tuple, list[float]] = {}
    busy: dict[tuple, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        plugins = {}
        for target, extra in (("per-connection",
                               ["--interpreters=per-connection",
                                f"--interpreter-pool={args.pool}"]),
                              ("default", [])):
            so = os.path.join(work, f"cpu-{target}.so")
            subprocess.run([GEN, *extra, SCRIPT, "-o", so], check=True)
            plugins[target] = so
        for r in range(args.repeats):
            order = TARGETS[r % 3:] + TARGETS[:r % 3]
            for cores in CORES:
                for n in CONNECTIONS:
                    for target in order:
                        with server(target, plugins, cores, work) as s:
                            with open(s.pidfile) as f:
                                pid = int(f.read())
                            cpu, wall = cpu_seconds(pid), time.monotonic()
                            v = fio_jobs(s.uri, n, args.runtime)
                            b = (cpu_seconds(pid) - cpu) / (
                                time.monotonic() - wall)
                        iops.setdefault((cores, n, target), []).append(v)
                        busy.setdefault((cores, n, target), []).append(b)
                        log(f"  repeat {r + 1} cores {cores} "
                            f"connections {n} {target}: {v:.0f} reads/s, "
                            f"{b:.2f} CPU")
    load_after = os.getloadavg()
    rows = []
    for cores in CORES:
        for n in CONNECTIONS:
            med = {t: statistics.median(iops[(cores, n, t)])
                   for t in TARGETS}
            ratio = {t: statistics.median(
                a / b for a, b in zip(iops[(cores, n, "per-connection")],
                                      iops[(cores, n, t)]))
                for t in ("default", "python")}
            rows.append({"cores": len(cores.split(",")), "connections": n,
                         **{t: med[t] for t in TARGETS},
                         **{f"{t} CPU": statistics.median(
                             busy[(cores, n, t)]) for t in TARGETS},
                         "per-connection/default": ratio["default"],
                         "per-connection/python": ratio["python"]})
    lines = [f"load average {env.pop('loadavg_start')[0]:.1f} at the "
             f"start, {load_after[0]:.1f} at the end; {args.repeats} "
             f"repeats of {args.runtime} s; "
             + ", ".join(f"{k} {v}" for k, v in env.items()), "",
             "| cores | connections | per-connection | default | python "
             "| pc/default | pc/python | CPU used: pc, default, python |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['cores']} | {row['connections']} "
            f"| {row['per-connection']:.0f} | {row['default']:.0f} "
            f"| {row['python']:.0f} | {row['per-connection/default']:.2f} "
            f"| {row['per-connection/python']:.2f} "
            f"| {row['per-connection CPU']:.2f}, {row['default CPU']:.2f}, "
            f"{row['python CPU']:.2f} |")
    scaling = [
        (n, statistics.median(
            a / b for a, b in zip(iops[("0,1", n, "per-connection")],
                                  iops[("0", n, "per-connection")])))
        for n in CONNECTIONS]
    lines += ["", "per-connection, 2 cores / 1 core: " + ", ".join(
        f"{n} connections {x:.2f}" for n, x in scaling)]
    met = all(row["per-connection/default"] >= 1.7
              and row["per-connection/python"] >= 1.7
              for row in rows if row["cores"] == 2
              and row["connections"] >= 2)
    lines.append("target (2 cores, 2 and more connections, at least 1.7x "
                 f"default and python): {'met' if met else 'MISSED'}")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.output, "interpreters.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.output, "interpreters.json"), "w") as f:
        json.dump({"rows": rows, "samples": {
            f"{c} {n} {t}": v for (c, n, t), v in iops.items()}}, f,
            indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

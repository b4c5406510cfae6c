#!/usr/bin/env python3
"""Time and peak memory of `memmap-tutor run` against the size of the lesson.

Two families: many steps on one small array (up to 10,000 steps, the cap) and many variables (up to 1,000, the
cap), each variable opened on its own file and written once. For each size it runs the lesson BENCH_ROUNDS times
(default 3) with the execution table as output (one row per step, so the output itself is linear) and reports the
median wall time, CPU time (user + system: on a shared machine the wall time also holds the wait for a CPU), the
peak RSS of the tutor (through GNU time where installed: see run_once) and the output size, then the CPU time
per step (or per variable) at the largest size over that at the smallest: a ratio near 1 means linear.

Then one `--format json` run per size where the JSON stays small enough to write: its size, and the time the
runner spent observing (the sum of every step's `probe_ms`, the probes and display reads after the step), the
files whose page cache was asked about over the run (`probes`: the step's files, and at most the per-step budget
of dirty ones or, after reclaim, of any), the steps where every file may have changed (`all-steps`: the first, and
after reclaim) and the looks the budget left for a later step (`deferred`, summed over the steps). The JSON
contract repeats every variable at every step, so its size is steps x variables by design (a run of the largest
variables lesson would write about a gigabyte); the runner's own work is not.

Usage: bench/lesson_size.py path/to/memmap-tutor   (bench/run.sh builds the profiling binary)
BENCH_ROUNDS=N (default 3), BENCH_STEPS=1000,10000 and BENCH_VARS=100,1000 choose the rounds and sizes.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# Largest variables lesson whose JSON is written (steps x variables records; ~1.2 KiB each).
JSON_MAX_VARS = 250


def steps_lesson(n):
    lines = ["title: many steps", "steps:",
             "  - op: open", "    var: a", "    file: a.dat", "    mode: w+",
             "    dtype: uint8", "    shape: 64"]
    ops = ["  - op: assign\n    var: a\n    index: '[{i}]'\n    value: {v}",
           "  - op: read\n    var: a\n    index: '[{i}]'",
           "  - op: flush\n    var: a"]
    # A flush (msync: a real disk write) every 50 steps; most steps are the tutor's own work.
    for k in range(n - 1):
        lines.append(ops[2 if k % 50 == 49 else k % 2].format(i=k % 64, v=k % 250))
    return "\n".join(lines) + "\n"


def vars_lesson(n):
    lines = ["title: many variables", "steps:"]
    for k in range(n):
        lines += ["  - op: open", f"    var: v{k}", f"    file: f{k}.dat", "    mode: w+",
                  "    dtype: uint8", "    shape: 16",
                  "  - op: assign", f"    var: v{k}", "    index: '[0]'", f"    value: {k % 250}"]
    return "\n".join(lines) + "\n"


def vars_flushed_lesson(n):
    """As vars_lesson, with each variable flushed after its store: its file is clean from then on, so later
    steps carry its page map instead of asking the kernel again (a dirty file is asked at every step)."""
    lines = ["title: many variables, flushed", "steps:"]
    for k in range(n):
        lines += ["  - op: open", f"    var: v{k}", f"    file: f{k}.dat", "    mode: w+",
                  "    dtype: uint8", "    shape: 16",
                  "  - op: assign", f"    var: v{k}", "    index: '[0]'", f"    value: {k % 250}",
                  "  - op: flush", f"    var: v{k}"]
    return "\n".join(lines) + "\n"


def sizes(name, default):
    """Sizes from the environment (BENCH_STEPS / BENCH_VARS, comma-separated), else the default list."""
    text = os.environ.get(name)
    return [int(x) for x in text.split(",")] if text else default


def gnu_time():
    """GNU time, if installed: it forks the tutor from its own small process (see run_once)."""
    for path in ("/usr/bin/time", shutil.which("time")):
        if path and os.access(path, os.X_OK):
            probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
            if probe.returncode == 0 and probe.stderr.strip().isdigit():
                return path
    return None


TIME = gnu_time()


def run_once(binary, args):
    """Wall seconds, CPU seconds (user + system), peak RSS MiB, output bytes and (JSON only) the output.

    The peak RSS is the tutor's own only when its parent is small: a forked child starts with a copy of its
    parent's page table and exec(2) keeps that copy's resident size as the child's ru_maxrss, so a child of
    this script (which holds a parsed JSON trace of up to 250 MiB) would report the script's size. GNU time
    is a small process: the tutor forked from it reports its own peak. Without GNU time the figure includes
    this script's resident size at the fork, and says so.
    """
    start = time.monotonic()
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out, \
            tempfile.NamedTemporaryFile(mode="r") as report:
        argv = [binary, "run", *args]
        if TIME:
            argv = [TIME, "-q", "-o", report.name, "-f", "%U %S %M", *argv]
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        size = out.seek(0, os.SEEK_END)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{args}: exit {code}: {err.read().decode(errors='replace')[:2000]}")
        if TIME:
            user, system, kib = report.read().split()[-3:]
            cpu, rss = float(user) + float(system), int(kib) / 1024.0
        else:
            cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
        out.seek(0)
        text = out.read() if "--format" in args else b""
    return wall, cpu, rss, size, text


def family(binary, name, make, sizes, rounds, unit, json_max):
    print(f"\n({name}: execution table, median of {rounds})")
    print(f"    {unit + 's':>10} {'wall s':>9} {'CPU s':>8} {'peak RSS MiB':>13} {'output KiB':>11}"
          f" {'CPU ms/' + unit:>12}")
    per = []
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for n in sizes:
            path = paths[n] = os.path.join(d, f"{name}-{n}.yaml")
            with open(path, "w") as f:
                f.write(make(n))
            runs = [run_once(binary, [path, "--view", "table", "--color", "never", "--width", "100",
                                      "--no-pager"]) for _ in range(rounds)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = statistics.median(r[2] for r in runs)
            size = runs[0][3]
            per.append((n, cpu / n, rss))
            print(f"    {n:>10} {wall:>9.2f} {cpu:>8.2f} {rss:>13.1f} {size / 1024:>11.1f}"
                  f" {1000 * cpu / n:>12.3f}")
        (n0, t0, r0), (n1, t1, r1) = per[0], per[-1]
        print(f"    CPU per {unit} at {n1} / at {n0}: {t1 / t0:.2f}  (1.0 = linear)")
        print(f"    peak RSS at {n1} / at {n0}: {r1 / r0:.2f}  (size ratio {n1 / n0:.0f}; "
              f"a constant base makes it smaller)")
        print(f"  ({name}: --format json, one run each)")
        print(f"    {unit + 's':>10} {'wall s':>9} {'CPU s':>8} {'peak RSS MiB':>13} {'JSON MiB':>9}"
              f" {'records':>10} {'observe ms':>11} {'ms/' + unit:>10} {'probes':>8} {'all-steps':>9}"
              f" {'deferred':>9}")
        for n in sizes:
            if n > json_max:
                print(f"    {n:>10}  not written: the JSON holds steps x variables records by contract")
                continue
            wall, cpu, rss, size, text = run_once(binary, [paths[n], "--format", "json"])
            trace = json.loads(text)
            records = sum(len(s["arrays"]) for s in trace["steps"])
            observe = sum(s["probe_ms"] for s in trace["steps"])
            # Files asked about (page cache) over the run, and steps that asked about every file (the first,
            # and any step after which /proc/vmstat showed reclaim or drop_caches somewhere in the system).
            probes = sum(s.get("probed", {}).get("files", 0) for s in trace["steps"])
            every = sum(1 for s in trace["steps"] if s.get("probed", {}).get("all_because"))
            # Files that may have changed but were left for a later step (over the per-step look budget).
            deferred = sum(s.get("probed", {}).get("deferred", 0) for s in trace["steps"])
            del trace, text
            print(f"    {n:>10} {wall:>9.2f} {cpu:>8.2f} {rss:>13.1f} {size / 2**20:>9.1f} {records:>10}"
                  f" {observe:>11.0f} {observe / n:>10.3f} {probes:>8} {every:>9} {deferred:>9}")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    print(f"# memmap-tutor lesson-size benchmark: work dir {tempfile.gettempdir()}, {os.cpu_count()} CPUs, "
          f"Linux {os.uname().release}, load average {os.getloadavg()[0]:.1f} at the start")
    print("# CPU s is the tutor's user + system time (what the lesson costs); wall s also holds the wait for a")
    print("# CPU on a shared machine. " + (f"Peak RSS: GNU time ({TIME}), the tutor's own." if TIME else
          "Peak RSS: wait4 (no GNU time here), an upper bound: it includes this script's size at each fork."))
    family(binary, "steps", steps_lesson, sizes("BENCH_STEPS", [1000, 2500, 5000, 10000]), rounds, "step",
           10_000)
    var_sizes = sizes("BENCH_VARS", [100, 250, 500, 1000])
    family(binary, "variables", vars_lesson, var_sizes, rounds, "var", JSON_MAX_VARS)
    family(binary, "variables, flushed", vars_flushed_lesson, var_sizes, rounds, "var", JSON_MAX_VARS)


if __name__ == "__main__":
    main()

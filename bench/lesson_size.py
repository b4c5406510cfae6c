#!/usr/bin/env python3
"""Time and peak memory of `memmap-tutor run --format json` against the size of the lesson.

Two families: many steps on one small array (up to 10,000 steps, the cap) and many variables
(up to 1,000, the cap), each variable opened, written once and read once. For each size it runs the
lesson BENCH_ROUNDS times (default 3) and reports the median wall time, the peak RSS of the child
(wait4's ru_maxrss) and the size of the JSON trace, plus the ratio per step (or per variable)
between the largest and the smallest size: a ratio near 1 means linear.

Usage: bench/lesson_size.py path/to/memmap-tutor   (bench/run.sh builds the release binary)
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time


def steps_lesson(n):
    lines = ["title: many steps", "steps:",
             "  - op: open", "    var: a", "    file: a.dat", "    mode: w+",
             "    dtype: uint8", "    shape: 64"]
    ops = ["  - op: assign\n    var: a\n    index: '[{i}]'\n    value: {v}",
           "  - op: read\n    var: a\n    index: '[{i}]'",
           "  - op: flush\n    var: a"]
    for k in range(n - 1):
        lines.append(ops[k % 3].format(i=k % 64, v=k % 250))
    return "\n".join(lines) + "\n"


def vars_lesson(n):
    lines = ["title: many variables", "steps:"]
    for k in range(n):
        lines += ["  - op: open", f"    var: v{k}", f"    file: f{k}.dat", "    mode: w+",
                  "    dtype: uint8", "    shape: 16",
                  "  - op: assign", f"    var: v{k}", "    index: '[0]'", f"    value: {k % 250}"]
    return "\n".join(lines) + "\n"


def run_once(binary, path):
    start = time.monotonic()
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([binary, "run", path, "--format", "json"],
                                stdout=out, stderr=devnull)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        size = out.seek(0, os.SEEK_END)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{path}: exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss / 1024.0, size


def family(binary, name, make, sizes, rounds, unit):
    print(f"\n({name})")
    print(f"    {unit:>10} {'wall s':>9} {'peak RSS MiB':>13} {'JSON MiB':>9} {'ms/' + unit:>10} {'KiB JSON/' + unit:>14}")
    per = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            path = os.path.join(d, f"{name}-{n}.yaml")
            with open(path, "w") as f:
                f.write(make(n))
            runs = [run_once(binary, path) for _ in range(rounds)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            size = runs[0][2]
            per.append((n, wall / n, size / n))
            print(f"    {n:>10} {wall:>9.2f} {rss:>13.1f} {size / 2**20:>9.1f} "
                  f"{1000 * wall / n:>10.2f} {size / n / 1024:>14.1f}")
    (n0, t0, s0), (n1, t1, s1) = per[0], per[-1]
    print(f"    per-{unit} time  at {n1} / at {n0}: {t1 / t0:.2f}  (1.0 = linear)")
    print(f"    per-{unit} JSON  at {n1} / at {n0}: {s1 / s0:.2f}  (1.0 = linear)")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    print(f"# memmap-tutor lesson-size benchmark: median of {rounds} rounds, work dir {tempfile.gettempdir()}")
    family(binary, "steps", steps_lesson, [1000, 2500, 5000, 10000], rounds, "step")
    family(binary, "variables", vars_lesson, [100, 250, 500, 1000], rounds, "var")


if __name__ == "__main__":
    main()

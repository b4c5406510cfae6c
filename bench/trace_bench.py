#!/usr/bin/env python3
"""Benchmark of `memmap-tutor trace`: the tutor's cost per traced line (run through bench/trace.sh).

A 1,000-line traced loop (500 iterations of `for` + one store) over a memmap, traced with every line a step,
against `python3 SCRIPT.py` alone. Run for a one-page file and for a 1 GiB sparse file: the cost per step must
not grow with the file's size. Reported per traced line (medians of the rounds):
  overhead   (trace wall - python wall) / lines: everything tracing adds (shim, pipe, probes, display, output)
  cpu        (trace CPU - python CPU) / lines, user + system time of the processes (tutor, and the traced python with
             its shim): what tracing costs in CPU, much less sensitive than wall time to other load on the machine
  probes     the tutor's own measuring and display reads per step (the trace's probe_ms)
Target (issue 16): at most 2 ms of tutor time per traced line.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TUTOR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/memmap-tutor")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ITERATIONS = 500  # two lines each: 1,000 traced lines

SCRIPT = """import numpy as np
a = np.memmap('bench.bin', dtype='float32', mode='w+', shape=({n},))
for i in range({iterations}):
    a[i % 1024] = i
a.flush()
"""


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wall(cmd, cwd):
    """Wall seconds, CPU seconds (of the command and its children, waited for) and stdout."""
    c0 = cpu()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t0, cpu() - c0, out.stdout


def bench(elements):
    rows = {"python": [], "trace": [], "python_cpu": [], "trace_cpu": [], "probe_ms": [], "steps": 0}
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "loop.py"), "w") as f:
            f.write(SCRIPT.format(n=elements, iterations=ITERATIONS))
        for _ in range(ROUNDS):
            t, c, _ = wall([sys.executable, "loop.py"], d)
            rows["python"].append(t)
            rows["python_cpu"].append(c)
            t, c, out = wall([TUTOR, "trace", "--max-steps", "100000", "--format", "json", "loop.py"], d)
            rows["trace"].append(t)
            rows["trace_cpu"].append(c)
            steps = json.loads(out)["steps"]
            rows["steps"] = len(steps)
            rows["probe_ms"].append(statistics.mean(s["probe_ms"] for s in steps))
    py = statistics.median(rows["python"])
    tr = statistics.median(rows["trace"])
    n = rows["steps"]
    return {
        "file_bytes": elements * 4,
        "steps": n,
        "python_s": py,
        "trace_s": tr,
        "overhead_ms_per_line": (tr - py) * 1e3 / n,
        "cpu_ms_per_line": (statistics.median(rows["trace_cpu"]) - statistics.median(rows["python_cpu"])) * 1e3 / n,
        "probe_ms_per_step": statistics.median(rows["probe_ms"]),
    }


def main():
    print("# memmap-tutor trace benchmark: median of %d rounds, %d CPUs" % (ROUNDS, os.cpu_count()))
    print(
        "%-12s %6s %10s %10s %14s %12s %12s"
        % ("file", "steps", "python s", "trace s", "overhead/line", "cpu/line", "probes/step")
    )
    for elements in (1024, 1 << 28):
        r = bench(elements)
        size = "4 KiB" if r["file_bytes"] < 1 << 20 else "%d GiB" % (r["file_bytes"] >> 30)
        print(
            "%-12s %6d %10.3f %10.3f %11.3f ms %9.3f ms %9.3f ms"
            % (
                size,
                r["steps"],
                r["python_s"],
                r["trace_s"],
                r["overhead_ms_per_line"],
                r["cpu_ms_per_line"],
                r["probe_ms_per_step"],
            )
        )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark of `memmap-tutor trace`: the tutor's cost per traced line (run through bench/trace.sh).

A 1,000-line traced loop (500 iterations of `for` + one store) over a memmap, traced with every line a step,
against `python3 SCRIPT.py` alone. Run for a one-page file and for a 1 GiB sparse file: the cost per step must
not grow with the file's size. Reported per traced line (medians of the rounds):
  wall       (trace wall - python wall) / lines: everything tracing adds (shim, pipe, probes, display reads, and
             printing the whole trace as JSON: ~4 KB per step)
  cpu        (trace CPU - python CPU) / lines, user + system time of the processes (tutor, and the traced python with
             its shim): what tracing costs in CPU, much less sensitive than wall time to other load on the machine
  wall/cpu sample   the same with `--view sample` (text): the same steps recorded, but only a short view printed
  probes     the tutor's own measuring and display reads per step (the trace's probe_ms)
  floor      the shim alone with a responder that answers at once (no probes, no output): the wall and CPU of the
             two hand-overs per line themselves, which no change to the tutor's probes can remove
The machine's load average (1 min) is printed before and after: on a shared machine the wall figures mostly
measure how long each of the two processes waits for a CPU at every hand-over.
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
SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "script", "shim.py")
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


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def wall(cmd, cwd):
    """Wall seconds, CPU seconds (of the command and its children, waited for) and stdout."""
    c0 = cpu()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t0, cpu() - c0, out.stdout


def floor(cwd):
    """The shim alone, answered at once: (wall seconds, CPU seconds of the shim's python and of this responder,
    pauses)."""
    with open(SHIM) as f:
        shim = f.read()
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    env = dict(os.environ, MEMMAP_TUTOR_OUT=str(w1), MEMMAP_TUTOR_IN=str(r2))
    c0, s0 = cpu(), own_cpu()
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, "-c", shim, "loop.py"], cwd=cwd, env=env, pass_fds=(w1, r2), stdout=subprocess.DEVNULL
    )
    os.close(w1)
    os.close(r2)
    pauses = 0
    with os.fdopen(r1, "rb") as msgs, os.fdopen(w2, "wb", buffering=0) as replies:
        for line in msgs:
            if line.startswith(b'{"t": "line"'):
                pauses += 1
                replies.write(b"c\n")
    p.wait()
    return time.perf_counter() - t0, (cpu() - c0) + (own_cpu() - s0), pauses


def bench(elements):
    rows = {
        k: []
        for k in (
            "python",
            "trace",
            "python_cpu",
            "trace_cpu",
            "sample",
            "sample_cpu",
            "probe_ms",
            "floor",
            "floor_cpu",
        )
    }
    steps = 0
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "loop.py"), "w") as f:
            f.write(SCRIPT.format(n=elements, iterations=ITERATIONS))
        for _ in range(ROUNDS):
            t, c, _ = wall([sys.executable, "loop.py"], d)
            rows["python"].append(t)
            rows["python_cpu"].append(c)
            t, c, out = wall([TUTOR, "trace", "--max-steps", "10000", "--format", "json", "loop.py"], d)
            rows["trace"].append(t)
            rows["trace_cpu"].append(c)
            trace_steps = json.loads(out)["steps"]
            steps = len(trace_steps)
            rows["probe_ms"].append(statistics.mean(s["probe_ms"] for s in trace_steps))
            t, c, _ = wall([TUTOR, "trace", "--max-steps", "10000", "--view", "sample", "loop.py"], d)
            rows["sample"].append(t)
            rows["sample_cpu"].append(c)
            t, c, _ = floor(d)
            rows["floor"].append(t)
            rows["floor_cpu"].append(c)
    med = {k: statistics.median(v) for k, v in rows.items()}
    per_line = lambda a, b: (med[a] - med[b]) * 1e3 / steps  # noqa: E731
    return {
        "file_bytes": elements * 4,
        "steps": steps,
        "python_s": med["python"],
        "trace_s": med["trace"],
        "wall_ms_per_line": per_line("trace", "python"),
        "cpu_ms_per_line": per_line("trace_cpu", "python_cpu"),
        "sample_wall_ms_per_line": per_line("sample", "python"),
        "sample_cpu_ms_per_line": per_line("sample_cpu", "python_cpu"),
        "probe_ms_per_step": med["probe_ms"],
        "floor_wall_ms_per_line": per_line("floor", "python"),
        "floor_cpu_ms_per_line": per_line("floor_cpu", "python_cpu"),
    }


def main():
    load = lambda: os.getloadavg()[0]  # noqa: E731
    print(
        "# memmap-tutor trace benchmark: median of %d rounds, %d CPUs, load average %.1f at the start"
        % (ROUNDS, os.cpu_count(), load())
    )
    print(
        "%-6s %5s %8s %8s %10s %9s %12s %11s %11s %11s %10s"
        % (
            "file",
            "steps",
            "python s",
            "trace s",
            "wall/line",
            "cpu/line",
            "sample wall",
            "sample cpu",
            "probes/step",
            "floor wall",
            "floor cpu",
        )
    )
    for elements in (1024, 1 << 28):
        r = bench(elements)
        size = "4 KiB" if r["file_bytes"] < 1 << 20 else "%d GiB" % (r["file_bytes"] >> 30)
        print(
            "%-6s %5d %8.3f %8.3f %7.3f ms %6.3f ms %9.3f ms %8.3f ms %8.3f ms %8.3f ms %7.3f ms"
            % (
                size,
                r["steps"],
                r["python_s"],
                r["trace_s"],
                r["wall_ms_per_line"],
                r["cpu_ms_per_line"],
                r["sample_wall_ms_per_line"],
                r["sample_cpu_ms_per_line"],
                r["probe_ms_per_step"],
                r["floor_wall_ms_per_line"],
                r["floor_cpu_ms_per_line"],
            )
        )
    print("# load average %.1f at the end" % load())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side benchmark of memmap-tutor against NumPy and dd (run through bench/run.sh).

(a) 1 GiB float32 memmap: fill with arange, then flush -- memmap-tutor vs NumPy vs dd conv=fsync.
(b) the bigger-than-ram lesson (64 GiB sparse file): wall time and peak RSS.
(c) tracer overhead: the large-array lesson with probes on vs off (MEMMAP_TUTOR_NO_PROBES=1).

Every contender runs once per round, interleaved, with the page cache dropped before each run
(when this user may write /proc/sys/vm/drop_caches) so no run inherits another's dirty pages;
the medians of the rounds are reported. Peak RSS comes from GNU time (or wait4()).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

N = 268435456  # 1 GiB of float32
TUTOR = sys.argv[1] if len(sys.argv) > 1 else "target/release/memmap-tutor"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORK = os.environ.get("BENCH_DIR", tempfile.gettempdir())

NUMPY_FILL = r"""
import sys, time, json, numpy as np
n = int(sys.argv[2])
t0 = time.perf_counter()
arr = np.memmap(sys.argv[1], dtype='float32', mode='w+', shape=(n,))
t1 = time.perf_counter()
arr[:] = np.arange(n, dtype=np.float32)
t2 = time.perf_counter()
arr.flush()
t3 = time.perf_counter()
del arr
print(json.dumps({"open": t1 - t0, "fill": t2 - t1, "flush": t3 - t2}))
"""


def settle():
    """Write back and drop the page cache so each run starts from the same state."""
    subprocess.run(["sync"], check=False)
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        pass
    time.sleep(0.5)


TIME = "/usr/bin/time"


def run(cmd, env=None):
    """Run a child; return (wall seconds, peak RSS in KiB, stdout).

    Peak RSS comes from GNU time when installed: wait4() of a child forked from Python would
    also count the ~15 MiB of the Python process the child was until it called exec.
    """
    rss_file = None
    if os.path.exists(TIME):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = [TIME, "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True)
    out_chunks = []
    # Read stdout before waiting so a large output cannot block the child.
    out_chunks.append(p.stdout.read())
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read()
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err}")
    rss = ru.ru_maxrss
    if rss_file:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
        os.unlink(rss_file)
    return wall, rss, "".join(out_chunks)


def tutor(lesson, probes=True):
    env = dict(os.environ, TMPDIR=WORK)
    if not probes:
        env["MEMMAP_TUTOR_NO_PROBES"] = "1"
    wall, rss, out = run([TUTOR, "run", lesson, "--format", "json"], env)
    steps = json.loads(out)["steps"]
    ms = {s["op"]: s["elapsed_ms"] for s in steps}
    probe_ms = sum(s.get("probe_ms", 0.0) for s in steps)
    return {"wall": wall, "rss": rss, "fill": ms.get("assign", 0) / 1e3,
            "flush": ms.get("flush", 0) / 1e3, "probe": probe_ms / 1e3}


def numpy():
    with tempfile.TemporaryDirectory(dir=WORK) as d:
        wall, rss, out = run([sys.executable, "-c", NUMPY_FILL, os.path.join(d, "np.dat"), str(N)])
    ph = json.loads(out)
    return {"wall": wall, "rss": rss, "fill": ph["fill"], "flush": ph["flush"]}


def dd():
    with tempfile.TemporaryDirectory(dir=WORK) as d:
        wall, rss, _ = run(["dd", "if=/dev/zero", f"of={os.path.join(d, 'dd.dat')}",
                            "bs=1M", "count=1024", "conv=fsync"])
    return {"wall": wall, "rss": rss}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    runs = {"tutor": [], "numpy": [], "dd": [], "noprobe": [], "btr": []}
    # One unmeasured run first: the first 1 GiB of page cache after a quiet spell is much slower
    # to fault in on this VM (measured 3.8 s vs 0.7-2 s), and it should not count for anyone.
    settle()
    tutor("large-array")
    for r in range(ROUNDS):
        print(f"round {r + 1}/{ROUNDS} …", file=sys.stderr, flush=True)
        pair = [("tutor", lambda: tutor("large-array")),
                ("noprobe", lambda: tutor("large-array", probes=False))]
        # Alternate which of the pair goes first, so an order effect cancels out.
        if r % 2:
            pair.reverse()
        for name, fn in (*pair,
                         ("numpy", numpy),
                         ("dd", dd),
                         ("btr", lambda: tutor("bigger-than-ram"))):
            settle()
            runs[name].append(fn())
    t, n, d, off, b = (runs[k] for k in ("tutor", "numpy", "dd", "noprobe", "btr"))
    tf, tff = med(t, "fill"), statistics.median(x["fill"] + x["flush"] for x in t)
    nf, nff = med(n, "fill"), statistics.median(x["fill"] + x["flush"] for x in n)
    dw = med(d, "wall")
    trss, nrss = med(t, "rss"), med(n, "rss")
    on, offw = med(t, "wall"), med(off, "wall")
    # Probes on and off ran back to back in each round: compare them pairwise.
    over = statistics.median(a["wall"] / b["wall"] for a, b in zip(t, off)) - 1

    def verdict(ok):
        return "ok" if ok else "MISSED"

    print(f"# memmap-tutor benchmark: median of {ROUNDS} rounds, page cache dropped before each run")
    print(f"# {os.uname().sysname} {os.uname().release}, {os.cpu_count()} CPUs, work dir {WORK}")
    print()
    print("(a) 1 GiB float32 memmap: arr[:] = np.arange(n), arr.flush()")
    print(f"    {'':22} {'fill s':>8} {'flush s':>8} {'fill+flush s':>13} {'wall s':>8} {'peak RSS MiB':>13}")
    print(f"    {'memmap-tutor':22} {tf:8.3f} {med(t, 'flush'):8.3f} {tff:13.3f} {on:8.3f} {trss / 1024:13.1f}")
    print(f"    {'NumPy ' + __import__('numpy').__version__:22} {nf:8.3f} {med(n, 'flush'):8.3f} {nff:13.3f} "
          f"{med(n, 'wall'):8.3f} {nrss / 1024:13.1f}")
    print(f"    {'dd bs=1M conv=fsync':22} {'':8} {'':8} {dw:13.3f} {dw:8.3f} {med(d, 'rss') / 1024:13.1f}")
    print(f"    fill phase      tutor/NumPy = {tf / nf:5.2f}  (target <= 0.70: {verdict(tf / nf <= 0.7)})")
    print(f"    fill+flush      tutor/NumPy = {tff / nff:5.2f}  (target <= 1.00: {verdict(tff / nff <= 1.0)})")
    print(f"    fill+flush      tutor/dd    = {tff / dw:5.2f}  (target <= 1.50: {verdict(tff / dw <= 1.5)})")
    print(f"    peak RSS        tutor/NumPy = {trss / nrss:5.2f}  (target <= 0.60: {verdict(trss / nrss <= 0.6)})")
    print()
    bw, brss = med(b, "wall"), med(b, "rss")
    print("(b) bigger-than-ram lesson (64 GiB sparse file, 3 slices written, flushed, read back)")
    print(f"    wall {bw:.3f} s, peak RSS {brss / 1024:.1f} MiB  (target < 64 MiB: {verdict(brss < 64 * 1024)})")
    print()
    print("(c) tracer overhead on the large-array lesson (whole process, probes on vs MEMMAP_TUTOR_NO_PROBES=1)")
    print(f"    probes on {on:.3f} s, off {offw:.3f} s (medians); median paired overhead {over * 100:+.1f}%  "
          f"(target <= 10%: {verdict(over <= 0.10)})")
    print(f"    time inside the probes (probe_ms in the trace): {med(t, 'probe') * 1e3:.1f} ms "
          f"= {med(t, 'probe') / on * 100:.2f}% of the run")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compare `run --format json` of every built-in lesson between two memmap-tutor binaries.

Usage: bench/compare_json.py OLD_BINARY NEW_BINARY [LESSON...]
Fields that vary from run to run (times, pids, fault counts, temporary paths, page counts caught mid-writeback)
are normalised; everything else must be identical. Exit 0 when all lessons match, 1 otherwise.
"""
import json
import re
import subprocess
import sys

# Keys whose values are measurements of time, process ids or fault counts.
VARYING_KEYS = {"elapsed_ms", "probe_ms", "pid", "major", "minor", "wait_ms", "environment", "extents", "writeback_wait_ms", "dirty_for_ms",
                # the tutor's own heap and the time a read took: the process, not the lesson
                "read_ms", "tutor_anon_kb_before", "tutor_anon_kb_after", "tutor_anon_kb_peak"}
TMP = re.compile(r"/tmp/memmap-tutor-[A-Za-z0-9]+")
NUM_UNIT = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|µs|us)\b")
PID = re.compile(r"\bpid \d+")
FAULTS = re.compile(r"\b\d+ (major|minor)\b")


def norm(v, key=""):
    if key in VARYING_KEYS:
        return "<varies>"
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str):
        v = TMP.sub("<tmp>", v)
        v = NUM_UNIT.sub("<time>", v)
        v = PID.sub("pid <n>", v)
        return FAULTS.sub("<n> \\1", v)
    return v


def run(binary, lesson):
    p = subprocess.run([binary, "run", lesson, "--format", "json"], capture_output=True, text=True, cwd="/tmp")
    if p.returncode != 0:
        return {"exit": p.returncode, "stderr": p.stderr}
    return norm(json.loads(p.stdout))


def lessons(binary):
    out = subprocess.run([binary, "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def main():
    old, new = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or lessons(old)
    bad = 0
    for name in names:
        a, b = run(old, name), run(new, name)
        if a == b:
            print(f"same      {name}")
            continue
        bad += 1
        print(f"DIFFERENT {name}")
        sa = json.dumps(a, indent=1, sort_keys=True).splitlines()
        sb = json.dumps(b, indent=1, sort_keys=True).splitlines()
        import difflib
        for line in list(difflib.unified_diff(sa, sb, "old", "new", n=2))[:60]:
            print("   ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Module list with line counts, and the import graph between top-level modules of src/ (from `crate::`
paths), checked for cycles and for imports that point up the layer order of DESIGN.md.

Usage: python3 bench/layers.py   (from the repository root; exit 1 on a cycle or an upward import)
"""
import collections
import os
import re
import sys

# Lowest first; a module may import only modules of its own rank or lower (same rank: no cycles).
RANKS = [
    ["trace", "expr", "numpy", "python", "signals", "confine", "term_safe"],
    ["lesson", "probe", "script"],
    ["export", "engine"],
    ["runner", "workdir"],
    ["present", "views"],
    ["quiz", "verify"],
    ["cli", "commands"],
]
RANK = {m: i for i, group in enumerate(RANKS) for m in group}


def top_module(path):
    rel = os.path.relpath(path, "src")
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def main():
    lines = {}
    edges = collections.defaultdict(set)
    for root, _, files in os.walk("src"):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            p = os.path.join(root, f)
            text = open(p, encoding="utf-8").read()
            lines[p] = text.count("\n")
            # Test modules may reach anywhere; only the shipped code must respect the layers.
            shipped = text.split("#[cfg(test)]")[0]
            m = top_module(p)
            for dep in re.findall(r"crate::([a-z_]+)", shipped):
                if dep != m:
                    edges[m].add(dep)
    for p in sorted(lines):
        print(f"{lines[p]:6d}  {p}")
    print(f"{sum(lines.values()):6d}  total\n")
    bad = 0
    for m in sorted(edges):
        print(f"{m:10s} -> {', '.join(sorted(edges[m]))}")
        for d in edges[m]:
            if m in RANK and d in RANK and RANK[d] > RANK[m]:
                print(f"   UPWARD: {m} (rank {RANK[m]}) imports {d} (rank {RANK[d]})")
                bad += 1
    # Cycles between top-level modules.
    state = {}

    def visit(n, stack):
        nonlocal bad
        state[n] = 1
        for d in sorted(edges.get(n, ())):
            if state.get(d) == 1:
                print("   CYCLE:", " -> ".join(stack[stack.index(d):] + [d]))
                bad += 1
            elif d not in state:
                visit(d, stack + [d])
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [n])
    print("\nno cycles, no upward imports" if bad == 0 else f"\n{bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

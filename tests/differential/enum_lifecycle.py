#!/usr/bin/env python3
"""Enumerate the outside-process and page-cache steps on a name in every state of its life against real NumPy:
opened in each mode, re-bound by a second `open` in another mode, closed and reopened in each mode, after a failed
`open`, then closed or not, then each of `crash`, `fork_write`, `external_write`, `external_read`, `evict`,
`madvise`, `flush_async`, `flush_range`, `truncate`, `read`, `assign`, `flush`, `close`, `reopen`. Each combination
is one lesson, run by the tutor and by the NumPy interpreter (compare.py); prints every difference and a count.

    python3 tests/differential/enum_lifecycle.py [--tutor PATH]
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from compare import check  # noqa: E402

MODES = ["r+", "w+", "r", "c", "readonly", "copyonwrite", "write", "readwrite"]
BASE = {"file": "a.dat", "dtype": "int16", "shape": [4]}


def histories():
    """(label, steps) leaving `arr` in some state; the file a.dat exists and holds [1 2 3 4]."""
    make = [{"op": "open", "var": "x", "file": "a.dat", "mode": "w+", "dtype": "int16", "shape": [4]},
            {"op": "assign", "var": "x", "index": "[:]", "value": [1, 2, 3, 4]},
            {"op": "flush", "var": "x"}, {"op": "close", "var": "x"}]
    for m in MODES:
        yield "open %s" % m, make + [dict(BASE, op="open", var="arr", mode=m)]
        for m0 in ["w+", "r", "c"]:
            yield "open %s, open %s" % (m0, m), make + [
                dict(BASE, op="open", var="arr", mode=m0 if m0 != "w+" else "r+"),
                dict(BASE, op="open", var="arr", mode=m)]
        yield "open r+, close, reopen %s" % m, make + [
            dict(BASE, op="open", var="arr", mode="r+"), {"op": "close", "var": "arr"},
            {"op": "reopen", "var": "arr", "mode": m}]
        yield "open %s, failed open" % m, make + [
            dict(BASE, op="open", var="arr", mode=m),
            {"op": "open", "var": "arr", "file": "missing.dat", "mode": "r", "dtype": "int16", "shape": [4]}]
        yield "open %s, open float32 on it" % m, make + [
            dict(BASE, op="open", var="arr", mode=m),
            {"op": "open", "var": "arr", "file": "a.dat", "mode": "r", "dtype": "float32", "shape": [2]}]


FINAL = [
    {"op": "crash", "var": "arr", "index": "[1]", "value": 9},
    {"op": "crash", "var": "arr", "value": 7},
    {"op": "fork_write", "var": "arr", "index": "[2]", "value": 5},
    {"op": "external_write", "var": "arr", "offset": 2, "value": 8},
    {"op": "external_read", "var": "arr", "offset": 0, "length": 8},
    {"op": "evict", "var": "arr"},
    {"op": "madvise", "var": "arr", "advice": "MADV_WILLNEED"},
    {"op": "flush_async", "var": "arr"},
    {"op": "flush_range", "var": "arr", "offset": 0, "length": 2},
    {"op": "truncate", "var": "arr", "size": 8},
    {"op": "read", "var": "arr", "index": "[:]"},
    {"op": "assign", "var": "arr", "index": "[0]", "value": 3},
    {"op": "flush", "var": "arr"},
    {"op": "close", "var": "arr"},
    {"op": "reopen", "var": "arr", "mode": "r"},
]


def lessons():
    for label, hist in histories():
        for close in (False, True):
            for fin in FINAL:
                if fin["op"] == "reopen" and not close:
                    continue  # the tutor's documented precondition: `reopen` maps a closed name again
                steps = list(hist) + ([{"op": "close", "var": "arr"}] if close else []) + [dict(fin)]
                # a second look at the file afterwards, through a fresh mapping
                steps.append({"op": "open", "var": "y", "file": "a.dat", "mode": "r", "dtype": "int16"})
                yield "%s%s, %s" % (label, ", close" if close else "", fin["op"]), {
                    "title": "lifecycle", "steps": steps}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tutor", default=os.path.join(HERE, "..", "..", "target", "debug", "memmap-tutor"))
    args = ap.parse_args()
    n = nd = 0
    for label, lesson in lessons():
        n += 1
        r = check(lesson, args.tutor)
        if r.diffs:
            nd += 1
            d = r.diffs[0]
            print("%s | step %s %s: tutor %r | numpy %r" % (label, d["step"], d["what"], d["tutor"], d["numpy"]))
    print("cases: %d lessons, differing lessons: %d" % (n, nd))
    return 1 if nd else 0


if __name__ == "__main__":
    sys.exit(main())

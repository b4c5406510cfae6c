"""Shrink a failing lesson to a minimal one that still shows the same root-cause bucket.

Greedy passes until nothing changes (or the budget of runs is spent): drop steps, drop optional keys, then simplify
indexes, values, dtypes and shapes. Every candidate is run both ways; it is kept only when its first difference has the
same bucket as the original's.
"""

import copy
import re

from compare import check

SIMPLE_INDEXES = ["[:]", "[0]", "[-1]", "[1]", "[0, 0]"]
SIMPLE_DTYPES = ["uint8", "int16", "int64", "float64"]


def value_candidates(v):
    out = []
    if isinstance(v, list):
        if len(v) > 1:
            out += [v[:1], v[: len(v) // 2]]
        out += [0, 1]
        out += [x for x in v if not isinstance(x, list)][:2]
    elif isinstance(v, str):
        out += [0, 1, 1.5]
        # operands of a top-level binary operator, unary minus removed, calls' first argument, casts removed
        depth, parts, cur = 0, [], ""
        for c in v:
            depth += c in "([" and 1 or 0
            depth -= c in ")]" and 1 or 0
            if depth == 0 and c in "+-*/" and cur.strip():
                parts.append(cur)
                cur = ""
            else:
                cur += c
        parts.append(cur)
        out += [p.strip() for p in parts if p.strip() and p.strip() != v.strip()]
        if v.startswith("-") or v.startswith("+"):
            out.append(v[1:])
        m = re.match(r"^\((.*)\)$", v)
        if m:
            out.append(m.group(1))
        m = re.match(r"^(.*)\.(astype|reshape)\(.*\)$", v)
        if m:
            out.append(m.group(1))
        out.append(re.sub(r", dtype=[^,)]+", "", v))
        out.append(re.sub(r"\d{3,}", "2", v))
        out.append(re.sub(r"\[([^\[\]]*?), [^\[\]]*\]", r"[\1]", v, count=1))
    elif isinstance(v, float):
        out += [0, 1, 1.5]
    elif isinstance(v, int) and not isinstance(v, bool):
        out += [0, 1]
    seen, res = set(), []
    for c in out:
        k = repr(c)
        if k not in seen and c != v and c != "":
            seen.add(k)
            res.append(c)
    return res


def signature(result):
    """What must stay the same while shrinking: the bucket, and what NumPy did at the first difference (so a
    refusal does not shrink into a lesson whose NumPy run only fails with NameError)."""
    if not result.diffs:
        return None
    d = result.diffs[0]
    n = d.get("numpy")
    return result.bucket, n.split(":", 1)[0] if isinstance(n, str) else n is None


def shrink(result, tutor, budget=250):
    """Return (minimal lesson, its Result)."""
    bucket = signature(result)
    best = copy.deepcopy(result.lesson)
    best_res = result
    runs = [0]

    def try_(cand):
        if runs[0] >= budget:
            return None
        runs[0] += 1
        r = check(cand, tutor)
        return r if signature(r) == bucket else None

    changed = True
    while changed and runs[0] < budget:
        changed = False
        # 1. drop steps, last first (later steps rarely matter to an earlier difference)
        i = len(best["steps"]) - 1
        while i >= 0 and len(best["steps"]) > 1:
            cand = copy.deepcopy(best)
            del cand["steps"][i]
            r = try_(cand)
            if r:
                best, best_res, changed = cand, r, True
            i -= 1
        # 2. per step: drop optional keys, simplify fields
        for si in range(len(best["steps"])):
            st = best["steps"][si]
            edits = []
            for k in ("offset", "order", "action", "length"):
                if k in st:
                    edits.append((k, None))
            if "index" in st:
                edits += [("index", x) for x in SIMPLE_INDEXES if x != st["index"]]
                edits.append(("index", None))
            if "value" in st:
                edits += [("value", x) for x in value_candidates(st["value"])]
            if "dtype" in st:
                edits.append(("dtype", None))
                edits += [("dtype", x) for x in SIMPLE_DTYPES if x != st["dtype"]]
            if "shape" in st and st["shape"] not in (1, 2):
                edits += [("shape", 2), ("shape", 1), ("shape", [2, 2])]
            if "mode" in st:
                edits += [("mode", None)]
            for k, x in edits:
                cur = best["steps"][si]
                if k not in cur and x is None:
                    continue
                cand = copy.deepcopy(best)
                if x is None:
                    del cand["steps"][si][k]
                else:
                    cand["steps"][si][k] = x
                r = try_(cand)
                if r:
                    best, best_res, changed = cand, r, True
    return best, best_res

#!/usr/bin/env python3
"""Enumerate NumPy object arrays (what Python ints beyond 64 bits make) against real NumPy: every kind of element
(Python int in and out of each dtype's range, float, complex, bool, NumPy scalars of every dtype, longdouble,
clongdouble) converted into every dtype through every path (setitem of an array and of a 0-d array, `astype`,
`np.<type>(...)`, `np.array(..., dtype=)`), and every operator between 0-d / n-d object arrays and 0-d / n-d typed
arrays, NumPy scalars and Python numbers. Each case is a lesson step, run by the tutor and by the NumPy interpreter
(compare.py); prints every difference and a count.

    python3 tests/differential/enum_objects.py [--tutor PATH] [--only conv|ops] [-v]
"""

import argparse
import re
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from compare import check  # noqa: E402

TARGETS = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32",
           "float64", "longdouble", "complex64", "complex128", "clongdouble"]

# Elements as a lesson writes them inside a list (beside a Python int beyond 64 bits, the list is an object array).
PY_INTS = [str(i) for i in [0, 7, -1, -1000, 127, 128, 255, 256, -129, 300, 65536, -32769, 2**31, 2**32,
                            -(2**31) - 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 2**100]]
PY_FLOATS = ["1.5", "-1.5", "300.5", "-0.0", "1e20", "-1e20", "1e300", "nan", "inf", "-inf", "9.3e18", "-0.5"]
PY_BOOLS = ["True", "False"]
NP_SCALARS = ["np.float32(1.5)", "np.float32(300.5)", "np.float32(-1.5)", "np.float16(1.5)", "np.float64(1e20)",
              "np.float64(-1.5)", "np.float64(nan)", "np.int8(-1)", "np.int64(-1000)", "np.uint64(18446744073709551615)",
              "np.uint8(200)", "np.int16(300)", "np.bool_(True)", "np.complex64(-1000)", "np.complex128(1.5)",
              "np.longdouble(1.5)", "np.longdouble(-1000)", "np.longdouble(1e30)", "np.longdouble(nan)",
              "np.clongdouble(1.5)", "np.clongdouble(-1000)", "np.clongdouble(1e30)", "np.float32(inf)"]
# Ways to make an object array whose element 1 is of another kind (typed arrays cast to object per dtype).
MIXERS = [
    "np.array([2**64, {x}]) - np.array([2**64, 0])",  # Python arithmetic on the element (x - 0)
    "np.array([2**64, 1]) * np.array([1, {x}])",  # a typed array's element cast to object, times 1
]
TYPED_MADE = ["np.array([1.5, -1000.5], dtype='{d}')", "np.array([-1, 300], dtype='{d}')"]


def conv_values():
    """(text, shape) of object-array values, element 0 being the one under test where possible."""
    out = []
    for x in PY_INTS + PY_FLOATS + PY_BOOLS + NP_SCALARS:
        out.append("np.array([%s, 2**64])" % x)
    for x in PY_FLOATS + NP_SCALARS + ["-1000", "300"]:
        out.append("(np.array([2**64, 0]) * 0 + %s)" % x)
        out.append("(np.array([2**64, 0]) - np.array([2**64, 0]) + np.array([%s, 1]))" % x)
    for d in TARGETS:
        for t in TYPED_MADE:
            out.append("(np.array([2**64, 2**64]) * 0 + %s)" % t.format(d=d))
    out.append("np.asarray([[8, 1_000, np.complex256(0.5)]]).reshape(3) * np.array([2**128, -1, 3])")
    return out


def conv_lessons(target):
    """One lesson per target dtype: each object value through each conversion path."""
    steps = [{"op": "open", "var": "t", "file": "t.dat", "mode": "w+", "shape": [2], "dtype": target},
             {"op": "open", "var": "z", "file": "z.dat", "mode": "w+", "shape": [], "dtype": target}]
    for v in conv_values():
        vv = v.replace("np.array([2**64, 0]) * 0 + ", "np.array([2**64, 0]) * 0 + ")
        if "reshape(3)" in vv:
            vv = "(%s)[0:2]" % vv if False else v.replace("[[8, 1_000, np.complex256(0.5)]]).reshape(3)",
                                                          "[[8, np.complex256(0.5)]]).reshape(2)").replace(
                "[2**128, -1, 3]", "[2**128, -1]")
        steps.append({"op": "assign", "var": "t", "index": "[:]", "value": vv})
        steps.append({"op": "assign", "var": "t", "index": "[:]", "value": "(%s).astype('%s')" % (vv, target)})
        steps.append({"op": "assign", "var": "t", "index": "[:]", "value": "np.%s(%s)" % (target, vv)})
        steps.append({"op": "assign", "var": "t", "index": "[:]", "value": "np.array(%s, dtype='%s')" % (vv, target)})
        steps.append({"op": "assign", "var": "t", "index": "[::-1]", "value": vv})
        steps.append({"op": "assign", "var": "t", "index": "[0]", "value": "(%s).reshape(2, 1)[0].reshape(())"
                      % vv} if False else {"op": "assign", "var": "z", "index": "[...]",
                                           "value": "(%s).reshape(2, 1)" % vv})
    return {"title": "objects into %s" % target, "steps": steps}


# Operands for the operator enumeration: 0-d and n-d object arrays and everything else the language makes.
OBJ_OPERANDS = ["np.full((), 2**70)", "np.array(2**64)", "np.array([2**64, 3])", "np.full((2,), 2**65)",
                "(np.array([2**64]) * 1.5).reshape(())", "(np.array([2**64]) * np.complex128(2)).reshape(())",
                "(np.array([2**64]) * np.longdouble(2)).reshape(())", "np.array([2**64, np.float32(2.5)])",
                "np.array([2**64, np.clongdouble(2.5)])", "np.array([2**64, np.int8(100)])",
                "(np.array([2**64]) * 0).reshape(())", "(np.array([2**64]) * 0.0).reshape(())",
                "np.array([2**64, True])"]
OTHER_OPERANDS = ["3", "2.5", "0", "0.0", "True", "-1", "2**64", "2**70", "nan", "inf",
                  "np.float32(2)", "np.float64(0.5)", "np.int8(3)", "np.uint64(7)", "np.bool_(True)",
                  "np.complex128(2)", "np.complex64(0)", "np.longdouble(2)", "np.clongdouble(3)", "np.float16(0)",
                  "np.array(2)", "np.array(2.5)", "np.arange(1).reshape(())", "np.complex128(np.arange(1).reshape(()))",
                  "np.array([1, 2])", "np.array([1.5, 0])", "np.array([1, 2], dtype='c16')",
                  "np.array([1, 2], dtype='f4')", "np.array([1, 2], dtype='g')", "np.array([1, 2], dtype='G')",
                  "np.array([True, False])", "np.array([3, 4], dtype='u1')", "[1, 2]", "np.full((), 2**70)"]
OPS = ["+", "-", "*", "/"]


def op_lessons():
    lessons = []
    for a in OBJ_OPERANDS:
        steps = [{"op": "open", "var": "t", "file": "t.dat", "mode": "w+", "shape": [2], "dtype": "complex128"},
                 {"op": "open", "var": "u", "file": "u.dat", "mode": "w+", "shape": [2], "dtype": "float64"}]
        for b in OTHER_OPERANDS:
            for op in OPS:
                for (x, y) in ((a, b), (b, a)):
                    e = "(%s) %s (%s)" % (x, op, y)
                    steps.append({"op": "assign", "var": "t", "index": "[:]", "value": e})
                    # the result's Python type shows in an AttributeError (`'complex' object has no attribute`)
                    steps.append({"op": "assign", "var": "u", "index": "[:]", "value": "(%s).astype('f8')" % e})
        for op in ["-", "+"]:
            steps.append({"op": "assign", "var": "t", "index": "[:]", "value": "%s(%s)" % (op, a)})
        lessons.append({"title": "ops on %s" % a, "steps": steps})
    return lessons


def literal_powers(text):
    """The lesson language has no `**`: write `2**N` as its decimal value."""
    return re.sub(r"2\*\*(\d+)", lambda m: str(2 ** int(m.group(1))), text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tutor", default=os.path.join(HERE, "..", "..", "target", "debug", "memmap-tutor"))
    ap.add_argument("--only", choices=["conv", "ops"])
    ap.add_argument("-v", action="store_true", help="print every difference (default: the first per lesson step)")
    args = ap.parse_args()
    lessons = []
    if args.only in (None, "conv"):
        lessons += [conv_lessons(t) for t in TARGETS]
    if args.only in (None, "ops"):
        lessons += op_lessons()
    nsteps = ndiff = 0
    for lesson in lessons:
        for st in lesson["steps"]:
            if isinstance(st.get("value"), str):
                st["value"] = literal_powers(st["value"])
        r = check(lesson, args.tutor)
        nsteps += len(lesson["steps"])
        seen = set()
        for d in r.diffs:
            if d["step"] in seen and not args.v:
                continue
            seen.add(d["step"])
            ndiff += 1
            st = lesson["steps"][d["step"] - 1] if 0 < d["step"] <= len(lesson["steps"]) else {}
            print("%s | step %d %s %s = %s\n    %s: tutor %r\n    %s  numpy %r" % (
                lesson["title"], d["step"], st.get("var"), st.get("index"), st.get("value"), d["what"],
                d["tutor"], " " * len(d["what"]), d["numpy"]))
    print("cases: %d steps in %d lessons, differing steps: %d" % (nsteps, len(lessons), ndiff))
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main())

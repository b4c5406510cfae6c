#!/usr/bin/env python3
"""Generate tests/fixtures/engine/cases.json by running scenarios with real NumPy np.memmap.

Each scenario is a list of ops (JSON the Rust test turns into Actions). After every op we record
the exception (`f"{type(e).__name__}: {e}"`), the bytes of every file in the scratch directory,
and for reads the result's shape and raw C-order bytes. Deterministic: run with python3.
"""
import json
import operator
import os
import sys
import tempfile

import warnings

import numpy as np

# NumPy's RuntimeWarnings (overflow, invalid cast) are not errors: the tutor records none either.
warnings.simplefilter("ignore", RuntimeWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "engine", "cases.json")


# ---- tiny builders for the JSON forms --------------------------------------------------------
def big(n):
    """An integer beyond int64 travels as its decimal text (JSON readers take it for a float)."""
    return n if n is None or -(2**63) <= n < 2**63 else str(n)


def I(n):
    return {"int": big(n)}


def S(start=None, stop=None, step=None):
    return {"slice": [big(start), big(stop), big(step)]}


E = "..."
N = "newaxis"
ALL = [S()]


def sc(x):
    if isinstance(x, bool):
        return {"bool": x}
    if isinstance(x, int):
        return {"int": x}
    if x != x or x in (float("inf"), float("-inf")):
        return {"float": repr(x)}
    return {"float": x}


def lst(x):
    if isinstance(x, list):
        return {"list": [lst(e) for e in x]}
    return {"scalar": sc(x)}


def V(x):
    """A Python literal value (scalar or nested list)."""
    return lst(x)


def arange(*args):
    if len(args) == 1:
        args = (0, args[0], 1)
    elif len(args) == 2:
        args = (args[0], args[1], 1)
    return {"arange": [sc(a) for a in args]}


def linspace(start, stop, num=50, endpoint=True):
    return {"linspace": [start, stop, num, endpoint]}


def full(shape, fill):
    return {"full": [list(shape), sc(fill)]}


def reshape(v, *dims):
    return {"reshape": [v, list(dims)]}


def astype(v, dt):
    return {"astype": [v, dt]}


def binop(op, a, b):
    return {"bin": [op, a, b]}


def open_(var, file, mode="r+", dtype="uint8", shape=None, offset=0, order="C"):
    if isinstance(shape, int):
        shape = [shape]
    return {"op": "open", "var": var, "file": file, "mode": mode, "dtype": dtype,
            "shape": shape, "offset": offset, "order": order}


def assign(var, index, value):
    return {"op": "assign", "var": var, "index": index, "value": value}


def read(var, index):
    return {"op": "read", "var": var, "index": index}


def flush(var):
    return {"op": "flush", "var": var}


def close(var):
    return {"op": "close", "var": var}


def setup(file, hexbytes):
    return {"op": "setup", "file": file, "hex": hexbytes}


def mkdir(d):
    return {"op": "mkdir", "dir": d}


# ---- evaluation with NumPy -------------------------------------------------------------------
def py_scalar(s):
    (k, v), = s.items()
    if k == "float" and isinstance(v, str):
        return float(v)
    return {"int": int, "float": float, "bool": bool}[k](v)


def X(text):
    """A value written in the lesson's expression syntax (a subset of Python with `np`)."""
    return {"expr": text}


EVAL_NAMES = {"np": np, "numpy": np, "nan": float("nan"), "inf": float("inf")}


def ev(v):
    (k, a), = v.items()
    if k == "expr":
        return eval(a, dict(EVAL_NAMES))  # noqa: S307 - our own fixture text
    if k == "scalar":
        return py_scalar(a)
    if k == "list":
        return [ev(e) for e in a]
    if k == "arange":
        return np.arange(*[py_scalar(x) for x in a])
    if k == "linspace":
        return np.linspace(a[0], a[1], a[2], endpoint=a[3])
    if k == "full":
        return np.full(tuple(a[0]), py_scalar(a[1]))
    if k == "reshape":
        return np.asarray(ev(a[0])).reshape(*a[1])
    if k == "astype":
        # `np.int64([...])` style: a list becomes np.array(list) first.
        return np.asarray(ev(a[0])).astype(a[1])
    if k == "bin":
        ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
        x, y = ev(a[1]), ev(a[2])
        # A list operand means np.array(list) in the tutor's value language.
        if isinstance(x, list):
            x = np.array(x)
        if isinstance(y, list):
            y = np.array(y)
        return ops[a[0]](x, y)
    raise ValueError(k)


def idx(items):
    out = []
    for it in items:
        if it == "...":
            out.append(Ellipsis)
        elif it == "newaxis":
            out.append(None)
        elif "int" in it:
            out.append(int(it["int"]))
        else:
            out.append(slice(*[None if x is None else int(x) for x in it["slice"]]))
    return tuple(out)


def files_state(d):
    out = {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                out[name] = sparse(f.read())
    return out


def sparse(data):
    """A file as its length plus the spans that are not NUL: [len, [[offset, hex], ...]]."""
    spans = []
    i, n = 0, len(data)
    while i < n:
        if data[i] == 0:
            i += 1
            continue
        j = i
        # Merge spans separated by short NUL gaps.
        while j < n and (data[j] != 0 or any(data[j:j + 8])):
            j += 1
        spans.append([i, data[i:j].hex()])
        i = j
    return [n, spans]


def name(env, var):
    """Look a variable up as Python does: NameError once `del`eted (or never bound)."""
    if var not in env:
        raise NameError(f"name '{var}' is not defined")
    return env[var]


def x87_padding_zeroed(a):
    """A longdouble or clongdouble array's bytes with the 6 padding bytes of every x87 value zeroed: NumPy leaves
    there whatever its temporaries held (they differ from run to run); the tutor writes zeros."""
    data = bytearray(np.ascontiguousarray(a).tobytes())
    d = a.dtype
    if (d.kind, d.itemsize) in (("f", 16), ("c", 32)):
        for i in range(0, len(data) - 15, 16):
            if d.byteorder == ">":
                data[i:i + 6] = bytes(6)
            else:
                data[i + 10:i + 16] = bytes(6)
    return bytes(data)


def zero_x87_padding(env):
    """Zero the padding of every writable longdouble/clongdouble map (see x87_padding_zeroed)."""
    for m in env.values():
        d = m.dtype
        if (d.kind, d.itemsize) in (("f", 16), ("c", 32)) and m.flags.writeable and m.size:
            m.reshape(-1, order="A").view(np.uint8)[...] = np.frombuffer(
                x87_padding_zeroed(m.reshape(-1, order="A")), dtype=np.uint8)


def run(ops):
    records = []
    env = {}
    last_files = {}
    with tempfile.TemporaryDirectory() as d:
        old = os.getcwd()
        os.chdir(d)
        try:
            for op in ops:
                rec = {"error": None}
                try:
                    kind = op["op"]
                    if kind == "setup":
                        with open(op["file"], "wb") as f:
                            f.write(bytes.fromhex(op["hex"]))
                    elif kind == "mkdir":
                        os.mkdir(op["dir"])
                    elif kind == "open":
                        shape = op["shape"]
                        if shape is not None:
                            shape = tuple(shape) if len(shape) != 1 else shape[0]
                        m = np.memmap(op["file"], dtype=op["dtype"], mode=op["mode"],
                                      offset=op["offset"], shape=shape, order=op["order"])
                        env[op["var"]] = m
                        rec["state"] = {"shape": list(m.shape), "strides": list(m.strides),
                                        "offset": m.offset, "mode": m.mode,
                                        "mmap_len": len(m._mmap)}
                    elif kind == "assign":
                        # Python evaluates the right-hand side before looking the name up.
                        value = ev(op["value"])
                        try:
                            name(env, op["var"])[idx(op["index"])] = value
                        finally:
                            zero_x87_padding(env)
                    elif kind == "read":
                        m = name(env, op["var"])
                        r = m[idx(op["index"])]
                        if isinstance(r, np.ndarray):
                            rec["read"] = {"scalar": False, "shape": list(r.shape),
                                           "hex": x87_padding_zeroed(r).hex()}
                        else:
                            rec["read"] = {"scalar": True, "shape": [],
                                           "hex": x87_padding_zeroed(np.array(r, dtype=m.dtype)).hex()}
                        rec["read"]["str"] = str(r)
                        rec["read"]["repr"] = repr(r)
                    elif kind == "flush":
                        name(env, op["var"]).flush()
                    elif kind == "close":
                        # `del arr`: np.memmap has no close(); dropping the last reference unmaps
                        # without msync.
                        name(env, op["var"])
                        del env[op["var"]]
                except Exception as e:  # noqa: BLE001 - recording NumPy's error is the point
                    rec["error"] = f"{type(e).__name__}: {e}"
                files = files_state(d)
                # Only record the directory when it changed (absent key: unchanged).
                if files != last_files:
                    rec["files"] = files
                    last_files = files
                records.append(rec)
        finally:
            env.clear()
            os.chdir(old)
    return records


# ---- scenarios ------------------------------------------------------------------------------
def scenarios():
    sc_ = []

    def add(name, ops):
        sc_.append({"name": name, "ops": ops})

    for dt in ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "float32", "float64", ">i4", ">f8", "<u2", "q", "longlong", "<q", ">q", "=q", "Q",
               "ulonglong", "l", "p", "int_"]:
        add(f"dtype {dt}", [
            open_("a", "d.dat", "w+", dt, [2, 3]),
            assign("a", ALL, reshape(arange(6), 2, 3)),
            assign("a", [I(0), I(1)], V(7)),
            assign("a", [I(1)], V([1, 0, 1])),
            read("a", [E]),
            read("a", [I(1), I(2)]),
            flush("a"),
            open_("b", "d.dat", "r", dt),
            read("b", ALL),
        ])

    for order in ["C", "F"]:
        other = "F" if order == "C" else "C"
        add(f"order {order} 2-D", [
            open_("f", "o.dat", "w+", "float32", [2, 3], order=order),
            assign("f", ALL, V([[0, 1, 2], [3, 4, 5]])),
            read("f", [I(1)]),
            read("f", [S(), I(1)]),
            read("f", [I(0), I(2)]),
            open_("g", "o.dat", "r", "float32", [2, 3], order=other),
            read("g", ALL),
        ])
        add(f"order {order} 3-D", [
            open_("f", "o3.dat", "w+", "int16", [2, 3, 4], order=order),
            assign("f", ALL, reshape(arange(24), 2, 3, 4)),
            assign("f", [E, I(2)], V(-1)),
            assign("f", [I(1), S(None, None, -1), S(1, 3)], reshape(arange(6), 3, 2)),
            read("f", [I(1)]),
            read("f", [E, S(None, None, 2)]),
            read("f", [S(), I(-1), N]),
            open_("g", "o3.dat", "r", "int16", [2, 3, 4], order=other),
            read("g", [E]),
        ])
    add("order A and K behave as C", [
        open_("f", "a.dat", "w+", "uint8", [2, 3], order="A"),
        assign("f", ALL, reshape(arange(6), 2, 3)),
        open_("g", "a.dat", "r", "uint8", [3, 2], order="K"),
        read("g", ALL),
    ])

    ten = bytes(range(10)).hex()
    add("shape inference float64 16 bytes", [setup("s.dat", "00" * 8 + "0000000000000040"),
                                              open_("m", "s.dat", "r+", "float64"), read("m", ALL)])
    add("shape inference offset 8", [setup("ten.dat", ten), open_("m", "ten.dat", "r", offset=8),
                                      read("m", ALL)])
    add("shape inference offset 10", [setup("ten.dat", ten), open_("m", "ten.dat", "r", offset=10),
                                       read("m", ALL)])
    add("shape inference not a multiple", [setup("ten.dat", ten),
                                            open_("m", "ten.dat", "r", "float64")])
    add("shape inference float64 offset 2", [setup("ten.dat", ten),
                                              open_("m", "ten.dat", "r", "float64", offset=2),
                                              read("m", ALL)])
    add("shape inference offset past EOF divisible", [setup("ten.dat", ten),
                                                       open_("m", "ten.dat", "r", offset=12),
                                                       open_("m", "ten.dat", "r+", offset=12),
                                                       open_("m", "ten.dat", "r+", "uint16", offset=14)])
    add("shape inference offset past EOF not divisible", [setup("ten.dat", ten),
                                                           open_("m", "ten.dat", "r+", "uint16", offset=13)])
    add("shape inference r+ empty file grows", [setup("e.dat", ""), open_("m", "e.dat", "r+"),
                                                 read("m", ALL)])

    add("offset 3 gap", [open_("m", "g.dat", "w+", "<u2", [2], offset=3),
                         assign("m", ALL, V([0x0102, 0xA0B0])), flush("m")])
    add("offset 5000", [open_("m", "g.dat", "w+", "uint8", [10], offset=5000),
                        assign("m", ALL, arange(10)), flush("m"),
                        open_("r", "g.dat", "r", "uint8", offset=4998), read("r", ALL)])
    add("offset 4097 float32", [open_("m", "g.dat", "w+", "float32", [5], offset=4097),
                                assign("m", ALL, arange(0.5, 3.0, 0.5)), read("m", [I(-1)]),
                                open_("c", "g.dat", "c", "float32", [5], offset=4097),
                                read("c", ALL)])
    add("offset 4096 and 8192", [open_("m", "g.dat", "w+", "int32", [3], offset=4096),
                                 assign("m", ALL, V([1, -1, 256])),
                                 open_("n", "g.dat", "r+", "int32", [2], offset=8192),
                                 assign("n", ALL, V(-2)),
                                 open_("z", "g.dat", "w+", "uint8", [0], offset=8192),
                                 read("z", ALL)])
    add("empty array at offset G on G-byte file", [setup("g.dat", "61" * 4096),
                                                   open_("z", "g.dat", "r", "uint8", [0], offset=4096),
                                                   read("z", ALL),
                                                   open_("z", "g.dat", "c", "uint8", [0], offset=4096)])
    add("w+ shape (0,4)", [open_("m", "z.dat", "w+", "uint8", [0, 4]), read("m", ALL),
                           open_("m", "z.dat", "w+", "uint8", [0, 4])])

    add("growth r+ 0707", [setup("g.dat", "0707"), open_("m", "g.dat", "r+", "uint8", 6),
                           read("m", ALL), flush("m")])
    add("r+ never shrinks", [setup("g.dat", "01" * 20), open_("m", "g.dat", "r+", "uint8", 4),
                             assign("m", ALL, V(9)), read("m", ALL)])
    add("w+ truncates existing", [setup("t.dat", "ff" * 40), open_("m", "t.dat", "w+", "uint8", 4),
                                  read("m", ALL)])
    add("reopen same var replaces", [open_("a", "x.dat", "w+", "uint8", 4), assign("a", ALL, V(1)),
                                     open_("a", "y.dat", "w+", "uint8", 2), assign("a", ALL, V(2)),
                                     read("a", ALL)])

    add("copy-on-write isolation", [setup("c.dat", "00" * 8), open_("m", "c.dat", "c"),
                                    assign("m", ALL, V(9)), assign("m", [I(0)], V(1)),
                                    flush("m"), read("m", ALL),
                                    open_("r", "c.dat", "r"), read("r", ALL), close("m"),
                                    read("r", ALL)])

    add("read back via r", [open_("w", "rb.dat", "w+", "float32", [3, 3]),
                            assign("w", ALL, reshape(astype(arange(9), "float32"), 3, 3)),
                            flush("w"), close("w"),
                            open_("r", "rb.dat", "r", "float32", [3, 3]),
                            read("r", ALL), read("r", [S(1), S(None, -1)]), read("r", [I(2), I(0)]),
                            assign("r", [I(0), I(0)], V(1)), assign("r", ALL, V(5)),
                            assign("r", [I(7)], V(5)), flush("r"), close("r")])

    add("slices 1-D", [open_("m", "s.dat", "w+", "int32", [10]),
                       assign("m", [S(None, None, 2)], V(1)),
                       assign("m", [S(None, None, -3)], arange(4)),
                       assign("m", [S(-3)], V([7, 8, 9])),
                       assign("m", [S(5, 1, -2)], V(5)),
                       assign("m", [S(100)], V(3)),
                       assign("m", [S(-100, 2)], V([-4, -5])),
                       read("m", [E]), read("m", [S(None, None, -1)]), read("m", [S(8, 2, -3)]),
                       read("m", [I(-1)]), read("m", []), read("m", [N, S(2, 4)])])
    add("slices 2-D", [open_("m", "s2.dat", "w+", "int16", [4, 5]),
                       assign("m", [S(1, 3), S(None, None, -2)], reshape(arange(6), 2, 3)),
                       assign("m", [E, I(0)], V(-1)),
                       assign("m", [N, I(3)], arange(5)),
                       assign("m", [I(0), E], V([9, 8, 7, 6, 5])),
                       read("m", [S(), N, I(2)]), read("m", [E, S(None, None, 2)]),
                       read("m", [S(None, None, -1), S(3, 0, -1)]), read("m", ALL)])

    add("broadcasting", [open_("m", "b.dat", "w+", "float64", [3, 4]),
                         assign("m", ALL, arange(4)),
                         assign("m", [S(1)], V([[1], [2]])),
                         assign("m", ALL, binop("*", reshape(arange(3), 3, 1), arange(4))),
                         read("m", ALL),
                         assign("m", ALL, full([1, 3, 4], 2.5)), read("m", [I(0)]),
                         assign("m", [S(), N], reshape(arange(12), 3, 1, 4)),
                         read("m", [I(2)]),
                         assign("m", ALL, arange(3)),
                         assign("m", [I(0)], arange(3)),
                         assign("m", ALL, full([2, 3, 4], 1)),
                         assign("m", ALL, V([1, 2, 3])),
                         assign("m", [S(), N], arange(4)),
                         assign("m", ALL, binop("+", arange(2), arange(3))),
                         read("m", ALL)])

    add("casting", [open_("i", "c16.dat", "w+", "int16", [6]),
                    assign("i", ALL, linspace(-2.5, 2.5, 6)),
                    read("i", ALL),
                    assign("i", ALL, V(2.7)), read("i", ALL),
                    assign("i", ALL, V(-70000)),
                    assign("i", ALL, binop("*", arange(6), V(20000))), read("i", ALL),
                    assign("i", ALL, V(float("nan"))),
                    assign("i", ALL, V(float("inf"))),
                    assign("i", ALL, V([1.5, -1.5, 2, True, 0, 32767])), read("i", ALL),
                    open_("u", "c8.dat", "w+", "uint8", [6]),
                    assign("u", ALL, arange(250, 256)), read("u", ALL),
                    assign("u", ALL, arange(254, 260)), read("u", ALL),
                    assign("u", [I(0)], V(300)),
                    assign("u", ALL, V([300, 1, 2, 3, 4, 5])),
                    assign("u", ALL, V(-1)),
                    assign("u", ALL, binop("+", astype(arange(6), "uint8"), V(300))),
                    assign("u", ALL, binop("+", astype(arange(6), "uint8"), V(200))), read("u", ALL),
                    assign("u", ALL, binop("/", binop("+", arange(6), V(1)), V(2))), read("u", ALL),
                    assign("u", ALL, binop("+", V(200), V(100))),
                    assign("u", ALL, binop("-", V(200), V(100))), read("u", ALL),
                    assign("u", ALL, astype(V([300, -1, 2, 3, 4, 5]), "int64")), read("u", ALL),
                    assign("u", ALL, V(255.9)), read("u", ALL),
                    assign("u", ALL, V(1e300)),
                    open_("f", "cf.dat", "w+", "float32", [10]),
                    assign("f", ALL, arange(0, 1, 0.1)), read("f", ALL),
                    assign("f", ALL, binop("/", V(1), V(3))), read("f", ALL),
                    assign("f", ALL, linspace(0, 1, 10, False)), read("f", ALL),
                    assign("f", ALL, binop("-", V(0), linspace(0, 1, 10))), read("f", ALL),
                    open_("b", "cb.dat", "w+", "bool", [3]),
                    assign("b", ALL, V([2, 0, 1])), read("b", ALL),
                    assign("b", ALL, binop("-", V([True]), V([False]))),
                    open_("x", "cx.dat", "w+", ">i4", [2]),
                    assign("x", ALL, V(2 ** 40)),
                    assign("x", ALL, V(-(2 ** 31))), read("x", ALL),
                    open_("y", "cy.dat", "w+", "uint64", [2]),
                    assign("y", ALL, V(2 ** 63)), read("y", ALL),
                    assign("y", ALL, binop("*", arange(2), V(-1))), read("y", ALL)])

    add("value errors", [open_("m", "v.dat", "w+", "int32", [2, 3]),
                         assign("m", ALL, reshape(arange(6), 4)),
                         assign("m", ALL, reshape(arange(6), -1, -1)),
                         assign("m", ALL, reshape(arange(6), 4, -1)),
                         assign("m", ALL, reshape(arange(6), -1, 3)), read("m", ALL),
                         assign("m", ALL, V([[[1, 2, 3]]])),
                         assign("m", ALL, V([[[1, 2, 3], [4, 5, 6]]])),
                         assign("m", ALL, V([[1, 2], [3]])),
                         assign("m", ALL, V([[1, 2, 3], [4, 5, 6], [7, 8, 9]])),
                         assign("m", ALL, binop("/", V(1), V(0))),
                         read("m", ALL)])

    add("index errors", [open_("m", "ix.dat", "w+", "uint8", [2]),
                         read("m", [I(5)]), read("m", [I(-5)]), assign("m", [I(2)], V(1)),
                         read("m", [I(0), I(0)]), read("m", [E, E]),
                         read("m", [S(None, None, 0)]),
                         open_("n", "ix2.dat", "w+", "uint8", [2, 2]),
                         read("n", [I(0), I(0), I(0)]), read("n", [I(1), I(-3)]),
                         read("n", [E, I(1), I(1)]), read("n", [N, I(1), N, I(1), N])])

    add("missing file r", [open_("m", "missing.dat", "r")])
    add("missing file r+", [open_("m", "missing.dat", "r+")])
    add("missing file c", [open_("m", "missing.dat", "c")])
    add("w+ in a missing directory", [open_("m", "nope_dir_x/a.dat", "w+", shape=[2])])
    add("w+ without shape", [open_("m", "n.dat", "w+")])
    for mode in ["r", "r+", "c", "w+"]:
        add(f"directory {mode}", [mkdir("somedir"), open_("m", "somedir", mode, shape=[2])])
    for mode in ["r", "c"]:
        add(f"empty file {mode}", [setup("e.dat", ""), open_("m", "e.dat", mode),
                                   open_("m", "e.dat", mode, shape=[0, 4]),
                                   open_("m", "e.dat", mode, shape=[3])])
        add(f"range past EOF {mode}", [setup("ten.dat", ten),
                                       open_("m", "ten.dat", mode, shape=20),
                                       open_("m", "ten.dat", mode, shape=[2, 6]),
                                       open_("m", "ten.dat", mode, shape=2, offset=4096),
                                       open_("m", "ten.dat", mode, shape=0, offset=4096),
                                       open_("m", "ten.dat", mode, shape=[2, 3]), read("m", ALL)])
        add(f"negative dims {mode}", [setup("ten.dat", ten),
                                      open_("m", "ten.dat", mode, shape=-1),
                                      open_("m", "ten.dat", mode, shape=[2, -1]),
                                      open_("m", "ten.dat", mode, shape=[0, -1])])
    for mode in ["r", "r+", "c", "w+"]:
        add(f"negative offset {mode}", [setup("ten.dat", ten) if mode != "w+" else setup("o.dat", "aa"),
                                        open_("m", "ten.dat" if mode != "w+" else "neg.dat", mode,
                                              shape=2, offset=-1),
                                        open_("m", "ten.dat" if mode != "w+" else "neg2.dat", mode,
                                              shape=[2, 2], offset=-4097)])
    add("negative dims r+", [setup("ten.dat", "0102"), open_("m", "ten.dat", "r+", shape=[2, -3])])
    add("negative dims w+", [open_("m", "nd.dat", "w+", shape=[2, -3])])
    add("quirk w+ shape -1", [open_("m", "q.dat", "w+", shape=-1), read("m", ALL),
                              open_("m", "q8.dat", "w+", "float64", shape=-1), read("m", ALL),
                              open_("m", "q2.dat", "w+", "uint16", shape=-1, offset=3),
                              open_("m", "q3.dat", "w+", "uint8", shape=-1, offset=4097)])
    add("bad order after growth", [setup("bo.dat", "010203"),
                                   open_("m", "bo.dat", "r+", "uint8", [2, 3], order="X")])
    add("close then reopen", [open_("m", "cl.dat", "w+", "uint8", [4]),
                              assign("m", ALL, arange(4)), close("m"),
                              open_("m", "cl.dat", "r"), read("m", ALL)])
    add("0-d memmap", [open_("z", "z0.dat", "w+", "float32", []),
                       assign("z", [], V(2.5)), read("z", []), read("z", [E]),
                       assign("z", [E], V(3)), read("z", [N]), read("z", [S()]),
                       assign("z", [], V([1, 2]))])
    add("r+ growth with offset", [setup("ten.dat", ten),
                                  open_("m", "ten.dat", "r+", "int16", [3], offset=5000),
                                  assign("m", ALL, V([-1, 2, -3])), flush("m"),
                                  open_("f", "ten.dat", "r", "int16", [2, 3], offset=4, order="F"),
                                  read("f", ALL), read("f", [I(1), S(None, None, -1)])])
    add("shared mappings see each other", [open_("w", "sh.dat", "w+", "uint16", [4]),
                                           open_("r", "sh.dat", "r", "uint16", [4]),
                                           open_("c", "sh.dat", "c", "uint16", [4]),
                                           assign("c", [I(0)], V(9)),
                                           assign("w", ALL, arange(4)),
                                           read("r", ALL), read("c", ALL)])
    add("error order", [open_("u", "eo.dat", "w+", "uint8", [2]),
                        assign("u", [I(5)], V(300)),
                        assign("u", ALL, V([300, 1, 2])),
                        assign("u", [I(5)], reshape(arange(6), 4)),
                        flush("u"), close("u"),
                        open_("r", "eo.dat", "r", "uint8", [2]),
                        assign("r", ALL, V(300)),
                        assign("r", [I(9)], V(1)),
                        assign("r", ALL, reshape(arange(6), 4)),
                        assign("r", ALL, V([[1, 2], [3]]))])
    add("promotion", [open_("d", "p.dat", "w+", "float64", [3]),
                      assign("d", ALL, binop("*", astype(arange(3), "float32"), V(0.1))), read("d", ALL),
                      assign("d", ALL, binop("*", arange(3), V(0.1))), read("d", ALL),
                      assign("d", ALL, binop("/", astype(arange(3), "float32"), V(3))), read("d", ALL),
                      assign("d", ALL, binop("/", arange(3), V(3))), read("d", ALL),
                      assign("d", ALL, binop("+", astype(arange(3), "uint64"), astype(arange(3), "int64"))),
                      read("d", ALL),
                      assign("d", ALL, binop("-", V(0), astype(arange(1, 4), "uint8"))), read("d", ALL),
                      assign("d", ALL, binop("-", astype(V([0, 0, 0]), "uint8"), astype(arange(1, 4), "uint8"))),
                      read("d", ALL),
                      assign("d", ALL, binop("+", astype(arange(3), "int8"), astype(arange(3), "uint8"))),
                      read("d", ALL),
                      assign("d", ALL, binop("+", V([True, False, True]), V([True, True, False]))),
                      read("d", ALL),
                      assign("d", ALL, binop("*", V([True, False, True]), V(2.5))), read("d", ALL),
                      assign("d", ALL, binop("*", astype(V([1, 2, 3]), "int16"), astype(V([1, 2, 3]), "float32"))),
                      read("d", ALL),
                      assign("d", ALL, binop("*", astype(V([100, 100, 100]), "int8"), V(2))), read("d", ALL),
                      assign("d", ALL, binop("+", astype(arange(3), ">i4"), astype(arange(3), ">f4"))),
                      read("d", ALL),
                      assign("d", ALL, binop("*", astype(arange(3), "uint8"), V(-1))),
                      assign("d", ALL, binop("*", astype(arange(3), "bool"), V(7))), read("d", ALL)])
    add("arange and linspace shapes", [open_("a", "al.dat", "w+", "float64", [5]),
                                       assign("a", ALL, arange(5, 0, -1)), read("a", ALL),
                                       assign("a", ALL, arange(2.5, -0.1, -0.6)), read("a", ALL),
                                       assign("a", [S(3, 1)], arange(5, 1)), read("a", ALL),
                                       assign("a", ALL, linspace(3, 3, 1)), read("a", ALL),
                                       assign("a", [S(0, 0)], linspace(0, 1, 0)),
                                       assign("a", ALL, linspace(-1, 1, 5)), read("a", ALL),
                                       assign("a", ALL, linspace(1, 0, 5, False)), read("a", ALL),
                                       assign("a", ALL, arange(0, 10, 0)),
                                       assign("a", ALL, full([5], True)), read("a", ALL),
                                       assign("a", ALL, binop("*", full([5], 3), V(0.5))), read("a", ALL),
                                       assign("a", ALL, V([1, 2.5, True, 4, 2 ** 63])), read("a", ALL)])
    add("uint64 and big ints", [open_("u", "u64.dat", "w+", "uint64", [2]),
                                assign("u", ALL, V([2 ** 63, 2 ** 64 - 1])), read("u", ALL),
                                assign("u", ALL, V(2 ** 64 - 1)), read("u", ALL),
                                open_("i", "i64.dat", "w+", "int64", [2]),
                                assign("i", ALL, V(2 ** 63)),
                                assign("i", ALL, V([-(2 ** 63), 2 ** 63 - 1])), read("i", ALL),
                                assign("i", ALL, binop("+", V(2 ** 62), V(2 ** 62))),
                                assign("i", ALL, astype(V([2 ** 63]), "int64")), read("i", ALL)])
    issue15(add)
    limits(add)
    half(add)
    complex_(add)
    clongdouble(add)
    bigints(add)
    return sc_


def issue15(add):
    """Regression scenarios for issue 15's root causes (values written in the lesson syntax)."""
    # 1. A result that shares no memory with the map is an ndarray, not a memmap.
    add("result class: empty views are arrays", [
        open_("a", "c.dat", "w+", "uint8", [4]),
        read("a", [S(0, 0)]), read("a", ALL), read("a", [N]), read("a", [S(2, 3)]),
        read("a", [I(0), E]),
        open_("z", "z.dat", "w+", "uint8", [0]),
        read("z", ALL), read("z", [N]), read("z", [E])])
    # 3. `close` is `del`: later uses raise NameError; the value is evaluated first.
    add("del then use", [
        open_("a", "d.dat", "w+", "int16", [3]), close("a"),
        read("a", ALL), assign("a", ALL, V(1)), assign("a", ALL, X("np.uint8(-1)")),
        flush("a"), close("a"), close("never")])
    # 4. NumPy scalar constructors check Python numbers.
    ctor = ["np.uint8(-1)", "np.int32(1099511627776)", "np.int16(1e20)", "np.int64(np.inf)",
            "np.int64(nan)", "np.uint8(300.5)", "np.uint8(-1.5)", "np.int16(-3.9)",
            "np.float32(1e300)", "np.bool_(5)", "np.uint64(18446744073709551615)",
            "np.int64(9223372036854775808)", "np.int8(True)", "np.int8(np.int32(1000))",
            "np.uint8(np.array(300))", "np.int8([1, 300])", "np.uint8(3) / 300",
            "np.uint8(3) + 300", "np.int8(100) + np.int8(100)", "np.int8(100) * 2",
            "np.int8(5) / np.int8(2)", "-np.uint8(3)", "np.float32(2) * 2.5"]
    add("numpy scalar constructors", [open_("f", "s.dat", "w+", "float64", [2])]
        + [assign("f", [I(0)], X(c)) for c in ctor] + [read("f", ALL)])
    # 5. A list matching the target's shape is stored element by element until one fails.
    add("partial list stores", [
        open_("u", "p.dat", "w+", "uint16", [2, 4]),
        assign("u", ALL, X("[[17, 91, -4, 17], [1, 2, 3, 4]]")), read("u", ALL),
        assign("u", ALL, X("[17, 91, -4, 17]")), read("u", ALL),
        assign("u", [S(), S(None, None, -1)], X("[[5, 6, 7, 8], [-1, 2, 3, 4]]")), read("u", ALL),
        assign("u", [N], X("[[[9, 9, 9, 9], [9, -9, 9, 9]]]")), read("u", ALL),
        assign("u", [I(0)], X("[[1, 2, 3, -1]]")), read("u", ALL),
        assign("u", ALL, X("[[1, 2, 3, 4], [1, 2, 3, 1e10]]")), read("u", ALL)])
    # 7. np.array values are arrays (cast on store); dtype= checks Python numbers.
    add("np.array values and dtype=", [
        open_("u", "a.dat", "w+", "uint8", [3]),
        assign("u", ALL, X("np.array([300, -1, 2])")), read("u", ALL),
        assign("u", ALL, X("np.full(3, 300, dtype='uint8')")),
        assign("u", ALL, X("np.array([1.5, 300, 2], dtype='uint8')")),
        assign("u", ALL, X("np.array([1.5, 250, 2], dtype='uint8')")), read("u", ALL),
        assign("u", ALL, X("np.zeros(3, dtype='uint8') + 300")),
        assign("u", ALL, X("np.ones(3, dtype='int8') * 7")), read("u", ALL),
        assign("u", ALL, X("np.array([1, 2.5, 3])")), read("u", ALL),
        assign("u", ALL, X("np.array([9223372036854775808, -1, 0])")), read("u", ALL)])
    # 8. bool arrays refuse unary minus and plus.
    add("bool unary", [
        open_("b", "b.dat", "w+", "bool", [2]),
        assign("b", ALL, X("-np.array([True, False])")),
        assign("b", ALL, X("+np.array([True, False])")),
        assign("b", ALL, X("-np.bool_(1)")),
        assign("b", ALL, X("+np.bool_(1)")), read("b", ALL)])
    # 9. Error order: read-only, then the index, then converting the value.
    add("error precedence", [
        open_("w", "e.dat", "w+", "uint8", [4]), flush("w"),
        open_("r", "e.dat", "r", "uint8", [4]),
        assign("r", [I(10)], V(300)), assign("r", [I(1)], V([1, 2])),
        assign("w", [I(10)], V(300)), assign("w", [I(10)], V([1, 2])),
        assign("w", ALL, V([1, 2, 300])), read("w", ALL)])
    # 10. Float -> integer casts of NaN, inf and out-of-range values (x86-64).
    odd = "np.array([nan, np.inf, -np.inf, 1e20, -1e20, 3e9, -3e9, 300.7, -300.7, 4294967301.0])"
    for dt in ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]:
        add(f"float casts into {dt}", [open_("i", "f.dat", "w+", dt, [10]),
                                       assign("i", ALL, X(odd)), read("i", ALL),
                                       assign("i", ALL, X(odd + f".astype('{dt}')")),
                                       read("i", ALL)])
    # 11. NumPy scalars into integer arrays; 0-d arrays are typed arrays.
    for dt in ["int8", "uint8", "int64", "uint64", "float32", "bool"]:
        vals = ["np.int32(1000)", "np.float64(1e20)", "np.array(1000)", "np.array(1e20)",
                "np.int64(-1)", "np.float64(nan)", "np.float32(3.7)", "np.array(-1)",
                "np.array(np.inf)", "np.array(1000) * 1", "np.array(2) / 0", "-np.array(0.0)",
                "np.full((), 1)", "np.array(7).reshape(())"]
        ops = [open_("t", "t.dat", "w+", dt, [3])]
        for v in vals:
            ops += [assign("t", [I(0)], X(v)), assign("t", [S(1, 2)], X(v))]
        ops.append(read("t", ALL))
        add(f"numpy scalars into {dt}", ops)
    # 12. Python lists and numbers follow Python's rules.
    add("python list semantics", [
        open_("l", "l.dat", "w+", "int64", [6]),
        assign("l", ALL, X("[1, 2] * 3")), read("l", ALL),
        assign("l", [S(0, 3)], X("[1, 2] + [3]")), read("l", ALL),
        assign("l", ALL, X("-[1, 2]")), assign("l", ALL, X("[1, 2] * 2.5")),
        assign("l", ALL, X("[1, 2] + 1")), assign("l", ALL, X("1 + [1, 2]")),
        assign("l", ALL, X("[1, 2] - [1, 2]")), assign("l", ALL, X("[1, 2, 3] * np.int64(2)")),
        read("l", ALL),
        assign("l", [S(0, 2)], X("np.array([1, 2]) * [3, 4]")), read("l", ALL),
        assign("l", ALL, X("[1, 2].reshape(2, 1)")), assign("l", ALL, X("(3).astype('float64')")),
        assign("l", ALL, X("[1, 2] * 0")), assign("l", ALL, X("2 * [1, 2, 3]")), read("l", ALL)])
    # 13. Assigning into one element.
    for dt in ["int16", "float32", "bool"]:
        vals = ["[1, 2]", "[5]", "[]", "np.array([5])", "np.array([[[5]]])", "np.arange(1)",
                "np.linspace(0, 1, 1)", "np.arange(2)", "np.array(7)"]
        ops = [open_("e", "el.dat", "w+", dt, [2, 3])]
        for v in vals:
            ops.append(assign("e", [I(0), I(0)], X(v)))
        ops += [assign("e", [I(0)], X("np.array([[[1]]])")), assign("e", [I(1), I(1), E], X("[1]")),
                assign("e", [I(1), I(2), E], X("np.array([[4]])")), read("e", ALL)]
        add(f"one element of {dt}", ops)
    # 14. Error wording.
    add("error wording", [
        open_("w", "w.dat", "w+", "float64", [4]),
        assign("w", ALL, X("np.zeros((1, 12))")), assign("w", ALL, X("np.zeros((1, 1, 3))")),
        assign("w", ALL, X("np.arange(5).reshape(2, -1)")),
        assign("w", ALL, X("np.arange(5).reshape(-1, 2)")),
        assign("w", ALL, X("np.arange(5).reshape(-1, 0)")),
        assign("w", ALL, X("np.arange(5).reshape(2)")),
        assign("w", ALL, X("np.arange(6).reshape(-1, -1)")),
        assign("w", ALL, X("np.arange(4).reshape(2, -2)")),
        open_("i", "i.dat", "w+", "uint16", [3]),
        assign("i", ALL, X("[1, 70000, -1]")), assign("i", ALL, X("[1, -1, 70000]")),
        assign("i", ALL, X("[1, 18446744073709551615, 2]"))])
    # 15. Smaller ones.
    add("smaller ones", [
        open_("m", "m.dat", "w+", "float64", [3]),
        assign("m", ALL, X("np.arange(3, dtype=bool)")),
        assign("m", [S(0, 2)], X("np.arange(2, dtype=bool)")), read("m", ALL),
        assign("m", ALL, X("-(np.arange(3) * 1.0)")), read("m", ALL),
        assign("m", ALL, X("-np.zeros(3)")), read("m", ALL),
        assign("m", [I(0)], X("np.uint8(3) / 300")), read("m", ALL),
        assign("m", ALL, X("np.linspace(-1, 1, 3, dtype='int16')")), read("m", ALL),
        assign("m", ALL, X("np.array([1, 2.5, 3])")), read("m", ALL)])


def limits(add):
    """Two ellipses and a zero step raise when indexing; the 64-dimension limit everywhere."""
    add("index errors at run time", [
        open_("a", "x.dat", "w+", "float32", [2, 3]),
        read("a", [E, E]), read("a", [S(None, None, 0)]), read("a", [I(0), I(0), I(0), S(None, None, 0)]),
        read("a", [S(None, None, 0), E, E]), read("a", [I(5), S(None, None, 0)]),
        read("a", [S(None, None, 0), I(5)]), read("a", [I(0), I(0), I(0), E, E]),
        assign("a", [E, E], X("np.uint8(-1)")), assign("a", [S(None, None, 0)], V([1, 2, 300])),
        assign("a", [S(None, None, 0)], V(1)), assign("a", [E, E], V(1)),
        read("a", [N] * 63), read("a", [N] * 64), read("a", [N] * 129), read("a", [I(0)] + [N] * 64)])
    add("64 dimensions", [
        open_("a", "x.dat", "w+", "float64", [1]),
        assign("a", ALL, X("np.arange(1).reshape(" + ", ".join(["1"] * 65) + ")")),
        assign("a", ALL, X("np.zeros((" + ", ".join(["1"] * 65) + "))")),
        assign("a", ALL, X("np.full((" + ", ".join(["1"] * 65) + "), 2)")),
        assign("a", ALL, X("np.array(" + "[" * 65 + "1" + "]" * 65 + ")")),
        assign("a", ALL, X("np.array(" + "[" * 64 + "3" + "]" * 64 + ")")), read("a", ALL),
        assign("a", ALL, X("[" * 65 + "1" + "]" * 65)),
        open_("b", "d65.dat", "w+", "uint8", [1] * 65), read("b", ALL)])
    add("python int bounds by target", [
        open_("u", "u.dat", "w+", "uint32", [2]), open_("i", "i.dat", "w+", "int8", [2]),
        assign("u", [I(0)], V(2 ** 63)), assign("u", [I(0)], V(2 ** 64 - 1)),
        assign("u", [I(0)], V(-(2 ** 63))), assign("u", [I(0)], X("1e19")),
        assign("i", [I(0)], V(2 ** 63)), assign("i", [I(0)], V(-(2 ** 63))),
        assign("i", [I(0)], V(2 ** 64 - 1)), assign("i", [I(0)], X("1e19")),
        assign("i", [I(0)], X("-1e19")), assign("i", [I(0)], X("1e300"))])


def half(add):
    """float16: names, codes, byte orders, printing, casts and promotion."""
    for dt in ["float16", "half", "e", "f2", "<f2", ">f2"]:
        add(f"float16 as {dt}", [
            open_("h", "h.dat", "w+", dt, [6]),
            assign("h", ALL, X("[0.1, 0.3333333, 65504, 65520, 1e-7, -2.5]")), read("h", ALL),
            read("h", [I(1)]), read("h", [I(2)]), read("h", [I(4)]),
            assign("h", ALL, X("np.arange(6) * 1000.5")),
            read("h", ALL), read("h", [I(5)]),
            assign("h", ALL, X("np.array([nan, np.inf, -np.inf, 1e10, 0.0001, 5e-8])")), read("h", ALL)])
    add("float16 arithmetic and casts", [
        open_("h", "h.dat", "w+", "float16", [4]),
        assign("h", ALL, X("np.float16(0.1) * 3")), read("h", ALL), read("h", [I(0)]),
        assign("h", ALL, X("np.arange(4).astype('float16') / 3")), read("h", ALL),
        assign("h", ALL, X("np.arange(4, dtype='int8') + np.float16(0.5)")), read("h", ALL),
        assign("h", ALL, X("np.arange(4, dtype='int16') + np.float16(0.5)")), read("h", ALL),
        assign("h", ALL, X("np.float16(1) / 3")), read("h", [I(0)]),
        assign("h", ALL, X("[1, 1001, 60000, 0.5]")), read("h", ALL),
        open_("i", "i.dat", "w+", "int16", [4]),
        assign("i", ALL, X("np.array([np.inf, -2.7, 300.5, 65504], dtype='float16')")), read("i", ALL),
        assign("i", ALL, X("np.full(4, 2.7, dtype='float16')")), read("i", ALL)])
    add("empty lists are float64; arange checks start", [
        open_("a", "e.dat", "w+", "float64", [2, 2]),
        assign("a", ALL, X("-(np.array([[], []]))")), assign("a", ALL, X("+(np.array([]))")),
        assign("a", ALL, X("np.array([]) + 1")),
        assign("a", ALL, X("np.arange(-2, -1, dtype='uint32')")),
        assign("a", [I(0)], X("np.arange(250, 252, dtype=np.uint8)")),
        assign("a", [I(1)], X("np.arange(-2.5, -0.5, dtype=np.uint8)")),
        assign("a", [I(1)], X("np.arange(-129, -127, dtype=np.int8)")), read("a", ALL)])
    add("np.full with dtype casts floats, checks ints", [
        open_("u", "f.dat", "w+", "uint64", [2]),
        assign("u", ALL, X("np.full((), -np.inf, dtype=np.ulonglong)")), read("u", ALL),
        assign("u", ALL, X("np.full(2, 1e20, dtype=np.int8)")), read("u", ALL),
        assign("u", ALL, X("np.full(2, 2.7, dtype=np.int8)")), read("u", ALL),
        assign("u", ALL, X("np.full(2, -1, dtype=np.uint64)"))])


def complex_(add):
    """complex64/complex128: names, codes, byte orders, casts both ways, promotion, arithmetic."""
    for dt in ["complex64", "complex128", "csingle", "cdouble", "complex", "F", "D", "c8", "c16", ">c8",
               "<c16", ">c16"]:
        add(f"complex as {dt}", [
            open_("z", "z.dat", "w+", dt, [5]),
            assign("z", ALL, X("[0.1, -2, 1e20, 1e-7, 3]")), read("z", ALL), read("z", [I(1)]),
            assign("z", ALL, X("np.arange(5) / 3 + np.complex64(2)")), read("z", ALL), read("z", [I(4)]),
            assign("z", [I(0)], X("np.csingle(7) * np.float32(0.1)")), read("z", ALL),
            assign("z", ALL, X("np.linspace(-1, 1, 5).astype('c8') / 0")), read("z", ALL),
            assign("z", ALL, X("-(np.ones(5, dtype=np.cdouble) * np.nan)")), read("z", ALL),
            assign("z", [I(0)], X("[1, 2]")), assign("z", [I(0)], X("np.array([1])")),
            assign("z", [S(None, 2)], X("np.full(2, 1e40, dtype=np.complex64)")), read("z", ALL)])
    add("complex into real arrays and back", [
        open_("i", "i.dat", "w+", "int8", [4]), open_("f", "f.dat", "w+", "float32", [4]),
        open_("u", "u.dat", "w+", "uint16", [4]), open_("b", "b.dat", "w+", "bool", [4]),
        assign("i", ALL, X("np.arange(4).astype(np.complex64) * 100.5")), read("i", ALL),
        assign("i", [I(0)], X("np.complex64(300)")), assign("i", [I(0)], X("np.complex128(1e20)")),
        assign("i", [I(0)], X("np.complex128(-7.9)")), read("i", ALL),
        assign("f", ALL, X("np.array([1, 2, 3, 4], dtype='c16') / 3")), read("f", ALL),
        assign("f", [I(1)], X("np.cdouble(2.5)")), read("f", ALL),
        assign("u", ALL, X("np.full(4, -1, dtype='c8')")), read("u", ALL),
        assign("u", [I(0)], X("np.csingle(70000)")), read("u", ALL),
        assign("b", ALL, X("np.array([0, 1, 0, 2], dtype=np.complex64) * 0.5")), read("b", ALL)])
    add("complex promotion and errors", [
        open_("z", "z.dat", "w+", "complex128", [3]), open_("y", "y.dat", "w+", "complex64", [3]),
        assign("y", ALL, X("np.arange(3, dtype='int8') + np.complex64(0.1)")), read("y", ALL),
        assign("y", ALL, X("np.arange(3, dtype='int32') + np.complex64(0.1)")), read("y", ALL),
        assign("z", ALL, X("np.arange(3, dtype=np.float16) * np.csingle(1.1)")), read("z", ALL),
        assign("z", ALL, X("np.complex64(1) / 3 + np.float64(1) / 3")), read("z", ALL),
        assign("z", ALL, X("[1.5] * np.complex64(2)")), assign("z", ALL, X("np.cdouble(2) * [1.5]")),
        assign("z", ALL, X("[1.5] - np.complex64(2)")), read("z", ALL),
        assign("z", ALL, X("np.array([0.0, 1, -2], dtype=np.complex64) / np.complex64(0)")), read("z", ALL),
        assign("z", ALL, X("(np.arange(3) + 1) / np.complex128(-3)")), read("z", ALL)])


def bigints(add):
    """Python ints of any size (issue 15, root cause 2): Python's arithmetic, true division,
    float(), NumPy's stores into every dtype kind, object arrays. Values are written as decimal
    literals (the lesson language has no `**`)."""
    b = str  # a Python int as the literal the lesson writes
    add("big ints: arithmetic and true division into float64", [
        open_("f", "bf.dat", "w+", "float64", [4]),
        assign("f", [I(0)], X(f"{b(2**200)} / 3")),
        assign("f", [I(1)], X(f"{b(10**400)} / {b(10**399 + 7)}")),
        assign("f", [I(2)], X(f"-{b(3**500)} / {b(2**700)}")),
        assign("f", [I(3)], X(f"{b(2**300 + 1)} - {b(2**300)} + {b(2**64)} * {b(2**64)}")),
        read("f", ALL),
        assign("f", [I(0)], X(f"1 / {b(2**1074)}")), assign("f", [I(1)], X(f"3 / {b(2**1076)}")),
        assign("f", [I(2)], X(f"1 / {b(2**1075)}")), assign("f", [I(3)], X(f"-1 / {b(2**1100)}")),
        read("f", ALL),
        assign("f", [I(0)], X(f"{b(10**400)} / 3")),
        assign("f", [I(0)], X(f"{b(10**400)} / 0")),
        assign("f", [I(0)], X(f"{b(10**400)} / 0.5")),
        assign("f", [I(0)], X(f"{b(10**400)}")),
        assign("f", [I(0)], X(f"{b(10**400)} * 1.5")),
        assign("f", [I(0)], X(f"0.5 + {b(10**400)}")),
        assign("f", [I(0)], X(f"{b(2**1024 - 2**970)}")),
        assign("f", [I(0)], X(f"{b(2**1024 - 2**970)} / 1")),
        assign("f", [I(0)], X(f"{b(2**1024 - 2**970 - 1)}")),
        assign("f", [I(1)], X(f"-{b(2**1024 - 2**971)}")),
        assign("f", [I(2)], X(f"{b(2**53 + 1)} * {b(2**200)}")),
        assign("f", [I(3)], X(f"{b(2**53 + 1)} * {b(2**200)} + 1")),
        read("f", ALL),
        # Past 4300 digits a value still computes (only str() and literals are limited); an
        # expression has at most 10,000 characters.
        assign("f", [I(0)], X(f"{b(10**2400)} * {b(10**2400)} / {b(10**2399)} / {b(10**2399)}")),
        assign("f", [I(1)], X(f"-{b(10**4299)} * {b(10**4299)} - 1")),
        read("f", ALL)])
    targets = ["bool", "int8", "uint8", "int64", "uint64", "longlong", "ulonglong", "uint32",
               "float16", "float32", "float64", "longdouble", "complex64", "complex128"]
    values = [2**64, -(2**64) - 1, 2**127 + 2**64 + 3, 2**200 + 1, 3**300, -(10**400),
              2**1024 - 2**970 - 1, 10**4000 + 1]
    for dt in targets:
        ops = [open_("t", "t.dat", "w+", dt, [len(values)])]
        for k, v in enumerate(values):
            ops += [assign("t", [I(k)], X(b(v))), assign("t", [S(k, k + 1)], X(f"[{b(v)}]"))]
        ops += [read("t", ALL), assign("t", [I(0)], X(f"{b(10**4299)} * 10")), read("t", ALL)]
        add(f"big ints stored into {dt}", ops)
    add("big ints: object arrays", [
        open_("f", "of.dat", "w+", "float64", [2, 3]),
        assign("f", ALL, X(f"np.array([[{b(2**130)}, 1, -2], [3, 4, {b(2**200)}]]) * {b(2**70)}")),
        read("f", ALL),
        assign("f", ALL, X(f"np.full((2, 3), {b(10**30)}) * {b(10**30)} / {b(10**59)}")), read("f", ALL),
        assign("f", ALL, X(f"-np.array([{b(2**150)}, 2, 3]) + np.arange(3)")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**150)}]) * np.array([[1.5], [2]])")), read("f", ALL),
        assign("f", ALL, X(f"np.array([1, 2, {b(10**300)}]) * {b(10**10)}")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(10**300)}, 1, 2]) * 1.5")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**64)}, 2, 3]) / np.array([3, 0, 1])")),
        assign("f", ALL, X(f"np.array([{b(2**64)}, 2, 3]) / np.array([3, 1, 0.0])")),
        assign("f", ALL, X(f"np.asarray({b(10**30)}) * {b(2**32)}")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**200)}, 1, 2]).astype(np.float32)")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(10**400)}, 1, 2]).astype(float)")),
        assign("f", ALL, X(f"np.array([{b(2**200)}, 1, 2]).astype(np.longdouble) / 3")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**200)}, 0, 2]).astype(bool)")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**200)}, 0, 2]).astype(np.int64)")),
        assign("f", ALL, X(f"np.array([1.5, {b(2**200)}]) * 2 + np.zeros((2, 1))")), read("f", ALL),
        assign("f", ALL, X(f"np.array([{b(2**70)}]) * np.float16(2) + np.array([True, False, True])")),
        read("f", ALL),
        open_("i", "oi.dat", "w+", "int64", [2, 2]),
        assign("i", ALL, X(f"np.array([[{b(2**64)}]]) * {b(2**64)}")),
        assign("i", ALL, X(f"np.array([{b(2**64)}, 5]) - {b(2**64)}")), read("i", ALL),
        assign("i", ALL, X(f"np.array([[{b(2**100)}, 7], [8, 9]]) - np.array([{b(2**100)}, 0])")),
        read("i", ALL),
        assign("i", [S(4, None, 3)], X(f"np.full((), fill_value=-{b(2**64)})")),
        assign("i", [S(4, None, 3)], X(f"np.array([-{b(2**64)}])")),
        assign("i", [I(0), S(2, None)], X(f"np.asarray({b(2**64)})")),
        assign("i", [I(0), S(0, 1)], X(f"np.asarray({b(2**64)})")),
        open_("s", "os.dat", "w+", "int8", [2]),
        assign("s", ALL, X(f"np.array([{b(2**70)}, 300]) - {b(2**70)}")), read("s", ALL)])
    add("big ints: NumPy scalars and constructors", [
        open_("f", "nf.dat", "w+", "float64", [2]),
        assign("f", ALL, X(f"np.float64({b(10**400)})")),
        assign("f", ALL, X(f"np.float32({b(2**200)})")), read("f", ALL),
        assign("f", ALL, X(f"np.int8({b(2**200)})")),
        assign("f", ALL, X(f"np.bool_({b(2**200)})")), read("f", ALL),
        assign("f", ALL, X(f"np.longdouble({b(2**300 + 1)}) / {b(2**299)}")), read("f", ALL),
        assign("f", ALL, X(f"np.full(2, {b(10**400)}, dtype=float)")),
        assign("f", ALL, X(f"np.full(2, {b(2**200)}, dtype=np.float32)")), read("f", ALL),
        assign("f", ALL, X(f"np.array({b(10**400)}, dtype=float)")),
        assign("f", ALL, X(f"np.array([{b(2**100)}, 1], dtype=float)")), read("f", ALL),
        assign("f", ALL, X(f"np.ones(2) * {b(10**400)}")),
        assign("f", ALL, X(f"np.ones(2, dtype=np.float32) * {b(2**200)}")), read("f", ALL),
        assign("f", ALL, X(f"np.arange(2) / {b(2**70)}")), read("f", ALL),
        assign("f", ALL, X(f"np.arange(2) / {b(10**400)}")),
        assign("f", ALL, X(f"np.ones(2, dtype=np.longdouble) * {b(10**400)} / {b(10**399)}")),
        read("f", ALL),
        assign("f", ALL, X(f"np.ones(2, dtype=np.longdouble) * ({b(10**4299)} * 10)")),
        assign("f", ALL, X(f"np.int8(3) * {b(2**200)}")),
        assign("f", ALL, X(f"np.float64(3) * {b(10**400)}")),
        assign("f", ALL, X(f"[1, 2] * {b(2**70)}")),
        open_("z", "nz.dat", "w+", "complex64", [2]),
        assign("z", ALL, X(f"np.ones(2, dtype=np.complex64) * {b(2**200)}")), read("z", ALL),
        assign("z", ALL, X(f"np.ones(2, dtype=np.complex128) * {b(10**400)}"))])
    add("big ints: np.arange", [
        open_("f", "ar.dat", "w+", "float64", [3]),
        assign("f", ALL, X(f"np.arange({b(2**70)}, {b(2**70 + 3)}) - {b(2**70)}")), read("f", ALL),
        assign("f", ALL, X(f"np.arange({b(2**70)}, {b(2**70 + 3)}, 1.0) * 2")), read("f", ALL),
        assign("f", [S(0, 2)], X(f"np.arange(5, {b(2**70)}, {b(2**69)})")), read("f", ALL),
        assign("f", [S(0, 1)], X(f"np.arange(0, 3, {b(2**70)})")), read("f", ALL),
        assign("f", [S(0, 0)], X(f"np.arange(0, 3, -{b(2**70)})")),
        assign("f", ALL, X(f"np.arange({b(2**70)}, 0)")),
        assign("f", ALL, X(f"np.arange({b(2**65)})")),
        assign("f", ALL, X(f"np.arange({b(10**400)})")),
        assign("f", ALL, X(f"np.arange(-{b(2**64)}, -{b(2**64 - 3)})")), read("f", ALL),
        assign("f", ALL, X(f"np.arange({b(2**63)}, {b(2**63 + 3)})")), read("f", ALL),
        assign("f", [S(0, 1)], X(f"np.arange({b(2**63)}, {b(2**63 + 3)}, {b(2**63)})")), read("f", ALL),
        assign("f", [S(0, 2)], X(f"np.arange(0, {b(2**64 - 1)}, {b(2**63)})")), read("f", ALL),
        assign("f", ALL, X(f"np.arange({b(2**70)}, {b(2**70 + 3)}, dtype=np.float32)")), read("f", ALL),
        assign("f", ALL, X(f"np.arange({b(2**70)}, {b(2**70 + 3)}, dtype=np.int64)")),
        assign("f", ALL, X(f"np.arange(0, {b(2**70)}, {b(2**68)}, dtype=np.int64)")),
        assign("f", ALL, X(f"np.arange(-3, {b(2**70)}, {b(2**68)}, dtype=np.uint8)")),
        assign("f", ALL, X(f"np.arange(0, {b(2**63)}, {b(2**62)}, dtype=np.int8)")),
        assign("f", ALL, X(f"np.arange({b(2**70)}, {b(2**70 + 3)}, dtype=bool)")),
        assign("f", [S(0, 0)], X(f"np.arange({b(2**70)}, {b(2**70)}, dtype=np.int8)")),
        assign("f", [S(0, 2)], X(f"np.arange(0, {b(2**64)}, {b(2**63)}, dtype=np.uint64)")), read("f", ALL)])
    add("big ints as indexes", [
        open_("a", "ix.dat", "w+", "int16", [2, 3]),
        assign("a", ALL, X("np.arange(6).reshape(2, 3)")),
        read("a", [S(None, 2**70)]), read("a", [S(2**70, None)]), read("a", [I(1), S(None, None, 2**70)]),
        read("a", [I(0), S(None, None, -(2**70))]), read("a", [S(-(2**70), None), S(-(10**30), 2**64)]),
        read("a", [I(2**63)]), read("a", [I(2**64 - 1)]), read("a", [I(2**64)]), read("a", [I(-(2**63) - 1)]),
        read("a", [I(2**63 - 1)]), read("a", [I(-(2**63))]), read("a", [I(0), I(10**40)]),
        read("a", [I(2**70), E, E]), read("a", [E, E, I(2**70)]), read("a", [I(2**70), I(0), I(0)]),
        read("a", [N, I(2**63)]), assign("a", [I(2**64)], V(1)), assign("a", [S(None, 2**70)], V(7)),
        read("a", ALL)])


def clongdouble(add):
    """clongdouble (complex256, x86-64): names, codes, byte orders; what makes one (complex with longdouble,
    np.clongdouble(...), astype, dtype=); arithmetic in x87 precision; casts both ways; errors."""
    if np.dtype("G").itemsize != 32:
        print("clongdouble is not two x87 values here: no clongdouble scenarios")
        return
    for dt in ["clongdouble", "complex256", "G", "c32", ">G", "<c32", "=G", ">c32"]:
        add(f"clongdouble as {dt}", [
            open_("z", "z.dat", "w+", dt, [5]),
            assign("z", ALL, X("[0.1, -2, 1e20, 1e-7, 3]")), read("z", ALL), read("z", [I(1)]),
            assign("z", ALL, X("np.arange(5, dtype='g') / 3 + np.complex64(2)")), read("z", ALL),
            read("z", [I(4)]), read("z", [S(None, None, -2)]),
            assign("z", [I(0)], X("np.clongdouble(7) * np.float32(0.1)")), read("z", ALL),
            assign("z", ALL, X("np.linspace(-1, 1, 5).astype('G') / 0")), read("z", ALL),
            assign("z", ALL, X("-(np.ones(5, dtype=np.clongdouble) * np.nan)")), read("z", ALL),
            assign("z", [I(0)], X("[1, 2]")), assign("z", [I(0)], X("np.array([1])")),
            assign("z", ALL, X("np.arange(5) / np.complex256(3) * np.complex128(1) / 7")), read("z", ALL),
            assign("z", [S(None, 2)], X("np.full(2, 1e40, dtype=np.complex64)")), read("z", ALL)])
    add("clongdouble from promotion, into other dtypes and back", [
        open_("i", "i.dat", "w+", "int8", [4]), open_("f", "f.dat", "w+", "float32", [4]),
        open_("u", "u.dat", "w+", "uint64", [4]), open_("b", "b.dat", "w+", "bool", [4]),
        open_("c", "c.dat", "w+", "complex64", [4]), open_("d", "d.dat", "w+", "complex128", [4]),
        open_("g", "g.dat", "w+", "longdouble", [4]),
        assign("i", ALL, X("np.arange(4, dtype='g') * np.complex64(100.5)")), read("i", ALL),
        assign("i", [I(0)], X("np.clongdouble(300)")), assign("i", [I(0)], X("np.clongdouble(-7.9)")),
        read("i", ALL), assign("i", [I(1)], X("np.clongdouble(np.nan)")), read("i", ALL),
        assign("f", ALL, X("np.array([1, 2, 3, 4], dtype='G') / 3")), read("f", ALL),
        assign("u", ALL, X("np.full(4, -1, dtype='G')")), read("u", ALL),
        assign("u", ALL, X("np.full(4, 1e19, dtype='G') * np.complex64(1)")), read("u", ALL),
        assign("b", ALL, X("np.array([0, 1, 0, 2], dtype=np.clongdouble) * 0.5")), read("b", ALL),
        assign("c", ALL, X("np.arange(4) / np.clongdouble(3)")), read("c", ALL),
        assign("d", ALL, X("np.arange(4) / np.clongdouble(3)")), read("d", ALL),
        assign("g", ALL, X("np.arange(4) / np.clongdouble(3)")), read("g", ALL),
        assign("g", ALL, X("np.ones(4, dtype='g') / 3 * np.complex128(1)")), read("g", ALL),
        assign("d", ALL, X("np.ones(4, dtype='g') / 3 + np.cdouble(1) / 3")), read("d", ALL)])
    add("clongdouble arithmetic", [
        open_("z", "z.dat", "w+", "G", [2, 3]),
        assign("z", ALL, X("np.arange(6).reshape(2, 3) * np.clongdouble(1.5) - np.complex64(0.25)")),
        read("z", ALL), read("z", [I(1), I(2)]),
        assign("z", ALL, X("np.ones((2, 3), dtype='g') / np.complex128(3) * np.longdouble(1e300)")), read("z", ALL),
        assign("z", ALL, X("(np.arange(6).reshape(2, 3) + np.complex64(1)) / (np.arange(3) - np.clongdouble(1))")),
        read("z", ALL),
        assign("z", ALL, X("np.clongdouble(2) * np.clongdouble(3) - 1e-30")), read("z", ALL), read("z", [I(0)]),
        assign("z", [I(0)], X("np.full(3, 7, dtype='G') + [1, 2, 3]")), read("z", ALL),
        assign("z", ALL, X("np.array([[1, 2, 3]], dtype=np.complex64) + np.longdouble(1) / 3")),
        read("z", ALL)])


def main():
    cases = []
    for s in scenarios():
        cases.append({"name": s["name"], "ops": s["ops"], "expect": run(s["ops"])})
    data = {"numpy": np.__version__, "python": sys.version.split()[0], "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} scenarios -> {OUT}")


if __name__ == "__main__":
    main()

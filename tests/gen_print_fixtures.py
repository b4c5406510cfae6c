#!/usr/bin/env python3
"""Generate tests/fixtures/printing/cases.json: str/repr of real np.memmap/np.array objects.

Run from the repository root with NumPy 2.4.6:  python3 tests/gen_print_fixtures.py
Deterministic (fixed seed); the Rust test tests/printing.rs replays every case without Python.

Optional: python3 tests/gen_print_fixtures.py --sweep N OUT.json writes N extra random
bit-pattern cases (not committed) that the Rust test replays when PRINT_FIXTURES_EXTRA=OUT.json.
"""

import base64
import json
import os
import sys
import tempfile

import numpy as np

assert np.__version__ == "2.4.6", np.__version__

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "printing", "cases.json")

ALL_DTYPES = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f4", "f8", ">f4", ">i2", ">f8", ">u4"]

TMP = tempfile.mkdtemp(prefix="print_fixtures_")
_counter = [0]


def code(dt):
    """The dtype string as DType::parse accepts it (byte order explicit for multi-byte types)."""
    return np.dtype(dt).str


def make_memmap(values, dtype, shape):
    _counter[0] += 1
    path = os.path.join(TMP, f"m{_counter[0]}.dat")
    m = np.memmap(path, dtype=dtype, mode="w+", shape=tuple(shape))
    arr = np.asarray(values).reshape(shape)
    if m.size:
        m[...] = arr.astype(np.dtype(dtype), copy=False)
    return m


class Cases:
    def __init__(self):
        self.cases = []

    def array(self, cid, values, dtype, shape=None, cls="memmap"):
        values = np.asarray(values)
        if shape is None:
            shape = values.shape
        shape = tuple(shape)
        if cls == "memmap":
            a = make_memmap(values, dtype, shape)
        else:
            a = np.asarray(values).astype(np.dtype(dtype)).reshape(shape)
        raw = np.ascontiguousarray(a).view(np.ndarray).tobytes()
        self.cases.append({
            "id": cid,
            "kind": "array",
            "class": cls,
            "dtype": code(dtype),
            "shape": list(shape),
            "data": base64.b64encode(raw).decode(),
            "str": str(a),
            "repr": repr(a),
        })

    def raw_array(self, cid, raw, dtype, shape, cls="memmap"):
        """An array built from raw bytes (for arbitrary bit patterns)."""
        vals = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape)
        self.array(cid, vals, dtype, shape, cls)

    def scalar(self, cid, raw, dtype):
        s = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(())[()]
        self.cases.append({
            "id": cid,
            "kind": "scalar",
            "dtype": code(dtype),
            "shape": [],
            "data": base64.b64encode(raw).decode(),
            "str": str(s),
            "repr": repr(s),
        })


def float_pool(rng, dt):
    """Interesting float values for dtype dt (finite, special, boundaries)."""
    f = np.dtype(dt).type
    fi = np.finfo(np.dtype(dt))
    pool = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1 / 3, 2 / 3, 1.5, -2.5, 10.25, 1e-4, 0.99e-4, 1e-5, 1e-10,
            999.0, 1000.0, 1001.0, 999999.0, 1e6, 99999999.0, 1e8, 1e16, 1e-300, 1e300, 123456.789,
            3.14159265, 2.718281828459045, 0.001953125, 0.0001220703125, 16777216.0, 16777217.0,
            np.nan, np.inf, -np.inf, float(fi.max), float(fi.min), float(fi.tiny), float(fi.eps),
            float(fi.smallest_subnormal), 0.123456789123, 12345678.9, 1e-8, 5e-9]
    return np.array(pool, dtype=np.float64).astype(f)


def random_floats(rng, dt, n, mode):
    f = np.dtype(dt)
    if mode == "normal":
        v = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
    elif mode == "wide":
        v = rng.normal(size=n) * 10.0 ** rng.uniform(-12, 12, size=n)
    elif mode == "ints":
        v = rng.integers(-1000, 1000, size=n).astype(np.float64)
    elif mode == "uniform":
        v = rng.uniform(0, 1, size=n)
    elif mode == "bits":
        nb = f.itemsize
        raw = rng.integers(0, 256, size=n * nb, dtype=np.uint8).tobytes()
        return np.frombuffer(raw, dtype=f.newbyteorder("=")).astype(f)
    elif mode == "pool":
        pool = float_pool(rng, dt)
        v = pool[rng.integers(0, len(pool), size=n)]
    elif mode == "mixed":
        v = rng.normal(size=n) * 100
        k = max(1, n // 4)
        idx = rng.integers(0, n, size=k)
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
        v[idx] = specials[rng.integers(0, len(specials), size=k)]
    else:
        raise ValueError(mode)
    with np.errstate(over="ignore"):
        return np.asarray(v).astype(f)


def random_ints(rng, dt, n, mode):
    d = np.dtype(dt)
    info = np.iinfo(d)
    if mode == "small":
        lo, hi = max(info.min, -20), min(info.max, 300)
    elif mode == "full":
        lo, hi = info.min, info.max
    else:
        lo, hi = max(info.min, 0), min(info.max, 9)
    return rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64 if info.min < 0 or info.bits < 64
                        else np.uint64).astype(d)


def gen(c, rng):
    # Section 4.5 examples.
    c.array("E1", np.arange(9), "f4", (3, 3))
    c.array("E3", np.arange(9.0), "f8", (3, 3), cls="array")
    c.array("E4", [0.1, 0.2, 0.3], "f4")
    c.array("E4a", [0.1, 0.2, 0.3], "f4", cls="array")
    c.array("E5", [0.1 + 0.2, 1 / 3], "f8", cls="array")
    c.array("E6", [1 / 3], "f4")
    c.array("E7", [1.5, 10.25, -3.0], "f8", cls="array")
    c.array("E8", [1e-5, 1.0], "f8")
    c.array("E9", [1.0, 1000.0], "f8")
    c.array("E10", [1.0, 1001.0], "f8")
    c.array("E11", [1e-4, 1.0], "f8")
    c.array("E11b", [0.99e-4, 1.0], "f8")
    c.array("E12a", [99999999.0], "f8", cls="array")
    c.array("E12b", [1e8], "f8", cls="array")
    c.array("E13a", [999999.0], "f4", cls="array")
    c.array("E13b", [1e6], "f4", cls="array")
    c.array("E14", [np.nan, np.inf, -np.inf, 1.5], "f8", cls="array")
    c.array("E15", [-0.0, 0.0, 1.0], "f8", cls="array")
    c.array("E16", [1, -20, 300], "i8", cls="array")
    c.array("E17", [1, -20, 300], "i4", cls="array")
    c.array("E18", [[True, False], [False, True]], "?")
    c.array("E19", [0.123456789123, 2.0], "f8")
    c.array("E20", [3.14159265, 1e-3], "f4")
    c.array("E21", [[1e-10, 1.0], [123456.0, -2.5]], "f8")
    c.array("E22", [1e-300, 1e300], "f8")
    c.array("E23", [np.nan, np.nan], "f4")
    c.array("E24", [-1.5, 2.25], "f4")
    c.array("E25a", np.zeros(0), "f4", cls="array")
    c.array("E25b", np.zeros((0, 4)), "f8", cls="array")
    c.array("E25c", np.zeros(0), "f4")
    c.array("E25d", np.zeros((0, 4)), "f4")
    c.array("E25e", np.zeros((2, 0, 3)), "i2")
    c.array("E26", np.float32(0.0), "f4", ())
    c.array("E28a", np.arange(3).astype("<f8").view("<i8"), "i8")
    c.array("E28b", np.zeros((2, 2), bool), "?")
    c.array("E29", np.arange(5), "u1", cls="array")
    c.raw_array("E30", np.arange(3, dtype="<f4").tobytes(), ">f4", (3,))
    c.array("3d-int", np.arange(24), "i8", (2, 3, 4))
    c.array("3d-int-array", np.arange(24), "i8", (2, 3, 4), cls="array")
    c.array("3d-f4-array", np.arange(12), "f4", (2, 2, 3), cls="array")
    c.array("m4", np.arange(8) - 4, "i2", (2, 2, 2))
    c.array("wrap30", np.arange(30.0), "f8", cls="array")
    c.array("wrap30-f4", np.arange(30), "f4")
    c.array("extras-newline", np.full(12, 1.5), "f4")
    c.array("extras-newline2", np.arange(11) * 7, "f4", cls="array")
    c.array("big2000", np.arange(2000), "f4")
    c.array("ones2000", np.ones(2000), "f4", cls="array")
    c.array("arange1001", np.arange(1001), "i8", cls="array")
    c.array("arange1000", np.arange(1000), "i8", cls="array")
    c.array("arange2500", np.arange(2500), "i8", (50, 50), cls="array")
    c.array("arange2500-mm", np.arange(2500), "i2", (50, 50))
    c.array("fp-slice", np.arange(4, 12), "f4", (2, 4))

    # Every dtype, 0-d to 3-d, assorted value mixes.
    shapes = [(), (1,), (5,), (7,), (2, 3), (4, 4), (3, 1), (1, 6), (2, 2, 3), (3, 2, 2), (2, 1, 5)]
    for dt in ALL_DTYPES:
        d = np.dtype(dt)
        for si, shape in enumerate(shapes):
            n = int(np.prod(shape)) if shape else 1
            if d.kind == "f":
                # Three of the seven float mixes per shape, rotating, to keep the file small.
                all_modes = ["normal", "wide", "ints", "uniform", "bits", "pool", "mixed"]
                modes = [all_modes[(3 * si + k) % len(all_modes)] for k in range(3)]
            elif d.kind == "b":
                modes = ["bool"]
            else:
                modes = ["small", "full"] + (["digits"] if si % 3 == 0 else [])
            for mode in modes:
                if d.kind == "f":
                    v = random_floats(rng, dt, n, mode)
                elif d.kind == "b":
                    v = rng.integers(0, 2, size=n).astype(bool)
                else:
                    v = random_ints(rng, dt, n, mode)
                cls = "array" if (si + len(mode)) % 4 == 0 else "memmap"
                c.array(f"{dt}-{mode}-{'x'.join(map(str, shape)) or '0d'}", v, dt, shape, cls)

    # Float edge mixes per float dtype, including values right at the sci/positional cutoffs.
    for dt in ["f4", "f8", ">f4", ">f8"]:
        edge_sets = {
            "cut-1e-4": [1e-4, 0.5], "below-1e-4": [9.99e-5, 0.5], "ratio1000": [0.5, 500.0],
            "ratio1000.5": [0.5, 500.25], "cut-f4": [999999.9, 1.0], "cut-f8": [99999999.5, 1.0],
            "nan-only": [np.nan], "inf-only": [np.inf, -np.inf], "nan-inf-sci": [np.nan, 1e-7, -np.inf],
            "neg-zero": [-0.0], "zeros": [0.0, 0.0], "neg-sci": [-1e-7, 2.0, 3e10],
            "tie8": [0.001953125, 1.0], "tie-sci": [0.0001220703125, 1.0], "round9": [0.999999999, 1.0],
            "round-up": [9.999999999, 1.0], "carry-sci": [9.9999999999e-7, 1.0], "big-exp": [1e-300, 1.0],
            "pos-long": [123.456789012, -7.0, 0.5], "subnormal": [5e-324, 1e-310, 1.0],
            "max": [1.7976931348623157e308, -1.0], "neg-nan-inf": [-np.inf, np.nan, -0.0, 2.5],
        }
        for name, vals in edge_sets.items():
            with np.errstate(over="ignore"):
                v = np.array(vals, dtype=np.float64).astype(np.dtype(dt))
            c.array(f"edge-{dt}-{name}", v, dt)
            c.array(f"edge-{dt}-{name}-0d", v[:1], dt, ())

    # Wrapping: long rows of various word widths, 1-d to 3-d, str and repr indents.
    for dt in ["f8", "f4", "i8", "i2", "?", "u8", ">i2"]:
        d = np.dtype(dt)
        for n in [20, 25, 26, 37, 60]:
            if d.kind == "f":
                v = random_floats(rng, dt, n, "normal")
            elif d.kind == "b":
                v = rng.integers(0, 2, size=n).astype(bool)
            else:
                v = random_ints(rng, dt, n, "full" if n % 2 else "small")
            c.array(f"wrap-{dt}-{n}", v, dt, cls="array" if n % 3 == 0 else "memmap")
        c.array(f"wrap2d-{dt}", random_ints(rng, "i4", 60, "small").astype(d) if d.kind != "f"
                else random_floats(rng, dt, 60, "wide"), dt, (3, 20))
        c.array(f"wrap3d-{dt}", random_ints(rng, "i4", 60, "small").astype(d) if d.kind != "f"
                else random_floats(rng, dt, 60, "mixed"), dt, (2, 2, 15))

    # Summarisation: sizes past the threshold, widths from shown elements only.
    big = [((1001,), "i4", "plain"), ((1001,), "f8", "mixed"), ((20, 51), "f4", "wide"),
           ((3, 400), "i2", "plain"), ((2, 3, 200), "u1", "plain"), ((1001,), "?", "plain"),
           ((7, 150), ">f8", "normal"), ((10, 10, 11), "i1", "plain"), ((1001,), "u2", "plain"),
           ((400, 3), "f4", "mixed"), ((1, 1, 1001), ">u4", "plain"), ((1, 1001), "i2", "plain"),
           ((2, 501), "f8", "wide"), ((1001,), "f4", "pool"), ((1100,), ">f4", "bits"),
           ((3, 3, 120), ">i2", "plain")]
    for shape, dt, mode in big:
        n = int(np.prod(shape))
        d = np.dtype(dt)
        if d.kind == "f":
            v = random_floats(rng, dt, n, mode)
        elif d.kind == "b":
            v = rng.integers(0, 2, size=n).astype(bool)
        else:
            v = random_ints(rng, dt, n, "full")
        c.array(f"big-{dt}-{'x'.join(map(str, shape))}-{mode}", v, dt, shape,
                "array" if len(shape) == 2 else "memmap")
    # Large values hidden in the elided middle must not influence widths.
    v = np.ones(2000)
    v[1000] = 1e20
    c.array("big-hidden-middle", v, "f4")
    v = np.arange(1500, dtype=np.int64)
    v[700] = -10 ** 9
    c.array("big-hidden-int", v, "i4")

    # Plain np.array reprs of other dtypes.
    for dt in ALL_DTYPES:
        d = np.dtype(dt)
        if d.kind == "f":
            v = random_floats(rng, dt, 6, "pool")
        elif d.kind == "b":
            v = np.array([True, False, True])
        else:
            v = random_ints(rng, dt, 6, "full")
        c.array(f"ndarray-{dt}", v, dt, cls="array")
        c.array(f"ndarray-{dt}-0d", v[:1], dt, (), cls="array")

    # Scalars of every dtype: str(a[()]) and repr(a[()]).
    for dt in ALL_DTYPES:
        d = np.dtype(dt)
        if d.kind == "f":
            vals = list(float_pool(rng, dt)) + list(random_floats(rng, dt, 20, "bits")) + \
                list(random_floats(rng, dt, 8, "wide"))
        elif d.kind == "b":
            vals = [True, False]
        else:
            info = np.iinfo(d)
            vals = [0, 1, info.max, info.min] + list(random_ints(rng, dt, 4, "full"))
        for i, x in enumerate(vals):
            with np.errstate(over="ignore"):
                raw = np.array([x]).astype(d).tobytes()
            c.scalar(f"scalar-{dt}-{i}", raw, dt)

    complex_cases(c, rng)
    longdouble_cases(c, np.random.default_rng(1580))
    clongdouble_cases(c, np.random.default_rng(2561))


def longdouble_cases(c, rng):
    """longdouble (x86-64: 80-bit x87 in 16 bytes), both byte orders: values computed in longdouble (1/3, sums
    that a double cannot hold), the float pool, random bit patterns (subnormals, huge exponents, unnormals)."""
    if np.dtype("g").itemsize != 16 or np.finfo(np.longdouble).nmant != 63:
        print("longdouble is not x87 extended precision here: no longdouble cases")
        return
    g = np.longdouble
    computed = np.array([g(1) / 3, g(2) / 3, g(1) / 7 * 1e20, g(0.1) + g(2.0) ** -70, g(2.0) ** 64 + 1, g(1e-300) ** 20,
                         g(1e300) ** 15, -g(1) / 3 * 1e-5, g(10) ** 16, g(10) ** 16 - 1, g(99999999) + g(0.5)])
    modes = ["normal", "wide", "ints", "uniform", "pool", "mixed"]
    shapes = [(), (1,), (4,), (7,), (2, 3), (3, 1, 2), (1001,)]
    for dt in ["g", ">g"]:
        d = np.dtype(dt)
        for si, shape in enumerate(shapes):
            n = int(np.prod(shape)) if shape else 1
            for k in range(2):
                mode = modes[(si + k) % len(modes)]
                v = random_floats(rng, "f8", n, mode).astype(d)
                if k == 1:
                    v = (v / 3).astype(d)  # digits a double cannot hold
                cls = "array" if (si + k) % 2 else "memmap"
                c.array(f"longdouble-{dt}-{mode}-{k}-{'x'.join(map(str, shape)) or '0d'}", v, dt, shape, cls)
        c.array(f"longdouble-{dt}-computed", computed.astype(d), dt, cls="array")
        for i, x in enumerate(list(computed) + list(float_pool(rng, "f8").astype(g))):
            c.scalar(f"scalar-{dt}-{i}", np.array([x], dtype=d).tobytes(), dt)
        # Random bit patterns, the integer bit set (x87 treats a clear one as an invalid operand).
        for i in range(40):
            raw = bytearray(rng.integers(0, 256, size=16, dtype=np.uint8).tobytes())
            raw[7] |= 0x80
            if i % 4 == 0:
                raw[9] = (raw[9] & 0x80) | 0x3f  # exponent near 1
            raw[10:] = bytes(6)
            raw = bytes(raw) if d.byteorder != ">" else bytes(raw[::-1])
            c.scalar(f"scalar-{dt}-bits-{i}", raw, dt)
            if i % 8 == 0:
                c.raw_array(f"longdouble-{dt}-bits-{i}", raw * 3, dt, (3,))


def clongdouble_cases(c, rng):
    """clongdouble (x86-64: two 80-bit x87 values in 32 bytes), both byte orders: parts computed in longdouble
    (digits a double cannot hold), random parts of every mode, specials, real-valued elements beside complex ones,
    random bit patterns (integer bit set), scalars."""
    if np.dtype("G").itemsize != 32 or np.finfo(np.longdouble).nmant != 63:
        print("clongdouble is not two x87 extended values here: no clongdouble cases")
        return
    g = np.longdouble
    modes = ["normal", "wide", "ints", "uniform", "pool", "mixed"]
    shapes = [(), (1,), (4,), (7,), (2, 3), (3, 1, 2), (1001,)]
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e7, 1e16, 1e20, 3.0, np.nan, np.inf, -np.inf, 0.1]
    for dt in ["G", ">G"]:
        d = np.dtype(dt)
        for si, shape in enumerate(shapes):
            n = int(np.prod(shape)) if shape else 1
            for k in range(2):
                mr, mi = modes[(si + k) % len(modes)], modes[(si + 3 * k + 1) % len(modes)]
                re = random_floats(rng, "f8", n, mr).astype(g)
                im = random_floats(rng, "f8", n, mi).astype(g)
                if k == 1:
                    re, im = re / 3, im / 7  # digits a double cannot hold
                    if n > 1:
                        im[::2] = 0
                v = np.empty(n, dtype=d)
                v.real, v.imag = re, im
                cls = "array" if (si + k) % 2 else "memmap"
                c.array(f"clongdouble-{dt}-{mr}-{mi}-{k}-{'x'.join(map(str, shape)) or '0d'}", v.reshape(shape),
                        dt, shape, cls)
        for i, re in enumerate(specials):
            for j, im in enumerate(specials):
                if (i * 5 + j) % 3:
                    continue
                v = np.empty(1, dtype=d)
                v.real, v.imag = g(re) / (3 if i % 2 else 1), g(im) / (7 if j % 2 else 1)
                c.scalar(f"scalar-{dt}-{i}-{j}", v.tobytes(), dt)
        pool = np.array(specials, dtype=g)
        v = np.empty(12, dtype=d)
        v.real, v.imag = pool[rng.integers(0, len(pool), 12)], pool[rng.integers(0, len(pool), 12)] / 3
        c.array(f"clongdouble-{dt}-specials", v.reshape(3, 4), dt, (3, 4), "array")
        for i in range(16):
            raw = bytearray(rng.integers(0, 256, size=32, dtype=np.uint8).tobytes())
            for h in (0, 16):
                raw[h + 7] |= 0x80
                if i % 4 == 0:
                    raw[h + 9] = (raw[h + 9] & 0x80) | 0x3f
                raw[h + 10:h + 16] = bytes(6)
            if d.byteorder == ">":
                raw = raw[:16][::-1] + raw[16:][::-1]
            raw = bytes(raw)
            c.scalar(f"scalar-{dt}-bits-{i}", raw, dt)
            if i % 4 == 0:
                c.raw_array(f"clongdouble-{dt}-bits-{i}", raw * 3, dt, (3,))


def complex_cases(c, rng):
    """complex64/complex128 (both byte orders): real and imaginary parts formatted apart."""
    modes = ["normal", "wide", "ints", "uniform", "bits", "pool", "mixed"]
    shapes = [(), (1,), (4,), (7,), (2, 3), (3, 1, 2), (1001,), (30, 40)]
    for dt in ["c8", "c16", ">c8", ">c16"]:
        d = np.dtype(dt)
        part = np.dtype(d.str.replace("c", "f").replace("8", "4") if d.itemsize == 8
                        else d.str.replace("c16", "f8"))
        for si, shape in enumerate(shapes):
            n = int(np.prod(shape)) if shape else 1
            for k in range(2):
                mr, mi = modes[(si + k) % len(modes)], modes[(si + 3 * k + 1) % len(modes)]
                re = random_floats(rng, part.str, n, mr).astype(np.float64)
                im = random_floats(rng, part.str, n, mi).astype(np.float64)
                if k == 1 and n > 1:
                    im[::2] = 0.0  # real-valued elements next to complex ones
                v = (re + 1j * im).astype(d)
                cls = "array" if (si + k) % 2 else "memmap"
                c.array(f"complex-{dt}-{mr}-{mi}-{'x'.join(map(str, shape)) or '0d'}", v, dt, shape, cls)
        specials = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e7, 1e16, 1e20, 3.0, np.nan, np.inf, -np.inf, 0.1]
        for i, re in enumerate(specials):
            for j, im in enumerate(specials):
                if (i * 7 + j) % 3:
                    continue
                raw = np.array([complex(re, im)], dtype=np.complex128).astype(d).tobytes()
                c.scalar(f"scalar-{dt}-{i}-{j}", raw, dt)
        pool = np.array(specials)
        v = (pool[rng.integers(0, len(pool), 12)] + 1j * pool[rng.integers(0, len(pool), 12)]).astype(d)
        c.array(f"complex-{dt}-specials", v, dt, (3, 4), "array")


def sweep(n, out):
    """Many random bit-pattern cases, for a local, uncommitted cross-check of the float digits."""
    rng = np.random.default_rng(12345)
    c = Cases()
    for i in range(n):
        dt = ["f4", "f8"][i % 2]
        k = int(rng.integers(1, 5))
        mode = ["bits", "wide", "pool", "normal"][int(rng.integers(0, 4))]
        v = random_floats(rng, dt, k, mode)
        c.array(f"sweep-{i}", v, dt, cls="array")
        c.scalar(f"sweep-s-{i}", v[:1].tobytes(), dt)
    # Random layouts: every dtype, 1-d to 3-d, some past the summarisation threshold.
    for i in range(n // 20):
        dt = ALL_DTYPES[int(rng.integers(0, len(ALL_DTYPES)))]
        d = np.dtype(dt)
        ndim = int(rng.integers(1, 4))
        big = rng.random() < 0.3
        shape = tuple(int(x) for x in rng.integers(1, (1500 if big else 12) ** (1 / ndim) + 2, size=ndim))
        size = int(np.prod(shape))
        if d.kind == "f":
            v = random_floats(rng, dt, size, ["bits", "wide", "pool", "normal", "mixed", "ints"][i % 6])
        elif d.kind == "b":
            v = rng.integers(0, 2, size=size).astype(bool)
        else:
            v = random_ints(rng, dt, size, ["small", "full", "digits"][i % 3])
        c.array(f"sweep-layout-{i}", v, dt, shape, "array" if i % 2 else "memmap")
    with open(out, "w") as fh:
        json.dump({"numpy": np.__version__, "cases": c.cases}, fh)
    print(f"{len(c.cases)} sweep cases -> {out}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--sweep":
        sweep(int(sys.argv[2]), sys.argv[3])
        return
    rng = np.random.default_rng(20260126)
    c = Cases()
    gen(c, rng)
    ids = [x["id"] for x in c.cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    # One case per line keeps the file compact and its diffs readable.
    with open(OUT, "w") as fh:
        fh.write('{"numpy": "%s", "cases": [\n' % np.__version__)
        fh.write(",\n".join(json.dumps(x, sort_keys=True) for x in c.cases))
        fh.write("\n]}\n")
    n_arr = sum(1 for x in c.cases if x["kind"] == "array")
    print(f"{len(c.cases)} cases ({n_arr} arrays, {len(c.cases) - n_arr} scalars) -> {OUT}")


if __name__ == "__main__":
    main()

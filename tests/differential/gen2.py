"""A second lesson generator, written apart from gen.py, for what gen.py does not sample.

Same interface as gen.py (`generate(seed, exclude)`, `KNOWN_TAGS`, `to_yaml(lesson)`), so run.py, compare.py,
shrink.py and npinterp.py run its lessons unchanged (`run.py --gen gen2`). Its lessons carry `"_gen": "gen2"`, which
compare.py uses to write them with this module's `to_yaml` (the key itself is never written).

Where gen.py draws small arrays, offsets of a few bytes and short lessons, gen2 draws:
- lesson *families*: variations of the built-in scenarios (create / fill / flush / reopen / read back), long chains
  of stores and reads through views of one N-d array (C or F order, negative steps, `...` and `None` anywhere),
  two names mapping one file with different dtypes and offsets (aliasing), raw bytes written by another process
  into float/complex/longdouble arrays (every bit pattern: subnormals, NaN payloads, unnormals) and then printed,
  file geometry (offsets at and across page boundaries, shapes inferred from the file, growth, short files), and
  teacher mistakes (writes through `r`, out-of-range indexes, shape mismatches, use after close, reopen of a name
  that is still open);
- every dtype spelling NumPy accepts for the kinds the format has (names, codes, byte orders `< > = |`, sized codes);
- values of every form: YAML scalars written the way YAML writers do (`.inf`, `-.inf`, `.nan`, `1.0e+20`, hex and
  octal ints), full-precision random doubles (`repr` of random bit patterns), subnormals, boundaries of every
  integer type +-1, nested lists, NumPy constructors and scalar casts, arithmetic mixing them, complex literals
  (`1+2j`);
- YAML in several styles: block and flow mappings, double- and single-quoted and plain strings.
"""

import json
import math
import random
import struct

import numpy as np

KNOWN_TAGS = {
    "complex_literal": "Python complex literals (`2j`, `1.5-3j`) in values",
    "hex_literal": "Python hex/octal/binary int literals (`0x1f`) inside value expressions",
    "yaml_bigint": "YAML-native integers beyond 64 bits as values",
    "reopen_open": "reopen of a name that is still open (NumPy simply rebinds it)",
    "raw_bytes": "external_write of random bytes into float/complex/longdouble arrays",
    "page_offset": "offsets at and beyond the 4096-byte page",
    "alias": "two names mapping one file with different dtypes or offsets",
    "mistakes": "writes through mode r, out-of-range indexes, shape mismatches, use after close",
    "longdouble": "longdouble / clongdouble dtypes",
    "float16": "float16 dtypes",
    "complex": "complex64 / complex128 dtypes",
    "npy": "load / open_memmap",
    "yaml_style": "YAML spellings: .inf/.nan, exponent floats, flow mappings, single quotes",
    "removed_alias": "dtype aliases NumPy 2 removed (int0, bool8): NumPy's own TypeError",
    "call_forms": "keyword/positional call forms (np.zeros(shape=3), np.arange(stop=3), positional dtype, dtype=None, "
                  "tuples) and NumPy's TypeErrors for bad keywords, missing and extra arguments",
}

# dtype spellings by kind (every one NumPy 2.4 accepts for the kinds the lesson format has)
INT_SPELL = {
    "int8": ["int8", "i1", "b", "byte", "|i1", "=i1", "<i1", ">i1"],
    "uint8": ["uint8", "u1", "B", "ubyte", "|u1", "=u1", ">u1"],
    "int16": ["int16", "i2", "h", "short", "<i2", ">i2", "=h", ">h"],
    "uint16": ["uint16", "u2", "H", "ushort", "<u2", ">u2", ">H"],
    "int32": ["int32", "i4", "i", "intc", "<i4", ">i4", "=i", ">i"],
    "uint32": ["uint32", "u4", "I", "uintc", "<u4", ">u4", ">I"],
    "int64": ["int64", "i8", "l", "long", "int", "int_", "intp", "p", "n", "<i8", ">i8", "=l", ">q", "q",
              "longlong", "<q"],
    "uint64": ["uint64", "u8", "L", "ulong", "uint", "uintp", "P", "N", "<u8", ">u8", "Q", "ulonglong", ">Q"],
    "bool": ["bool", "?", "b1", "|b1", "bool_", "=?", ">?", "<b1"],
}
FLOAT_SPELL = {
    "float32": ["float32", "f4", "f", "single", "<f4", ">f4", "=f", ">f", "<f"],
    "float64": ["float64", "f8", "d", "double", "float", "<f8", ">f8", "=d", ">d", "<d"],
}
F16_SPELL = ["float16", "f2", "e", "half", "<f2", ">f2", "=e", ">e"]
COMPLEX_SPELL = ["complex64", "c8", "F", "csingle", "<c8", ">c8", ">F", "complex128", "c16", "D", "cdouble",
                 "complex", "<c16", ">c16", "=D", ">D"]
LD_SPELL = ["longdouble", "g", "float128", "f16", "<f16", ">f16", "=g", ">g", "clongdouble", "G", "complex256",
            "c32", ">c32", ">G", "=G"]
REMOVED = ["int0", "uint0", "bool8", "float_", "cfloat", "Float64", "f3", "i16", "float96"]

NP_CASTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
            "bool_", "byte", "ubyte", "short", "ushort", "intc", "uintc", "int_", "intp", "uintp", "longlong",
            "ulonglong", "long", "ulong", "single", "double"]
NP_CASTS_F16 = ["float16", "half"]
NP_CASTS_C = ["complex64", "complex128", "csingle", "cdouble"]
NP_CASTS_LD = ["longdouble", "float128", "clongdouble", "complex256"]

PAGE = 4096


def nbytes(dt, shape):
    n = 1
    for d in shape:
        n *= d
    return n * np.dtype(dt).itemsize


def prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Gen2:
    def __init__(self, seed, exclude=()):
        self.r = random.Random(seed ^ 0x6E32)  # not gen.py's stream for the same seed
        self.ex = set(exclude)
        self.files = {}  # name -> size in bytes (belief)
        self.vars = {}  # name -> dict(file, dtype, shape, offset, order, mode, bound, kw)
        self.steps = []
        self.opened = set()  # names an `open` step created (the validator needs one before reopen/close)

    # ---- helpers ----
    def ok(self, tag):
        return tag not in self.ex

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(list(seq))

    def bound(self):
        return [v for v, s in self.vars.items() if s["bound"]]

    def live_end(self, fname, but=None):
        """The furthest byte any bound mapping of `fname` reaches (page-rounded: NumPy maps whole pages)."""
        end = 0
        for v, s in self.vars.items():
            if s["bound"] and s["file"] == fname and v != but:
                e = s["offset"] + nbytes(s["dtype"], s["shape"])
                end = max(end, e)
        return end

    # ---- dtypes ----
    def dtype_spelling(self, families=None):
        fams = families or ["int", "int", "float", "float", "bool"]
        if families is None:
            if self.ok("float16"):
                fams.append("f16")
            if self.ok("complex"):
                fams.append("complex")
            if self.ok("longdouble") and self.chance(0.5):
                fams.append("ld")
        f = self.pick(fams)
        if f == "int":
            base = self.pick([k for k in INT_SPELL if k != "bool"])
            return self.pick(INT_SPELL[base])
        if f == "bool":
            return self.pick(INT_SPELL["bool"])
        if f == "float":
            return self.pick(FLOAT_SPELL[self.pick(["float32", "float64"])])
        if f == "f16":
            return self.pick(F16_SPELL)
        if f == "complex":
            return self.pick(COMPLEX_SPELL)
        return self.pick(LD_SPELL)

    def cast_name(self):
        pool = list(NP_CASTS)
        if self.ok("float16"):
            pool += NP_CASTS_F16
        if self.ok("complex"):
            pool += NP_CASTS_C
        if self.ok("longdouble"):
            pool += NP_CASTS_LD
        return self.pick(pool)

    # ---- scalars ----
    def int_boundary(self, dt=None):
        dt = np.dtype(dt) if dt is not None else np.dtype(self.pick(["int8", "uint8", "int16", "uint16", "int32",
                                                                      "uint32", "int64", "uint64"]))
        if dt.kind not in "iu":
            dt = np.dtype(self.pick(["int8", "uint16", "int32", "int64"]))
        info = np.iinfo(dt)
        v = self.pick([info.min, info.max, info.min - 1, info.max + 1, 0, -1, info.max // 2])
        if not self.ok("yaml_bigint") and not (-(2**63) <= v < 2**64):
            v = info.max
        return v

    def random_double(self):
        k = self.r.random()
        if k < 0.3:  # a random bit pattern (finite)
            while True:
                b = self.r.getrandbits(64)
                x = struct.unpack("<d", struct.pack("<Q", b))[0]
                if math.isfinite(x):
                    return x
        if k < 0.55:
            return self.r.uniform(-1, 1) * 10 ** self.r.randint(-12, 12)
        if k < 0.7:
            return self.pick([5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
                              1e308, 1e-308, 1.401298464324817e-45, 3.4028234663852886e38, 3.4028235677973366e38,
                              65504.0, 65520.0, 6.103515625e-05, 5.960464477539063e-08, 0.1, 0.2, 0.3, 1 / 3,
                              2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64, -(2.0**63), 4294967296.0, 2147483647.5,
                              0.5, 1.5, 2.5, -0.5, 255.5, 256.0, -128.5, 1e16, 123456789.0, 9.999999e-05])
        if k < 0.85:
            return float(self.r.randint(-300, 300)) / self.pick([1, 2, 4, 8, 10, 3, 7])
        return self.r.uniform(-1e6, 1e6)

    def float_text(self, x):
        """A Python spelling of float x (finite)."""
        t = repr(x)
        if self.chance(0.2) and "e" not in t and "." in t:
            t = t.rstrip("0") if not t.endswith(".0") else t[:-1]  # `2.` form
        return t

    def py_scalar_text(self, dt=None):
        """A Python-literal scalar expression (text)."""
        k = self.r.random()
        kind = np.dtype(dt).kind if dt is not None else None
        if k < 0.3:
            return str(self.int_boundary(dt if kind in ("i", "u") else None) if self.chance(0.5)
                       else self.r.randint(-20, 300))
        if k < 0.6:
            return self.float_text(self.random_double())
        if k < 0.7:
            return self.pick(["nan", "np.nan", "-np.inf", "np.inf", "inf", "-inf", "-0.0", "np.pi", "-np.e", "NaN",
                              "numpy.inf", "np.NaN" if False else "np.nan"])
        if k < 0.78:
            return self.pick(["True", "False"])
        if k < 0.85 and self.ok("complex_literal"):
            return self.pick(["1j", "2.5j", "1+2j", "-1.5-0.5j", "(3-4j)", "0j", "1e300j", "-0j", "3 + 0j"])
        if k < 0.9 and self.ok("hex_literal"):
            return self.pick(["0x1f", "0xff", "-0x80", "0o17", "0b101", "0X10", "0x7fffffff", "1_000_000"])
        return "np.%s(%s)" % (self.cast_name(), self.py_scalar_text_simple())

    def py_scalar_text_simple(self):
        return self.pick([str(self.r.randint(-200, 300)), self.float_text(self.random_double()), "True", "-1",
                          str(self.int_boundary())])

    def yaml_scalar_native(self, dt=None):
        """A YAML-native scalar (a Python object the YAML writer spells)."""
        k = self.r.random()
        if k < 0.35:
            kind = np.dtype(dt).kind if dt is not None else "i"
            return int(self.int_boundary(dt if kind in "iu" else None)) if self.chance(0.4) else self.r.randint(-9, 99)
        if k < 0.75:
            return self.random_double()
        if k < 0.85 and self.ok("yaml_style"):
            return self.pick([math.inf, -math.inf, math.nan, -0.0])
        return self.pick([True, False])

    # ---- lists and arrays ----
    def nested_list(self, shape, leaf):
        if not shape:
            return leaf()
        return [self.nested_list(shape[1:], leaf) for _ in range(shape[0])]

    def list_text(self, shape, dt=None):
        if not shape:
            return self.py_scalar_text(dt) if self.chance(0.4) else str(self.r.randint(-5, 50))
        return "[" + ", ".join(self.list_text(shape[1:], dt) for _ in range(shape[0])) + "]"

    def shape_text(self, shape):
        if len(shape) == 1 and self.chance(0.5):
            return str(shape[0])
        if self.chance(0.3):
            return "[" + ", ".join(map(str, shape)) + "]"
        return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"

    def dtype_kw(self):
        k = self.r.random()
        if k < 0.08 and self.ok("removed_alias"):
            # NumPy's TypeError when the expression runs (after the receiver / the Python arguments).
            return self.pick(["'%s'" % d for d in REMOVED] + ['"it\'s"'])
        if k < 0.5:
            return "'%s'" % self.dtype_spelling()
        if k < 0.85:
            return "np." + self.cast_name()
        return self.pick(["float", "int", "bool", "complex" if self.ok("complex") else "float"])

    def call_form(self, shape, n, dt):
        """A constructor call in one of the other forms Python binds (keywords, positional dtype, None), or
        one NumPy rejects with its TypeError when it runs."""
        st = self.shape_text([n])
        d = self.dtype_kw()
        lt = self.list_text([n], dt) if n <= 12 else "[%s]" % ", ".join(str(i) for i in range(n))
        good = ["np.zeros(shape=%s)" % st, "np.ones(%s, %s)" % (st, d), "np.zeros(%s, dtype=None)" % st,
                "np.full(shape=%s, fill_value=%s)" % (st, self.py_scalar_text(dt)),
                "np.full(%s, %s, %s)" % (st, self.py_scalar_text(dt), d), "np.arange(stop=%d)" % n,
                "np.arange(1, stop=%d)" % (n + 1), "np.arange(0, %d, 1, %s)" % (n, d),
                "np.arange(%d, dtype=None)" % n,
                "np.linspace(start=%d, stop=%d, num=%d)" % (self.r.randint(-5, 5), self.r.randint(6, 99), n),
                "np.linspace(0, 1, %d, %s)" % (n, self.pick(["True", "False"])),
                "np.linspace(0, stop=2, num=%d, dtype=None)" % n,
                "np.array(%s, %s)" % (lt, d), "np.array(%s, None)" % lt, "np.asarray(a=%s)" % lt,
                "np.array(%s)" % lt.replace("[", "(").replace("]", ",)" if n == 1 else ")"),
                "np.arange(%d).astype(dtype=%s)" % (n, d), "np.arange(%d).astype(None)" % n]
        bad = ["np.zeros(%s, foo=1)" % st, "np.ones(%s, shape=%s)" % (st, st), "np.zeros(%s, shape=%s)" % (st, st),
               "np.full(%s)" % st, "np.full()", "np.arange(start=2)", "np.arange(%d, start=1)" % n,
               "np.linspace(0)", "np.linspace(0, 1, %d, start=0)" % n, "np.array(%s, float, dtype=int)" % lt,
               "np.array(a=%s)" % lt, "np.arange(%d).astype()" % n, "np.arange(%d).astype(float, foo=1)" % n,
               "np.zeros(%s, float, 'C', 1)" % st, "np.asarray(%s, float, 'C', 1, 2)" % lt,
               "np.zeros(%s, foo=np.uint8(300))" % st]
        return self.pick(bad if self.chance(0.3) else good)

    def array_text(self, shape, dt=None, depth=0):
        """A NumPy expression whose value has `shape` (mostly)."""
        n = prod(shape)
        k = self.r.random()
        if depth > 2:
            k = 0.05
        kw = ", dtype=%s" % self.dtype_kw() if self.chance(0.25) else ""
        rs = self.reshape_text(shape)
        if depth <= 2 and self.ok("call_forms") and self.chance(0.06):
            return self.call_form(shape, n, dt) + rs
        if k < 0.18:
            a = self.pick(["np.arange(%d%s)" % (n, kw), "np.arange(%d, %d%s)" % (-n, 0, kw) if n else "np.arange(0)",
                           "np.arange(%d, %d, -1)" % (n, 0), "np.arange(0.5, %d.5)" % n,
                           "np.arange(%s, %s, %s)" % (1, 1 + 3 * n, 3), "np.arange(0, %r, 0.1)" % (n * 0.1 - 0.05)
                           if n else "np.arange(0)"])
            return a + rs
        if k < 0.3:
            return "np.linspace(%s, %s, %d%s%s)" % (self.float_text(self.random_double()) if self.chance(0.3) else
                                                     self.r.randint(-10, 10), self.r.randint(-5, 1000), n,
                                                     self.pick(["", ", endpoint=False", ", endpoint=True"]),
                                                     kw) + rs
        if k < 0.45:
            st = self.shape_text(shape) if shape else "()"
            return self.pick(["np.zeros(%s%s)" % (st, kw), "np.ones(%s%s)" % (st, kw),
                              "np.full(%s, %s%s)" % (st, self.py_scalar_text(dt), kw),
                              "np.full(%s, fill_value=%s)" % (st, self.py_scalar_text(dt))])
        if k < 0.58:
            if n > 40:
                return "np.arange(%d)%s" % (n, rs)
            if self.chance(0.15):
                # np.array of a finished array with dtype=: a cast, not the constructor's own dtype=.
                return "np.array(%s, dtype=%s)" % (self.array_text(shape, dt, depth + 1), self.dtype_kw())
            return "np.%s(%s%s)" % (self.pick(["array", "asarray"]), self.list_text(shape, dt), kw)
        if k < 0.66:
            if n > 40:
                return "np.ones(%s)" % (self.shape_text(shape) if shape else "()")
            return self.list_text(shape, dt)
        if k < 0.74:
            return "%s.astype(%s)" % (self.paren(self.array_text(shape, dt, depth + 1)), self.dtype_kw())
        if k < 0.8:
            return "np.%s(%s)" % (self.cast_name(), self.array_text(shape, dt, depth + 1))
        # arithmetic: array op scalar / array op array (maybe broadcast) / unary
        a = self.array_text(shape, dt, depth + 1)
        op = self.pick(["+", "-", "*", "/", "*", "+"])
        if self.chance(0.5):
            b = self.py_scalar_text(dt)
        elif self.chance(0.5) and shape:
            b = self.array_text(shape[1:] if self.chance(0.5) else [1] + list(shape[1:]), dt, depth + 1)
        else:
            b = self.array_text(shape, dt, depth + 1)
        if self.chance(0.12):
            return "-" + self.paren(a)
        if self.chance(0.5):
            a, b = b, a
        if op == "*":  # a bare list times an int repeats it (a billion-element list for a big int)
            a, b = ["np.array(%s)" % x if x.startswith("[") else x for x in (a, b)]
        return "%s %s %s" % (self.paren(a), op, self.paren(b) if self.chance(0.6) else b)

    def reshape_text(self, shape):
        if len(shape) <= 1 and self.chance(0.7):
            return ""
        dims = list(shape)
        if dims and self.chance(0.4):
            dims[self.r.randrange(len(dims))] = -1
        if self.chance(0.5):
            return ".reshape(%s)" % ", ".join(map(str, dims)) if dims else ".reshape(())"
        return ".reshape(%s)" % ("(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")")

    def paren(self, t):
        return "(" + t + ")"

    def value_for(self, shape, dt):
        """A value to store into a target of `shape` and dtype `dt`."""
        k = self.r.random()
        if k < 0.18:
            return self.yaml_scalar_native(dt)
        if k < 0.38:
            return self.py_scalar_text(dt)
        vshape = list(shape)
        if self.chance(0.15) and vshape:
            vshape = vshape[self.r.randint(1, len(vshape)):]  # broadcast from trailing axes
        elif self.chance(0.1):
            vshape = [1] + vshape
        elif self.chance(0.06) and self.ok("mistakes"):
            vshape = [self.r.randint(0, 5)] + vshape[1:]  # likely a broadcast error
        if self.chance(0.2) and prod(vshape) <= 24 and all(vshape):
            leaf = lambda: self.yaml_scalar_native(dt)  # noqa: E731
            if self.chance(0.5):
                leaf = lambda: self.r.randint(-3, 120)  # noqa: E731
            return self.nested_list(vshape, leaf)
        return self.array_text(vshape, dt)

    # ---- indexes ----
    def index_text(self, var, shape, simple=False):
        nd = len(shape)
        parts = []
        if not simple and self.chance(0.08):
            body = self.pick([":", "...", "()", ":, ...", "..., :", "::", "::-1" if nd else ":"])
            return self.wrap_index(var, body)
        nuse = nd if self.chance(0.6) else self.r.randint(0, nd)
        for i in range(nuse):
            d = shape[i]
            k = self.r.random()
            if k < 0.35 and d > 0:
                parts.append(str(self.r.randrange(d) if self.chance(0.6) else -self.r.randint(1, d)))
            elif k < 0.4 and self.ok("mistakes"):
                parts.append(str(self.pick([d, -d - 1, d + 7, 2**31])))
            else:
                parts.append(self.slice_text(d))
        if not simple:
            if self.chance(0.25):
                parts.insert(self.r.randrange(len(parts) + 1), "...")
            for _ in range(self.r.randint(0, 2) if self.chance(0.25) else 0):
                parts.insert(self.r.randrange(len(parts) + 1), self.pick(["None", "np.newaxis", "numpy.newaxis"]))
        if not parts:
            parts = [":"]
        body = ", ".join(parts) if self.chance(0.8) else ",".join(parts)
        if len(parts) == 1 and self.chance(0.15):
            body += ","
        if self.chance(0.05) and len(parts) > 1 and not any(":" in p for p in parts):
            body = "(" + body + ")"  # a tuple in parentheses (Python allows no slice inside one)
        return self.wrap_index(var, body)

    def wrap_index(self, var, body):
        if self.chance(0.1):
            body = " " + body + " "
        return ("%s[%s]" % (var, body)) if self.chance(0.5) else "[%s]" % body

    def slice_text(self, d):
        k = self.r.random()
        if k < 0.2:
            return ":"
        if k < 0.45:  # negative step
            start = self.pick(["", str(d - 1), "-1", str(self.r.randint(-d - 2, d + 2)), str(d + 10)])
            stop = self.pick(["", "", str(self.r.randint(-d - 2, d)), "-%d" % (d + 5), "0"])
            return "%s:%s:%s" % (start, stop, self.pick(["-1", "-1", "-2", "-3", str(-d - 1) if d else "-1"]))
        start = self.pick(["", str(self.r.randint(-d - 1, d + 1)), "0", "-2"])
        stop = self.pick(["", str(self.r.randint(-d - 1, d + 3)), str(d), "-1", "100"])
        step = self.pick(["", "", "1", "2", "3", str(d + 1)])
        return "%s:%s%s" % (start, stop, (":" + step) if step or self.chance(0.2) else "")

    @staticmethod
    def result_shape(shape, idx):
        body = idx[idx.index("["):]
        try:
            x = np.empty(shape, dtype=np.uint8)
            return list(eval("x" + body, {"x": x, "np": np, "numpy": np}).shape)
        except Exception:
            return None

    # ---- steps ----
    def add(self, st):
        self.steps.append(st)
        return st

    def open_step(self, var, fname=None, mode=None, dt=None, shape=None, offset=None, order=None, keys=None):
        """An `open` with the given (or random) parts; updates beliefs as NumPy would."""
        r = self.r
        fname = fname or self.pick(["a.dat", "a.dat", "b.dat", "big.dat"] * 4 + ["data/c.dat"])
        exists = fname in self.files
        dt = dt or self.dtype_spelling()
        try:
            isz = np.dtype(dt).itemsize
            bad_dtype = False
        except TypeError:
            isz, bad_dtype = 1, True  # NumPy's TypeError when the call runs (after w+ truncated the file)
        if mode is None:
            mode = "w+" if not exists or self.chance(0.3) else self.pick(["r+", "r", "c", "readonly", "readwrite",
                                                                          "copyonwrite", "r+", "write"])
        short = {"readonly": "r", "readwrite": "r+", "write": "w+", "copyonwrite": "c"}.get(mode, mode)
        if offset is None:
            offset = 0
            if self.chance(0.25):
                offset = self.pick([1, 3, 8, 100, 4095, 4096, 4097, 8192, 5000, 12288 + 8] if self.ok("page_offset")
                                   else [1, 3, 8, 100])
        if shape is None and (short == "w+" or self.chance(0.4)):
            k = r.random()
            if k < 0.3:
                shape = [r.randint(1, 12)]
            elif k < 0.55:
                shape = [r.randint(1, 5), r.randint(1, 5)]
            elif k < 0.7:
                shape = [r.randint(1, 4), r.randint(1, 4), r.randint(1, 3)]
            elif k < 0.75:
                shape = [r.randint(1, 3), 1, r.randint(1, 3), 2]
            elif k < 0.85:
                shape = self.pick([[1001], [40, 30], [2, 700], [1200], [3, 400], [PAGE // isz + 1], [5, 5, 50]])
            elif k < 0.92:
                shape = self.pick([[0], [3, 0], [], [1], [0, 2]])
            else:
                shape = [r.randint(1, 8)]
            if short in ("r", "c") and exists:
                avail = max(0, (self.files[fname] - offset) // isz)
                if self.chance(0.8) and avail > 0:
                    shape = [self.r.randint(1, avail)] if self.chance(0.5) else [avail]
        if short == "w+" and shape is not None and exists:
            new = max(offset + nbytes(dt, shape), 1)
            if new < self.live_end(fname, but=var):
                short = mode = "r+"  # w+ would shrink the file under another live mapping: SIGBUS in NumPy
        if short == "w+" and exists and self.live_end(fname, but=var) > 0 and shape is None:
            short = mode = "r+"
        st = {"op": "open", "var": var, "file": fname}
        if dt != "uint8" or self.chance(0.5):
            st["dtype"] = dt
        if mode != "r+" or self.chance(0.5):
            st["mode"] = mode
        if offset or self.chance(0.05):
            st["offset"] = offset
        if shape is not None:
            form = r.random()
            if len(shape) == 1 and form < 0.4:
                st["shape"] = shape[0]
            elif form < 0.75:
                st["shape"] = list(shape)
            else:
                st["shape"] = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
        if order is None and len(shape or []) > 1 and self.chance(0.35):
            order = self.pick(["F", "F", "C", "A", "K", "f"])
        if order is not None:
            st["order"] = order
        if keys:
            st.update(keys)
        # beliefs: does NumPy bind it, and what does the file become?
        ok = True
        missing_dir = fname.startswith("data/") and "data" not in self.dirs()
        if missing_dir or bad_dtype:
            ok = False
            if bad_dtype and short == "w+" and not missing_dir:
                self.files[fname] = 0
        elif short == "w+":
            if shape is None:
                ok = False
            else:
                self.files[fname] = max(offset + nbytes(dt, shape), 1)
        elif not exists:
            ok = False
        else:
            size = self.files[fname]
            if shape is None:
                avail = size - offset
                if avail < 0 or avail % isz:
                    ok = False
                else:
                    shape = [avail // isz]
                    if short in ("r", "c") and size == 0:
                        ok = False
            if ok:
                end = offset + nbytes(dt, shape)
                if short in ("r", "c"):
                    start = offset - offset % PAGE
                    ln = end - start
                    if ln == 0 and start > 0:
                        start -= PAGE
                        ln += PAGE
                    if ln == 0 or start > size or size - start < ln:
                        ok = False
                else:
                    self.files[fname] = max(size, end, 1)
        if ok:
            if var in self.vars and self.vars[var]["bound"]:
                pass  # rebinding drops the old mapping
            self.vars[var] = dict(file=fname, dtype=dt, shape=list(shape), offset=offset, mode=short, bound=True,
                                  kw=st)
        self.opened.add(var)
        return self.add(st)

    def dirs(self):
        return {f.split("/")[0] for f in self.files if "/" in f}

    def assign(self, var, idx=None, value=None, op="assign"):
        s = self.vars[var]
        idx = idx or self.index_text(var, s["shape"])
        rs = self.result_shape(s["shape"], idx)
        st = {"op": op, "var": var}
        if idx not in ("[:]",) or self.chance(0.3):
            st["index"] = idx
        st["value"] = value if value is not None else self.value_for(rs if rs is not None else s["shape"], s["dtype"])
        if idx.startswith(var + "[") and self.chance(0.4):
            del st["var"]
        elif var == "arr" and self.chance(0.3):
            del st["var"]
        return self.add(st)

    def read(self, var, idx=None):
        s = self.vars[var]
        st = {"op": "read", "var": var, "index": idx or self.index_text(var, s["shape"])}
        if st["index"].startswith(var + "[") and self.chance(0.4):
            del st["var"]
        return self.add(st)

    def close(self, var):
        self.add({"op": "close", "var": var})
        if var in self.vars:
            self.vars[var]["bound"] = False

    def reopen(self, var, mode=None):
        """Reopen with the previous open's keys and a new mode (beliefs as for open)."""
        s = self.vars[var]
        mode = mode or self.pick(["r", "r+", "c", "readonly", "readwrite", "copyonwrite"])
        st = {"op": "reopen", "var": var}
        if mode != "r+" or self.chance(0.5):
            st["mode"] = mode
        short = {"readonly": "r", "readwrite": "r+", "write": "w+", "copyonwrite": "c"}.get(mode, mode)
        size = self.files.get(s["file"], 0)
        end = s["offset"] + nbytes(s["dtype"], s["shape"])
        ok = True
        if short in ("r", "c"):
            start = s["offset"] - s["offset"] % PAGE
            ln = end - start
            if ln == 0 and start > 0:
                start -= PAGE
                ln += PAGE
            ok = not (ln == 0 or start > size or size - start < ln)
            if "shape" not in s["kw"]:
                ok = ok and size > s["offset"] and (size - s["offset"]) % np.dtype(s["dtype"]).itemsize == 0
        elif short == "w+":
            if self.live_end(s["file"], but=var) > max(end, 1) or "shape" not in s["kw"]:
                return None
            self.files[s["file"]] = max(end, 1)
        else:
            self.files[s["file"]] = max(size, end, 1)
        if ok:
            s["mode"] = short
            s["bound"] = True
        return self.add(st)

    def external_write(self, var, raw=False):
        s = self.vars[var]
        st = {"op": "external_write", "var": var}
        dt = np.dtype(s["dtype"])
        total = nbytes(dt, s["shape"])
        if raw or self.chance(0.5):
            n = self.r.randint(1, max(1, min(total, 96))) if total else self.r.randint(1, 8)
            off = s["offset"] + (self.r.randrange(max(1, total - n + 1)) if total > n else 0)
            if self.chance(0.5) and total:
                off = s["offset"]  # align to the first element
                n = min(total, dt.itemsize * self.r.randint(1, 8))
            st["offset"] = off
            st["bytes"] = " ".join("%02x" % b for b in self.raw_bytes(n, dt))
        else:
            off = s["offset"] + dt.itemsize * self.r.randint(0, max(0, prod(s["shape"]) - 1))
            if off:
                st["offset"] = off
            vals = [self.ext_value(dt) for _ in range(self.r.randint(1, 3))]
            st["value"] = vals[0] if len(vals) == 1 and self.chance(0.5) else vals
        end = st.get("offset", 0) + (len(st["bytes"].split()) if "bytes" in st else
                                     dt.itemsize * (len(st["value"]) if isinstance(st["value"], list) else 1))
        self.files[s["file"]] = max(self.files.get(s["file"], 0), end)
        return self.add(st)

    def ext_value(self, dt):
        if dt.kind == "b":
            return self.pick([True, False])
        if dt.kind in "iu":
            info = np.iinfo(dt)
            return self.r.randint(max(info.min, -1000), min(info.max, 100000))
        if dt.kind == "c":
            return self.pick([1.5, -2.0, 0.25])
        return self.pick([1.5, -0.5, 3.25, 1e10, 0.1, 65504.0 if dt.itemsize == 2 else 1e30])

    def raw_bytes(self, n, dt):
        """Bytes for another process to write: random patterns, or crafted edge values of dt."""
        out = bytearray()
        while len(out) < n:
            k = self.r.random()
            if k < 0.5 or dt.kind not in "fc":
                out += bytes(self.r.getrandbits(8) for _ in range(dt.itemsize))
            else:
                out += self.crafted(dt)
        return bytes(out[:n])

    def crafted(self, dt):
        """One element of a float/complex dtype with an edge bit pattern (subnormal, NaN payload, inf, max, -0)."""
        part = np.dtype(dt.char.lower() if dt.kind == "c" and dt.itemsize != 32 else dt)
        if dt.kind == "c":
            part = np.dtype({8: "f4", 16: "f8", 32: "g"}[dt.itemsize]).newbyteorder(dt.byteorder if dt.byteorder
                                                                                    in "<>" else "=")
        vals = []
        for _ in range(2 if dt.kind == "c" else 1):
            x = self.pick([np.inf, -np.inf, np.nan, -0.0, 0.0])
            if part.itemsize == 16:  # x87: random exponent/significand, maybe unnormal
                raw = bytearray(self.r.getrandbits(8) for _ in range(10)) + bytes(6)
                if self.chance(0.5):
                    raw[7] |= 0x80  # integer bit set: a normal number
                b = bytes(raw)
                if part.byteorder == ">":
                    b = bytes(reversed(b[:10])) + bytes(6) if False else bytes(6) + bytes(reversed(b[:10]))
                vals.append(b)
                continue
            if self.chance(0.6):
                bits = part.itemsize * 8
                mant = {16: 10, 32: 23, 64: 52}[bits]
                e = self.pick([0, 0, (1 << (bits - mant - 1)) - 1, 1, self.r.randrange(1 << (bits - mant - 1))])
                m = self.r.getrandbits(mant) if self.chance(0.8) else self.pick([0, 1, (1 << mant) - 1])
                sign = self.r.getrandbits(1)
                u = (sign << (bits - 1)) | (e << mant) | m
                vals.append(u.to_bytes(part.itemsize, "big" if part.byteorder == ">" else "little"))
            else:
                vals.append(np.array([x], dtype=part).tobytes())
        return b"".join(vals)

    def scan(self, var):
        """`scan`: count_nonzero chunk by chunk over a view (release keep/dontneed only on shared maps: MADV_DONTNEED
        drops a copy-on-write map's private pages, and `recreate` reads the file, not them)."""
        s = self.vars[var]
        st = {"op": "scan", "var": var}
        idx = self.index_text(var, s["shape"], simple=True)
        rs = self.result_shape(s["shape"], idx)
        if rs is None or len(rs) == 0:
            idx, rs = "[:]", s["shape"]
        if len(rs) == 0:
            return None
        if idx != "[:]" or self.chance(0.5):
            st["index"] = idx
        st["chunk"] = self.r.randint(1, max(1, rs[0] + 1))
        if s["mode"] in ("r+", "w+") and self.chance(0.5):
            st["release"] = self.pick(["keep", "dontneed", "recreate"])
        if self.chance(0.3):
            st["summary"] = self.pick([True, False])
        return self.add(st)

    def external_read(self, var):
        s = self.vars[var]
        st = {"op": "external_read", "var": var}
        if self.chance(0.6):
            st["offset"] = s["offset"] + self.r.randint(0, 8)
        if self.chance(0.7):
            st["length"] = self.pick([1, 4, 8, 16, 24, 40, 100])
        if self.chance(0.2):
            st["dtype"] = self.dtype_spelling(["int", "float"])
        return self.add(st)

    # ---- lesson families ----
    def fam_scenario(self):
        """Like the built-in lessons: create, fill, flush, close, reopen, read back, outside processes."""
        v = self.pick(["arr", "data", "arr"])
        dt = self.dtype_spelling()
        shape = self.pick([[3, 3], [4], [2, 3], [10], [2, 2, 2], [1000], [1001], [64, 64], [5, 4]])
        self.open_step(v, fname=self.pick(["large_data.dat", "a.dat"]), mode=self.pick(["w+", "write"]), dt=dt,
                       shape=shape)
        if not self.vars.get(v, {}).get("bound"):
            return
        self.assign(v, idx="[:]", value=self.pick([
            "np.arange(%d)%s" % (prod(shape), ".reshape(%s)" % ", ".join(map(str, shape)) if len(shape) > 1 else ""),
            "np.linspace(0, 1, %d)%s" % (prod(shape), ".reshape(%s)" % ", ".join(map(str, shape))
                                         if len(shape) > 1 else ""),
            self.array_text(shape, dt)]))
        for _ in range(self.r.randint(1, 8)):
            k = self.r.random()
            if not self.vars[v]["bound"]:
                if self.chance(0.7):
                    self.reopen(v)
                else:
                    self.open_step(v, fname=self.vars[v]["file"], mode=self.pick(["r", "c", "r+"]))
                continue
            if k < 0.25:
                self.assign(v)
            elif k < 0.45:
                self.read(v)
            elif k < 0.55:
                self.add({"op": "flush", "var": v})
            elif k < 0.7:
                self.close(v)
            elif k < 0.8:
                self.external_write(v)
            elif k < 0.88:
                self.external_read(v)
            elif k < 0.94 and self.vars[v]["mode"] != "r":
                st = self.assign(v, op="crash")
                st.setdefault("var", v)
            else:
                self.add({"op": self.pick(["flush_async", "evict", "wait_writeback"]), "var": v,
                          **({"timeout": 0.1} if False else {})})
                if self.steps[-1]["op"] == "wait_writeback":
                    self.steps[-1]["timeout"] = 0.1
                if self.steps[-1]["op"] == "evict":
                    self.steps[-1:] = [{"op": "flush", "var": v}, self.steps[-1]]
                    if self.vars[v]["mode"] == "c" or len([x for x in self.bound()
                                                           if self.vars[x]["file"] == self.vars[v]["file"]]) > 1:
                        self.steps.pop()

    def fam_views(self):
        """A long chain of stores and reads through views of one N-d array."""
        v = self.pick(["arr", "m", "grid"])
        dt = self.dtype_spelling()
        nd = self.pick([1, 2, 2, 3, 3, 4])
        shape = [self.r.randint(1, 5) for _ in range(nd)]
        order = self.pick([None, "F", "C", "F"]) if nd > 1 else None
        self.open_step(v, fname="v.dat", mode="w+", dt=dt, shape=shape, order=order)
        if not self.vars.get(v, {}).get("bound"):
            return
        for _ in range(self.r.randint(8, 30)):
            if not self.vars[v]["bound"]:
                break
            k = self.r.random()
            if k < 0.55:
                self.assign(v)
            elif k < 0.9:
                self.read(v)
            elif k < 0.93:
                self.add({"op": "flush", "var": v})
            elif k < 0.945:
                self.scan(v)
            elif k < 0.96:
                self.external_write(v)
            else:
                st = self.assign(v, op="fork_write")
                st.setdefault("var", v)

    def fam_alias(self):
        """Two (or three) names over one file: different dtypes, offsets, modes."""
        base = self.dtype_spelling(["int", "float"])
        n = self.r.randint(8, 64)
        self.open_step("a", fname="shared.dat", mode="w+", dt="uint8", shape=[n])
        self.assign("a", idx="[:]", value="np.arange(%d)" % n if self.chance(0.5) else self.array_text([n], "uint8"))
        for name in self.pick([["b"], ["b", "c"]]):
            dt = self.dtype_spelling() if self.chance(0.5) else base
            isz = np.dtype(dt).itemsize
            off = self.pick([0, 0, 1, 2, 4, 8, 3])
            mode = self.pick(["r+", "r", "c", "r+"])
            shape = None if self.chance(0.5) else [max(1, (n - off) // isz // self.pick([1, 2]))]
            if shape is None and ((n - off) % isz):
                shape = [max(1, (n - off) // isz)]
            self.open_step(name, fname="shared.dat", mode=mode, dt=dt, shape=shape, offset=off)
        names = [x for x in ("a", "b", "c") if self.vars.get(x, {}).get("bound")]
        for _ in range(self.r.randint(4, 16)):
            names = [x for x in ("a", "b", "c") if self.vars.get(x, {}).get("bound")]
            if not names:
                break
            v = self.pick(names)
            k = self.r.random()
            if k < 0.4:
                if self.vars[v]["mode"] == "r" and not self.ok("mistakes"):
                    continue
                self.assign(v)
            elif k < 0.75:
                self.read(v)
            elif k < 0.82:
                self.add({"op": "flush", "var": v})
            elif k < 0.9:
                self.external_write(v)
            elif k < 0.95:
                self.close(v)
            else:
                self.add({"op": "read", "var": v, "index": "[...]"})

    def fam_bytes(self):
        """Raw bit patterns written by another process, then printed through the array and its views."""
        fams = ["float"]
        if self.ok("float16"):
            fams.append("f16")
        if self.ok("complex"):
            fams.append("complex")
        if self.ok("longdouble"):
            fams.append("ld")
        dt = self.dtype_spelling(fams)
        shape = self.pick([[4], [8], [3, 2], [2, 2, 2], [6]])
        v = "x"
        self.open_step(v, fname="bits.dat", mode="w+", dt=dt, shape=shape, offset=self.pick([0, 0, 16]))
        if not self.vars.get(v, {}).get("bound"):
            return
        for _ in range(self.r.randint(2, 8)):
            k = self.r.random()
            if k < 0.45 and self.ok("raw_bytes"):
                self.external_write(v, raw=True)
            elif k < 0.75:
                self.read(v)
            elif k < 0.9:
                self.assign(v)
            else:
                self.external_read(v)

    def fam_geometry(self):
        """Offsets across pages, shapes from the file size, growth, short files, r/c on too-short files."""
        fname = self.pick(["g.dat", "g.dat", "h.dat"])
        dt = self.dtype_spelling(["int", "float", "bool"])
        self.open_step("w", fname=fname, mode="w+", dt=self.pick(["uint8", dt]),
                       shape=[self.pick([1, 7, 100, 4095, 4096, 4097, 5000, 8193])])
        for _ in range(self.r.randint(2, 9)):
            k = self.r.random()
            v = self.pick(["w", "g", "h"])
            if k < 0.45:
                offset = self.pick([0, 1, 7, 4095, 4096, 4097, 5000, 8192, 8200, self.files.get(fname, 0),
                                    self.files.get(fname, 0) + 3])
                shape = self.pick([None, None, [1], [3], [0], [2, 2], [10]])
                mode = self.pick(["r", "c", "r+", "r+", "w+", "readonly"])
                if mode == "w+" and shape is None:
                    shape = [2]
                self.open_step(v, fname=fname, mode=mode, dt=self.dtype_spelling(["int", "float", "bool"]),
                               shape=shape, offset=offset if self.ok("page_offset") else offset % 64)
            elif not self.bound():
                continue
            elif k < 0.65:
                v = self.pick(self.bound())
                if self.vars[v]["mode"] != "r" or self.ok("mistakes"):
                    self.assign(v)
            elif k < 0.8:
                self.read(self.pick(self.bound()))
            elif k < 0.88:
                v = self.pick(self.bound())
                s = self.vars[v]
                total = nbytes(s["dtype"], s["shape"])
                if total > 0:
                    self.add({"op": "flush_range", "var": v, "offset": self.r.randrange(total),
                              "length": 1})
                    self.steps[-1]["length"] = self.r.randint(1, total - self.steps[-1]["offset"])
            elif k < 0.94:
                v = self.pick(self.bound())
                s = self.vars[v]
                size = max(self.live_end(s["file"]), self.files.get(s["file"], 0)) + self.pick([0, 1, 4096, 10])
                self.files[s["file"]] = size
                self.add({"op": "truncate", "var": v, "size": size})
            else:
                v = self.pick(self.bound())
                st = {"op": "madvise", "var": v, "advice": self.pick(["MADV_SEQUENTIAL", "MADV_RANDOM",
                                                                      "MADV_WILLNEED", "MADV_NORMAL"])}
                if self.chance(0.5):
                    st["start"] = self.pick([0, 4096, 8192])
                self.add(st)

    def fam_mistakes(self):
        """What a teacher gets wrong: r-mode writes, bad indexes, shape mismatches, use after close, reopen."""
        v = "arr"
        dt = self.dtype_spelling()
        shape = self.pick([[3, 3], [4], [2, 3, 2]])
        self.open_step(v, fname="m.dat", mode="w+", dt=dt, shape=shape)
        self.add({"op": "flush", "var": v})
        for _ in range(self.r.randint(3, 10)):
            k = self.r.random()
            bound = self.vars.get(v, {}).get("bound")
            if k < 0.15:
                self.open_step(v, fname="m.dat", mode=self.pick(["r", "readonly", "c", "r+"]),
                               dt=self.pick([dt, dt, self.dtype_spelling()]),
                               shape=self.pick([None, shape, [prod(shape)], [99]]))
            elif k < 0.2 and self.ok("removed_alias"):
                self.open_step("z", fname="m.dat", mode="r", dt=self.pick(REMOVED), shape=[1])
                self.vars.pop("z", None)
            elif k < 0.3:
                st = {"op": self.pick(["read", "assign", "flush", "close"]), "var": self.pick([v, "ghost", "arr2"])}
                if st["op"] == "read":
                    st["index"] = "[0]"
                if st["op"] == "assign":
                    st["value"] = self.pick([1, "np.arange(3)", 2.5])
                self.add(st)
                if st["op"] == "close" and st["var"] == v:
                    self.vars[v]["bound"] = False
            elif not bound:
                if self.chance(0.6):
                    self.reopen(v)
                else:
                    self.open_step(v, fname="m.dat", mode="r+", dt=dt, shape=shape)
            elif k < 0.5:
                s = self.vars[v]
                wrong = list(s["shape"])
                if wrong and self.chance(0.7):
                    wrong[self.r.randrange(len(wrong))] += self.pick([1, -1, 2])
                self.assign(v, idx=self.index_text(v, s["shape"]), value=self.array_text([max(0, d) for d in wrong],
                                                                                          s["dtype"]))
            elif k < 0.65:
                s = self.vars[v]
                idx = "[%s]" % ", ".join(str(self.pick([d, -d - 1, 0, d + 1])) for d in s["shape"] +
                                         ([1] if self.chance(0.3) else []))
                self.add({"op": self.pick(["read", "assign"]), "var": v, "index": idx})
                if self.steps[-1]["op"] == "assign":
                    self.steps[-1]["value"] = self.py_scalar_text(s["dtype"])
            elif k < 0.75 and self.ok("reopen_open"):
                self.reopen(v)
            elif k < 0.85:
                self.close(v)
            else:
                self.assign(v)

    def fam_npy(self):
        v = "n"
        dt = self.dtype_spelling(["int", "float", "bool"] + (["complex"] if self.ok("complex") else []))
        shape = self.pick([[3], [2, 3], [], [0], [2, 2, 2], [1001]])
        st = {"op": "open_memmap", "var": v, "file": "x.npy", "mode": "w+", "dtype": dt, "shape": shape}
        if len(shape) > 1 and self.chance(0.4):
            st["order"] = "F"
        self.add(st)
        self.vars[v] = dict(file="x.npy", dtype=dt, shape=shape, offset=128, mode="r+", bound=True, kw=st,
                            npy=True)
        for _ in range(self.r.randint(2, 8)):
            k = self.r.random()
            if k < 0.35:
                self.assign(v)
            elif k < 0.6:
                self.read(v)
            elif k < 0.7:
                self.add({"op": "flush", "var": v})
            else:
                self.add({"op": self.pick(["load", "open_memmap", "load"]), "var": self.pick([v, "m2"]),
                          "file": "x.npy", "mode": self.pick(["r", "r+", "c"])})
                nv = self.steps[-1]["var"]
                self.vars[nv] = dict(self.vars[v], mode=self.steps[-1]["mode"], bound=True)

    def lesson(self):
        fams = [self.fam_scenario, self.fam_views, self.fam_views, self.fam_mistakes, self.fam_geometry]
        if self.ok("alias"):
            fams.append(self.fam_alias)
        fams.append(self.fam_bytes)
        if self.ok("npy"):
            fams.append(self.fam_npy)
        self.pick(fams)()
        if self.chance(0.3):  # and a second family in the same lesson
            self.pick(fams)()
        if not self.steps:
            self.open_step("arr", fname="a.dat", mode="w+", dt="uint8", shape=[3])
        return {"title": "gen2 lesson", "_gen": "gen2", "_style": self.r.getrandbits(32), "steps": self.steps}


def generate(seed, exclude=()):
    return Gen2(seed, exclude).lesson()


# ---- YAML writing: several styles a teacher or a YAML library would produce ----
class Writer:
    def __init__(self, style_seed, fancy=True):
        self.r = random.Random(style_seed)
        self.fancy = fancy

    def scalar(self, v, key=None):
        r = self.r
        if isinstance(v, bool):
            return self.r.choice(["true", "false"] if False else (["true", "True"] if v else ["false", "False"]))
        if isinstance(v, int):
            if self.fancy and key == "value" and 0 < v < 2**62 and r.random() < 0.05:
                return r.choice([hex(v), "0o%o" % v])
            return str(v)
        if isinstance(v, float):
            if math.isnan(v):
                return r.choice([".nan", ".NaN", ".NAN"])
            if math.isinf(v):
                return (r.choice([".inf", ".Inf", "+.inf"]) if v > 0 else r.choice(["-.inf", "-.Inf"]))
            t = repr(v)
            if self.fancy and r.random() < 0.3 and "e" not in t and "inf" not in t:
                t = "%.17e" % v  # PyYAML-like exponent form: 1.00000000000000000e+20
                if float(t) != v:
                    t = repr(v)
            if "e" in t and "." not in t.split("e")[0]:
                t = t.replace("e", ".0e", 1)  # YAML 1.1 readers need a dot
            return t
        if isinstance(v, str):
            k = r.random()
            if self.fancy and k < 0.3 and "'" not in v and "\n" not in v:
                return "'" + v + "'"
            if self.fancy and k < 0.5 and plain_ok(v):
                return v
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(self.scalar(x, key) for x in v) + "]"
        raise TypeError(type(v))

    def lesson(self, lesson):
        out = ["title: %s" % json.dumps(lesson["title"]), "steps:"]
        for st in lesson["steps"]:
            if self.fancy and self.r.random() < 0.4:
                out.append("  - {" + ", ".join("%s: %s" % (k, self.scalar(v, k)) for k, v in st.items()) + "}")
                continue
            first = True
            for k, v in st.items():
                out.append(("  - " if first else "    ") + "%s: %s" % (k, self.scalar(v, k)))
                first = False
        return "\n".join(out) + "\n"


def plain_ok(s):
    """A string YAML reads back as the same string when written plain (conservative)."""
    import re

    if not s or s != s.strip():
        return False
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.+]*(\([A-Za-z0-9_. +\-]*\))?", s):
        return False
    low = s.lower()
    if low in ("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~") or low.startswith((".inf", ".nan")):
        return False
    return True


def to_yaml(lesson):
    return Writer(lesson.get("_style", 0), fancy="yaml_style" not in lesson.get("_exclude", ())).lesson(lesson)


if __name__ == "__main__":
    import sys

    print(to_yaml(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0)))

"""Seeded generator of random lessons (as Python dicts) over the ops, dtypes, index and value forms of the lesson format.

A lesson is a dict {"title": ..., "steps": [step, ...]}; a step is a dict of the YAML keys (`op`, `var`, `file`,
`dtype`, `index`, `value`, ...). A `value` is either a YAML-native object (int, float, bool, list) or a string holding
a NumPy expression. `to_yaml` writes the dict as YAML without PyYAML; the NumPy interpreter reads the dict itself.

`exclude` is a set of construct tags (see KNOWN_TAGS) the generator must not emit: the cargo test uses it to leave out
constructs listed in known_unfixed.txt, and prints that list.
"""

import json
import math
import random

# Construct tags the generator can be told to leave out (`--exclude TAG,TAG`).
KNOWN_TAGS = {
    "float16": "float16 / half / 'e' / 'f2' dtypes",
    "complex": "complex64 / complex128 dtypes",
    "longdouble": "longdouble / 'g' / float128 dtypes",
    "clongdouble": "clongdouble / 'G' / complex256 dtypes and what makes one (complex with longdouble)",
    "bigint": "Python ints beyond 64 bits in values",
    "use_after_close": "read/assign/flush/close/del of a name that is not bound (NameError in NumPy)",
    "bad_mode": "an open with a mode NumPy rejects",
    "two_ellipses": "an index with two ellipses (IndexError at run time in NumPy)",
    "zero_step": "a slice step of 0 (ValueError at run time in NumPy)",
    "list_arith": "arithmetic on bare Python lists ([1, 2] * 3, -[1, 2], [1] + [2])",
    "list_method": ".reshape/.astype on a Python list or number (AttributeError)",
    "crash": "the crash op (a child stores through its own mapping)",
    "external": "external_write / external_read ops",
    "page_ops": "evict / wait_writeback / flush_async / flush_range ops",
    "reopen": "the reopen op",
    "order": "order F/A/K on open",
    "offset": "a non-zero offset on open",
    "zero_size": "shapes with a 0 dimension and 0-d shapes on open",
    "bool_arith": "unary minus/plus on bool values",
    "scalar_ctor": "np.int32(...)-style scalar constructors",
    "empty_list": "empty list literals ([], np.array([]), np.asarray([]))",
    "unsigned_arange": "np.arange with a negative start and a dtype= (unsigned dtypes overflow)",
    "full_cast": "np.full with a dtype= (float fills cast into integer dtypes)",
    "scalar_in_list": "a NumPy scalar constructor or cast inside a list literal or as np.full's fill value",
    "nonfinite": "nan / inf / -0.0 values",
    "fork_write": "the fork_write op (a forked worker stores through the inherited mapping)",
    "madvise": "the madvise op (mmap.madvise advice, start, length; unknown names)",
    "truncate": "the truncate op, never below the end of a live mapping (NumPy dies of SIGBUS there)",
    "npy": "the load and open_memmap ops (.npy files)",
    "missing_file": "an open of a file that does not exist with r / r+ / c, and w+ without a shape",
    "grow_file": "external_write past the end of the file (the file grows, with a hole)",
}

MADVICE = ["MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED", "MADV_FREE",
           "MADV_DOFORK", "MADV_MERGEABLE", "MADV_UNMERGEABLE", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE",
           "MADV_DONTDUMP", "MADV_DODUMP", "mmap.MADV_WILLNEED", "mmap.MADV_DONTNEED", "MADV_BOGUS", "madv_random"]

PLAIN_DTYPES = [
    "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float32", "float64", "bool",
]
CODE_DTYPES = [
    "?", "b1", "|b1", "i1", "b", "B", "u1", "h", "H", "i2", "<i2", ">i2", "u2", ">u2", "i", "I", "i4", ">i4", "<u4",
    "=i4", "q", "Q", "l", "L", "i8", ">i8", "u8", ">u8", "f", "f4", ">f4", "<f4", "d", "f8", ">f8", "double", "single",
    "float", "int", "byte", "ubyte", "short", "ushort", "intc", "uintc", "long", "ulong", "longlong", "ulonglong",
    "intp", "uintp", "int_", "bool_", "p", "P", "uint",
]
F16_DTYPES = ["float16", "half", "e", "f2", ">f2", "<f2"]
COMPLEX_DTYPES = ["complex64", "complex128", "F", "D", "c8", "c16", ">c8", ">c16", "csingle", "cdouble", "complex"]
LONGDOUBLE_DTYPES = ["longdouble", "g", "float128", "f16", ">g", "<g", "=g", ">f16"]
CLONGDOUBLE_DTYPES = ["clongdouble", "complex256", "G", "c32", ">G", "<G", "=G", ">c32", "<c32"]

# Names usable after `np.` as casts / `.astype(np.X)`.
NP_SCALAR_NAMES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "bool_",
    "intc", "uintc", "short", "ushort", "byte", "ubyte", "longlong", "ulonglong", "single", "double", "intp",
    "bool", "int_", "uintp", "long", "ulong",
]
NP_SCALAR_F16 = ["float16", "half"]
NP_SCALAR_COMPLEX = ["complex64", "complex128", "csingle", "cdouble"]
NP_SCALAR_LD = ["longdouble", "float128"]
NP_SCALAR_CLD = ["clongdouble", "complex256"]

VAR_NAMES = ["arr", "arr", "arr", "b", "data2"]
FILE_NAMES = ["a.dat", "a.dat", "b.dat", "sub/c.dat"]
MODES = ["r+", "r+", "r", "c", "w+", "readonly", "readwrite", "write", "copyonwrite"]


def itemsize(dt):
    import numpy as np

    return np.dtype(dt).itemsize


class Gen:
    def __init__(self, seed, exclude=()):
        self.r = random.Random(seed)
        self.ex = set(exclude)
        self.files = {}  # file -> size (the generator's belief)
        self.vars = {}  # var -> dict(file, dtype, shape, offset, order, mode, open)
        self.closed = set()

    def ok(self, tag):
        return tag not in self.ex

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    # ---- dtypes ----
    def dtype(self):
        r = self.r.random()
        pools = [(0.55, PLAIN_DTYPES), (0.25, CODE_DTYPES)]
        extra = []
        if self.ok("float16"):
            extra.append(F16_DTYPES)
        if self.ok("complex"):
            extra.append(COMPLEX_DTYPES)
        if self.ok("longdouble"):
            extra.append(LONGDOUBLE_DTYPES)
        if self.ok("clongdouble"):
            extra.append(CLONGDOUBLE_DTYPES)
        if r < 0.62 or not extra and r < 0.8:
            return self.pick(PLAIN_DTYPES)
        if r < 0.94 or not extra:
            return self.pick(CODE_DTYPES)
        del pools
        return self.pick(self.pick(extra))

    def np_scalar_name(self):
        pool = list(NP_SCALAR_NAMES)
        if self.ok("float16"):
            pool += NP_SCALAR_F16
        if self.ok("complex"):
            pool += NP_SCALAR_COMPLEX
        if self.ok("longdouble"):
            pool += NP_SCALAR_LD
        if self.ok("clongdouble"):
            pool += NP_SCALAR_CLD
        return self.pick(pool)

    def astype_arg(self):
        k = self.r.random()
        if k < 0.4:
            return repr(self.dtype())
        if k < 0.8:
            return "np." + self.np_scalar_name()
        return self.pick(["float", "int", "bool"])

    # ---- scalars ----
    def int_literal(self):
        k = self.r.random()
        if k < 0.5:
            return str(self.r.randint(-5, 20))
        if k < 0.8:
            return str(self.pick([127, 128, 255, 256, -128, -129, 32767, 32768, 65535, 65536, -1, 1000, 300,
                                  "1_000", "0", "0x1F", "0xff", "-0x80", "0o17", "0b101", "0x_7f_ff", "0B11",
                                  "0O777", "0_0", "00", "0X1_0000"]))
        vals = [2**31 - 1, 2**31, 2**32, -(2**31), 2**63 - 1, 2**63, 2**64 - 1, -(2**63)]
        if self.ok("bigint"):
            vals += [2**64, 2**70, -(2**64), -(2**70), 10**30]
            # Beyond 127 bits: past float32, past float64 (OverflowError), at float64's rounding edge.
            vals += [2**128, -(2**127) - 1, 10**40, 2**200 + 1, 10**400, 2**1024 - 2**970]
        return str(self.pick(vals))

    def float_literal(self):
        k = self.r.random()
        if k < 0.6:
            return self.pick(["2.5", "-1.5", "0.1", "3.0", "1e-5", "0.5", "-0.25", "100.75", "1e3", "5.", ".5",
                              "1E3", "1_0.2_5", "07.5", "1e0_1", "2.5E-3"])
        if k < 0.8 or not self.ok("nonfinite"):
            return self.pick(["1e20", "-1e20", "3.4e38", "1e300", "65504.0", "70000.5", "2.0**0" if False else "1.5e10"])
        return self.pick(["nan", "np.nan", "inf", "-inf", "np.inf", "-np.inf", "-0.0", "np.pi", "np.e", "numpy.nan"])

    def scalar_text(self, nested=False):
        k = self.r.random()
        if k < 0.5:
            return self.int_literal()
        if k < 0.8:
            return self.float_literal()
        if k < 0.9:
            return self.pick(["True", "False"])
        if self.ok("scalar_ctor") and (not nested or self.ok("scalar_in_list")):
            return "np.%s(%s)" % (self.np_scalar_name(), self.pick([self.int_literal(), self.float_literal()]))
        return self.int_literal()

    def scalar_native(self):
        k = self.r.random()
        if k < 0.55:
            return int(self.pick([0, 1, 2, 5, 7, -3, 100, 127, 200, 255, 256, 300, -1, 40000, 70000, 2**31]))
        if k < 0.85:
            return self.pick([2.5, -1.5, 0.5, 1e20, 1e-3, 3.0, 1e10])
        return self.pick([True, False])

    # ---- lists ----
    def list_native(self, shape):
        if not shape:
            return self.scalar_native() if self.chance(0.9) else self.pick([1, 2])
        return [self.list_native(shape[1:]) for _ in range(shape[0])]

    def list_text(self, shape):
        if not shape:
            return self.scalar_text(nested=True) if self.chance(0.5) else str(self.r.randint(-3, 20))
        return "[" + ", ".join(self.list_text(shape[1:]) for _ in range(shape[0])) + "]"

    # ---- values ----
    def shape_text(self, shape):
        if len(shape) == 1 and self.chance(0.4):
            return str(shape[0])
        if self.chance(0.2):
            return "[" + ", ".join(map(str, shape)) + "]"
        return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"

    def array_expr(self, shape, depth=0):
        """An expression whose value has `shape` (or roughly, sometimes broadcastable or wrong on purpose)."""
        n = 1
        for d in shape:
            n *= d
        k = self.r.random()
        if depth > 2 or (n > 64 and 0.5 <= k < 0.75) or (n == 0 and 0.5 <= k < 0.75 and not self.ok("empty_list")):
            k = 0.0  # (long lists would pass the tutor's 10,000-character limit on an expression)
        dtype_kw = ""
        if self.chance(0.2):
            dtype_kw = ", dtype=" + self.astype_arg()
        if k < 0.2:
            if len(shape) == 1:
                body = self.pick([
                    "np.arange(%d%s)" % (n, dtype_kw),
                    "np.arange(%d, %d%s)" % (-2, n - 2, dtype_kw) if self.ok("unsigned_arange") or not dtype_kw
                    else "np.arange(%d%s)" % (n, dtype_kw),
                    "np.arange(0, %s, %s)" % (n * 0.5, 0.5),
                    "np.arange(%d, 0, -1)" % n,
                    "numpy.arange(%d)" % n,
                    "np.arange(0, %d, step=2)" % (2 * n),
                    "np.linspace(1, 2, %d, endpoint=True)" % n,
                ])
            else:
                body = "np.arange(%d)%s" % (n, self.reshape_suffix(shape))
            return body
        if k < 0.35:
            body = self.pick([
                "np.linspace(0, 1, %d%s)" % (n, dtype_kw),
                "np.linspace(-5, 5, %d, endpoint=False)" % n,
                "np.linspace(%s, %s, num=%d)" % (self.pick(["0", "1", "-3"]), self.pick(["100", "2.5", "1e3"]), n),
            ])
            return body + (self.reshape_suffix(shape) if len(shape) != 1 else "")
        if k < 0.5:
            st = self.shape_text(shape) if shape else "()"
            return self.pick([
                "np.zeros(%s%s)" % (st, dtype_kw),
                "np.ones(%s%s)" % (st, dtype_kw),
                "np.full(%s, %s%s)" % (st, self.scalar_text(nested=True), dtype_kw if self.ok("full_cast") else ""),
                "np.full(%s, fill_value=%s)" % (st, self.scalar_text(nested=True)),
            ])
        if k < 0.65:
            if self.ok("bigint") and self.chance(0.15):
                return self.object_expr(shape)
            return "np.%s(%s%s)" % (self.pick(["array", "array", "asarray"]), self.list_text(shape), dtype_kw)
        if k < 0.75:
            return self.list_text(shape)
        if k < 0.82:
            return "%s.astype(%s)" % (self.paren(self.array_expr(shape, depth + 1)), self.astype_arg())
        if k < 0.87 and self.ok("scalar_ctor"):
            return "np.%s(%s)" % (self.np_scalar_name(), self.array_expr(shape, depth + 1))
        # arithmetic
        a = self.array_expr(shape, depth + 1)
        op = self.pick(["+", "-", "*", "/"])
        b = self.scalar_text() if self.chance(0.6) else self.array_expr(shape, depth + 1)
        if self.chance(0.15):
            return "-" + self.paren(a)
        if self.chance(0.05):
            return "+" + self.paren(a)
        return "%s %s %s" % (self.paren(a) if self.chance(0.3) else a, op, self.paren(b) if self.chance(0.5) else b)

    def paren(self, t):
        return "(" + t + ")"

    # ---- object arrays (a Python int beyond 64 bits makes one) ----
    OBJ_ELEMENTS = ["0", "7", "-1", "-1000", "300", "255", "2.5", "-1.5", "1e20", "True", "nan", "-0.0",
                    str(2**63), str(2**64 - 1), str(-(2**63)), "np.float32(1.5)", "np.float32(-1.5)",
                    "np.int8(100)", "np.int16(300)", "np.uint64(7)", "np.bool_(True)", "np.float64(1e20)",
                    "np.float16(0.5)", "np.complex64(-1000)", "np.complex128(2.5)", "np.longdouble(1.5)",
                    "np.clongdouble(-1000)", "np.clongdouble(0.5)", "np.longdouble(-3)"]
    OBJ_OPERANDS = ["2", "0", "-3", "2.5", "0.0", "True", "nan", str(2**64), "np.float32(2)", "np.int8(3)",
                    "np.uint64(7)", "np.complex128(2)", "np.complex64(0)", "np.longdouble(2)", "np.clongdouble(3)",
                    "np.float16(0.5)", "np.bool_(True)", "np.array(2)", "np.array(2.5)", "np.arange(1).reshape(())",
                    "np.complex128(np.arange(1).reshape(()))", "np.array([1, 2])", "np.array([1.5, 0])",
                    "np.array([1, 2], dtype='c16')", "np.array([1, 2], dtype='f4')", "np.array([1, 2], dtype='e')",
                    "np.array([1, 2], dtype='g')", "np.array([1, 2], dtype='G')", "np.array([True, False])",
                    "np.array([3, 4], dtype='u1')", "np.array([-1, 300], dtype='c8')"]

    def big_literal(self):
        return str(self.pick([2**64, 2**70, -(2**64), 10**30, 2**128, -(2**127) - 1, 2**64 + 1]))

    def object_expr(self, shape):
        """An object array (or the Python object a 0-d one gives), of `shape` or broadcastable to it."""
        n = 1
        for d in shape:
            n *= d
        k = self.r.random()
        if k < 0.35 and shape and 1 <= n <= 8:
            items = [self.big_literal() if self.chance(0.3) else self.pick(self.OBJ_ELEMENTS) for _ in range(n)]
            if not any(i.lstrip("-").isdigit() and abs(int(i)) >= 2**64 for i in items):
                items[self.r.randrange(n)] = self.big_literal()
            body = "np.%s([%s])" % (self.pick(["array", "asarray"]), ", ".join(items))
            if len(shape) > 1:
                body += ".reshape(%s)" % ", ".join(map(str, shape))
        elif k < 0.55:
            st = self.shape_text(shape) if shape else "()"
            body = "np.full(%s, %s)" % (st, self.big_literal())
        elif k < 0.7:
            body = "np.array(%s)" % self.big_literal()
        elif k < 0.8 and len(shape) == 1:
            b = 2**64 + self.r.randint(0, 5)
            body = "np.arange(%d, %d)" % (b, b + shape[0])
        else:
            body = "(np.array([%s]) * %s).reshape(())" % (self.big_literal(), self.pick(self.OBJ_OPERANDS))
        for _ in range(self.r.randint(0, 2)):
            other = self.pick(self.OBJ_OPERANDS)
            op = self.pick(["+", "-", "*", "/"])
            body = ("%s %s %s" if self.chance(0.5) else "%s %s (%s)") % (self.paren(body), op, other) \
                if self.chance(0.6) else "%s %s %s" % (other, op, self.paren(body))
        if self.chance(0.1):
            body = "-" + self.paren(body)
        k = self.r.random()
        if k < 0.15:
            body = "%s.astype(%s)" % (self.paren(body), self.astype_arg())
        elif k < 0.25 and self.ok("scalar_ctor"):
            body = "np.%s(%s)" % (self.np_scalar_name(), body)
        elif k < 0.35:
            body = "np.array(%s, dtype=%s)" % (body, self.astype_arg())
        return body

    def reshape_suffix(self, shape):
        dims = list(shape)
        if dims and self.chance(0.3):
            dims[self.r.randrange(len(dims))] = -1
        if self.chance(0.5) or len(dims) == 0:
            return ".reshape(%s)" % ("(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")")
        return ".reshape(%s)" % ", ".join(map(str, dims))

    def value(self, target_shape):
        """A value for an assignment into something of `target_shape`."""
        r = self.r.random()
        if r < 0.25:
            v = self.scalar_native()
            return v
        if r < 0.45:
            return self.scalar_text()
        shape = list(target_shape)
        if self.chance(0.15) and shape:
            shape = shape[1:]  # broadcast from a trailing shape
        elif self.chance(0.08):
            shape = shape + [1] if self.chance(0.5) else [1] + shape
        elif self.chance(0.06):
            shape = [self.r.randint(0, 4)]  # likely a broadcast error
        if self.chance(0.15) and all(d <= 4 for d in shape) and len(shape) <= 3 and (
                all(shape) or self.ok("empty_list")):
            return self.list_native(shape)
        if self.chance(0.06):
            return self.odd_value(shape)
        return self.array_expr(shape)

    def odd_value(self, shape):
        """Python-list semantics and other corners."""
        opts = []
        if self.ok("list_arith"):
            opts += ["[1, 2] * 3", "[1, 2] + [3]", "-[1, 2]", "[1, 2] * 2.5", "2 * [0, 1]"]
        if self.ok("list_method"):
            opts += ["[1, 2].reshape(2, 1)", "(3).astype(float)", "[1, 2, 3, 4].astype('int8')"]
        if self.ok("bool_arith"):
            opts += ["-np.array([True, False])", "+np.array([True, False])", "-np.ones(2, dtype=bool)", "-True"]
        if self.ok("bigint"):
            opts += ["[1, 18446744073709551616]", "[-9223372036854775809, 1]", "[18446744073709551615, 1]",
                     "np.array([1, 18446744073709551616]) * 2", "-np.array([-9223372036854775809, 1])",
                     "np.full(2, 1000000000000000000000000000000) / 3", "np.array(1180591620717411303424) + 1",
                     "np.array([18446744073709551615, 9])", "np.asarray([18446744073709551616, 2.5]) - 1",
                     "np.array([[1180591620717411303424]]).reshape(1, 1, 1)",
                     "np.array([5, 18446744073709551616]).astype(np.float32)",
                     "%d / 3" % 2**200, "np.arange(%d, %d)" % (2**70, 2**70 + 3), "np.arange(0, 3, %d)" % 2**70,
                     "np.array([%d, 1]) * %d" % (10**200, 10**200), "np.full(2, %d) / %d" % (10**400, 10**399),
                     "np.asarray(%d) * 4294967296" % 10**30]
        if self.ok("clongdouble"):
            opts += ["np.ones(3, dtype='g') * np.complex64(1.5)", "np.arange(4, dtype=np.longdouble) / np.cdouble(3)",
                     "np.clongdouble(1) / 3", "np.complex256(2.5) - np.arange(3)", "-np.clongdouble(0.0)",
                     "np.linspace(0, 1, 4, dtype='G')", "np.full(2, np.clongdouble(7)) / 0",
                     "np.longdouble(1) / 3 + np.csingle(0.5)", "np.arange(3).astype('G') * 1e300"]
        opts += ["np.array(2)", "np.full((), 7)", "np.arange(4).reshape(())" if False else "np.arange(1).reshape(())",
                 "np.array([[[1]]])", "np.linspace(0, 1, 1)", "np.arange(1)", "np.uint8(3) / 300",
                 "np.int32(1000)", "np.float64(1e20)", "np.array([1, 2.5, 3])", "np.arange(5, dtype=bool)",
                 "np.arange(2, dtype=bool)", "np.array(2) / 0", "np.array(5) - 7", "-np.array(-0.0)",
                 "-0.0 * 1", "np.zeros(3) - 0.0", "np.array([1, 2]) / 0", "np.zeros(9) / 0", "np.full(7, -np.inf)",
                 "np.linspace(-5e9, 5e9, 9)", "(np.arange(6) / 0).astype(np.uint32)"]
        return self.pick(opts)

    # ---- indexes ----
    def index_part(self, d):
        k = self.r.random()
        if k < 0.45:
            if d == 0:
                return "0"
            return str(self.r.randrange(d) if self.chance(0.7) else -self.r.randint(1, d))
        if k < 0.5:
            return str(self.pick([d, -d - 1, d + 3]))  # out of range
        if k < 0.9:
            start = self.pick(["", "", "0", "1", "-1", "-2", str(d), str(d + 5)])
            stop = self.pick(["", "", "2", "-1", str(d), "-%d" % (d + 3), "100"])
            step = self.pick(["", "", "", "2", "-1", "-2", "3"])
            if self.ok("zero_step") and self.chance(0.02):
                step = "0"
            s = start + ":" + stop + (":" + step if step or self.chance(0.2) else "")
            return s
        if k < 0.95:
            return self.pick(["None", "np.newaxis"])
        return "..."

    def index(self, var, shape, whole_ok=True):
        nd = len(shape)
        k = self.r.random()
        if k < 0.12 and whole_ok:
            body = self.pick([":", "...", "()", ":, ..."])
        else:
            nparts = self.r.randint(1, max(1, nd + (1 if self.chance(0.08) else 0)))
            parts = [self.index_part(shape[i] if i < nd else 1) for i in range(nparts)]
            if self.chance(0.1) and "..." not in parts:
                parts.insert(self.r.randrange(len(parts) + 1), "...")
            if self.ok("two_ellipses") and self.chance(0.01):
                parts = ["...", "..."]
            body = ", ".join(parts)
            if len(parts) == 1 and self.chance(0.1):
                body += ","
        prefix = var if self.chance(0.5) else ""
        return "%s[%s]" % (prefix, body)

    # ---- lesson ----
    def open_step(self, var):
        r = self.r
        step = {"op": "open", "var": var}
        fname = self.pick(FILE_NAMES)
        missing = False
        if self.ok("missing_file") and self.chance(0.05):
            fname, missing = self.pick(["missing.dat", "sub/missing.dat", "nodir/x.dat"]), True
        if fname.startswith(("sub/", "nodir/")):
            missing = True  # no such directory: every mode fails (FileNotFoundError)
        exists = fname in self.files
        dt = self.dtype()
        step["file"] = fname
        if dt != "uint8" or self.chance(0.7):
            step["dtype"] = dt
        size = itemsize(dt)
        if missing:
            mode = self.pick(["r", "r+", "c", "readonly", "w+"])
        elif not exists or self.chance(0.35):
            mode = "w+"
        else:
            mode = self.pick(MODES)
        recreate = mode in ("w+", "write") and exists
        if self.ok("bad_mode") and self.chance(0.01):
            mode = self.pick(["rw", "a", "x", "R+", 2, True, 2.5])
        if mode != "r+" or self.chance(0.5):
            step["mode"] = mode
        offset = 0
        if self.ok("offset") and self.chance(0.12):
            offset = self.pick([1, 2, 4, 8, 16, 3])
            step["offset"] = offset
        elif self.chance(0.05):
            step["offset"] = 0
        shape = None
        if mode in ("w+", "write") or self.chance(0.25):
            k = r.random()
            if k < 0.35:
                shape = [r.randint(1, 8)]
            elif k < 0.7:
                shape = [r.randint(1, 4), r.randint(1, 4)]
            elif k < 0.8:
                shape = [r.randint(1, 3), r.randint(1, 3), r.randint(1, 3)]
            elif k < 0.85:
                shape = [r.randint(20, 1200)]  # summarised printing
            elif k < 0.92 and self.ok("zero_size"):
                shape = self.pick([[0], [2, 0], []])
            else:
                shape = [r.randint(1, 6)]
            if mode not in ("w+", "write") and exists:
                avail = (self.files[fname] - offset) // size
                if avail > 0 and self.chance(0.8):
                    shape = [max(1, min(avail, shape[0] if shape else 1))]
            form = r.random()
            if len(shape) == 1 and form < 0.4:
                step["shape"] = shape[0]
            elif form < 0.7:
                step["shape"] = list(shape)
            else:
                step["shape"] = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
        if self.ok("order") and self.chance(0.1):
            step["order"] = self.pick(["F", "C", "A", "K", "F", "f", "c", "a", "k"])
            if self.ok("bad_mode") and self.chance(0.05):
                # NumPy's ValueError when ndarray.__new__ runs, after the file was opened (and, for w+/r+,
                # created or grown): nothing is bound.
                step["order"] = self.pick(["X", "", "CF", "fortran"])
        if self.ok("missing_file") and mode in ("w+", "write") and "shape" in step and self.chance(0.015):
            del step["shape"]  # ValueError: shape must be given if mode == 'w+'
            shape = None
        if missing:
            self.closed.discard(var)  # the lesson's validator counts any `open` as opening the name
            return step  # FileNotFoundError (or, w+ in a missing directory): nothing is bound
        if recreate and shape is not None:
            n = 1
            for d in shape:
                n *= d
            if offset + n * size < self.files[fname]:
                # Re-creating a file smaller under a live mapping: NumPy would die of SIGBUS on the next print.
                step["mode"] = mode = "r+"
        # belief update
        if mode in ("w+", "write"):
            if shape is not None:
                n = 1
                for d in shape:
                    n *= d
                self.files[fname] = max(offset + n * size, 0)
            ok = shape is not None
        else:
            ok = exists and mode in ("r+", "r", "c", "readonly", "readwrite", "copyonwrite")
            if ok and shape is None:
                avail = (self.files[fname] - offset) // size if self.files[fname] > offset else 0
                ok = avail > 0
                shape = [avail]
            if ok:
                n = 1
                for d in shape:
                    n *= d
                ok = offset + n * size <= self.files[fname] or mode in ("r+", "readwrite", "c", "copyonwrite")
                if ok and offset + n * size > self.files[fname] and mode not in ("r", "readonly", "c", "copyonwrite"):
                    self.files[fname] = offset + n * size
        self.closed.discard(var)  # the lesson's validator counts any `open` as opening the name
        if step.get("order", "C") not in ("F", "C", "A", "K", "f", "c", "a", "k"):
            ok = False
        if ok:
            self.vars[var] = dict(file=fname, dtype=dt, shape=shape, offset=offset, mode=mode, open=True)
            self.closed.discard(var)
        return step

    def lesson(self):
        r = self.r
        steps = []
        nsteps = r.randint(2, 14)
        first = self.pick(VAR_NAMES)
        steps.append(self.open_step(first))
        for _ in range(nsteps):
            open_vars = [v for v, s in self.vars.items() if s["open"]]
            closed_vars = [v for v in self.closed if v in self.vars and not self.vars[v].get("npy")]
            k = r.random()
            if not open_vars or k < 0.12:
                steps.append(self.open_step(self.pick(VAR_NAMES)))
                continue
            var = self.pick(open_vars)
            spec = self.vars[var]
            shape = spec["shape"] or []
            if self.chance(0.12):
                st = self.extra_step(var, spec, shape)
                if st is not None:
                    steps.append(st)
                    continue
            if closed_vars and self.ok("reopen") and self.chance(0.1):
                k = 0.84
            if spec.get("npy") and k >= 0.83:
                k = 0.6  # no reopen/outside-process steps on the .npy name: read instead
            if k < 0.5:
                step = {"op": "assign", "var": var}
                idx = self.index(var, shape)
                if idx not in ("[:]", var + "[:]") or self.chance(0.5):
                    step["index"] = idx
                step["value"] = self.value(self.result_shape(shape, idx))
                if self.chance(0.3) and (step.get("index", "").startswith(var + "[") or var == "arr"):
                    del step["var"]
                steps.append(step)
            elif k < 0.7:
                step = {"op": "read", "var": var, "index": self.index(var, shape)}
                if step["index"].startswith(var + "[") and self.chance(0.5):
                    del step["var"]
                elif var == "arr" and self.chance(0.5):
                    del step["var"]
                steps.append(step)
            elif k < 0.76:
                steps.append({"op": "flush", "var": var})
            elif k < 0.83:
                steps.append({"op": "close", "var": var})
                spec["open"] = False
                self.closed.add(var)
            elif k < 0.86 and closed_vars and self.ok("reopen"):
                v = self.pick(closed_vars)
                st = {"op": "reopen", "var": v}
                if self.chance(0.7):
                    st["mode"] = self.pick(["r", "r+", "c", "readonly", "readwrite", "copyonwrite"])
                    vs = self.vars[v]
                    others = [x for n2, x in self.vars.items() if n2 != v and x["open"] and x["file"] == vs["file"]]
                    if self.chance(0.1) and not others and vs["shape"] is not None:
                        st["mode"] = self.pick(["w+", "write"])  # re-creates the file at the array's size
                        n = 1
                        for d in vs["shape"]:
                            n *= d
                        self.files[vs["file"]] = vs["offset"] + n * itemsize(vs["dtype"])
                    elif self.ok("bad_mode") and self.chance(0.03):
                        st["mode"] = self.pick(["rw", "x", "R"])
                if not any(x["open"] and x["file"] == self.vars[v]["file"] for x in self.vars.values()) or True:
                    self.vars[v]["open"] = True
                    self.closed.discard(v)
                steps.append(st)
            elif k < 0.9 and self.ok("external"):
                if self.chance(0.5):
                    st = {"op": "external_read", "var": var}
                    if self.chance(0.5):
                        st["offset"] = r.randint(0, 4)
                    if self.chance(0.6):
                        st["length"] = self.pick([1, 2, 4, 8, 16, 3])
                else:
                    st = {"op": "external_write", "var": var}
                    if self.chance(0.4):
                        st["offset"] = self.pick([0, 1, 2, 4, 8])
                    if self.ok("grow_file") and self.chance(0.08):
                        st["offset"] = self.files.get(spec["file"], 0) + r.randint(0, 70)
                    if self.chance(0.3):
                        st["bytes"] = " ".join("%02x" % r.randrange(256) for _ in range(r.randint(1, 6)))
                    else:
                        kind = __import__("numpy").dtype(spec["dtype"]).kind
                        if kind in "iu":
                            vals = [r.randint(0, 100) for _ in range(r.randint(1, 3))]
                        elif kind == "b":
                            vals = [self.pick([True, False]) for _ in range(r.randint(1, 3))]
                        else:
                            vals = [self.pick([1.5, 2.0, -0.5, 3.25]) for _ in range(r.randint(1, 3))]
                        st["value"] = vals[0] if len(vals) == 1 and self.chance(0.5) else vals
                        if self.chance(0.2):
                            st["dtype"] = self.pick(["uint8", "int16", "float32", ">i2"])
                            st["value"] = [r.randint(0, 100) for _ in range(2)]
                if self.chance(0.15):  # by file name instead of variable
                    del st["var"]
                    st["file"] = spec["file"]
                    if st["op"] == "external_write" and "value" in st:
                        st["dtype"] = self.pick(["uint8", "int16", "float32", ">i2", "int32"])
                        st["value"] = [r.randint(0, 100) for _ in range(r.randint(1, 3))]
                    elif st["op"] == "external_read" and self.chance(0.5):
                        st["dtype"] = self.pick(["uint8", "int16", "float32", ">i2"])
                steps.append(st)
            elif k < 0.92 and self.ok("crash") and spec["mode"] not in ("r", "readonly"):
                idx = self.index(var, shape)
                rs = self.result_shape(shape, idx)
                if rs is None:
                    continue
                st = {"op": "crash", "var": var, "index": idx,
                      "value": r.randint(0, 100) if self.chance(0.5) else self.value(rs)}
                steps.append(st)
            elif k < 0.95 and self.ok("page_ops"):
                op = self.pick(["flush_async", "wait_writeback", "flush_range", "evict"])
                st = {"op": op, "var": var}
                if op == "wait_writeback":
                    st["timeout"] = 0.2
                if op == "flush_range":
                    n = 1
                    for d in shape:
                        n *= d
                    total = n * itemsize(spec["dtype"])
                    if total < 1:
                        continue
                    st["offset"] = 0
                    st["length"] = r.randint(1, total)
                if op == "evict":
                    steps.append({"op": "flush", "var": var})
                    if spec["mode"] in ("c", "copyonwrite") or any(
                        x["open"] and x["file"] == spec["file"] and x is not spec for x in self.vars.values()
                    ):
                        continue
                steps.append(st)
            elif self.ok("use_after_close") and self.chance(0.1):
                gone = [v for v in VAR_NAMES if v not in open_vars]
                if gone:
                    v = self.pick(gone)
                    st = self.pick([
                        {"op": "read", "var": v, "index": "[0]"},
                        {"op": "close", "var": v},
                        {"op": "flush", "var": v},
                        {"op": "assign", "var": v, "index": "[0]", "value": 1},
                    ])
                    steps.append(st)
            else:
                steps.append({"op": "read", "var": var, "index": self.index(var, shape)})
        return {"title": "differential lesson", "steps": steps}

    def live_end(self, fname):
        """The largest byte any open mapping of `fname` reaches (the generator's belief)."""
        end = 0
        for x in self.vars.values():
            if x["open"] and x["file"] == fname and x["shape"] is not None:
                n = 1
                for d in x["shape"]:
                    n *= d
                end = max(end, x.get("data_offset", x["offset"]) + n * itemsize(x["dtype"]))
        return end

    def extra_step(self, var, spec, shape):
        """fork_write, madvise, truncate (never below a live mapping's end) or a .npy step; None to skip."""
        r = self.r
        n = 1
        for d in shape:
            n *= d
        k = r.random()
        if k < 0.3 and self.ok("fork_write"):
            idx = self.index(var, shape)
            st = {"op": "fork_write", "var": var}
            if self.chance(0.8):
                st["index"] = idx
            st["value"] = self.value(self.result_shape(shape, idx))
            return st
        if k < 0.55 and self.ok("madvise") and n > 0:
            st = {"op": "madvise", "var": var, "advice": self.pick(MADVICE)}
            if self.chance(0.3):
                st["start"] = self.pick([0, 0, 4096, 1, 8192, 1000000])
            if self.chance(0.3):
                st["length"] = self.pick([1, 4096, 0, 100, 10000000])
            return st
        if k < 0.7 and self.ok("truncate") and not spec.get("npy"):
            f = spec["file"]
            end = self.live_end(f)
            size = max(end, self.files.get(f, 0)) + self.pick([0, 0, 1, 100, 4096])
            if self.chance(0.3):
                size = end  # exactly the end of the furthest mapping
            elif self.chance(0.4) and end > 0:
                # Inside the page holding the furthest mapping's last byte: NumPy reads zeros past EOF there (a
                # page wholly past EOF would be SIGBUS).
                lo = (end - 1) // 4096 * 4096 + 1
                size = max(lo, self.pick([lo, lo + 1, (lo + end) // 2, end - 1, end - 3]))
            self.files[f] = size
            st = {"op": "truncate", "size": size}
            if self.chance(0.3):
                st["file"] = f
            else:
                st["var"] = var
            return st
        if self.ok("npy"):
            return self.npy_step()
        return None

    def npy_step(self):
        """np.lib.format.open_memmap (w+ creates; r/r+/c reopen) or np.load(mmap_mode=...) into the name `npa`."""
        r = self.r
        var = "npa"
        created = getattr(self, "npy_made", None)
        if created is None or self.chance(0.3):
            dt = self.pick(PLAIN_DTYPES + ["<f4", ">i2", ">f8", "c8"] + (["g"] if self.ok("longdouble") else []))
            shape = self.pick([[3], [2, 3], [4], [0], [2, 2, 2], []])
            st = {"op": "open_memmap", "var": var, "file": self.pick(["n.npy", "n.npy", "m.npy"]), "mode": "w+",
                  "dtype": dt, "shape": list(shape) if self.chance(0.7) else
                  "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"}
            if self.chance(0.2):
                st["order"] = self.pick(["F", "C"])
            if self.chance(0.05):
                del st["shape"]  # NumPy's error: shape must be given
                return st
            self.npy_made = (st["file"], dt, shape)
        else:
            f, dt, shape = created
            op = self.pick(["load", "load", "open_memmap"])
            st = {"op": op, "var": var, "file": f, "mode": self.pick(["r", "r+", "c", "r", "readonly"])}
            if op == "load" and self.chance(0.05):
                st["file"] = self.pick(["a.dat", "missing.npy"])  # not a .npy file / missing
                return st
            if st["mode"] == "readonly" and op == "load":
                st["mode"] = "r"
        if self.vars.get(var, {}).get("open"):
            self.vars[var]["open"] = False  # rebinding the name drops the old map first
        self.vars[var] = dict(file=st["file"], dtype=dt, shape=list(shape), offset=0, mode=st["mode"], open=True,
                              npy=True, data_offset=128)
        self.closed.discard(var)
        return st

    def result_shape(self, shape, idx):
        """The shape NumPy gives `x[idx]` for x of `shape`, or the whole shape when the index fails (for generation
        only: values are made to fit where possible)."""
        import numpy as np

        body = idx[idx.index("["):]
        try:
            x = np.empty(shape, dtype=np.uint8)
            return list(eval("x" + body, {"x": x, "np": np}).shape)
        except Exception:
            return list(shape)


def generate(seed, exclude=()):
    return Gen(seed, exclude).lesson()


# ---- YAML writing (no PyYAML needed) ----
def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("non-finite floats are written as expressions")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(yaml_scalar(x) for x in v) + "]"
    raise TypeError(type(v))


def to_yaml(lesson):
    out = ["title: %s" % json.dumps(lesson["title"]), "steps:"]
    for st in lesson["steps"]:
        first = True
        for k, v in st.items():
            out.append(("  - " if first else "    ") + "%s: %s" % (k, yaml_scalar(v)))
            first = False
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    print(to_yaml(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0)))

//! Lazy evaluation of `ValueExpr`: NumPy dtype inference and promotion, element by element.
//!
//! Nothing the size of an `arange`/`linspace`/`full` is ever built: a compiled [`Lazy`] computes
//! the element at a flat (C-order) position on demand. Only list literals (small) are materialised.

use crate::expr::object::{self, Objects};
use crate::expr::value::{BinOp, UnOp, ValueExpr};
use num_bigint::BigInt;

use crate::numpy::clong;
use crate::numpy::dtype::{DType, Kind, Scalar};
use crate::numpy::pyint;

/// Elements a list literal nested inside an expression may hold once materialised.
const MAX_MATERIALISED: usize = 1 << 24;

/// A compiled value: Python objects (converted at assignment with Python's rules), a NumPy
/// scalar (`np.int32(5)`, or what an operation on 0-d arrays returns) or a NumPy array.
#[derive(Debug, Clone)]
pub enum Value {
    /// A Python scalar (also the result of arithmetic between Python scalars).
    PyScalar(Scalar),
    /// A (nested) Python list literal; kept as written until the target dtype is known.
    PyList(ValueExpr),
    /// A NumPy scalar of a dtype (strong in promotion, unlike a Python number).
    NpScalar(Scalar, DType),
    /// A NumPy array computed lazily (0-d arrays included).
    Array(Lazy),
    /// A NumPy object array of Python numbers (Python ints beyond 64 bits make one).
    Object(Objects),
}

/// The arithmetic of an `np.arange`, as [`Lazy::at`] evaluates it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Linear {
    /// int64: `start + i*step` (wrapping).
    Int { start: i64, step: i64 },
    /// float64: `start + i*delta`.
    Float { start: f64, delta: f64 },
}

/// A lazily evaluated NumPy array of `shape` and `dtype`.
#[derive(Debug, Clone)]
pub struct Lazy {
    pub shape: Vec<usize>,
    pub dtype: DType,
    node: Node,
}

#[derive(Debug, Clone)]
enum Node {
    /// One value broadcast everywhere (0-d, or `np.full`).
    Fill(Scalar),
    /// Materialised elements in C order (list literals only).
    Data(Vec<Scalar>),
    /// `np.arange` with int64 arithmetic: `start + i*step`.
    ArangeInt { start: i64, step: i64 },
    /// `np.arange` with float64 arithmetic as NumPy fills it: `start + i*((start+step)-start)`.
    ArangeFloat { start: f64, delta: f64 },
    /// `np.linspace`: `start + i*step` (or `i/div*delta` when step is 0), last element `stop`.
    Linspace {
        start: f64,
        stop: f64,
        step: f64,
        div: f64,
        delta: f64,
        num: usize,
        endpoint: bool,
    },
    /// Same elements, new shape (C order both sides).
    Reshape(Box<Lazy>),
    /// `astype`: unsafe cast of every element.
    Cast(Box<Lazy>),
    /// `np.floor` of every element (`np.linspace(..., dtype=int)` floors before casting).
    Floor(Box<Lazy>),
    /// `-x` element-wise in this dtype (integers wrap).
    Neg(Box<Lazy>),
    /// Element-wise arithmetic; operands broadcast via flat strides (0 on broadcast axes).
    Binary {
        op: BinOp,
        a: Box<Lazy>,
        a_strides: Vec<usize>,
        b: Box<Lazy>,
        b_strides: Vec<usize>,
        /// dtype both operands are cast to before the operation.
        compute: DType,
    },
}

impl Lazy {
    fn new(shape: Vec<usize>, dtype: DType, node: Node) -> Lazy {
        Lazy { shape, dtype, node }
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        // Saturates: every shape is checked when built, this is only a second line of defence.
        self.shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .unwrap_or(usize::MAX)
    }

    /// True for a single value repeated over the whole shape (lets assignment fill fast).
    pub(crate) fn fill_value(&self) -> Option<Scalar> {
        match &self.node {
            Node::Fill(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// `np.arange` seen through reshapes and at most one cast, for the assignment fast path:
    /// the arange's arithmetic and the dtype it was cast to (None when not cast).
    pub(crate) fn linear(&self) -> Option<(Linear, Option<DType>)> {
        match &self.node {
            Node::ArangeInt { start, step } => Some((
                Linear::Int {
                    start: *start,
                    step: *step,
                },
                None,
            )),
            Node::ArangeFloat { start, delta } => Some((
                Linear::Float {
                    start: *start,
                    delta: *delta,
                },
                None,
            )),
            Node::Reshape(inner) => inner.linear(),
            Node::Cast(inner) => match inner.linear()? {
                (l, None) => Some((l, Some(self.dtype))),
                // Two casts in a row: leave it to the general path.
                (_, Some(_)) => None,
            },
            _ => None,
        }
    }

    /// The element at C-order position `flat` (in range), of this array's dtype kind.
    pub fn at(&self, flat: usize) -> Scalar {
        match &self.node {
            Node::Fill(s) => s.clone(),
            Node::Data(v) => v.get(flat).cloned().unwrap_or(Scalar::Int(0)),
            Node::ArangeInt { start, step } => {
                Scalar::Int(start.wrapping_add((flat as i64).wrapping_mul(*step)))
            }
            Node::ArangeFloat { start, delta } => Scalar::Float(start + flat as f64 * delta),
            Node::Linspace {
                start,
                stop,
                step,
                div,
                delta,
                num,
                endpoint,
            } => {
                if *endpoint && *num > 1 && flat == num - 1 {
                    return Scalar::Float(*stop);
                }
                let i = flat as f64;
                let y = if *div > 0.0 {
                    if *step == 0.0 {
                        i / div * delta
                    } else {
                        i * step
                    }
                } else {
                    i * delta
                };
                Scalar::Float(y + start)
            }
            Node::Reshape(inner) => inner.at(flat),
            Node::Cast(inner) => {
                let v = inner.at(flat);
                // `astype` runs one contiguous loop over a fresh array: float→uint32 in its
                // vector part differs from the scalar cast (see numpy::simd_cast).
                if crate::numpy::simd_cast::applies(inner.dtype, self.dtype) {
                    let vector =
                        crate::numpy::simd_cast::in_vector_part(flat, self.size(), inner.dtype);
                    return crate::numpy::simd_cast::cast(v, &self.dtype, vector);
                }
                v.cast(&self.dtype)
            }
            Node::Floor(inner) => Scalar::Float(inner.at(flat).as_f64().floor()),
            Node::Neg(inner) => neg(inner.at(flat)).cast(&self.dtype),
            Node::Binary {
                op,
                a,
                a_strides,
                b,
                b_strides,
                compute,
            } => {
                // Decompose `flat` over the result shape, re-compose for each operand.
                let (mut ia, mut ib, mut rest) = (0usize, 0usize, flat);
                for ax in (0..self.shape.len()).rev() {
                    let d = self.shape[ax].max(1);
                    let i = rest % d;
                    rest /= d;
                    ia += i * a_strides[ax];
                    ib += i * b_strides[ax];
                }
                let x = a.at(ia).cast(compute);
                let y = b.at(ib).cast(compute);
                arith(*op, x, y, compute).cast(&self.dtype)
            }
        }
    }
}

/// Negation of one element (integers wrap; the caller casts back to the dtype).
fn neg(x: Scalar) -> Scalar {
    match x {
        Scalar::Int(i) => Scalar::Int(i.wrapping_neg()),
        Scalar::UInt(u) => Scalar::UInt(u.wrapping_neg()),
        Scalar::Float(f) => Scalar::Float(-f),
        Scalar::Complex(re, im) => Scalar::Complex(-re, -im),
        Scalar::Long(x) => Scalar::Long(-x),
        Scalar::CLong(re, im) => Scalar::CLong(-re, -im),
        Scalar::Big(v) => Scalar::py_int(-v.get()),
        Scalar::Bool(b) => Scalar::Bool(b),
    }
}

/// NumPy arithmetic on two values already of `dt`'s kind: integers wrap, floats round to `dt`.
fn arith(op: BinOp, x: Scalar, y: Scalar, dt: &DType) -> Scalar {
    if clong::is_clongdouble(dt) {
        let (re, im) = clong::arith(op_symbol(op), clong::parts80(x), clong::parts80(y));
        return Scalar::CLong(re, im);
    }
    if dt.kind == Kind::Complex {
        return complex_arith(op, x.parts(), y.parts(), dt.size / 2);
    }
    if dt.is_longdouble() {
        // NumPy's longdouble loops: one x87 operation per element.
        let (a, b) = (x.as_f80(), y.as_f80());
        return Scalar::Long(match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
        });
    }
    match (&x, &y) {
        (&Scalar::Int(a), &Scalar::Int(b)) => Scalar::Int(match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::Div => return Scalar::Float(a as f64 / b as f64),
        })
        .cast(dt),
        (&Scalar::UInt(a), &Scalar::UInt(b)) => Scalar::UInt(match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::Div => return Scalar::Float(a as f64 / b as f64),
        })
        .cast(dt),
        (&Scalar::Bool(a), &Scalar::Bool(b)) => match op {
            BinOp::Add => Scalar::Bool(a || b),
            BinOp::Mul => Scalar::Bool(a && b),
            BinOp::Sub => Scalar::Bool(a != b),
            BinOp::Div => Scalar::Float(a as u8 as f64 / b as u8 as f64),
        },
        _ => {
            let (a, b) = (x.as_f64(), y.as_f64());
            Scalar::Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
            })
            .cast(dt)
        }
    }
}

/// NumPy's complex loops, each operation rounded to the part type (float32 for complex64);
/// division is NumPy's Smith-style algorithm, so `x / 0` gives `inf`/`nan` parts as NumPy does.
fn complex_arith(op: BinOp, (ar, ai): (f64, f64), (br, bi): (f64, f64), half: usize) -> Scalar {
    let r = |v: f64| if half == 4 { v as f32 as f64 } else { v };
    let (re, im) = match op {
        BinOp::Add => (r(ar + br), r(ai + bi)),
        BinOp::Sub => (r(ar - br), r(ai - bi)),
        BinOp::Mul => (r(r(ar * br) - r(ai * bi)), r(r(ar * bi) + r(ai * br))),
        BinOp::Div => {
            let (br_abs, bi_abs) = (br.abs(), bi.abs());
            if br_abs >= bi_abs {
                if br_abs == 0.0 && bi_abs == 0.0 {
                    (r(ar / br_abs), r(ai / br_abs))
                } else {
                    let rat = r(bi / br);
                    let scl = r(1.0 / r(br + r(bi * rat)));
                    (r(r(ar + r(ai * rat)) * scl), r(r(ai - r(ar * rat)) * scl))
                }
            } else {
                let rat = r(br / bi);
                let scl = r(1.0 / r(bi + r(br * rat)));
                (r(r(r(ar * rat) + ai) * scl), r(r(r(ai * rat) - ar) * scl))
            }
        }
    };
    Scalar::Complex(re, im)
}

/// Python's tuple repr of a shape: `(2,)`, `(2, 3)`.
pub(crate) fn py_shape(shape: &[usize]) -> String {
    crate::python::tuple(shape)
}

/// NumPy's compact shape string in broadcast messages: `(3,)`, `(2,3)`, `()`.
pub(crate) fn np_shape(shape: &[usize]) -> String {
    crate::python::compact_tuple(shape)
}

/// Default NumPy dtype of a Python scalar (`np.array(x).dtype`).
fn py_dtype(s: &Scalar) -> DType {
    match s {
        Scalar::Bool(_) => DType::BOOL,
        Scalar::Int(_) => DType::INT64,
        Scalar::UInt(_) => DType::native(Kind::UInt, 8),
        Scalar::Float(_) => DType::FLOAT64,
        Scalar::Complex(..) => DType::native(Kind::Complex, 16),
        Scalar::Long(_) => DType::LONGDOUBLE,
        Scalar::CLong(..) => clong::CLONGDOUBLE,
        // Never stored: NumPy makes an object array (see `object`); converting it raises.
        Scalar::Big(_) => DType::INT64,
    }
}

/// NumPy's `promote_types` for the supported kinds (result in native byte order).
pub(crate) fn promote(a: DType, b: DType) -> DType {
    use Kind::*;
    let (ka, kb) = (a.kind, b.kind);
    let native = |k, s| DType::native(k, s);
    match (ka, kb) {
        _ if ka == kb => native(ka, a.size.max(b.size)),
        (Bool, _) => native(kb, b.size),
        (_, Bool) => native(ka, a.size),
        (Complex, _) | (_, Complex) => {
            let (c, o) = if ka == Complex { (a, b) } else { (b, a) };
            // The other side's values need a float part at least as wide as promote() gives.
            let part = match o.kind {
                Float => o.size,
                _ if o.size <= 2 => 4,
                _ => 8,
            };
            native(Complex, c.size.max(2 * part).max(8))
        }
        (Float, _) | (_, Float) => {
            let (f, i) = if ka == Float { (a, b) } else { (b, a) };
            // The smallest float that holds every value of the integer: float16 for 8-bit,
            // float32 for 16-bit, float64 for wider.
            let needed = match i.size {
                1 => 2,
                2 => 4,
                _ => 8,
            };
            native(Float, f.size.max(needed))
        }
        _ => {
            let (s, u) = if ka == Int { (a, b) } else { (b, a) };
            if u.size < s.size {
                native(Int, s.size)
            } else if u.size < 8 {
                native(Int, u.size * 2)
            } else {
                DType::FLOAT64
            }
        }
    }
}

/// A Python int beyond 64 bits into a bool, float or complex dtype (`None` for integer dtypes,
/// which raise): Python's `float()` (correctly rounded; OverflowError at 2**1024) then
/// NumPy's cast to float32/float16 (inf past their range); longdouble through `str()`.
fn big_convert(v: &BigInt, dt: &DType) -> Result<Option<Scalar>, String> {
    let float = || pyint::to_f64(v).ok_or_else(pyint::float_overflow);
    Ok(match dt.kind {
        Kind::Bool => Some(Scalar::Bool(true)),
        Kind::Float if dt.size == 16 => Some(Scalar::Long(pyint::to_f80(v)?)),
        Kind::Float => Some(Scalar::Float(float()?).cast(dt)),
        Kind::Complex => Some(Scalar::Complex(float()?, 0.0).cast(dt)),
        Kind::Int | Kind::UInt => None,
    })
}

/// Python's `float(x)` of a Python number (OverflowError for an int past 2**1024).
pub(crate) fn py_float(s: &Scalar) -> Result<f64, String> {
    match s {
        Scalar::Big(v) => pyint::to_f64(v.get()).ok_or_else(pyint::float_overflow),
        other => Ok(other.as_f64()),
    }
}

/// Convert a Python scalar into `dt` the way `arr[...] = x` does (Python's int()/float()/bool()).
pub(crate) fn py_convert(s: Scalar, dt: &DType) -> Result<Scalar, String> {
    if let Scalar::Big(v) = &s {
        if let Some(r) = big_convert(v.get(), dt)? {
            return Ok(r);
        }
    }
    let too_large = || {
        if dt.longlong {
            "OverflowError: int too big to convert".to_string()
        } else {
            "OverflowError: Python int too large to convert to C long".to_string()
        }
    };
    if let Scalar::Complex(..) = s {
        // Python's complex has no int() or float() (NumPy's setitem calls them).
        match dt.kind {
            Kind::Int | Kind::UInt => return Err("TypeError: int() argument must be a string, a bytes-like object or a real number, not 'complex'".to_string()),
            Kind::Float => return Err("TypeError: float() argument must be a string or a real number, not 'complex'".to_string()),
            Kind::Bool | Kind::Complex => {}
        }
    }
    match dt.kind {
        Kind::Bool => Ok(s.cast(dt)),
        // A Python int is exact in longdouble when it fits 64 bits; a float always is.
        Kind::Float if dt.size == 16 => Ok(s.cast(dt)),
        Kind::Float => Ok(Scalar::Float(s.as_f64()).cast(dt)),
        // A Python int becomes a clongdouble through a double, as NumPy's conversion does
        // (measured: `np.clongdouble(2**53 + 1)`, `a[0] = 2**64 + 1`, `np.array([10**30], 'G')`).
        Kind::Complex
            if dt.size == 32 && matches!(s, Scalar::Int(_) | Scalar::UInt(_) | Scalar::Big(_)) =>
        {
            Ok(Scalar::Float(s.as_f64()).cast(dt))
        }
        Kind::Complex => Ok(s.cast(dt)),
        Kind::Int | Kind::UInt => {
            let v: i128 = match s {
                Scalar::Bool(b) => b as i128,
                Scalar::Int(i) => i as i128,
                Scalar::UInt(u) => u as i128,
                Scalar::Big(_) => return Err(too_large()),
                Scalar::Long(x) | Scalar::CLong(x, _) => {
                    if x.is_nan() {
                        return Err(
                            "ValueError: cannot convert longdouble NaN to integer".to_string()
                        );
                    }
                    if x.is_infinite() {
                        return Err(
                            "OverflowError: cannot convert longdouble infinity to integer"
                                .to_string(),
                        );
                    }
                    x.trunc_i128()
                        .filter(|t| t.unsigned_abs() < 1 << 64)
                        .ok_or_else(too_large)?
                }
                // A NumPy complex scalar into an integer goes through its real part.
                Scalar::Float(f) | Scalar::Complex(f, _) => {
                    if f.is_nan() {
                        return Err("ValueError: cannot convert float NaN to integer".to_string());
                    }
                    if f.is_infinite() {
                        return Err(
                            "OverflowError: cannot convert float infinity to integer".to_string()
                        );
                    }
                    let t = f.trunc();
                    if t.abs() >= 1.8446744073709552e19 {
                        return Err(too_large());
                    }
                    t as i128
                }
            };
            let bits = dt.size as u32 * 8;
            if v < i64::MIN as i128 || v > u64::MAX as i128 {
                return Err(too_large());
            }
            if v > i64::MAX as i128 && (dt.kind == Kind::Int || bits < 32) {
                // NumPy converts through a C long for signed and 8/16-bit unsigned targets, and
                // through an unsigned long for uint32/uint64, which then report the value
                // itself ("Python integer N out of bounds for uint32"), as measured.
                return Err(too_large());
            }
            let (lo, hi) = if dt.kind == Kind::Int {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            if v < lo || v > hi {
                return Err(format!(
                    "OverflowError: Python integer {v} out of bounds for {}",
                    dt.name()
                ));
            }
            Ok(if dt.kind == Kind::Int {
                Scalar::Int(v as i64)
            } else {
                Scalar::UInt(v as u64)
            })
        }
    }
}

/// Discover the shape of a nested list literal as NumPy does, limited to `maxdims` levels.
pub(crate) fn list_shape(expr: &ValueExpr, maxdims: usize) -> Result<Vec<usize>, String> {
    let mut shape = Vec::new();
    let mut level: Vec<&ValueExpr> = vec![expr];
    loop {
        let lens: Vec<Option<usize>> = level
            .iter()
            .map(|e| match e {
                ValueExpr::List(v) => Some(v.len()),
                _ => None,
            })
            .collect();
        if lens.iter().all(|l| l.is_none()) {
            return Ok(shape);
        }
        if shape.len() >= maxdims {
            return Err(format!(
                "ValueError: setting an array element with a sequence. The requested array would exceed the maximum number of dimension of {maxdims}."
            ));
        }
        let first = lens[0];
        if lens.iter().any(|l| *l != first) {
            return Err(format!(
                "ValueError: setting an array element with a sequence. The requested array has an inhomogeneous shape after {} dimensions. The detected shape was {} + inhomogeneous part.",
                shape.len(),
                py_shape(&shape)
            ));
        }
        shape.push(first.unwrap_or(0));
        let mut next = Vec::new();
        for e in level {
            if let ValueExpr::List(v) = e {
                next.extend(v.iter());
            }
        }
        if next.is_empty() {
            return Ok(shape);
        }
        level = next;
    }
}

/// One element of a list literal: a Python number or a NumPy scalar (`np.float64(15)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Leaf {
    Py(Scalar),
    Np(Scalar, DType),
}

/// Store one list element into `dt` as NumPy's setitem does: a Python number with Python's
/// conversion and range check; a NumPy scalar through int() (range-checked) into a signed
/// integer, cast into anything else (measured with NumPy 2.4.6).
pub(crate) fn leaf_convert(leaf: Leaf, dt: &DType) -> Result<Scalar, String> {
    match leaf {
        // A Python complex (an element of an object array): int() and float() refuse it.
        Leaf::Py(Scalar::Complex(..)) if matches!(dt.kind, Kind::Int | Kind::UInt) => Err(
            "TypeError: int() argument must be a string, a bytes-like object or a real number, not 'complex'"
                .to_string(),
        ),
        Leaf::Py(Scalar::Complex(..)) if dt.kind == Kind::Float => Err(
            "TypeError: float() argument must be a string or a real number, not 'complex'"
                .to_string(),
        ),
        Leaf::Py(s) => py_convert(s, dt),
        Leaf::Np(s, _) if dt.kind == Kind::Int => {
            let py = match s {
                Scalar::Bool(b) => Scalar::Int(b as i64),
                // A NumPy complex scalar goes through its real part (a Python complex raises).
                Scalar::Complex(re, _) => Scalar::Float(re),
                other => other,
            };
            py_convert(py, dt)
        }
        Leaf::Np(s, _) => Ok(s.cast(dt)),
    }
}

/// The leaves of a list literal in C order; NumPy scalars are built here (Python builds the
/// list, and so raises their errors, before anything uses it).
pub(crate) fn list_leaves(expr: &ValueExpr, out: &mut Vec<Leaf>) -> Result<(), String> {
    if out.len() >= MAX_MATERIALISED {
        return Err("ValueError: list literal too large".to_string());
    }
    match expr {
        ValueExpr::List(v) => {
            for e in v {
                list_leaves(e, out)?;
            }
            Ok(())
        }
        ValueExpr::Scalar(s) => {
            out.push(Leaf::Py(s.clone()));
            Ok(())
        }
        ValueExpr::ScalarCall(..) => match compile(expr)? {
            Value::NpScalar(s, dt) => {
                out.push(Leaf::Np(s, dt));
                Ok(())
            }
            _ => Err(
                "ValueError: only numbers and nested lists may appear inside a list literal"
                    .to_string(),
            ),
        },
        _ => Err(
            "ValueError: only numbers and nested lists may appear inside a list literal"
                .to_string(),
        ),
    }
}

/// `np.array(list)`: bool if all bools, float64 if any float, else int64 (uint64 when a value
/// needs it, float64 when int64 and uint64 values are mixed); with `dtype`, every Python number
/// is converted to it in order, with Python's range checks.
fn list_to_array(expr: &ValueExpr, dtype: Option<DType>) -> Result<Lazy, String> {
    let mut leaves = Vec::new();
    list_leaves(expr, &mut leaves)?;
    let shape = list_shape(expr, 64)?;
    let py: Vec<Scalar> = leaves
        .iter()
        .filter_map(|l| match l {
            Leaf::Py(s) => Some(s.clone()),
            Leaf::Np(..) => None,
        })
        .collect();
    let py_dt = match () {
        _ if py.is_empty() => None,
        _ if py.iter().all(|s| matches!(s, Scalar::Bool(_))) => Some(DType::BOOL),
        _ if py.iter().any(|s| matches!(s, Scalar::Complex(..))) => {
            Some(DType::native(Kind::Complex, 16))
        }
        _ if py.iter().any(|s| matches!(s, Scalar::Float(_))) => Some(DType::FLOAT64),
        // Each Python int is int64 when it fits, else uint64; int64 with uint64 promotes to
        // float64 (measured: `np.array([2**64 - 1, 9])` is float64, `[2**64 - 1, True]` uint64).
        _ if py.iter().any(|s| matches!(s, Scalar::UInt(_))) => {
            if py.iter().any(|s| matches!(s, Scalar::Int(_))) {
                Some(DType::FLOAT64)
            } else {
                Some(DType::native(Kind::UInt, 8))
            }
        }
        _ => Some(DType::INT64),
    };
    // NumPy scalars keep their own dtype in the discovery; Python numbers count as their
    // default dtype (int64, float64, bool), not as weak values.
    let found = leaves
        .iter()
        .filter_map(|l| match l {
            Leaf::Np(_, dt) => Some(*dt),
            Leaf::Py(_) => None,
        })
        .chain(py_dt)
        .reduce(promote);
    let data = match dtype {
        Some(d) => leaves
            .into_iter()
            .map(|l| leaf_convert(l, &d))
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let d = found.unwrap_or(DType::FLOAT64);
            leaves
                .into_iter()
                .map(|l| match l {
                    Leaf::Py(s) => py_convert(s, &d),
                    Leaf::Np(s, _) => Ok(s.cast(&d)),
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    // An empty list makes a float64 array, as in NumPy.
    let dtype = dtype.or(found).unwrap_or(DType::FLOAT64);
    Ok(Lazy::new(shape, dtype, Node::Data(data)))
}

/// Turn a compiled value into a NumPy array (`np.asarray(x)`).
pub(crate) fn to_array(v: Value) -> Result<Lazy, String> {
    match v {
        Value::Array(l) => Ok(l),
        Value::NpScalar(s, dt) => Ok(Lazy::new(vec![], dt, Node::Fill(s))),
        Value::PyScalar(s) => {
            let dt = py_dtype(&s);
            Ok(Lazy::new(vec![], dt, Node::Fill(py_convert(s, &dt)?)))
        }
        Value::PyList(e) => list_to_array(&e, None),
        Value::Object(_) => Err(
            "the tutor does not model this operation on a NumPy object array (an array holding Python ints beyond 64 bits)"
                .to_string(),
        ),
    }
}

/// What an operation on arrays returns: a NumPy scalar when the result is 0-d.
fn scalarize(l: Lazy) -> Value {
    if l.shape.is_empty() {
        let s = l.at(0);
        Value::NpScalar(s, l.dtype)
    } else {
        Value::Array(l)
    }
}

/// Python's name of a Python object's type, for TypeError/AttributeError messages.
fn py_type_name(v: &Value) -> &'static str {
    match v {
        Value::PyScalar(Scalar::Bool(_)) => "bool",
        Value::PyScalar(Scalar::Float(_)) => "float",
        Value::PyScalar(Scalar::Complex(..)) => "complex",
        Value::PyScalar(_) => "int",
        Value::PyList(_) => "list",
        Value::NpScalar(..) | Value::Array(_) | Value::Object(_) => "numpy.ndarray",
    }
}

/// `x.<method>` on a Python number or list: AttributeError, as Python raises it.
fn no_method(v: &Value, method: &str) -> Result<(), String> {
    match v {
        Value::PyScalar(_) | Value::PyList(_) => Err(format!(
            "AttributeError: '{}' object has no attribute '{method}'",
            py_type_name(v)
        )),
        _ => Ok(()),
    }
}

fn shape_from_u64(dims: &[u64]) -> Result<Vec<usize>, String> {
    let shape: Vec<usize> = dims
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| "ValueError: array is too big.".to_string())?;
    if shape.len() > 64 {
        return Err(format!(
            "ValueError: maximum supported dimension for an ndarray is currently 64, found {}",
            shape.len()
        ));
    }
    if crate::numpy::layout::checked_size(&shape).is_none() {
        return Err("ValueError: array is too big.".to_string());
    }
    Ok(shape)
}

/// Python arithmetic between two Python scalars (the result is again a Python scalar).
pub(crate) fn py_arith(op: BinOp, a: Scalar, b: Scalar) -> Result<Scalar, String> {
    if let (Scalar::CLong(..), _) | (_, Scalar::CLong(..)) = (&a, &b) {
        // A np.clongdouble with a Python number (object arrays): clongdouble arithmetic (a
        // Python int converted to longdouble through `str()`, as for longdouble).
        for s in [&a, &b] {
            if let Scalar::Big(v) = s {
                pyint::to_f80(v.get())?;
            }
        }
        let (re, im) = clong::arith(op_symbol(op), clong::parts80(a), clong::parts80(b));
        return Ok(Scalar::CLong(re, im));
    }
    if let (Scalar::Complex(..), _) | (_, Scalar::Complex(..)) = (&a, &b) {
        return py_complex_arith(op, &a, &b);
    }
    if let (Scalar::Long(_), _) | (_, Scalar::Long(_)) = (&a, &b) {
        // A np.longdouble with a Python number (object arrays of longdouble results): NumPy's
        // longdouble arithmetic, the Python number converted to longdouble (an int through
        // `str()`, so past 4300 digits it raises as NumPy does).
        let long = |s: &Scalar| match s {
            Scalar::Big(v) => pyint::to_f80(v.get()),
            other => Ok(other.as_f80()),
        };
        let (x, y) = (long(&a)?, long(&b)?);
        return Ok(Scalar::Long(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
        }));
    }
    let small = |s: &Scalar| -> Option<i128> {
        match *s {
            Scalar::Bool(b) => Some(b as i128),
            Scalar::Int(i) => Some(i as i128),
            Scalar::UInt(u) => Some(u as i128),
            _ => None,
        }
    };
    // Both within 64 bits: i128 holds every sum and difference, and most products.
    if let (Some(x), Some(y), BinOp::Add | BinOp::Sub | BinOp::Mul) = (small(&a), small(&b), op) {
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            _ => x.checked_mul(y),
        };
        if let Some(r) = r {
            return Ok(py_int_value(r));
        }
    }
    match (a.to_bigint(), b.to_bigint()) {
        (Some(x), Some(y)) => match op {
            BinOp::Add => py_int(x + y),
            BinOp::Sub => py_int(x - y),
            BinOp::Mul => py_int(x * y),
            BinOp::Div => Ok(Scalar::Float(pyint::true_div(&x, &y)?)),
        },
        _ => {
            // int op float converts the int with float() first (OverflowError past 2**1024).
            let (x, y) = (py_float(&a)?, py_float(&b)?);
            Ok(Scalar::Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y == 0.0 {
                        return Err("ZeroDivisionError: float division by zero".to_string());
                    }
                    x / y
                }
            }))
        }
    }
}

/// Python's complex arithmetic (CPython 3.11 `complexobject.c`): an int or float operand becomes
/// `complex(x, 0.0)` first (an int through float(), OverflowError past 2**1024), then the
/// textbook product and CPython's scaled quotient (`_Py_c_quot`).
fn py_complex_arith(op: BinOp, a: &Scalar, b: &Scalar) -> Result<Scalar, String> {
    let c = |s: &Scalar| -> Result<(f64, f64), String> {
        match s {
            Scalar::Complex(re, im) => Ok((*re, *im)),
            other => Ok((py_float(other)?, 0.0)),
        }
    };
    let ((ar, ai), (br, bi)) = (c(a)?, c(b)?);
    let (re, im) = match op {
        BinOp::Add => (ar + br, ai + bi),
        BinOp::Sub => (ar - br, ai - bi),
        BinOp::Mul => (ar * br - ai * bi, ar * bi + ai * br),
        BinOp::Div => {
            let (abs_br, abs_bi) = (br.abs(), bi.abs());
            if abs_br >= abs_bi {
                if abs_br == 0.0 {
                    return Err("ZeroDivisionError: complex division by zero".to_string());
                }
                let ratio = bi / br;
                let denom = br + bi * ratio;
                ((ar + ai * ratio) / denom, (ai - ar * ratio) / denom)
            } else if abs_bi >= abs_br {
                let ratio = br / bi;
                let denom = br * ratio + bi;
                ((ar * ratio + ai) / denom, (ai * ratio - ar) / denom)
            } else {
                (f64::NAN, f64::NAN)
            }
        }
    };
    Ok(Scalar::Complex(re, im))
}

/// A Python int: `Int` in the int64 range, `UInt` above it up to 2**64-1, `Big` beyond.
pub(crate) fn py_int_value(r: i128) -> Scalar {
    if r >= i64::MIN as i128 && r <= i64::MAX as i128 {
        Scalar::Int(r as i64)
    } else if r >= 0 && r <= u64::MAX as i128 {
        Scalar::UInt(r as u64)
    } else {
        Scalar::py_int(BigInt::from(r))
    }
}

/// A Python int result, within the tutor's resource cap ([`pyint::MAX_BITS`]).
fn py_int(r: BigInt) -> Result<Scalar, String> {
    Ok(Scalar::py_int(pyint::capped(r)?))
}

/// NEP 50: a Python scalar next to a typed operand takes that dtype when its kind allows
/// (with NumPy 2's range check), except in true division of integers, whose loop is float64.
fn weak_to_array(s: Scalar, other: DType, op: BinOp) -> Result<Lazy, String> {
    if op == BinOp::Div
        && !matches!(other.kind, Kind::Float | Kind::Complex)
        && !matches!(s, Scalar::Complex(..))
    {
        // float() of the Python number: OverflowError for an int past 2**1024 (measured:
        // `np.arange(3) / 10**400`).
        return Ok(Lazy::new(
            vec![],
            DType::FLOAT64,
            Node::Fill(Scalar::Float(py_float(&s)?)),
        ));
    }
    let dt = match (&s, other.kind) {
        // The C conversion names the C type: "int too big to convert" for long long.
        (Scalar::Big(_), Kind::Int | Kind::UInt) if other.longlong => {
            return Err("OverflowError: int too big to convert".to_string())
        }
        (Scalar::Bool(_), _) => DType::BOOL,
        // A Python complex (an object array's element) with a float array: the complex dtype
        // of that precision (float16 and float32 give complex64).
        (Scalar::Complex(..), Kind::Float) => DType::native(Kind::Complex, (other.size * 2).max(8)),
        (Scalar::Float(_) | Scalar::Complex(..), Kind::Float | Kind::Complex) => {
            DType::native(other.kind, other.size)
        }
        (Scalar::Complex(..), _) => DType::native(Kind::Complex, 16),
        (Scalar::Float(_), _) => DType::FLOAT64,
        (_, Kind::Bool) => DType::INT64,
        (_, _) => DType::native(other.kind, other.size),
    };
    Ok(Lazy::new(vec![], dt, Node::Fill(py_convert(s, &dt)?)))
}

/// Result shape plus each operand's flat strides over it.
type Broadcast = (Vec<usize>, Vec<usize>, Vec<usize>);

/// Broadcast two shapes (NumPy's rules); the flat strides of each operand over the result.
pub(crate) fn broadcast_pair(a: &[usize], b: &[usize]) -> Result<Broadcast, String> {
    let n = a.len().max(b.len());
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1; n - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(a), pad(b));
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let d = match (pa[i], pb[i]) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(format!(
                    "ValueError: operands could not be broadcast together with shapes {} {} ",
                    np_shape(a),
                    np_shape(b)
                ))
            }
        };
        out.push(d);
    }
    if crate::numpy::layout::checked_size(&out).is_none() {
        return Err("ValueError: array is too big.".to_string());
    }
    Ok((
        out.clone(),
        flat_strides(&pa, &out),
        flat_strides(&pb, &out),
    ))
}

/// C-order element strides of `shape`, 0 where it is broadcast to `target`.
pub(crate) fn flat_strides(shape: &[usize], target: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for ax in (0..shape.len()).rev() {
        strides[ax] = if shape[ax] == 1 && target[ax] != 1 {
            0
        } else {
            acc
        };
        acc = acc.saturating_mul(shape[ax].max(1));
    }
    strides
}

fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
    }
}

/// `list * n`: Python's repetition (an empty list for n <= 0).
fn repeat_list(items: &[ValueExpr], n: i128) -> Result<Value, String> {
    if n > i64::MAX as i128 {
        // The count goes through Py_ssize_t first.
        return Err("OverflowError: cannot fit 'int' into an index-sized integer".to_string());
    }
    let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    if !items.is_empty() && n > (isize::MAX as usize / 8) / items.len() {
        // CPython's list_repeat: more pointers than a Py_ssize_t counts is PyErr_NoMemory() at once.
        return Err("MemoryError: ".to_string());
    }
    if items.len().saturating_mul(n) > MAX_MATERIALISED {
        return Err("MemoryError: the repeated list is too large for the tutor".to_string());
    }
    let mut out = Vec::with_capacity(items.len() * n);
    for _ in 0..n {
        out.extend(items.iter().cloned());
    }
    Ok(Value::PyList(ValueExpr::List(out)))
}

fn list_items(e: &ValueExpr) -> &[ValueExpr] {
    match e {
        ValueExpr::List(v) => v,
        _ => &[],
    }
}

/// Python's behaviour for an operator with a list on at least one side and no NumPy object.
fn list_op(op: BinOp, x: &Value, y: &Value) -> Result<Value, String> {
    let unsupported = || {
        Err(format!(
            "TypeError: unsupported operand type(s) for {}: '{}' and '{}'",
            op_symbol(op),
            py_type_name(x),
            py_type_name(y)
        ))
    };
    match (op, x, y) {
        (BinOp::Add, Value::PyList(a), Value::PyList(b)) => {
            let mut out = list_items(a).to_vec();
            out.extend(list_items(b).iter().cloned());
            if out.len() > MAX_MATERIALISED {
                return Err("MemoryError: the list is too large for the tutor".to_string());
            }
            Ok(Value::PyList(ValueExpr::List(out)))
        }
        (BinOp::Add, Value::PyList(_), other) => Err(format!(
            "TypeError: can only concatenate list (not \"{}\") to list",
            py_type_name(other)
        )),
        (BinOp::Mul, Value::PyList(l), Value::PyScalar(s))
        | (BinOp::Mul, Value::PyScalar(s), Value::PyList(l)) => match s {
            Scalar::Float(_) | Scalar::Long(_) => {
                Err("TypeError: can't multiply sequence by non-int of type 'float'".to_string())
            }
            Scalar::Complex(..) | Scalar::CLong(..) => {
                Err("TypeError: can't multiply sequence by non-int of type 'complex'".to_string())
            }
            Scalar::Bool(b) => repeat_list(list_items(l), *b as i128),
            Scalar::Int(i) => repeat_list(list_items(l), *i as i128),
            Scalar::UInt(u) => repeat_list(list_items(l), *u as i128),
            Scalar::Big(_) => {
                Err("OverflowError: cannot fit 'int' into an index-sized integer".to_string())
            }
        },
        (BinOp::Mul, Value::PyList(_), Value::PyList(_)) => {
            Err("TypeError: can't multiply sequence by non-int of type 'list'".to_string())
        }
        _ => unsupported(),
    }
}

/// `a <op> b` between two scalars (an object array's elements), Python's or NumPy's rules.
pub(crate) fn binary_scalars(op: BinOp, a: Value, b: Value) -> Result<Value, String> {
    binary(op, a, b)
}

/// `a <op> b` with Python's dispatch: Python objects alone follow Python's rules, anything
/// with a NumPy object follows NumPy's (NEP 50 promotion, broadcasting).
fn binary(op: BinOp, vx: Value, vy: Value) -> Result<Value, String> {
    use Value::*;
    let (ax, ay) = match (vx, vy) {
        (PyScalar(a), PyScalar(b)) => return Ok(PyScalar(py_arith(op, a, b)?)),
        (x @ PyList(_), y @ (PyList(_) | PyScalar(_))) | (x @ PyScalar(_), y @ PyList(_)) => {
            return list_op(op, &x, &y)
        }
        // list.__mul__ takes any integer with __index__, NumPy integers included; any other
        // NumPy scalar makes both list.__mul__ and the scalar's __rmul__ give up.
        (PyList(l), NpScalar(s, dt)) | (NpScalar(s, dt), PyList(l)) if op == BinOp::Mul => {
            let n = match s {
                Scalar::Int(i) => i as i128,
                Scalar::UInt(u) => u as i128,
                _ => {
                    return Err(format!(
                        "TypeError: can't multiply sequence by non-int of type 'numpy.{}'",
                        dt.name()
                    ))
                }
            };
            return repeat_list(list_items(&l), n);
        }
        // An object array on either side (a list holding a Python int beyond 64 bits becomes
        // one): Python's arithmetic per element.
        (x, y)
            if matches!(x, Object(_))
                || matches!(y, Object(_))
                || matches!(&x, PyList(e) if object::list_has_big(e))
                || matches!(&y, PyList(e) if object::list_has_big(e)) =>
        {
            return object::binary(op, x, y)
        }
        (PyScalar(a), other) => {
            let o = to_array(other)?;
            (weak_to_array(a, o.dtype, op)?, o)
        }
        (other, PyScalar(b)) => {
            let o = to_array(other)?;
            let w = weak_to_array(b, o.dtype, op)?;
            (o, w)
        }
        (p, q) => (to_array(p)?, to_array(q)?),
    };
    let common = promote(ax.dtype, ay.dtype);
    if common.kind == Kind::Bool && op == BinOp::Sub {
        return Err("TypeError: numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, the `^` operator, or the logical_xor function instead.".to_string());
    }
    let (compute, result) = match op {
        BinOp::Div if !matches!(common.kind, Kind::Float | Kind::Complex) => {
            (DType::FLOAT64, DType::FLOAT64)
        }
        _ => (common, common),
    };
    let (shape, sa, sb) = broadcast_pair(&ax.shape, &ay.shape)?;
    Ok(scalarize(Lazy::new(
        shape,
        result,
        Node::Binary {
            op,
            a: Box::new(ax),
            a_strides: sa,
            b: Box::new(ay),
            b_strides: sb,
            compute,
        },
    )))
}

/// `-x` / `+x`: Python's rules for Python objects, NumPy's for NumPy objects.
pub(crate) fn unary(op: UnOp, v: Value) -> Result<Value, String> {
    let sign = match op {
        UnOp::Neg => "-",
        UnOp::Pos => "+",
    };
    match v {
        Value::PyScalar(s) => Ok(Value::PyScalar(match (op, s) {
            (UnOp::Neg, Scalar::Float(f)) => Scalar::Float(-f),
            (UnOp::Neg, Scalar::Complex(re, im)) => Scalar::Complex(-re, -im),
            (UnOp::Neg, Scalar::Long(x)) => Scalar::Long(-x),
            (UnOp::Neg, Scalar::CLong(re, im)) => Scalar::CLong(-re, -im),
            (UnOp::Neg, Scalar::Big(v)) => py_int(-v.get())?,
            (UnOp::Pos, Scalar::Float(f)) => Scalar::Float(f),
            (UnOp::Neg, Scalar::Bool(b)) => Scalar::Int(-(b as i64)),
            (UnOp::Pos, Scalar::Bool(b)) => Scalar::Int(b as i64),
            (UnOp::Neg, Scalar::Int(i)) => py_int_value(-(i as i128)),
            (UnOp::Neg, Scalar::UInt(u)) => py_int_value(-(u as i128)),
            (UnOp::Pos, other) => other,
        })),
        Value::PyList(_) => Err(format!(
            "TypeError: bad operand type for unary {sign}: 'list'"
        )),
        Value::Object(o) => object::unary_objects(op, o),
        other => {
            let a = to_array(other)?;
            if a.dtype.kind == Kind::Bool {
                return Err(match op {
                    UnOp::Neg => "TypeError: The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the logical_not function instead.".to_string(),
                    UnOp::Pos => "UFuncTypeError: ufunc 'positive' did not contain a loop with signature matching types <class 'numpy.dtypes.BoolDType'> -> None".to_string(),
                });
            }
            let (shape, dt) = (a.shape.clone(), a.dtype);
            Ok(scalarize(match op {
                UnOp::Neg => Lazy::new(shape, dt, Node::Neg(Box::new(a))),
                UnOp::Pos => a,
            }))
        }
    }
}

/// NumPy's message for a reshape that does not fit, shape printed as NumPy's
/// `convert_shape_to_string` does (leading unknowns dropped, later ones as `newaxis`).
fn reshape_error(size: usize, dims: &[i64]) -> String {
    let first = dims.iter().position(|&d| d >= 0);
    let shown = match first {
        None => "()".to_string(),
        Some(i) => {
            let mut s = format!("({}", dims[i]);
            for &d in &dims[i + 1..] {
                if d < 0 {
                    s.push_str(",newaxis");
                } else {
                    s.push_str(&format!(",{d}"));
                }
            }
            s.push_str(if dims.len() == 1 { ",)" } else { ")" });
            s
        }
    };
    format!("ValueError: cannot reshape array of size {size} into shape {shown}")
}

fn reshape(a: Lazy, dims: &[i64]) -> Result<Lazy, String> {
    let size = a.size();
    let unknown = dims.iter().filter(|&&d| d < 0).count();
    if unknown > 1 {
        return Err("ValueError: can only specify one unknown dimension".to_string());
    }
    let bad = || reshape_error(size, dims);
    let known: usize = dims
        .iter()
        .filter(|&&d| d >= 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .ok_or_else(bad)?;
    let shape: Vec<usize> = if unknown == 1 {
        if known == 0 || !size.is_multiple_of(known) {
            return Err(bad());
        }
        dims.iter()
            .map(|&d| if d < 0 { size / known } else { d as usize })
            .collect()
    } else {
        if known != size {
            return Err(bad());
        }
        dims.iter().map(|&d| d as usize).collect()
    };
    if shape.len() > 64 {
        return Err(format!(
            "ValueError: maximum supported dimension for an ndarray is currently 64, found {}",
            shape.len()
        ));
    }
    let dt = a.dtype;
    Ok(Lazy::new(shape, dt, Node::Reshape(Box::new(a))))
}

fn cast(a: Lazy, dt: DType) -> Lazy {
    Lazy::new(a.shape.clone(), dt, Node::Cast(Box::new(a)))
}

/// `np.arange(start, stop, step)` before any `dtype=`.
fn arange(start: &Scalar, stop: &Scalar, step: &Scalar) -> Result<Lazy, String> {
    let is_int = |s: &Scalar| {
        !matches!(
            s,
            Scalar::Float(_) | Scalar::Complex(..) | Scalar::Long(_) | Scalar::CLong(..)
        )
    };
    if is_int(start) && is_int(stop) && is_int(step) {
        let to_i = |s: &Scalar| -> i128 {
            match *s {
                // Beyond 127 bits the i64 conversions below raise as they do for any Big.
                Scalar::Big(ref v) => v
                    .get()
                    .clamp(&BigInt::from(i128::MIN), &BigInt::from(i128::MAX))
                    .try_into()
                    .unwrap_or(0),
                Scalar::Bool(b) => b as i128,
                Scalar::Int(i) => i as i128,
                Scalar::UInt(u) => u as i128,
                Scalar::Float(f) | Scalar::Complex(f, _) => f as i128,
                Scalar::Long(x) | Scalar::CLong(x, _) => x.to_f64() as i128,
            }
        };
        let (a, b, st) = (to_i(start), to_i(stop), to_i(step));
        if st == 0 {
            return Err("ZeroDivisionError: division by zero".to_string());
        }
        let n = (b - a).div_euclid(st) + i128::from((b - a).rem_euclid(st) != 0);
        let n = usize::try_from(n.max(0))
            .map_err(|_| "ValueError: Maximum allowed size exceeded".to_string())?;
        let too_large = || "OverflowError: Python int too large to convert to C long".to_string();
        let (a, st) = (
            i64::try_from(a).map_err(|_| too_large())?,
            i64::try_from(st).map_err(|_| too_large())?,
        );
        Ok(Lazy::new(
            vec![n],
            DType::INT64,
            Node::ArangeInt { start: a, step: st },
        ))
    } else {
        let (a, b, st) = (start.as_f64(), stop.as_f64(), step.as_f64());
        if st == 0.0 {
            return Err("ZeroDivisionError: division by zero".to_string());
        }
        let len = ((b - a) / st).ceil();
        if len.is_nan() {
            return Err("ValueError: arange: cannot compute length".to_string());
        }
        if len > 1e18 {
            return Err("ValueError: Maximum allowed size exceeded".to_string());
        }
        let n = if len > 0.0 { len as usize } else { 0 };
        Ok(Lazy::new(
            vec![n],
            DType::FLOAT64,
            Node::ArangeFloat {
                start: a,
                delta: (a + st) - a,
            },
        ))
    }
}

/// True when `np.arange` needs Python's arithmetic on its arguments: a Python int beyond 64
/// bits, or one beyond int64 among integers (NumPy then computes in float64 or object).
fn python_length(start: &Scalar, stop: &Scalar, step: &Scalar) -> bool {
    let args = [start, stop, step];
    args.iter().any(|s| matches!(s, Scalar::Big(_)))
        || (args.iter().any(|s| matches!(s, Scalar::UInt(_)))
            && args
                .iter()
                .all(|s| matches!(s, Scalar::Int(_) | Scalar::UInt(_) | Scalar::Bool(_))))
}

/// NumPy's arange length from Python objects: `ceil((stop - start) / step)` with Python's
/// arithmetic (ZeroDivisionError, OverflowError), which must fit an intp.
pub(crate) fn arange_len(start: &Scalar, stop: &Scalar, step: &Scalar) -> Result<usize, String> {
    let span = py_arith(BinOp::Sub, stop.clone(), start.clone())?;
    // NumPy reports a quotient too large for a float as a size error (measured:
    // `np.arange(10**400)` is "Maximum allowed size exceeded", not OverflowError).
    let f = py_arith(BinOp::Div, span, step.clone())
        .map_err(|e| {
            if e.starts_with("OverflowError") {
                "ValueError: Maximum allowed size exceeded".to_string()
            } else {
                e
            }
        })?
        .as_f64();
    if f.is_nan() {
        return Err("ValueError: arange: cannot compute length".to_string());
    }
    let c = f.ceil();
    let limit = 2f64.powi(63); // intp
    if !(-limit..limit).contains(&c) {
        return Err("ValueError: Maximum allowed size exceeded".to_string());
    }
    Ok(if c > 0.0 { c as usize } else { 0 })
}

/// `np.arange(..., dtype=dt)` (or float64 when int64 meets uint64) whose length needs Python's
/// arithmetic: the first element is `start` and the second `start + step` converted into
/// `dt` with Python's checks (measured: `np.arange(0, 2**63, 2**62, dtype=np.int8)` raises
/// for 2**62), the rest filled from those two as NumPy's typed fill does.
fn arange_typed(start: &Scalar, stop: &Scalar, step: &Scalar, dt: DType) -> Result<Lazy, String> {
    let n = arange_len(start, stop, step)?;
    if dt.kind == Kind::Bool && n > 2 {
        return Err("TypeError: arange() is only supported for booleans when the result has at most length 2.".to_string());
    }
    if n == 0 {
        return Ok(Lazy::new(vec![0], dt, Node::Data(vec![])));
    }
    let first = py_convert(start.clone(), &dt)?;
    if n == 1 {
        return Ok(Lazy::new(vec![1], dt, Node::Data(vec![first])));
    }
    let second = py_convert(py_arith(BinOp::Add, start.clone(), step.clone())?, &dt)?;
    if n == 2 {
        return Ok(Lazy::new(vec![2], dt, Node::Data(vec![first, second])));
    }
    let fill = match dt.kind {
        Kind::Float | Kind::Complex => {
            let (a, b) = (first.as_f64(), second.as_f64());
            Lazy::new(
                vec![n],
                DType::FLOAT64,
                Node::ArangeFloat {
                    start: a,
                    delta: b - a,
                },
            )
        }
        _ => {
            let bits = |s: &Scalar| match *s {
                Scalar::Int(i) => i,
                Scalar::UInt(u) => u as i64,
                Scalar::Bool(b) => i64::from(b),
                _ => 0,
            };
            let (a, b) = (bits(&first), bits(&second));
            Lazy::new(
                vec![n],
                DType::INT64,
                Node::ArangeInt {
                    start: a,
                    step: b.wrapping_sub(a),
                },
            )
        }
    };
    Ok(cast(fill, dt))
}

/// A constructor called with `dtype=`.
fn with_dtype(inner: &ValueExpr, dt: DType) -> Result<Value, String> {
    match inner {
        // `copyto(a, np.float32(x), casting='unsafe')`: a NumPy scalar fill is cast.
        ValueExpr::FullOf { shape, fill } => {
            let shape = shape_from_u64(shape)?;
            match compile(fill)? {
                Value::NpScalar(s, _) => {
                    Ok(Value::Array(Lazy::new(shape, dt, Node::Fill(s.cast(&dt)))))
                }
                _ => Err("TypeError: the fill value must be a number".to_string()),
            }
        }
        ValueExpr::Full { shape, fill } => {
            let shape = shape_from_u64(shape)?;
            // `copyto(a, fill, casting='unsafe')`: a Python int is range-checked (NEP 50), a
            // float or bool is cast like an array element.
            let fill = match fill {
                // copyto into bool converts a Python int through a C long (measured:
                // `np.full(2, 2**63, dtype=bool)` raises, `np.full(2, -5, dtype=bool)` is True).
                Scalar::UInt(u) if dt.kind == Kind::Bool && *u > i64::MAX as u64 => {
                    return Err(
                        "OverflowError: Python int too large to convert to C long".to_string()
                    )
                }
                Scalar::Big(_) if dt.kind == Kind::Bool => {
                    return Err(
                        "OverflowError: Python int too large to convert to C long".to_string()
                    )
                }
                Scalar::Int(_) | Scalar::UInt(_) | Scalar::Big(_) => py_convert(fill.clone(), &dt)?,
                other => other.cast(&dt),
            };
            Ok(Value::Array(Lazy::new(shape, dt, Node::Fill(fill))))
        }
        ValueExpr::Arange { start, stop, step } if python_length(start, stop, step) => {
            Ok(Value::Array(arange_typed(start, stop, step, dt)?))
        }
        ValueExpr::Arange { start, stop, step } => {
            let a = arange(start, stop, step)?;
            if dt.kind == Kind::Bool && a.size() > 2 {
                return Err("TypeError: arange() is only supported for booleans when the result has at most length 2.".to_string());
            }
            if matches!(dt.kind, Kind::Int | Kind::UInt) && a.size() > 0 {
                // NumPy stores `start` into the dtype with Python's range check when the
                // result has an element (measured: `np.arange(-2, 5, dtype=np.uint8)` raises,
                // `np.arange(-2, -2, dtype=np.uint8)` is empty; later values wrap).
                py_convert(start.clone(), &dt)?;
            }
            Ok(Value::Array(cast(a, dt)))
        }
        ValueExpr::Linspace { .. } => {
            let a = to_array(compile(inner)?)?;
            // NumPy 2 floors before casting to an integer dtype.
            let a = if matches!(dt.kind, Kind::Int | Kind::UInt) {
                Lazy::new(a.shape.clone(), a.dtype, Node::Floor(Box::new(a)))
            } else {
                a
            };
            Ok(Value::Array(cast(a, dt)))
        }
        _ => match compile(inner)? {
            Value::PyList(e) => Ok(Value::Array(list_to_array(&e, Some(dt))?)),
            Value::Object(o) => Ok(Value::Array(objects_into(&o, dt)?)),
            Value::PyScalar(s) => Ok(Value::Array(Lazy::new(
                vec![],
                dt,
                Node::Fill(py_convert(s, &dt)?),
            ))),
            other => Ok(Value::Array(cast(to_array(other)?, dt))),
        },
    }
}

/// `np.linspace(start, stop, num, endpoint)` as NumPy computes it (float64).
fn linspace(start: f64, stop: f64, num: u64, endpoint: bool) -> Result<Value, String> {
    let num = usize::try_from(num)
        .map_err(|_| "ValueError: Maximum allowed size exceeded".to_string())?;
    let div = if endpoint { num.saturating_sub(1) } else { num } as f64;
    let delta = stop - start;
    let step = if div > 0.0 { delta / div } else { f64::NAN };
    Ok(Value::Array(Lazy::new(
        vec![num],
        DType::FLOAT64,
        Node::Linspace {
            start,
            stop,
            step,
            div,
            delta,
            num,
            endpoint,
        },
    )))
}

/// `x.astype(BAD)` or a constructor with `dtype=BAD`: the receiver (or the constructor's Python arguments)
/// first, then NumPy's TypeError for the dtype, raised before anything is built.
fn bad_dtype(of: &ValueExpr, text: &str, astype: bool) -> Result<Value, String> {
    if astype {
        no_method(&compile(of)?, "astype")?;
    } else {
        match of {
            ValueExpr::FullOf { fill, .. } => drop(compile(fill)?),
            ValueExpr::Arange { .. } | ValueExpr::Linspace { .. } | ValueExpr::Full { .. } => {}
            // np.array's argument.
            other => drop(compile(other)?),
        }
    }
    Err(match DType::parse(text) {
        Err(e) => e.to_string(),
        Ok(_) => crate::numpy::dtype::DTypeError::NotUnderstood(text.to_string()).to_string(),
    })
}

/// Compile a value expression (errors are NumPy's, raised while evaluating the right-hand side).
pub(crate) fn compile(expr: &ValueExpr) -> Result<Value, String> {
    match expr {
        ValueExpr::Scalar(s) => Ok(Value::PyScalar(s.clone())),
        ValueExpr::List(_) => {
            // Python builds the list first: a NumPy scalar in it raises its errors now.
            list_leaves(expr, &mut Vec::new())?;
            Ok(Value::PyList(expr.clone()))
        }
        ValueExpr::FullOf { shape, fill } => {
            let shape = shape_from_u64(shape)?;
            match compile(fill)? {
                Value::NpScalar(s, dt) => Ok(Value::Array(Lazy::new(shape, dt, Node::Fill(s)))),
                _ => Err("TypeError: the fill value must be a number".to_string()),
            }
        }
        ValueExpr::Arange { start, stop, step } if python_length(start, stop, step) => {
            if [start, stop, step]
                .iter()
                .any(|s| matches!(s, Scalar::Big(_)))
            {
                // NumPy discovers the object dtype, as for `np.array([start, stop, step])`.
                object::arange(start, stop, step)
            } else {
                // int64 (NumPy's starting point) with uint64 promotes to float64.
                Ok(Value::Array(arange_typed(
                    start,
                    stop,
                    step,
                    DType::FLOAT64,
                )?))
            }
        }
        ValueExpr::Arange { start, stop, step } => Ok(Value::Array(arange(start, stop, step)?)),
        ValueExpr::Linspace {
            start,
            stop,
            num,
            endpoint,
        } => linspace(*start, *stop, *num, *endpoint),
        ValueExpr::Full { shape, fill } => {
            let dt = py_dtype(fill);
            let shape = shape_from_u64(shape)?;
            if let Scalar::Big(_) = fill {
                return object::full(shape, fill.clone());
            }
            Ok(Value::Array(Lazy::new(
                shape,
                dt,
                Node::Fill(py_convert(fill.clone(), &dt)?),
            )))
        }
        ValueExpr::Reshape(inner, dims) => {
            let v = compile(inner)?;
            no_method(&v, "reshape")?;
            if let Value::Object(o) = v {
                let shape = reshape(
                    Lazy::new(o.shape, DType::BOOL, Node::Fill(Scalar::Bool(false))),
                    dims,
                )?
                .shape;
                return Ok(Value::Object(Objects {
                    shape,
                    items: o.items,
                }));
            }
            Ok(Value::Array(reshape(to_array(v)?, dims)?))
        }
        ValueExpr::AsType(inner, dt) => {
            let v = compile(inner)?;
            no_method(&v, "astype")?;
            Ok(match v {
                Value::NpScalar(s, _) => Value::NpScalar(s.cast(dt), *dt),
                Value::Object(o) => Value::Array(objects_into(&o, *dt)?),
                other => Value::Array(cast(to_array(other)?, *dt)),
            })
        }
        ValueExpr::ScalarCall(inner, dt) => match compile(inner)? {
            // `np.uint8(300)`: the Python number is converted with Python's range checks.
            Value::PyScalar(s) => Ok(Value::NpScalar(py_convert(s, dt)?, *dt)),
            Value::NpScalar(s, _) => Ok(Value::NpScalar(s.cast(dt), *dt)),
            Value::PyList(e) => Ok(Value::Array(list_to_array(&e, Some(*dt))?)),
            Value::Array(a) => Ok(scalarize(cast(a, *dt))),
            Value::Object(o) => Ok(scalarize(objects_into(&o, *dt)?)),
        },
        ValueExpr::Array(inner) => {
            let v = compile(inner)?;
            if let Some(o) = object::array(&v)? {
                return Ok(o);
            }
            Ok(Value::Array(to_array(v)?))
        }
        ValueExpr::WithDtype(inner, dt) => with_dtype(inner, *dt),
        ValueExpr::BadDtype { of, text, astype } => bad_dtype(of, text, *astype),
        ValueExpr::CallError {
            receiver,
            args,
            message,
            ..
        } => {
            if let Some(r) = receiver {
                no_method(&compile(r)?, "astype")?;
            }
            for a in args {
                compile(a)?;
            }
            Err(message.clone())
        }
        ValueExpr::Unary(op, inner) => unary(*op, compile(inner)?),
        ValueExpr::Binary(op, x, y) => {
            let (vx, vy) = (compile(x)?, compile(y)?);
            binary(*op, vx, vy)
        }
    }
}

/// An object array cast to `dt` (`astype`, `np.float32(...)`, `dtype=`): Python's conversion
/// of every element, the first failure raised.
fn objects_into(o: &Objects, dt: DType) -> Result<Lazy, String> {
    let data = object::convert(o, &dt)?;
    Ok(Lazy::new(o.shape.clone(), dt, Node::Data(data)))
}

/// A value ready to be written into a target of `dtype` with `ndim` axes.
pub struct Source {
    pub lazy: Lazy,
    /// True when elements still need NumPy's unsafe cast to the target (arrays); Python
    /// objects were already converted with Python's rules.
    pub needs_cast: bool,
    /// Python numbers of a list that matches the target's shape exactly: NumPy converts and
    /// stores them one at a time, so a failing element leaves the earlier ones stored.
    pub pending: Option<Vec<Leaf>>,
    /// True when `pending` comes from an object array: NumPy's array-to-array copy converts the
    /// elements in the target's memory order (axes by stride, negative strides flipped), not in
    /// its C order as a list's store does.
    pub memory_order: bool,
}

impl Source {
    fn ready(lazy: Lazy, needs_cast: bool) -> Source {
        Source {
            lazy,
            needs_cast,
            pending: None,
            memory_order: false,
        }
    }
}

/// Convert a compiled value for assignment into a target of `dtype` and `shape`; `element` is
/// true when the index picks a single element (NumPy's per-element setitem rules apply).
pub(crate) fn into_source(
    v: Value,
    dtype: &DType,
    shape: &[usize],
    element: bool,
) -> Result<Source, String> {
    let signed = dtype.kind == Kind::Int;
    match v {
        Value::PyScalar(s) => Ok(Source::ready(
            Lazy::new(vec![], *dtype, Node::Fill(py_convert(s, dtype)?)),
            false,
        )),
        // A NumPy scalar into a signed integer array goes through Python's int() and its
        // range check; into any other dtype it is cast.
        Value::NpScalar(s, _) if signed => {
            let py = match s {
                Scalar::Bool(b) => Scalar::Int(b as i64),
                // A NumPy complex scalar goes through its real part (a Python complex raises).
                Scalar::Complex(re, _) => Scalar::Float(re),
                other => other,
            };
            Ok(Source::ready(
                Lazy::new(vec![], *dtype, Node::Fill(py_convert(py, dtype)?)),
                false,
            ))
        }
        Value::NpScalar(s, sdt) => Ok(Source::ready(Lazy::new(vec![], sdt, Node::Fill(s)), true)),
        Value::PyList(e) if element => match dtype.kind {
            Kind::Int | Kind::UInt => Err("TypeError: int() argument must be a string, a bytes-like object or a real number, not 'list'".to_string()),
            // longdouble's setitem goes through Python's float().
            Kind::Float if dtype.size == 16 => Err("TypeError: float() argument must be a string or a real number, not 'list'".to_string()),
            Kind::Float => Err("ValueError: setting an array element with a sequence.".to_string()),
            Kind::Complex => Err("TypeError: must be real number, not list".to_string()),
            Kind::Bool => Ok(Source::ready(
                Lazy::new(
                    vec![],
                    *dtype,
                    Node::Fill(Scalar::Bool(!list_items(&e).is_empty())),
                ),
                false,
            )),
        },
        Value::PyList(e) => {
            let lshape = list_shape(&e, shape.len())?;
            let mut leaves = Vec::new();
            list_leaves(&e, &mut leaves)?;
            if lshape == shape {
                return Ok(Source {
                    lazy: Lazy::new(lshape, *dtype, Node::Fill(Scalar::Int(0))),
                    needs_cast: false,
                    pending: Some(leaves),
                    memory_order: false,
                });
            }
            let data = leaves
                .into_iter()
                .map(|l| leaf_convert(l, dtype))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Source::ready(Lazy::new(lshape, *dtype, Node::Data(data)), false))
        }
        Value::Array(l) if element && !l.shape.is_empty() => {
            if dtype.kind == Kind::Complex || dtype.is_longdouble() {
                return Err(
                    "TypeError: only 0-dimensional arrays can be converted to Python scalars"
                        .to_string(),
                );
            }
            if dtype.kind == Kind::Bool && l.size() == 1 {
                let b = l.at(0).cast(&DType::BOOL);
                return Ok(Source::ready(Lazy::new(vec![], *dtype, Node::Fill(b)), false));
            }
            Err("ValueError: setting an array element with a sequence.".to_string())
        }
        Value::Array(l) => Ok(Source::ready(l, true)),
        Value::Object(o) => object_source(o, dtype, shape, element),
    }
}

/// An object array stored into a target: Python's conversion of each element in the target's
/// C order (broadcast first), so a failing element leaves the earlier ones stored; into one
/// element, the rules of a typed array (measured with NumPy 2.4.6).
fn object_source(
    o: Objects,
    dtype: &DType,
    shape: &[usize],
    element: bool,
) -> Result<Source, String> {
    let fill = |s: Scalar| Source::ready(Lazy::new(vec![], *dtype, Node::Fill(s)), false);
    // A 0-d object array is converted once, and not at all into an empty selection (measured:
    // `a[4::3] = np.full((), -2**64)` into a 4-element int64 array stores nothing, no error).
    let empty = !element && crate::numpy::layout::checked_size(shape) == Some(0);
    if o.shape.is_empty() && !empty {
        let s = o.items.first().cloned().unwrap_or(Leaf::Py(Scalar::Int(0)));
        return Ok(fill(leaf_convert(s, dtype)?));
    }
    if element {
        if dtype.kind == Kind::Complex || dtype.is_longdouble() {
            return Err(
                "TypeError: only 0-dimensional arrays can be converted to Python scalars"
                    .to_string(),
            );
        }
        if dtype.kind == Kind::Bool && o.items.len() == 1 {
            return Ok(fill(leaf_convert(o.items[0].clone(), dtype)?));
        }
        return Err("ValueError: setting an array element with a sequence.".to_string());
    }
    // Leading length-1 axes of the value are dropped, as NumPy's assignment does.
    let lead = o.shape.iter().take_while(|&&d| d == 1).count();
    let vshape = &o.shape[lead.min(o.shape.len().saturating_sub(shape.len()))..];
    match broadcast_pair(vshape, shape) {
        Ok((out, strides, _)) if out == shape => {
            let n = crate::numpy::layout::checked_size(shape).unwrap_or(usize::MAX);
            if n > MAX_MATERIALISED {
                return Err(
                    "the tutor materialises NumPy object arrays and this store is too large"
                        .to_string(),
                );
            }
            let mut leaves = Vec::with_capacity(n);
            for flat in 0..n {
                let (mut i, mut rest) = (0usize, flat);
                for ax in (0..shape.len()).rev() {
                    let d = shape[ax].max(1);
                    i += (rest % d) * strides[ax];
                    rest /= d;
                }
                leaves.push(o.items[i].clone());
            }
            Ok(Source {
                lazy: Lazy::new(shape.to_vec(), *dtype, Node::Fill(Scalar::Int(0))),
                needs_cast: false,
                pending: Some(leaves),
                memory_order: true,
            })
        }
        // Not broadcastable: the store raises NumPy's broadcast error before converting.
        _ => Ok(Source::ready(
            Lazy::new(o.shape.clone(), *dtype, Node::Fill(Scalar::Int(0))),
            false,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_dtype_raises_numpys_type_error_after_the_operand() {
        let run = |t: &str| match crate::expr::value::parse_value_str(t) {
            Ok(v) => compile(&v).err(),
            Err(e) => panic!("{t}: {e}"),
        };
        let te = |d: &str| Some(format!("TypeError: data type '{d}' not understood"));
        assert_eq!(run("np.arange(3).astype('f3')"), te("f3"));
        assert_eq!(run("np.zeros(3, dtype='float_')"), te("float_"));
        assert_eq!(run("np.array([1, 2], dtype='Float64')"), te("Float64"));
        assert_eq!(
            run("np.full(2, np.uint8(5), dtype='int0')"),
            Some("TypeError: Alias 'int0' was removed in NumPy 2.0. Use a name without a digit at the end.".to_string())
        );
        // The receiver first: a list has no astype; np.uint8(300) raises before np.array sees the dtype.
        assert_eq!(
            run("[1, 2].astype('f3')"),
            Some("AttributeError: 'list' object has no attribute 'astype'".to_string())
        );
        assert!(run("np.array([np.uint8(300)], dtype='f3')")
            .is_some_and(|e| e.starts_with("OverflowError")));
    }

    #[test]
    fn call_forms_bind_as_python_binds_them() {
        let p = |t: &str| match crate::expr::value::parse_value_str(t) {
            Ok(v) => v,
            Err(e) => panic!("{t}: {e}"),
        };
        // Keyword and positional forms mean what NumPy's signature says.
        for (a, b) in [
            ("np.zeros(shape=3)", "np.zeros(3)"),
            ("np.zeros(3, float)", "np.zeros(3, dtype=float)"),
            ("np.zeros(3, dtype=None)", "np.zeros(3)"),
            ("np.arange(stop=3)", "np.arange(3)"),
            ("np.arange(1, stop=4)", "np.arange(1, 4)"),
            (
                "np.arange(1, 7, 2, float)",
                "np.arange(1, 7, 2, dtype=float)",
            ),
            (
                "np.linspace(start=0, stop=1, num=5)",
                "np.linspace(0, 1, 5)",
            ),
            (
                "np.linspace(0, 1, 5, False)",
                "np.linspace(0, 1, 5, endpoint=False)",
            ),
            ("np.full(shape=2, fill_value=3)", "np.full(2, 3)"),
            ("np.array((1, 2.5))", "np.array([1, 2.5])"),
            ("np.asarray(a=[1, 2])", "np.asarray([1, 2])"),
            ("np.array([1, 2], None)", "np.array([1, 2])"),
            (
                "np.arange(3).astype(dtype=float)",
                "np.arange(3).astype(float)",
            ),
            (
                "np.arange(3).astype(None)",
                "np.arange(3).astype('float64')",
            ),
        ] {
            assert_eq!(p(a), p(b), "{a}");
        }
        // A call Python binds but NumPy rejects is its TypeError when the value runs, printed as written.
        let v = p("np.zeros(3, foo=1)");
        assert_eq!(v.to_python(), "np.zeros(3, foo=1)");
        assert_eq!(
            compile(&v).err().as_deref(),
            Some("TypeError: zeros() got an unexpected keyword argument 'foo'")
        );
        assert_eq!(
            compile(&p("np.ones(2, shape=2)")).err().as_deref(),
            Some("TypeError: ones() got multiple values for argument 'shape'")
        );
        assert_eq!(
            compile(&p("np.arange(3, start=1)")).err().as_deref(),
            Some("TypeError: argument for arange() given by name ('start') and position (position 0)")
        );
        // Repeated keywords and a positional after a keyword are Python's SyntaxError: refused at load.
        assert!(
            crate::expr::value::parse_value_str("np.zeros(3, dtype=float, dtype=int)").is_err()
        );
        assert!(crate::expr::value::parse_value_str("np.zeros(shape=3, float)").is_err());
        // Parameters the subset does not model are refused at load.
        assert!(crate::expr::value::parse_value_str("np.zeros(3, order='F')").is_err());
    }

    #[test]
    fn np_array_of_a_constructor_with_dtype_casts_the_finished_array() {
        let v = crate::expr::value::parse_value_str("np.array(np.arange(-2, 2), dtype=np.uint8)")
            .expect("parses");
        assert_eq!(v.to_python(), "np.array(np.arange(-2, 2), dtype='uint8')");
        assert!(
            compile(&v).is_ok(),
            "a cast wraps; np.arange(-2, 2, dtype=np.uint8) would raise"
        );
        let v = crate::expr::value::parse_value_str("np.array([1, 2], dtype='float32')")
            .expect("parses");
        assert_eq!(v.to_python(), "np.array([1, 2], dtype='float32')");
        let v = crate::expr::value::parse_value_str("np.zeros(3, dtype='f3')").expect("parses");
        assert_eq!(v.to_python(), "np.zeros(3, dtype='f3')");
    }

    fn arr(v: Value) -> Lazy {
        to_array(v).unwrap()
    }

    #[test]
    fn arange_is_lazy() {
        // 10^9 int64 elements: 8 GB if materialised; evaluated at one index without allocation.
        let v = compile(&ValueExpr::Arange {
            start: Scalar::Int(0),
            stop: Scalar::Int(1_000_000_000),
            step: Scalar::Int(1),
        })
        .unwrap();
        let a = arr(v);
        assert_eq!(a.shape, vec![1_000_000_000]);
        assert_eq!(a.dtype, DType::INT64);
        assert_eq!(a.at(999_999_999), Scalar::Int(999_999_999));
        // Arithmetic on it stays lazy too.
        let e = ValueExpr::Binary(
            BinOp::Mul,
            Box::new(ValueExpr::Arange {
                start: Scalar::Int(0),
                stop: Scalar::Int(1_000_000_000),
                step: Scalar::Int(1),
            }),
            Box::new(ValueExpr::Scalar(Scalar::Float(0.5))),
        );
        let b = arr(compile(&e).unwrap());
        assert_eq!(b.dtype, DType::FLOAT64);
        assert_eq!(b.at(7), Scalar::Float(3.5));
    }

    #[test]
    fn float_arange_and_linspace() {
        let a = arr(compile(&ValueExpr::Arange {
            start: Scalar::Float(1.0),
            stop: Scalar::Float(2.0),
            step: Scalar::Float(0.3),
        })
        .unwrap());
        assert_eq!(a.shape, vec![4]);
        let l = arr(compile(&ValueExpr::Linspace {
            start: 0.0,
            stop: 1.0,
            num: 5,
            endpoint: true,
        })
        .unwrap());
        assert_eq!(l.at(1), Scalar::Float(0.25));
        assert_eq!(l.at(4), Scalar::Float(1.0));
    }

    #[test]
    fn promotion_rules() {
        let p = |a: &str, b: &str| promote(DType::parse(a).unwrap(), DType::parse(b).unwrap());
        assert_eq!(p("int8", "uint8"), DType::parse("int16").unwrap());
        assert_eq!(p("int64", "uint64"), DType::FLOAT64);
        assert_eq!(p("int16", "float32"), DType::parse("float32").unwrap());
        assert_eq!(p("int32", "float32"), DType::FLOAT64);
        assert_eq!(p("bool", "uint16"), DType::parse("uint16").unwrap());
        // Weak Python int keeps the array's dtype, and overflows with NumPy 2's message.
        let e = ValueExpr::Binary(
            BinOp::Add,
            Box::new(ValueExpr::ScalarCall(
                Box::new(ValueExpr::Scalar(Scalar::Int(1))),
                DType::UINT8,
            )),
            Box::new(ValueExpr::Scalar(Scalar::Int(300))),
        );
        assert_eq!(
            compile(&e).unwrap_err(),
            "OverflowError: Python integer 300 out of bounds for uint8"
        );
        // True division of ints is float64.
        let d = ValueExpr::Binary(
            BinOp::Div,
            Box::new(ValueExpr::Array(Box::new(ValueExpr::List(vec![
                ValueExpr::Scalar(Scalar::Int(1)),
            ])))),
            Box::new(ValueExpr::Scalar(Scalar::Int(2))),
        );
        let d = arr(compile(&d).unwrap());
        assert_eq!(d.dtype, DType::FLOAT64);
        assert_eq!(d.at(0), Scalar::Float(0.5));
    }

    #[test]
    fn broadcasting_in_binary() {
        let col = ValueExpr::Reshape(
            Box::new(ValueExpr::Arange {
                start: Scalar::Int(0),
                stop: Scalar::Int(3),
                step: Scalar::Int(1),
            }),
            vec![3, 1],
        );
        let row = ValueExpr::Arange {
            start: Scalar::Int(0),
            stop: Scalar::Int(4),
            step: Scalar::Int(1),
        };
        let e = ValueExpr::Binary(BinOp::Mul, Box::new(col), Box::new(row));
        let a = arr(compile(&e).unwrap());
        assert_eq!(a.shape, vec![3, 4]);
        assert_eq!(a.at(2 * 4 + 3), Scalar::Int(6));
        let bad = ValueExpr::Binary(
            BinOp::Add,
            Box::new(ValueExpr::Arange {
                start: Scalar::Int(0),
                stop: Scalar::Int(2),
                step: Scalar::Int(1),
            }),
            Box::new(ValueExpr::Arange {
                start: Scalar::Int(0),
                stop: Scalar::Int(3),
                step: Scalar::Int(1),
            }),
        );
        assert_eq!(
            compile(&bad).unwrap_err(),
            "ValueError: operands could not be broadcast together with shapes (2,) (3,) "
        );
    }

    #[test]
    fn python_conversion_rules() {
        let u8t = DType::UINT8;
        assert_eq!(
            py_convert(Scalar::Int(300), &u8t).unwrap_err(),
            "OverflowError: Python integer 300 out of bounds for uint8"
        );
        assert_eq!(
            py_convert(Scalar::Float(255.9), &u8t).unwrap(),
            Scalar::UInt(255)
        );
        assert!(py_convert(Scalar::Float(f64::NAN), &u8t).is_err());
        let ragged = ValueExpr::List(vec![
            ValueExpr::List(vec![
                ValueExpr::Scalar(Scalar::Int(1)),
                ValueExpr::Scalar(Scalar::Int(2)),
            ]),
            ValueExpr::List(vec![ValueExpr::Scalar(Scalar::Int(3))]),
        ]);
        assert_eq!(list_shape(&ragged, 2).unwrap_err(), "ValueError: setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part.");
        assert!(list_shape(&ragged, 1)
            .unwrap_err()
            .contains("maximum number of dimension of 1"));
    }
}

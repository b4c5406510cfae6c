//! NumPy object arrays of Python numbers: what `np.array([1, 2**64])` and `np.full(2, 10**30)`
//! make of Python ints beyond 64 bits. Every element keeps its Python type (int, float, complex,
//! bool, or a NumPy scalar such as `np.float32` or `np.clongdouble`), so element arithmetic is
//! Python's or NumPy's scalar arithmetic as that type decides; storing one into a typed array
//! converts it as NumPy's setitem does (measured with NumPy 2.4.6: `np.array([5, 300],
//! dtype=object)` into uint8 stores 5, then raises `OverflowError: Python integer 300 out of
//! bounds for uint8`; a `np.clongdouble(-1000)` element into uint8 is cast, 24).

use crate::expr::eval::{
    binary_scalars, broadcast_pair, leaf_convert, list_leaves, list_shape, py_arith, py_int_value,
    to_array, unary, Leaf, Value,
};
use crate::expr::value::{BinOp, UnOp, ValueExpr};
use crate::numpy::dtype::{DType, Kind, Scalar};

/// Elements an object array may hold here (they are materialised, unlike typed arrays).
const MAX_OBJECTS: usize = 1 << 22;

/// The tutor's cap on the Python ints beyond 64 bits that one computed object array holds:
/// their bits summed, each counted at least 512 (its allocation). 2^28 bits is 32 MiB of
/// digits; the work to compute them is bounded with it (each element at most
/// [`crate::numpy::pyint::MAX_BITS`]), so an untrusted lesson cannot make one operation run for minutes.
/// NumPy has no such limit; no lesson of ordinary size comes near it.
const MAX_OBJECT_BITS: u64 = 1 << 28;

/// The tutor's cap on the work of computing one object array: the bits of the Python ints
/// beyond 64 bits that its operations read (a product or quotient counted as the product of
/// its operands' lengths in 64-bit words, on top). The cap on the results alone
/// ([`MAX_OBJECT_BITS`]) does not bound operations whose results are small:
/// `np.full(4000000, 10**4299) / np.full(4000000, 10**4299)` is four million divisions of
/// 14,000-bit ints giving 1.0 (about 17 minutes in a debug build). 2^31 is about 150,000 such
/// subtractions or 7,000 such divisions; an arange of four million ints of 65 to 127 bits fits.
const MAX_OBJECT_WORK: u64 = 1 << 31;

/// Counts what an object array's Python ints cost while it is computed.
#[derive(Default)]
struct Budget {
    bits: u64,
    work: u64,
}

/// Bits of a Python int beyond 64 bits (0 for anything cheaper).
fn big_bits(s: &Leaf) -> u64 {
    match s {
        Leaf::Py(Scalar::Big(v)) => v.get().bits(),
        _ => 0,
    }
}

impl Budget {
    fn charge(&mut self, s: &Leaf) -> Result<(), String> {
        if let Leaf::Py(Scalar::Big(v)) = s {
            self.bits += v.get().bits().max(512);
            if self.bits > MAX_OBJECT_BITS {
                return Err(format!(
                    "the tutor stops at object arrays whose Python ints beyond 64 bits hold more than {MAX_OBJECT_BITS} bits in all (a resource limit; NumPy has none)"
                ));
            }
        }
        Ok(())
    }

    /// The work of one operation on `a` (and `b`), before it is done.
    fn operands(&mut self, op: Option<BinOp>, a: &Leaf, b: Option<&Leaf>) -> Result<(), String> {
        let (x, y) = (big_bits(a), b.map_or(0, big_bits));
        let product = match op {
            Some(BinOp::Mul | BinOp::Div) => (x / 64) * (y / 64),
            _ => 0,
        };
        self.work = self.work.saturating_add(x + y + product);
        if self.work > MAX_OBJECT_WORK {
            return Err(format!(
                "the tutor stops at object arrays whose Python ints beyond 64 bits take more than {MAX_OBJECT_WORK} bits of work to compute (a resource limit; NumPy has none)"
            ));
        }
        Ok(())
    }
}

/// An object array: its shape and its elements in C order, each a Python number or a NumPy
/// scalar (its type decides its arithmetic and its conversions).
#[derive(Debug, Clone)]
pub struct Objects {
    pub shape: Vec<usize>,
    pub items: Vec<Leaf>,
}

/// A typed array's element as NumPy's cast to object makes it (measured with NumPy 2.4.6:
/// `.astype(object)` and the object loops of `+ - * /`): bool and integer elements become
/// Python `bool`/`int`, float16/32/64 a Python `float`, complex64/128 a Python `complex`;
/// longdouble and clongdouble stay NumPy scalars (Python has no such type).
pub(crate) fn object_of(s: Scalar, dt: &DType) -> Leaf {
    match dt.kind {
        Kind::Bool => Leaf::Py(Scalar::Bool(s.as_f64() != 0.0)),
        Kind::Int | Kind::UInt => Leaf::Py(match s {
            Scalar::Int(i) => py_int_value(i as i128),
            Scalar::UInt(u) => py_int_value(u as i128),
            other => other,
        }),
        Kind::Float if dt.is_longdouble() => Leaf::Np(s, DType::LONGDOUBLE),
        Kind::Float => Leaf::Py(Scalar::Float(s.as_f64())),
        Kind::Complex if dt.size == 32 => Leaf::Np(s, crate::numpy::clong::CLONGDOUBLE),
        Kind::Complex => Leaf::Py(match s {
            c @ Scalar::Complex(..) => c,
            other => Scalar::Complex(other.as_f64(), 0.0),
        }),
    }
}

fn too_many() -> String {
    format!("the tutor materialises NumPy object arrays and stops at {MAX_OBJECTS} elements")
}

/// True when a list literal holds a Python int beyond 64 bits (NumPy then makes an object array).
pub(crate) fn list_has_big(e: &ValueExpr) -> bool {
    match e {
        ValueExpr::List(v) => v.iter().any(list_has_big),
        ValueExpr::Scalar(Scalar::Big(_)) => true,
        _ => false,
    }
}

/// The object array NumPy's `np.asarray(v)` makes, when it makes one: a Python int beyond 64
/// bits alone or in a list, or an object array already.
pub(crate) fn objects_of(v: &Value) -> Result<Option<Objects>, String> {
    match v {
        Value::Object(o) => Ok(Some(o.clone())),
        Value::PyScalar(s @ Scalar::Big(_)) => Ok(Some(Objects {
            shape: vec![],
            items: vec![Leaf::Py(s.clone())],
        })),
        // The list's elements as they are: NumPy scalars stay NumPy scalars in an object array.
        Value::PyList(e) if list_has_big(e) => {
            let shape = list_shape(e, 64)?;
            let mut items = Vec::new();
            list_leaves(e, &mut items)?;
            Ok(Some(Objects { shape, items }))
        }
        _ => Ok(None),
    }
}

/// `np.full(shape, fill)` with a Python int beyond 64 bits: an object array.
pub(crate) fn full(shape: Vec<usize>, fill: Scalar) -> Result<Value, String> {
    let n = crate::numpy::layout::checked_size(&shape).ok_or_else(too_many)?;
    if n > MAX_OBJECTS {
        return Err(too_many());
    }
    Ok(wrap_array(Objects {
        shape,
        items: vec![Leaf::Py(fill); n],
    }))
}

/// Any value cast to object: a Python number stays itself; a NumPy scalar or a typed array's
/// elements become what NumPy's cast to object makes of them ([`object_of`]).
fn as_objects(v: Value) -> Result<Objects, String> {
    if let Some(o) = objects_of(&v)? {
        return Ok(o);
    }
    match v {
        Value::PyScalar(s) => Ok(Objects {
            shape: vec![],
            items: vec![Leaf::Py(s)],
        }),
        Value::NpScalar(s, dt) => Ok(Objects {
            shape: vec![],
            items: vec![object_of(s, &dt)],
        }),
        other => {
            let a = to_array(other)?;
            let n = a.size();
            if n > MAX_OBJECTS {
                return Err(too_many());
            }
            Ok(Objects {
                shape: a.shape.clone(),
                items: (0..n).map(|i| object_of(a.at(i), &a.dtype)).collect(),
            })
        }
    }
}

/// `x <op> y` between two elements: Python's arithmetic between Python numbers, NumPy's scalar
/// arithmetic (NEP 50) once a NumPy scalar takes part (`np.int8(100) * 2` wraps to -56).
fn item_arith(op: BinOp, x: Leaf, y: Leaf) -> Result<Leaf, String> {
    match (x, y) {
        (Leaf::Py(a), Leaf::Py(b)) => Ok(Leaf::Py(py_arith(op, a, b)?)),
        (a, b) => into_leaf(binary_scalars(op, leaf_value(a), leaf_value(b))?),
    }
}

/// An element as a value of the expression language.
fn leaf_value(l: Leaf) -> Value {
    match l {
        Leaf::Py(s) => Value::PyScalar(s),
        Leaf::Np(s, dt) => Value::NpScalar(s, dt),
    }
}

/// A scalar result back as an element.
fn into_leaf(v: Value) -> Result<Leaf, String> {
    match v {
        Value::PyScalar(s) => Ok(Leaf::Py(s)),
        Value::NpScalar(s, dt) => Ok(Leaf::Np(s, dt)),
        Value::Array(a) if a.shape.is_empty() => Ok(Leaf::Np(a.at(0), a.dtype)),
        _ => Err("internal: scalar arithmetic gave an array".to_string()),
    }
}

/// An operation's result: a 0-d object result is the element itself (a Python number, or a
/// NumPy scalar such as `np.longdouble`), as NumPy returns it.
fn wrap(o: Objects) -> Value {
    if o.shape.is_empty() {
        leaf_value(
            o.items
                .into_iter()
                .next()
                .unwrap_or(Leaf::Py(Scalar::Int(0))),
        )
    } else {
        Value::Object(o)
    }
}

/// A constructed object array (`np.array(10**30)` stays a 0-d array).
fn wrap_array(o: Objects) -> Value {
    Value::Object(o)
}

/// `np.array(v)` / `np.asarray(v)` when `v` makes an object array.
pub(crate) fn array(v: &Value) -> Result<Option<Value>, String> {
    Ok(objects_of(v)?.map(wrap_array))
}

/// `np.arange` of Python objects (a Python int beyond 64 bits among the arguments): NumPy's
/// `OBJECT_fill`: `start`, `start + step`, then repeated `+ delta` with
/// `delta = (start + step) - start`, all in Python's arithmetic (so an int start with a float
/// step gives `[int, float, float, ...]`, as measured).
pub(crate) fn arange(start: &Scalar, stop: &Scalar, step: &Scalar) -> Result<Value, String> {
    let n = crate::expr::eval::arange_len(start, stop, step)?;
    if n > MAX_OBJECTS {
        return Err(too_many());
    }
    let mut items = Vec::with_capacity(n);
    if n >= 1 {
        items.push(Leaf::Py(start.clone()));
    }
    if n >= 2 {
        let second = py_arith(BinOp::Add, start.clone(), step.clone())?;
        let delta = py_arith(BinOp::Sub, second.clone(), start.clone())?;
        items.push(Leaf::Py(second));
        let mut cur = py_arith(BinOp::Add, start.clone(), delta.clone())?;
        let mut budget = Budget::default();
        let step = Leaf::Py(delta.clone());
        for _ in 2..n {
            budget.operands(Some(BinOp::Add), &Leaf::Py(cur.clone()), Some(&step))?;
            cur = py_arith(BinOp::Add, cur, delta.clone())?;
            let item = Leaf::Py(cur.clone());
            budget.charge(&item)?;
            items.push(item);
        }
    }
    Ok(wrap_array(Objects {
        shape: vec![n],
        items,
    }))
}

/// `a <op> b` with an object array on either side: Python's arithmetic per element, broadcast.
pub(crate) fn binary(op: BinOp, x: Value, y: Value) -> Result<Value, String> {
    let (a, b) = (as_objects(x)?, as_objects(y)?);
    let (shape, sa, sb) = broadcast_pair(&a.shape, &b.shape)?;
    let n = crate::numpy::layout::checked_size(&shape).ok_or_else(too_many)?;
    if n > MAX_OBJECTS {
        return Err(too_many());
    }
    let mut items = Vec::with_capacity(n);
    let mut budget = Budget::default();
    for flat in 0..n {
        let (mut ia, mut ib, mut rest) = (0usize, 0usize, flat);
        for ax in (0..shape.len()).rev() {
            let d = shape[ax].max(1);
            let i = rest % d;
            rest /= d;
            ia += i * sa[ax];
            ib += i * sb[ax];
        }
        budget.operands(Some(op), &a.items[ia], Some(&b.items[ib]))?;
        let r = item_arith(op, a.items[ia].clone(), b.items[ib].clone())?;
        budget.charge(&r)?;
        items.push(r);
    }
    Ok(wrap(Objects { shape, items }))
}

/// `-x` / `+x` of an object array: each element's own operator (Python's or NumPy's).
pub(crate) fn unary_objects(op: UnOp, o: Objects) -> Result<Value, String> {
    let mut items = Vec::with_capacity(o.items.len());
    let mut budget = Budget::default();
    for s in o.items {
        budget.operands(None, &s, None)?;
        let r = into_leaf(unary(op, leaf_value(s))?)?;
        budget.charge(&r)?;
        items.push(r)
    }
    Ok(wrap(Objects {
        shape: o.shape,
        items,
    }))
}

/// Every element converted into `dt` as `astype` and assignment do (NumPy's setitem: Python's
/// int()/float() for Python numbers, NumPy's rules for NumPy scalars), the first failure raised.
pub(crate) fn convert(o: &Objects, dt: &DType) -> Result<Vec<Scalar>, String> {
    let mut budget = Budget::default();
    o.items
        .iter()
        .map(|s| {
            budget.operands(None, s, None)?;
            leaf_convert(s.clone(), dt)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Scalar {
        Scalar::Complex(re, im)
    }

    fn same(a: &Scalar, b: &Scalar) -> bool {
        match (a, b) {
            (Scalar::Complex(w, x), Scalar::Complex(y, z)) => {
                (w == y || w.is_nan() && y.is_nan()) && (x == z || x.is_nan() && z.is_nan())
            }
            _ => a == b,
        }
    }

    #[test]
    fn python_complex_arithmetic_is_cpythons() {
        // python3.11: complex(1, 2) / complex(3, -4), complex(inf, inf) / complex(1, 1), ...
        let inf = f64::INFINITY;
        let cases = [
            (BinOp::Div, c(1.0, 2.0), c(3.0, -4.0), c(-0.2, 0.4)),
            (BinOp::Mul, c(1.0, 2.0), c(3.0, -4.0), c(11.0, 2.0)),
            (BinOp::Div, c(inf, inf), c(1.0, 1.0), c(inf, f64::NAN)),
            (BinOp::Mul, c(inf, inf), c(1.0, 1.0), c(f64::NAN, inf)),
            (BinOp::Div, c(1e308, 1e308), c(1e-308, 1e-308), c(inf, 0.0)),
            (BinOp::Mul, Scalar::Int(2), c(inf, 0.0), c(inf, f64::NAN)),
            (BinOp::Div, Scalar::Int(2), c(inf, 0.0), c(0.0, 0.0)),
            (BinOp::Mul, c(1.0, inf), Scalar::Int(2), c(f64::NAN, inf)),
            (BinOp::Sub, Scalar::Float(2.5), c(0.0, -0.0), c(2.5, 0.0)),
        ];
        for (op, a, b, want) in cases {
            let got = py_arith(op, a.clone(), b.clone()).unwrap();
            assert!(
                same(&got, &want),
                "{a:?} {op:?} {b:?}: {got:?}, want {want:?}"
            );
        }
        assert_eq!(
            py_arith(BinOp::Div, c(1.0, 1.0), c(0.0, 0.0)).unwrap_err(),
            "ZeroDivisionError: complex division by zero"
        );
        // int -> float first: OverflowError past 2**1024.
        let huge = Scalar::py_int(num_bigint::BigInt::from(1) << 1100);
        assert!(py_arith(BinOp::Add, huge, c(1.0, 0.0))
            .unwrap_err()
            .starts_with("OverflowError"));
    }

    #[test]
    fn elements_keep_their_type() {
        // NumPy 2.4.6: np.array([2**64, np.int8(100)]) * 2 -> [36893488147419103232, np.int8(-56)]
        let o = Objects {
            shape: vec![2],
            items: vec![
                Leaf::Py(Scalar::py_int(num_bigint::BigInt::from(1) << 64)),
                Leaf::Np(Scalar::Int(100), DType::native(Kind::Int, 1)),
            ],
        };
        let Value::Object(r) = binary(
            BinOp::Mul,
            Value::Object(o),
            Value::PyScalar(Scalar::Int(2)),
        )
        .unwrap() else {
            panic!("not an object array")
        };
        assert_eq!(
            r.items[1],
            Leaf::Np(Scalar::Int(-56), DType::native(Kind::Int, 1))
        );
        // A typed array's elements cast to object: float32 -> Python float, complex64 -> Python
        // complex, clongdouble stays a NumPy scalar.
        let f4 = DType::native(Kind::Float, 4);
        assert_eq!(
            object_of(Scalar::Float(1.5), &f4),
            Leaf::Py(Scalar::Float(1.5))
        );
        let c8 = DType::native(Kind::Complex, 8);
        assert_eq!(object_of(c(1.0, 2.0), &c8), Leaf::Py(c(1.0, 2.0)));
        let g = crate::numpy::clong::CLONGDOUBLE;
        assert!(matches!(object_of(Scalar::Float(1.0).cast(&g), &g), Leaf::Np(_, d) if d == g));
        // Into an integer dtype a Python complex refuses int(); a np.clongdouble is cast.
        let u1 = DType::native(Kind::UInt, 1);
        assert!(leaf_convert(Leaf::Py(c(1.5, 0.0)), &u1)
            .unwrap_err()
            .starts_with("TypeError: int() argument"));
        let minus = Scalar::Float(-1000.0).cast(&g);
        assert_eq!(
            leaf_convert(Leaf::Np(minus, g), &u1).unwrap(),
            Scalar::UInt(24)
        );
    }
}

//! NumPy object arrays of Python numbers: what `np.array([1, 2**64])` and `np.full(2, 10**30)`
//! make of Python ints beyond 64 bits. Their elements follow Python's arithmetic; storing one
//! into a typed array converts it as Python's `int()`/`float()` does (measured with NumPy 2.4.6:
//! `np.array([5, 300], dtype=object)` into uint8 stores 5, then raises
//! `OverflowError: Python integer 300 out of bounds for uint8`).

use crate::expr::eval::{
    broadcast_pair, leaf_convert, list_leaves, list_shape, py_arith, to_array, unary, Leaf, Value,
};
use crate::expr::value::{BinOp, UnOp, ValueExpr};
use crate::numpy::dtype::{DType, Scalar};

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
fn big_bits(s: &Scalar) -> u64 {
    match s {
        Scalar::Big(v) => v.get().bits(),
        _ => 0,
    }
}

impl Budget {
    fn charge(&mut self, s: &Scalar) -> Result<(), String> {
        if let Scalar::Big(v) = s {
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
    fn operands(
        &mut self,
        op: Option<BinOp>,
        a: &Scalar,
        b: Option<&Scalar>,
    ) -> Result<(), String> {
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

/// An object array: its shape and its elements (Python numbers) in C order.
#[derive(Debug, Clone)]
pub struct Objects {
    pub shape: Vec<usize>,
    pub items: Vec<Scalar>,
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
            items: vec![s.clone()],
        })),
        Value::PyList(e) if list_has_big(e) => {
            let shape = list_shape(e, 64)?;
            let mut leaves = Vec::new();
            list_leaves(e, &mut leaves)?;
            let items = leaves
                .into_iter()
                .map(|l| match l {
                    Leaf::Py(s) | Leaf::Np(s, _) => s,
                })
                .collect();
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
        items: vec![fill; n],
    }))
}

/// Any value cast to object (a typed array's elements become Python numbers).
fn as_objects(v: Value) -> Result<Objects, String> {
    if let Some(o) = objects_of(&v)? {
        return Ok(o);
    }
    match v {
        Value::PyScalar(s) | Value::NpScalar(s, _) => Ok(Objects {
            shape: vec![],
            items: vec![s],
        }),
        other => {
            let a = to_array(other)?;
            let n = a.size();
            if n > MAX_OBJECTS {
                return Err(too_many());
            }
            Ok(Objects {
                shape: a.shape.clone(),
                items: (0..n).map(|i| a.at(i)).collect(),
            })
        }
    }
}

/// An operation's result: a 0-d object result is the Python object itself.
fn wrap(o: Objects) -> Value {
    if o.shape.is_empty() {
        Value::PyScalar(o.items.first().cloned().unwrap_or(Scalar::Int(0)))
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
        items.push(start.clone());
    }
    if n >= 2 {
        let second = py_arith(BinOp::Add, start.clone(), step.clone())?;
        let delta = py_arith(BinOp::Sub, second.clone(), start.clone())?;
        items.push(second);
        let mut cur = py_arith(BinOp::Add, start.clone(), delta.clone())?;
        let mut budget = Budget::default();
        for _ in 2..n {
            budget.operands(Some(BinOp::Add), &cur, Some(&delta))?;
            cur = py_arith(BinOp::Add, cur, delta.clone())?;
            budget.charge(&cur)?;
            items.push(cur.clone());
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
        let r = py_arith(op, a.items[ia].clone(), b.items[ib].clone())?;
        budget.charge(&r)?;
        items.push(r);
    }
    Ok(wrap(Objects { shape, items }))
}

/// `-x` / `+x` of an object array: Python's operator on every element.
pub(crate) fn unary_objects(op: UnOp, o: Objects) -> Result<Value, String> {
    let mut items = Vec::with_capacity(o.items.len());
    let mut budget = Budget::default();
    for s in o.items {
        budget.operands(None, &s, None)?;
        match unary(op, Value::PyScalar(s))? {
            Value::PyScalar(r) => {
                budget.charge(&r)?;
                items.push(r)
            }
            _ => return Err("internal: Python unary gave a non-number".to_string()),
        }
    }
    Ok(wrap(Objects {
        shape: o.shape,
        items,
    }))
}

/// Every element converted into `dt` as `astype` and assignment do (Python's int()/float()
/// for Python numbers, NumPy's cast for the np.longdouble results of longdouble arithmetic).
pub(crate) fn convert(o: &Objects, dt: &DType) -> Result<Vec<Scalar>, String> {
    let mut budget = Budget::default();
    o.items
        .iter()
        .map(|s| {
            budget.operands(None, s, None)?;
            leaf_convert(leaf(s.clone()), dt)
        })
        .collect()
}

/// An element as a list leaf: a longdouble is a NumPy scalar, anything else a Python number.
pub(crate) fn leaf(s: Scalar) -> Leaf {
    match s {
        Scalar::Long(_) => Leaf::Np(s, DType::LONGDOUBLE),
        other => Leaf::Py(other),
    }
}

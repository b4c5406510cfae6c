//! Value expressions for `assign`: literals, nested lists and a small NumPy subset (`np.arange(9).reshape(3, 3)`).

use serde::Serialize;

use crate::dtype::{DType, Scalar};

/// Binary arithmetic between values, with NumPy broadcasting and type promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A value expression. Evaluation is lazy (element by element) so a fill of a huge array
/// never builds a temporary the size of the array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ValueExpr {
    /// A Python literal: `5` (int), `2.5` (float), `True`, `nan`, `inf`.
    Scalar(Scalar),
    /// A nested list literal `[[1, 2], [3, 4]]`; NumPy infers int64, float64 or bool.
    List(Vec<ValueExpr>),
    /// `np.arange(stop)`, `np.arange(start, stop[, step])`; int64 when all arguments are ints.
    Arange {
        start: Scalar,
        stop: Scalar,
        step: Scalar,
    },
    /// `np.linspace(start, stop, num=50, endpoint=True)`, float64.
    Linspace {
        start: f64,
        stop: f64,
        num: u64,
        endpoint: bool,
    },
    /// `np.full(shape, fill)`, `np.zeros(shape)`, `np.ones(shape)`.
    Full { shape: Vec<u64>, fill: Scalar },
    /// `x.reshape(3, 3)`; one dimension may be `-1`.
    Reshape(Box<ValueExpr>, Vec<i64>),
    /// `x.astype('float32')` or `np.float32(x)`.
    AsType(Box<ValueExpr>, DType),
    /// `a + b`, `a - b`, `a * b`, `a / b`, and unary minus as `0 - x`.
    Binary(BinOp, Box<ValueExpr>, Box<ValueExpr>),
}

/// Parse a value from the lesson: a YAML scalar or sequence, or a string holding an expression.
pub fn parse_value(
    _yaml: &serde_yaml::Value,
) -> Result<ValueExpr, crate::lesson::index::ParseError> {
    todo!("lesson helper")
}

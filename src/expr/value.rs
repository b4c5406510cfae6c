//! Value expressions for `assign`: literals, nested lists and a small NumPy subset (`np.arange(9).reshape(3, 3)`).

use std::fmt;

use serde::Serialize;

use super::lex::{self, Tok, Token};
use super::suggest;
use super::ParseError;

use crate::numpy::dtype::{DType, DTypeError, Scalar};
use crate::python::py_repr;

/// Binary arithmetic between values, with NumPy broadcasting and type promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Unary `-x` and `+x`, evaluated with Python's and NumPy's rules (bool arrays refuse both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnOp {
    Neg,
    Pos,
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
    /// `np.full(shape, np.float32(2))`: a NumPy scalar fill gives the array its dtype.
    FullOf {
        shape: Vec<u64>,
        fill: Box<ValueExpr>,
    },
    /// `x.reshape(3, 3)`; one dimension may be `-1`.
    Reshape(Box<ValueExpr>, Vec<i64>),
    /// `x.astype('float32')`.
    AsType(Box<ValueExpr>, DType),
    /// `np.float32(x)`: a NumPy scalar from a number (an array from a list or an array).
    ScalarCall(Box<ValueExpr>, DType),
    /// `np.array(x)` / `np.asarray(x)` without `dtype=`.
    Array(Box<ValueExpr>),
    /// `dtype=` on `np.arange`, `np.linspace`, `np.full`/`zeros`/`ones` or `np.array`: the
    /// constructor builds that dtype (Python numbers are converted with range checks).
    WithDtype(Box<ValueExpr>, DType),
    /// `x.astype(BAD)` (`astype: true`) or a constructor with `dtype=BAD`, where BAD is a dtype NumPy does
    /// not understand (as written): NumPy raises its TypeError when the call runs, after the operand's
    /// Python parts were evaluated. `of` is what [`ValueExpr::AsType`] / [`ValueExpr::WithDtype`] would hold.
    BadDtype {
        of: Box<ValueExpr>,
        text: String,
        astype: bool,
    },
    /// A call Python binds but NumPy rejects (`np.zeros(3, foo=1)`, `np.full(2)`): the receiver (for a
    /// method) and the arguments are evaluated, then NumPy's TypeError `message`; `call` is the source.
    CallError {
        receiver: Option<Box<ValueExpr>>,
        call: String,
        args: Vec<ValueExpr>,
        message: String,
    },
    /// `a + b`, `a - b`, `a * b`, `a / b`.
    Binary(BinOp, Box<ValueExpr>, Box<ValueExpr>),
    /// `-x`, `+x` (folded into number literals, as Python's parser does).
    Unary(UnOp, Box<ValueExpr>),
}

/// Deepest nesting of lists, parentheses and calls accepted: Python's own parser stops at 200
/// (`SyntaxError: too many nested parentheses`), so NumPy never runs anything deeper. Also
/// guards the recursive parser's stack.
pub const MAX_DEPTH: usize = 200;

fn perr(column: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        column,
        message: message.into(),
    }
}

/// Parse a value from the lesson: a YAML scalar or sequence, or a string holding an expression.
pub(crate) fn parse_value(yaml: &serde_yaml::Value) -> Result<ValueExpr, ParseError> {
    yaml_value(yaml, 0)
}

/// Parse a value expression written as text, e.g. `np.arange(9).reshape(3, 3)`.
pub fn parse_value_str(text: &str) -> Result<ValueExpr, ParseError> {
    let toks = lex::tokenize(text)?;
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        depth: 0,
    };
    if p.peek().kind == Tok::End {
        return Err(perr(0, "expected a value, found an empty text"));
    }
    let col = p.peek().col;
    let node = p.expr()?;
    if p.peek().kind != Tok::End {
        return Err(p.error_here(format!(
            "expected an operator (+ - * /) or the end of the value, found {}",
            p.peek().kind.describe()
        )));
    }
    let v = node.into_value(col)?;
    check_list(&v, col)?;
    Ok(v)
}

fn yaml_value(yaml: &serde_yaml::Value, depth: usize) -> Result<ValueExpr, ParseError> {
    use serde_yaml::Value as Y;
    if depth > MAX_DEPTH {
        return Err(perr(
            0,
            format!("value is nested too deeply (more than {MAX_DEPTH} levels; Python: SyntaxError: too many nested parentheses)"),
        ));
    }
    let v = match yaml {
        Y::Bool(b) => ValueExpr::Scalar(Scalar::Bool(*b)),
        Y::Number(n) => ValueExpr::Scalar(if let Some(i) = n.as_i64() {
            Scalar::Int(i)
        } else if let Some(u) = n.as_u64() {
            Scalar::UInt(u)
        } else {
            Scalar::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        Y::String(s) => {
            let v = parse_value_str(s)?;
            if depth > 0 && !is_list_item(&v) {
                return Err(perr(0, format!("list elements must be numbers or lists, found `{s}`")));
            }
            v
        }
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(yaml_value(item, depth + 1)?);
            }
            let v = ValueExpr::List(out);
            if depth == 0 {
                check_list(&v, 0)?;
            }
            v
        }
        Y::Null => return Err(perr(0, "expected a value, found nothing (null)")),
        Y::Mapping(_) => {
            return Err(perr(
                0,
                "expected a number, a list or an expression, found a mapping (quote expressions that contain `: `)",
            ))
        }
        Y::Tagged(t) => {
            return Err(perr(
                0,
                format!("YAML tags such as `{}` are not supported in values", t.tag),
            ))
        }
    };
    Ok(v)
}

/// What a list literal may hold: numbers, lists and NumPy scalars of a number (`np.float64(15)`).
fn is_list_item(v: &ValueExpr) -> bool {
    match v {
        ValueExpr::Scalar(_) | ValueExpr::List(_) => true,
        ValueExpr::ScalarCall(x, _) => matches!(**x, ValueExpr::Scalar(_)),
        _ => false,
    }
}

/// Python arithmetic on Python numbers inside a list literal (`[1+2j, 3-1j]`, `[2*3, 1]`) is
/// done when the list is built, as Python does; anything else (or an error) is left as written.
fn fold_python_constant(v: ValueExpr) -> ValueExpr {
    match v {
        ValueExpr::Binary(op, a, b) => {
            let (a, b) = (fold_python_constant(*a), fold_python_constant(*b));
            if let (ValueExpr::Scalar(x), ValueExpr::Scalar(y)) = (&a, &b) {
                if let Ok(r) = crate::expr::eval::py_arith(op, x.clone(), y.clone()) {
                    return ValueExpr::Scalar(r);
                }
            }
            ValueExpr::Binary(op, Box::new(a), Box::new(b))
        }
        ValueExpr::Unary(UnOp::Neg, a) => negate(fold_python_constant(*a)),
        other => other,
    }
}

/// Lists must be rectangular and hold only numbers (NumPy rejects ragged nested lists).
fn check_list(v: &ValueExpr, col: usize) -> Result<(), ParseError> {
    fn shape(v: &ValueExpr, col: usize, depth: usize) -> Result<Vec<usize>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(perr(col, "list is nested too deeply"));
        }
        match v {
            ValueExpr::Scalar(_) => Ok(vec![]),
            ValueExpr::ScalarCall(x, _) if matches!(**x, ValueExpr::Scalar(_)) => Ok(vec![]),
            ValueExpr::List(items) => {
                let mut inner: Option<Vec<usize>> = None;
                for item in items {
                    let s = shape(item, col, depth + 1)?;
                    match &inner {
                        None => inner = Some(s),
                        Some(prev) if *prev != s => {
                            return Err(perr(
                                col,
                                "setting an array element with a sequence: the nested lists have \
                                 different lengths (inhomogeneous shape)",
                            ))
                        }
                        Some(_) => {}
                    }
                }
                let mut out = vec![items.len()];
                out.extend(inner.unwrap_or_default());
                Ok(out)
            }
            other => Err(perr(
                col,
                format!("list elements must be numbers or lists, found `{other}`"),
            )),
        }
    }
    fn walk(v: &ValueExpr, col: usize, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(perr(col, "value is nested too deeply"));
        }
        match v {
            ValueExpr::List(_) => shape(v, col, depth).map(|_| ()),
            ValueExpr::Reshape(x, _)
            | ValueExpr::AsType(x, _)
            | ValueExpr::ScalarCall(x, _)
            | ValueExpr::Array(x)
            | ValueExpr::WithDtype(x, _)
            | ValueExpr::BadDtype { of: x, .. }
            | ValueExpr::Unary(_, x) => walk(x, col, depth + 1),
            ValueExpr::Binary(_, a, b) => {
                walk(a, col, depth + 1)?;
                walk(b, col, depth + 1)
            }
            ValueExpr::CallError { receiver, args, .. } => receiver
                .iter()
                .map(|r| r.as_ref())
                .chain(args)
                .try_for_each(|x| walk(x, col, depth + 1)),
            _ => Ok(()),
        }
    }
    walk(v, col, 0)
}

/// Intermediate parse result: values plus the non-value things arguments can be.
#[derive(Debug)]
enum Node {
    Val(ValueExpr),
    /// `(a, b)` or `()`: shapes.
    Tuple(Vec<(Node, usize)>),
    /// A quoted string: dtype names.
    Str(String),
    /// `np.float32`, `float`: a dtype used as an argument.
    Type(DType),
    /// Python's `None` (only as `dtype=None`).
    NoneLit,
}

impl Node {
    fn into_value(self, col: usize) -> Result<ValueExpr, ParseError> {
        match self {
            Node::Val(v) => Ok(v),
            Node::Tuple(_) => Err(perr(
                col,
                "a tuple is not a value here (write a list `[...]` for array data)",
            )),
            Node::Str(s) => Err(perr(
                col,
                format!("the string '{s}' is not a value (strings name dtypes in `.astype(...)`)"),
            )),
            Node::Type(d) => Err(perr(
                col,
                format!("`{d}` is a type, not a value; call it to cast, e.g. `np.{d}(1)`"),
            )),
            Node::NoneLit => Err(perr(
                col,
                "`None` is not a value here (the subset takes it only as `dtype=None`)",
            )),
        }
    }

    /// The node as Python source, for a call NumPy rejects when it runs.
    fn source(&self) -> String {
        match self {
            Node::Val(v) => v.to_string(),
            Node::Str(s) => py_repr(s),
            Node::Type(d) => format!("np.{}", d.name()),
            Node::NoneLit => "None".to_string(),
            Node::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|(n, _)| n.source()).collect();
                match parts.len() {
                    1 => format!("({},)", parts[0]),
                    _ => format!("({})", parts.join(", ")),
                }
            }
        }
    }

    /// The values Python evaluates in this argument (a tuple's items too), in source order.
    fn values(&self, out: &mut Vec<ValueExpr>) {
        match self {
            Node::Val(v) => out.push(v.clone()),
            Node::Tuple(items) => items.iter().for_each(|(n, _)| n.values(out)),
            _ => {}
        }
    }
}

/// `np.array`'s data: a tuple is a sequence like a list.
fn array_object(node: Node, col: usize) -> Result<ValueExpr, ParseError> {
    match node {
        Node::Tuple(items) => Ok(ValueExpr::List(
            items
                .into_iter()
                .map(|(n, c)| array_object(n, c))
                .collect::<Result<_, _>>()?,
        )),
        other => other.into_value(col),
    }
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    depth: usize,
}

/// Arguments of a call: positional and keyword, each with its column.
struct Args {
    positional: Vec<(Node, usize)>,
    keywords: Vec<(String, Node, usize)>,
    /// Column of the closing `)`, for "missing argument" errors.
    end: usize,
}

const CAST_NAMES: &[&str] = &[
    "bool",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "half",
    "float32",
    "float64",
    "double",
    "single",
    "byte",
    "ubyte",
    "short",
    "ushort",
    "intc",
    "uintc",
    "int_",
    "intp",
    "uintp",
    "longlong",
    "ulonglong",
    "long",
    "ulong",
    "complex64",
    "complex128",
    "clongdouble",
    "complex256",
    "csingle",
    "cdouble",
    "longdouble",
    "float128",
];

const NP_FUNCS: &[&str] = &[
    "arange", "linspace", "full", "zeros", "ones", "array", "asarray", "nan", "inf", "pi", "e",
    "newaxis",
];

impl<'a> Parser<'a> {
    fn peek(&self) -> &'a Token {
        // tokenize always ends with End, so the last token is a safe fallback.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn error_here(&self, message: String) -> ParseError {
        perr(self.peek().col, message)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek().kind == Tok::Punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), ParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error_here(format!(
                "expected `{c}`{what}, found {}",
                self.peek().kind.describe()
            )))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!(
                "expression is nested too deeply (more than {MAX_DEPTH} levels; Python: SyntaxError: too many nested parentheses)"
            )));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let col = self.peek().col;
        let mut lhs = self.term()?;
        loop {
            let op = match self.peek().kind {
                Tok::Punct('+') => BinOp::Add,
                Tok::Punct('-') => BinOp::Sub,
                _ => break,
            };
            self.pos += 1;
            let rcol = self.peek().col;
            let rhs = self.term()?.into_value(rcol)?;
            lhs = Node::Val(ValueExpr::Binary(
                op,
                Box::new(lhs.into_value(col)?),
                Box::new(rhs),
            ));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Node, ParseError> {
        let col = self.peek().col;
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek().kind {
                Tok::Punct('*') => BinOp::Mul,
                Tok::Punct('/') => BinOp::Div,
                _ => break,
            };
            self.pos += 1;
            let rcol = self.peek().col;
            let rhs = self.unary()?.into_value(rcol)?;
            lhs = Node::Val(ValueExpr::Binary(
                op,
                Box::new(lhs.into_value(col)?),
                Box::new(rhs),
            ));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let col = self.peek().col;
        if self.eat('-') {
            self.enter()?;
            let inner = self.unary()?.into_value(self.peek().col.min(col + 1))?;
            self.depth -= 1;
            return Ok(Node::Val(negate(inner)));
        }
        if self.eat('+') {
            self.enter()?;
            let inner = self.unary()?.into_value(self.peek().col.min(col + 1))?;
            self.depth -= 1;
            return Ok(Node::Val(match inner {
                // `+True` is the int 1; `+5` and `+2.5` are the numbers themselves.
                ValueExpr::Scalar(Scalar::Bool(b)) => ValueExpr::Scalar(Scalar::Int(b as i64)),
                s @ ValueExpr::Scalar(_) => s,
                other => ValueExpr::Unary(UnOp::Pos, Box::new(other)),
            }));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Node, ParseError> {
        let col = self.peek().col;
        let mut node = self.primary()?;
        while self.peek().kind == Tok::Punct('.') {
            self.pos += 1;
            let mcol = self.peek().col;
            let name = match &self.peek().kind {
                Tok::Ident(n) => n.clone(),
                other => {
                    return Err(self.error_here(format!(
                        "expected a method name after `.`, found {}",
                        other.describe()
                    )))
                }
            };
            self.pos += 1;
            let recv = node.into_value(col)?;
            match name.as_str() {
                "reshape" => {
                    let args = self.call_args()?;
                    no_keywords(&args, "reshape")?;
                    let dims = reshape_dims(args)?;
                    node = Node::Val(ValueExpr::Reshape(Box::new(recv), dims));
                }
                "astype" => {
                    let args = self.call_args()?;
                    let call = format!("{}.astype({})", recv.receiver(), args_source(&args));
                    let mut slots = match bind(args, signature("astype"))? {
                        Ok(slots) => slots,
                        Err((message, args)) => {
                            node = Node::Val(ValueExpr::CallError {
                                receiver: Some(Box::new(recv)),
                                call,
                                args,
                                message,
                            });
                            continue;
                        }
                    };
                    let Some((arg, acol)) = slots[0].take() else {
                        return Err(perr(mcol, "`.astype` needs a dtype"));
                    };
                    // `.astype(None)` is float64, as np.dtype(None) is.
                    let arg = match arg {
                        Node::NoneLit => Node::Type(DType::FLOAT64),
                        other => other,
                    };
                    node = Node::Val(match node_dtype(arg, acol)? {
                        Ok(dt) => ValueExpr::AsType(Box::new(recv), dt),
                        Err(text) => ValueExpr::BadDtype {
                            of: Box::new(recv),
                            text,
                            astype: true,
                        },
                    });
                }
                other => {
                    return Err(perr(
                        mcol,
                        format!(
                        "unknown method `.{other}` (supported: `.reshape(...)`, `.astype(...)`){}",
                        suggest::did_you_mean(other, ["reshape", "astype"])
                    ),
                    ))
                }
            }
        }
        Ok(node)
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let tok = self.peek();
        let col = tok.col;
        match &tok.kind {
            Tok::Int(digits) => {
                self.pos += 1;
                Ok(Node::Val(ValueExpr::Scalar(int_literal(digits, col)?)))
            }
            Tok::Float(text) => {
                self.pos += 1;
                let f: f64 = text
                    .parse()
                    .map_err(|_| perr(col, format!("invalid number `{text}`")))?;
                Ok(Node::Val(ValueExpr::Scalar(Scalar::Float(f))))
            }
            Tok::Imag(text) => {
                self.pos += 1;
                let f: f64 = text
                    .parse()
                    .map_err(|_| perr(col, format!("invalid number `{text}j`")))?;
                Ok(Node::Val(ValueExpr::Scalar(Scalar::Complex(0.0, f))))
            }
            Tok::Str(s) => {
                self.pos += 1;
                Ok(Node::Str(s.clone()))
            }
            Tok::Punct('(') => {
                self.pos += 1;
                self.enter()?;
                let node = self.paren_contents(col)?;
                self.depth -= 1;
                Ok(node)
            }
            Tok::Punct('[') => {
                self.pos += 1;
                self.enter()?;
                let mut items = Vec::new();
                while self.peek().kind != Tok::Punct(']') {
                    let icol = self.peek().col;
                    let v = fold_python_constant(self.expr()?.into_value(icol)?);
                    if !is_list_item(&v) {
                        return Err(perr(
                            icol,
                            format!("list elements must be numbers or lists, found `{v}`"),
                        ));
                    }
                    items.push(v);
                    if !self.eat(',') {
                        break;
                    }
                }
                self.expect(']', " to close the list")?;
                self.depth -= 1;
                Ok(Node::Val(ValueExpr::List(items)))
            }
            Tok::Ident(name) => {
                self.pos += 1;
                match name.as_str() {
                    "True" => Ok(Node::Val(ValueExpr::Scalar(Scalar::Bool(true)))),
                    "False" => Ok(Node::Val(ValueExpr::Scalar(Scalar::Bool(false)))),
                    "nan" | "NaN" => Ok(Node::Val(ValueExpr::Scalar(Scalar::Float(f64::NAN)))),
                    "inf" => Ok(Node::Val(ValueExpr::Scalar(Scalar::Float(f64::INFINITY)))),
                    "float" => Ok(Node::Type(DType::FLOAT64)),
                    "int" => Ok(Node::Type(DType::INT64)),
                    "bool" => Ok(Node::Type(DType::BOOL)),
                    "None" => Ok(Node::NoneLit),
                    // Python's `complex` as a dtype is complex128 (`dtype=complex`, `.astype(complex)`).
                    "complex" => Ok(Node::Type(DType::parse("complex128").map_err(|e| perr(col, e.to_string()))?)),
                    "np" | "numpy" => self.np_member(name),
                    other => Err(perr(
                        col,
                        format!(
                            "unknown name `{other}`: expected a number, a list, `np.…` or `True`/`False`{}",
                            suggest::did_you_mean(other, ["np", "nan", "inf", "True", "False"])
                        ),
                    )),
                }
            }
            other => Err(self.error_here(format!(
                "expected a number, a list, `(` or `np.…`, found {}",
                other.describe()
            ))),
        }
    }

    /// After `(`: a parenthesised expression, or a tuple `(a, b)`, `(a,)`, `()`.
    fn paren_contents(&mut self, col: usize) -> Result<Node, ParseError> {
        if self.eat(')') {
            return Ok(Node::Tuple(vec![]));
        }
        let first_col = self.peek().col;
        let first = self.expr()?;
        if self.eat(')') {
            return Ok(first);
        }
        let mut items = vec![(first, first_col)];
        while self.eat(',') {
            if self.peek().kind == Tok::Punct(')') {
                break;
            }
            let c = self.peek().col;
            items.push((self.expr()?, c));
        }
        self.expect(')', &format!(" to close the `(` at column {}", col + 1))?;
        Ok(Node::Tuple(items))
    }

    /// `np.<name>` / `numpy.<name>`, possibly called.
    fn np_member(&mut self, prefix: &str) -> Result<Node, ParseError> {
        self.expect('.', &format!(" after `{prefix}`"))?;
        let ncol = self.peek().col;
        let name = match &self.peek().kind {
            Tok::Ident(n) => n.clone(),
            other => {
                return Err(self.error_here(format!(
                    "expected a NumPy name after `{prefix}.`, found {}",
                    other.describe()
                )))
            }
        };
        self.pos += 1;
        let called = self.peek().kind == Tok::Punct('(');
        let scalar = |f: f64| Ok(Node::Val(ValueExpr::Scalar(Scalar::Float(f))));
        match name.as_str() {
            "nan" | "NaN" | "NAN" => return scalar(f64::NAN),
            "inf" | "Inf" | "infty" => return scalar(f64::INFINITY),
            "pi" => return scalar(std::f64::consts::PI),
            "e" => return scalar(std::f64::consts::E),
            _ => {}
        }
        if CAST_NAMES.contains(&name.as_str()) {
            let dt = DType::parse(name.trim_end_matches('_'))
                .or_else(|_| DType::parse(&name))
                .map_err(|_| perr(ncol, format!("unsupported dtype `{name}`")))?;
            if !called {
                return Ok(Node::Type(dt));
            }
            let args = self.call_args()?;
            no_keywords(&args, &name)?;
            if args.positional.len() != 1 {
                return Err(perr(
                    args.end,
                    format!("`{prefix}.{name}(...)` takes exactly one value"),
                ));
            }
            let (arg, acol) = first(args.positional);
            return Ok(Node::Val(ValueExpr::ScalarCall(
                Box::new(arg.into_value(acol)?),
                dt,
            )));
        }
        let known = [
            "arange", "linspace", "full", "zeros", "ones", "array", "asarray",
        ];
        if !known.contains(&name.as_str()) {
            return Err(perr(
                ncol,
                format!(
                    "unsupported `{prefix}.{name}`: the value subset has np.arange, np.linspace, \
                     np.full, np.zeros, np.ones, np.array and dtype casts such as np.float32(...){}",
                    suggest::did_you_mean(&name, NP_FUNCS.iter().copied().chain(CAST_NAMES.iter().copied()))
                ),
            ));
        }
        if !called {
            return Err(self.error_here(format!(
                "expected `(` to call `{prefix}.{name}`, found {}",
                self.peek().kind.describe()
            )));
        }
        let args = self.call_args()?;
        let call = format!("{prefix}.{name}({})", args_source(&args));
        let n = args.positional.len();
        let end = args.end;
        let slots = match bind(args, signature(&name))? {
            Ok(slots) => slots,
            Err((message, args)) => {
                return Ok(Node::Val(ValueExpr::CallError {
                    receiver: None,
                    call,
                    args,
                    message,
                }))
            }
        };
        let args = rebuild(&name, slots, n, end);
        let v = match name.as_str() {
            "arange" => arange(args)?,
            "linspace" => linspace(args)?,
            "full" | "zeros" | "ones" => full(&name, args)?,
            _ => array(args)?,
        };
        Ok(Node::Val(v))
    }

    /// `( args )` after a callee; the cursor is on `(`.
    fn call_args(&mut self) -> Result<Args, ParseError> {
        self.expect('(', " to start the arguments")?;
        self.enter()?;
        let mut args = Args {
            positional: vec![],
            keywords: vec![],
            end: 0,
        };
        while self.peek().kind != Tok::Punct(')') {
            let col = self.peek().col;
            let is_kw = matches!(self.peek().kind, Tok::Ident(_))
                && self.toks.get(self.pos + 1).map(|t| &t.kind) == Some(&Tok::Punct('='));
            if is_kw {
                let name = match &self.peek().kind {
                    Tok::Ident(n) => n.clone(),
                    _ => String::new(),
                };
                self.pos += 2;
                let vcol = self.peek().col;
                let v = self.expr()?;
                if args.keywords.iter().any(|(k, _, _)| *k == name) {
                    return Err(perr(col, format!("keyword argument `{name}` repeated")));
                }
                args.keywords.push((name, v, vcol));
            } else {
                if !args.keywords.is_empty() {
                    return Err(perr(col, "positional argument follows keyword argument"));
                }
                let v = self.expr()?;
                args.positional.push((v, col));
            }
            if !self.eat(',') {
                break;
            }
        }
        args.end = self.peek().col;
        self.expect(')', " to close the arguments")?;
        self.depth -= 1;
        Ok(args)
    }
}

fn first(mut v: Vec<(Node, usize)>) -> (Node, usize) {
    // Callers check the length first; the fallback keeps this total without a panic path.
    if v.is_empty() {
        (Node::Tuple(vec![]), 0)
    } else {
        v.swap_remove(0)
    }
}

fn no_keywords(args: &Args, func: &str) -> Result<(), ParseError> {
    match args.keywords.first() {
        Some((k, _, c)) => Err(perr(
            *c,
            format!("`{func}` takes no keyword argument `{k}` in this subset"),
        )),
        None => Ok(()),
    }
}

/// Take keyword arguments by name, rejecting unknown ones with a suggestion.
fn keywords(
    args: &mut Args,
    func: &str,
    allowed: &[&str],
) -> Result<Vec<Option<(Node, usize)>>, ParseError> {
    let mut out: Vec<Option<(Node, usize)>> = allowed.iter().map(|_| None).collect();
    for (k, v, c) in args.keywords.drain(..) {
        match allowed.iter().position(|a| *a == k) {
            Some(i) => out[i] = Some((v, c)),
            None => {
                return Err(perr(
                    c,
                    format!(
                        "`{func}` has no keyword `{k}` here (allowed: {}){}",
                        allowed.join(", "),
                        suggest::did_you_mean(&k, allowed.iter().copied())
                    ),
                ))
            }
        }
    }
    Ok(out)
}

fn int_literal(digits: &str, col: usize) -> Result<Scalar, ParseError> {
    if let Ok(i) = digits.parse::<i64>() {
        Ok(Scalar::Int(i))
    } else if let Ok(u) = digits.parse::<u64>() {
        Ok(Scalar::UInt(u))
    } else {
        // A Python int beyond 64 bits: NumPy raises, converts or makes an object array later.
        // Past 4300 digits Python's compiler refuses the source (SyntaxError), so the lesson
        // is refused at load with Python's message.
        let v = crate::numpy::pyint::parse_literal(digits).map_err(|m| perr(col, m))?;
        let v = crate::numpy::pyint::capped(v).map_err(|m| perr(col, m))?;
        Ok(Scalar::py_int(v))
    }
}

/// Unary minus: folded into number literals (exactly, `-0.0` keeps its sign), a
/// [`ValueExpr::Unary`] otherwise (a list raises TypeError at run time, as in Python).
fn negate(v: ValueExpr) -> ValueExpr {
    match v {
        ValueExpr::Scalar(Scalar::Int(i)) if i != i64::MIN => ValueExpr::Scalar(Scalar::Int(-i)),
        ValueExpr::Scalar(Scalar::UInt(u)) if u == 1u64 << 63 => {
            ValueExpr::Scalar(Scalar::Int(i64::MIN))
        }
        ValueExpr::Scalar(Scalar::Float(f)) => ValueExpr::Scalar(Scalar::Float(-f)),
        ValueExpr::Scalar(Scalar::UInt(u)) => {
            ValueExpr::Scalar(Scalar::py_int(-num_bigint::BigInt::from(u)))
        }
        ValueExpr::Scalar(Scalar::Big(v)) => ValueExpr::Scalar(Scalar::py_int(-v.get())),
        ValueExpr::Scalar(Scalar::Bool(b)) => ValueExpr::Scalar(Scalar::Int(-(b as i64))),
        ValueExpr::Scalar(Scalar::Complex(re, im)) => ValueExpr::Scalar(Scalar::Complex(-re, -im)),
        other => ValueExpr::Unary(UnOp::Neg, Box::new(other)),
    }
}

/// A call argument with its Python constant arithmetic done (`np.full(3, 1+2j)`, `np.arange(2*3)`).
fn folded(node: Node) -> Node {
    match node {
        Node::Val(v) => Node::Val(fold_python_constant(v)),
        other => other,
    }
}

fn number(node: Node, col: usize, what: &str) -> Result<Scalar, ParseError> {
    match folded(node) {
        Node::Val(ValueExpr::Scalar(
            s @ (Scalar::Int(_) | Scalar::UInt(_) | Scalar::Float(_) | Scalar::Big(_)),
        )) => Ok(s),
        _ => Err(perr(col, format!("expected a number for {what}"))),
    }
}

fn integer(node: Node, col: usize, what: &str) -> Result<i64, ParseError> {
    match folded(node) {
        Node::Val(ValueExpr::Scalar(Scalar::Int(i))) => Ok(i),
        Node::Val(ValueExpr::Scalar(Scalar::Float(_))) => Err(perr(
            col,
            format!("expected an integer for {what}, found a float ('float' object cannot be interpreted as an integer)"),
        )),
        _ => Err(perr(col, format!("expected an integer for {what}"))),
    }
}

/// A dtype argument; `Ok(Err(text))` for a spelling NumPy does not understand (or a removed alias), which
/// raises NumPy's TypeError when the call runs. A kind the tutor does not model is refused here.
fn node_dtype(node: Node, col: usize) -> Result<Result<DType, String>, ParseError> {
    match node {
        Node::Type(d) => Ok(Ok(d)),
        Node::Str(s) => match DType::parse(&s) {
            Ok(d) => Ok(Ok(d)),
            Err(DTypeError::NotUnderstood(_) | DTypeError::RemovedAlias(_)) => Ok(Err(s)),
            Err(e) => Err(perr(
                col,
                format!(
                    "{e}{}",
                    suggest::did_you_mean(&s, suggest::DTYPE_NAMES.iter().copied())
                ),
            )),
        },
        _ => Err(perr(
            col,
            "expected a dtype such as 'float32' or np.float32",
        )),
    }
}

/// A shape argument: an int, or a tuple/list of ints.
fn shape_arg(node: Node, col: usize, allow_unknown: bool) -> Result<Vec<i64>, ParseError> {
    let dims: Vec<(i64, usize)> = match node {
        Node::Tuple(items) => items
            .into_iter()
            .map(|(n, c)| integer(n, c, "a dimension").map(|i| (i, c)))
            .collect::<Result<_, _>>()?,
        Node::Val(ValueExpr::List(items)) => items
            .into_iter()
            .map(|v| integer(Node::Val(v), col, "a dimension").map(|i| (i, col)))
            .collect::<Result<_, _>>()?,
        other => vec![(integer(other, col, "the shape")?, col)],
    };
    // `.reshape` takes any negative as "unknown" and checks the count when it runs.
    for &(d, c) in &dims {
        if d < 0 && !allow_unknown {
            return Err(perr(c, "negative dimensions are not allowed"));
        }
    }
    Ok(dims.into_iter().map(|(d, _)| d).collect())
}

fn reshape_dims(args: Args) -> Result<Vec<i64>, ParseError> {
    match args.positional.len() {
        0 => Err(perr(
            args.end,
            "`.reshape` needs the new shape, e.g. `.reshape(3, 3)`",
        )),
        1 => {
            let (n, c) = first(args.positional);
            shape_arg(n, c, true)
        }
        _ => shape_arg(Node::Tuple(args.positional), 0, true),
    }
}

/// A NumPy function's parameters, for binding a call's arguments as Python does.
struct Signature {
    /// The name in NumPy's messages (`zeros`, `astype`).
    name: &'static str,
    /// Positional-or-keyword parameters, in order.
    params: &'static [&'static str],
    /// How many leading parameters are required.
    required: usize,
    /// Keyword-only parameters (none of them modelled).
    kwonly: &'static [&'static str],
    /// Parameters the subset does not model (refused at load when given).
    unmodelled: &'static [&'static str],
    /// A C function (argument clinic's messages) rather than a Python one.
    c_style: bool,
}

/// np.zeros(shape, dtype=float, order='C', *, device=None, like=None) and the others the subset has.
const SIGNATURES: &[Signature] = &[
    Signature {
        name: "zeros",
        params: &["shape", "dtype", "order"],
        required: 1,
        kwonly: &["device", "like"],
        unmodelled: &["order", "device", "like"],
        c_style: true,
    },
    Signature {
        name: "ones",
        params: &["shape", "dtype", "order"],
        required: 1,
        kwonly: &["device", "like"],
        unmodelled: &["order", "device", "like"],
        c_style: false,
    },
    Signature {
        name: "full",
        params: &["shape", "fill_value", "dtype", "order"],
        required: 2,
        kwonly: &["device", "like"],
        unmodelled: &["order", "device", "like"],
        c_style: false,
    },
    Signature {
        name: "arange",
        params: &["start", "stop", "step", "dtype"],
        required: 0,
        kwonly: &["device", "like"],
        unmodelled: &["device", "like"],
        c_style: true,
    },
    Signature {
        name: "linspace",
        params: &[
            "start", "stop", "num", "endpoint", "retstep", "dtype", "axis",
        ],
        required: 2,
        kwonly: &["device"],
        unmodelled: &["retstep", "axis", "device"],
        c_style: false,
    },
    Signature {
        name: "array",
        params: &["object", "dtype"],
        required: 1,
        kwonly: &["copy", "order", "subok", "ndmin", "like"],
        unmodelled: &["copy", "order", "subok", "ndmin", "like"],
        c_style: true,
    },
    Signature {
        name: "asarray",
        params: &["a", "dtype", "order"],
        required: 1,
        kwonly: &["device", "copy", "like"],
        unmodelled: &["order", "device", "copy", "like"],
        c_style: true,
    },
    Signature {
        name: "astype",
        params: &["dtype", "order", "casting", "subok", "copy"],
        required: 1,
        kwonly: &[],
        unmodelled: &["order", "casting", "subok", "copy"],
        c_style: true,
    },
];

/// The arguments of a call bound to `sig`'s parameters (one slot each), or NumPy's TypeError for a call
/// that Python binds but NumPy rejects (raised when the step runs, after the arguments are evaluated).
#[allow(clippy::type_complexity)]
fn bind(
    args: Args,
    sig: &Signature,
) -> Result<Result<Vec<Option<(Node, usize)>>, (String, Vec<ValueExpr>)>, ParseError> {
    let f = sig.name;
    let n = args.positional.len();
    // What Python evaluates before the call, in source order.
    let mut values = Vec::new();
    args.positional
        .iter()
        .for_each(|(n, _)| n.values(&mut values));
    args.keywords
        .iter()
        .for_each(|(_, n, _)| n.values(&mut values));
    let mut slots: Vec<Option<(Node, usize)>> = sig.params.iter().map(|_| None).collect();
    let mut error: Option<String> = None;
    if n > sig.params.len() {
        error = Some(format!(
            "TypeError: {f}() takes from {} to {} positional arguments but {n} were given",
            sig.required,
            sig.params.len()
        ));
    }
    for (i, (node, c)) in args.positional.into_iter().enumerate() {
        if i < slots.len() {
            slots[i] = Some((node, c));
        }
    }
    for (k, node, c) in args.keywords {
        match sig.params.iter().position(|p| *p == k) {
            Some(i) if i < n => {
                error.get_or_insert_with(|| {
                    if sig.c_style {
                        format!("TypeError: argument for {f}() given by name ('{k}') and position (position {i})")
                    } else {
                        format!("TypeError: {f}() got multiple values for argument '{k}'")
                    }
                });
            }
            Some(i) => slots[i] = Some((node, c)),
            None if sig.kwonly.contains(&k.as_str()) => slots_unmodelled(sig, &k, c)?,
            None => {
                error.get_or_insert_with(|| {
                    format!("TypeError: {f}() got an unexpected keyword argument '{k}'")
                });
            }
        }
    }
    if error.is_none() {
        let missing: Vec<&str> = (0..sig.required)
            .filter(|&i| slots[i].is_none())
            .map(|i| sig.params[i])
            .collect();
        if f == "arange" && slots[1].is_none() && n == 0 {
            error = Some("TypeError: arange() requires stop to be specified.".to_string());
        } else if let Some(first) = missing.first() {
            error = Some(if sig.c_style {
                let pos = sig.params.iter().position(|p| p == first).unwrap_or(0);
                format!("TypeError: {f}() missing required argument '{first}' (pos {pos})")
            } else {
                let names: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
                let list = match names.len() {
                    1 => names[0].clone(),
                    _ => format!(
                        "{} and {}",
                        names[..names.len() - 1].join(", "),
                        names[names.len() - 1]
                    ),
                };
                format!(
                    "TypeError: {f}() missing {} required positional argument{}: {list}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                )
            });
        }
    }
    if let Some(e) = error {
        return Ok(Err((e, values)));
    }
    for (i, p) in sig.params.iter().enumerate() {
        if let Some((_, c)) = &slots[i] {
            if sig.unmodelled.contains(p) {
                slots_unmodelled(sig, p, *c)?;
            }
        }
    }
    Ok(Ok(slots))
}

/// The refusal for a parameter NumPy has that the subset does not model.
fn slots_unmodelled(sig: &Signature, k: &str, c: usize) -> Result<(), ParseError> {
    Err(perr(
        c,
        format!(
            "`{}` has no `{k}` in this subset (it models {})",
            sig.name,
            sig.params
                .iter()
                .filter(|p| !sig.unmodelled.contains(p))
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// The signature of a function or method the subset has.
fn signature(name: &str) -> &'static Signature {
    let name = if name == "asarray" { "asarray" } else { name };
    SIGNATURES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or(&SIGNATURES[0])
}

/// A call's arguments as Python source.
fn args_source(args: &Args) -> String {
    args.positional
        .iter()
        .map(|(n, _)| n.source())
        .chain(
            args.keywords
                .iter()
                .map(|(k, n, _)| format!("{k}={}", n.source())),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bound arguments back in the form the constructors' parsers take: the leading parameters positional,
/// the others by keyword (`n` positional arguments were given; `end` is the `)` column).
fn rebuild(name: &str, slots: Vec<Option<(Node, usize)>>, n: usize, end: usize) -> Args {
    let sig = signature(name);
    let leading = match name {
        "full" | "linspace" => 2,
        // arange(3) is stop; arange(stop=3) too; arange(1, stop=3) is start and stop.
        "arange" => {
            if slots[1].is_none() || (slots[0].is_none()) {
                0
            } else {
                2 + usize::from(n >= 3)
            }
        }
        _ => 1,
    };
    let mut args = Args {
        positional: vec![],
        keywords: vec![],
        end,
    };
    for (i, slot) in slots.into_iter().enumerate() {
        let Some((node, c)) = slot else { continue };
        if i < leading {
            args.positional.push((node, c));
        } else if name == "arange" && leading == 0 && (i == 0 || i == 1) {
            // One of start/stop alone is the stop.
            args.positional.push((node, c));
        } else {
            args.keywords.push((sig.params[i].to_string(), node, c));
        }
    }
    args
}

fn wrap_dtype(v: ValueExpr, dtype: Option<(Node, usize)>) -> Result<ValueExpr, ParseError> {
    match dtype {
        Some((Node::NoneLit, _)) => Ok(v),
        Some((n, c)) => Ok(match node_dtype(n, c)? {
            Ok(dt) => ValueExpr::WithDtype(Box::new(v), dt),
            Err(text) => ValueExpr::BadDtype {
                of: Box::new(v),
                text,
                astype: false,
            },
        }),
        None => Ok(v),
    }
}

fn arange(mut args: Args) -> Result<ValueExpr, ParseError> {
    let mut kw = keywords(&mut args, "np.arange", &["dtype", "step"])?;
    let dtype = kw[0].take();
    let step_kw = kw[1].take();
    let n = args.positional.len();
    let mut pos = args.positional.into_iter();
    let mut next = |what: &str| -> Result<Scalar, ParseError> {
        match pos.next() {
            Some((node, c)) => number(node, c, what),
            None => Err(perr(args.end, format!("missing {what}"))),
        }
    };
    let (start, stop, mut step) = match n {
        1 => (Scalar::Int(0), next("stop")?, Scalar::Int(1)),
        2 => (next("start")?, next("stop")?, Scalar::Int(1)),
        3 => (next("start")?, next("stop")?, next("step")?),
        0 => return Err(perr(args.end, "`np.arange` needs at least `stop`")),
        _ => {
            return Err(perr(
                args.end,
                "`np.arange` takes at most start, stop, step",
            ))
        }
    };
    if let Some((node, c)) = step_kw {
        if n == 3 {
            return Err(perr(c, "`step` given twice"));
        }
        step = number(node, c, "step")?;
    }
    if step.as_f64() == 0.0 {
        return Err(perr(
            args.end,
            "np.arange step must not be zero (ZeroDivisionError)",
        ));
    }
    wrap_dtype(ValueExpr::Arange { start, stop, step }, dtype)
}

fn linspace(mut args: Args) -> Result<ValueExpr, ParseError> {
    let mut kw = keywords(&mut args, "np.linspace", &["num", "endpoint", "dtype"])?;
    let n = args.positional.len();
    if !(2..=3).contains(&n) {
        return Err(perr(
            args.end,
            "`np.linspace` takes start, stop and optionally num",
        ));
    }
    let mut pos = args.positional.into_iter();
    let (s, sc) = pos.next().unwrap_or((Node::Tuple(vec![]), 0));
    let (e, ec) = pos.next().unwrap_or((Node::Tuple(vec![]), 0));
    let (start, stop) = (number(s, sc, "start")?, number(e, ec, "stop")?);
    if let Some(c) = [(&stop, ec), (&start, sc)]
        .iter()
        .find_map(|(v, c)| matches!(v, Scalar::Big(_)).then_some(*c))
    {
        // NumPy computes `stop - start` on object arrays and raises UFuncTypeError ("Cannot
        // cast ufunc 'subtract' input 0 from dtype('O') ...") when the lesson runs.
        return Err(perr(
            c,
            "`np.linspace` with a Python int beyond 64 bits: NumPy raises UFuncTypeError (Cannot cast ufunc 'subtract' ... from dtype('O') to dtype('float64')); the tutor refuses it when loading",
        ));
    }
    let (start, stop) = (start.as_f64(), stop.as_f64());
    let num_node = match (pos.next(), kw[0].take()) {
        (Some(_), Some((_, c))) => return Err(perr(c, "`num` given twice")),
        (Some(x), None) | (None, Some(x)) => Some(x),
        (None, None) => None,
    };
    let num = match num_node {
        Some((node, c)) => {
            let i = integer(node, c, "num")?;
            u64::try_from(i)
                .map_err(|_| perr(c, format!("Number of samples, {i}, must be non-negative.")))?
        }
        None => 50,
    };
    let endpoint = match kw[1].take() {
        Some((Node::Val(ValueExpr::Scalar(Scalar::Bool(b))), _)) => b,
        Some((_, c)) => return Err(perr(c, "expected True or False for endpoint")),
        None => true,
    };
    wrap_dtype(
        ValueExpr::Linspace {
            start,
            stop,
            num,
            endpoint,
        },
        kw[2].take(),
    )
}

fn full(name: &str, mut args: Args) -> Result<ValueExpr, ParseError> {
    let func = format!("np.{name}");
    let mut kw = keywords(&mut args, &func, &["dtype", "fill_value"])?;
    let want = if name == "full" { 2 } else { 1 };
    let mut pos = args.positional.into_iter();
    let (shape_node, sc) = pos
        .next()
        .ok_or_else(|| perr(args.end, format!("`{func}` needs a shape")))?;
    let shape = shape_arg(shape_node, sc, false)?
        .into_iter()
        .map(|d| d as u64)
        .collect();
    let fill = if name == "full" {
        let (node, c) = match (pos.next(), kw[1].take()) {
            (Some(_), Some((_, c))) => return Err(perr(c, "`fill_value` given twice")),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return Err(perr(args.end, "`np.full` needs a fill value")),
        };
        match folded(node) {
            Node::Val(ValueExpr::Scalar(s)) => s,
            Node::Val(v @ ValueExpr::ScalarCall(..)) if is_list_item(&v) => {
                if let Some((_, c)) = pos.next() {
                    return Err(perr(
                        c,
                        format!("`{func}` takes {want} positional argument(s)"),
                    ));
                }
                let fill = Box::new(v);
                return wrap_dtype(ValueExpr::FullOf { shape, fill }, kw[0].take());
            }
            _ => {
                return Err(perr(
                    c,
                    "expected a number (or True/False) or a NumPy scalar such as np.float32(2) as the fill value",
                ))
            }
        }
    } else {
        if let Some((_, c)) = kw[1].take() {
            return Err(perr(c, format!("`{func}` takes no fill_value")));
        }
        Scalar::Float(if name == "ones" { 1.0 } else { 0.0 })
    };
    if let Some((_, c)) = pos.next() {
        return Err(perr(
            c,
            format!("`{func}` takes {want} positional argument(s)"),
        ));
    }
    wrap_dtype(ValueExpr::Full { shape, fill }, kw[0].take())
}

fn array(mut args: Args) -> Result<ValueExpr, ParseError> {
    let mut kw = keywords(&mut args, "np.array", &["dtype"])?;
    if args.positional.len() != 1 {
        return Err(perr(args.end, "`np.array` takes exactly one value"));
    }
    let (node, c) = first(args.positional);
    let inner = array_object(node, c)?;
    match kw[0].take() {
        // `np.array(np.full(...), dtype=d)` builds the inner array first, then casts it: not
        // `np.full(..., dtype=d)`, which converts its fill into `d` (NumPy 2.4.6: `np.array(
        // np.full(2, 300), dtype='int8')` is [44, 44], `np.full(2, 300, dtype='int8')` raises).
        // `dtype=None` is np.array's default.
        None | Some((Node::NoneLit, _)) => Ok(ValueExpr::Array(Box::new(inner))),
        Some(d) if constructs(&inner) => wrap_dtype(ValueExpr::Array(Box::new(inner)), Some(d)),
        Some(d) => wrap_dtype(inner, Some(d)),
    }
}

/// True for a constructor call that treats its own `dtype=` specially (so `np.array(x, dtype=)`
/// must not pass its dtype into it).
fn constructs(v: &ValueExpr) -> bool {
    matches!(
        v,
        ValueExpr::Full { .. }
            | ValueExpr::FullOf { .. }
            | ValueExpr::Arange { .. }
            | ValueExpr::Linspace { .. }
    )
}

/// Python's `repr(float)`: shortest round-trip digits, exponent outside 1e-4 ≤ |x| < 1e16.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "np.nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "np.inf" } else { "-np.inf" }.to_string();
    }
    // `{:e}` gives the shortest round-trip digits, e.g. `1.2345e-5`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!(
                "{sign}{digits}{}.0",
                "0".repeat(point as usize - digits.len())
            )
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        let (a, b) = digits.split_at(1);
        let frac = if b.is_empty() {
            String::new()
        } else {
            format!(".{b}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{a}{frac}e{esign}{:02}", exp.abs())
    }
}

/// Python literal for a scalar: `5`, `2.5`, `True`, `np.nan`.
pub(crate) fn py_scalar(s: &Scalar) -> String {
    match s {
        Scalar::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Float(f) => py_float(*f),
        Scalar::Complex(re, im) => format!("complex({}, {})", py_float(*re), py_float(*im)),
        Scalar::Big(v) => v.to_string(),
        Scalar::Long(_) => format!(
            "np.longdouble('{}')",
            crate::numpy::print::scalar_str(s.clone(), DType::LONGDOUBLE)
        ),
        Scalar::CLong(..) => {
            crate::numpy::print::scalar_repr(s.clone(), crate::numpy::clong::CLONGDOUBLE)
        }
    }
}

fn py_shape(dims: &[u64]) -> String {
    match dims {
        [d] => d.to_string(),
        _ => crate::python::tuple(dims),
    }
}

impl ValueExpr {
    /// The value as NumPy code, e.g. `np.arange(9).reshape(3, 3)`.
    pub fn to_python(&self) -> String {
        self.to_string()
    }

    /// Binding strength when printed: 1 for + -, 2 for * /, 3 for unary signs, 4 for atoms.
    fn precedence(&self) -> u8 {
        match self {
            ValueExpr::Binary(BinOp::Add | BinOp::Sub, _, _) => 1,
            ValueExpr::Binary(_, _, _) => 2,
            ValueExpr::Unary(..) => 3,
            // A negative literal binds like a unary minus.
            ValueExpr::Scalar(Scalar::Int(i)) if *i < 0 => 3,
            ValueExpr::Scalar(Scalar::Float(f)) if f.is_sign_negative() => 3,
            _ => 4,
        }
    }

    /// How the value prints before `.reshape(...)` / `.astype(...)`, exactly as written: a
    /// Python number or list has no such method and raises AttributeError, as NumPy's script would.
    fn receiver(&self) -> String {
        match self {
            ValueExpr::Scalar(_) | ValueExpr::Binary(..) | ValueExpr::Unary(..) => {
                format!("({self})")
            }
            _ => self.to_string(),
        }
    }
}

impl ValueExpr {
    /// The constructor call `self` with `dtype=` added (`np.array(self, dtype=…)` for np.array's argument).
    fn fmt_with_dtype(&self, f: &mut fmt::Formatter<'_>, dtype: &str) -> fmt::Result {
        match self {
            ValueExpr::Arange { .. }
            | ValueExpr::Linspace { .. }
            | ValueExpr::Full { .. }
            | ValueExpr::FullOf { .. } => {
                // These print as a call ending in `)`.
                let inner = self.to_string();
                let head = inner.strip_suffix(')').unwrap_or(&inner);
                write!(f, "{head}, dtype={dtype})")
            }
            ValueExpr::Array(x) => write!(f, "np.array({x}, dtype={dtype})"),
            other => write!(f, "np.array({other}, dtype={dtype})"),
        }
    }

    /// `np.arange`, `np.linspace`, `np.zeros`/`np.ones`/`np.full` as Python source.
    fn fmt_constructor(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueExpr::Arange { start, stop, step } => {
                let (a, b, c) = (py_scalar(start), py_scalar(stop), py_scalar(step));
                if *step == Scalar::Int(1) && *start == Scalar::Int(0) {
                    write!(f, "np.arange({b})")
                } else if *step == Scalar::Int(1) {
                    write!(f, "np.arange({a}, {b})")
                } else {
                    write!(f, "np.arange({a}, {b}, {c})")
                }
            }
            ValueExpr::Linspace {
                start,
                stop,
                num,
                endpoint,
            } => {
                write!(
                    f,
                    "np.linspace({}, {}, {num}",
                    py_float(*start),
                    py_float(*stop)
                )?;
                if !endpoint {
                    f.write_str(", endpoint=False")?;
                }
                f.write_str(")")
            }
            ValueExpr::Full { shape, fill } => match fill {
                Scalar::Float(x) if *x == 0.0 && x.is_sign_positive() => {
                    write!(f, "np.zeros({})", py_shape(shape))
                }
                Scalar::Float(x) if *x == 1.0 => write!(f, "np.ones({})", py_shape(shape)),
                _ => write!(f, "np.full({}, {})", py_shape(shape), py_scalar(fill)),
            },
            _ => Ok(()),
        }
    }

    /// `-x`, `+x` and `a op b`, parenthesised by precedence.
    fn fmt_operator(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueExpr::Unary(op, x) => {
                let sign = match op {
                    UnOp::Neg => "-",
                    UnOp::Pos => "+",
                };
                if x.precedence() <= 3 {
                    write!(f, "{sign}({x})")
                } else {
                    write!(f, "{sign}{x}")
                }
            }
            ValueExpr::Binary(op, a, b) => {
                let p = self.precedence();
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                if a.precedence() < p {
                    write!(f, "({a})")?;
                } else {
                    write!(f, "{a}")?;
                }
                write!(f, " {sym} ")?;
                if b.precedence() <= p {
                    write!(f, "({b})")
                } else {
                    write!(f, "{b}")
                }
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for ValueExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueExpr::Scalar(s) => f.write_str(&py_scalar(s)),
            ValueExpr::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            ValueExpr::Arange { .. } | ValueExpr::Linspace { .. } | ValueExpr::Full { .. } => {
                self.fmt_constructor(f)
            }
            ValueExpr::FullOf { shape, fill } => write!(f, "np.full({}, {fill})", py_shape(shape)),
            ValueExpr::Reshape(x, dims) => {
                let dims = match dims.len() {
                    0 => "()".to_string(),
                    _ => dims
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                write!(f, "{}.reshape({dims})", x.receiver())
            }
            ValueExpr::AsType(x, dt) => write!(f, "{}.astype('{dt}')", x.receiver()),
            ValueExpr::ScalarCall(x, dt) => write!(f, "np.{}({x})", dt.name()),
            ValueExpr::Array(x) => write!(f, "np.array({x})"),
            ValueExpr::WithDtype(x, dt) => x.fmt_with_dtype(f, &py_repr(&dt.to_string())),
            ValueExpr::BadDtype {
                of,
                text,
                astype: true,
            } => write!(f, "{}.astype({})", of.receiver(), py_repr(text)),
            ValueExpr::BadDtype { of, text, .. } => of.fmt_with_dtype(f, &py_repr(text)),
            ValueExpr::CallError { call, .. } => f.write_str(call),
            ValueExpr::Unary(..) | ValueExpr::Binary(..) => self.fmt_operator(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ValueExpr {
        match parse_value_str(s) {
            Ok(v) => v,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn sc(s: Scalar) -> ValueExpr {
        ValueExpr::Scalar(s)
    }

    #[test]
    fn literals() {
        assert_eq!(p("5"), sc(Scalar::Int(5)));
        assert_eq!(p("-5"), sc(Scalar::Int(-5)));
        assert_eq!(p("2.5"), sc(Scalar::Float(2.5)));
        assert_eq!(p("1e-5"), sc(Scalar::Float(1e-5)));
        assert_eq!(p("True"), sc(Scalar::Bool(true)));
        assert_eq!(p("False"), sc(Scalar::Bool(false)));
        assert!(matches!(p("nan"), ValueExpr::Scalar(Scalar::Float(f)) if f.is_nan()));
        assert!(matches!(p("np.nan"), ValueExpr::Scalar(Scalar::Float(f)) if f.is_nan()));
        assert_eq!(p("-np.inf"), sc(Scalar::Float(f64::NEG_INFINITY)));
        assert_eq!(p("numpy.inf"), sc(Scalar::Float(f64::INFINITY)));
        assert_eq!(p("18446744073709551615"), sc(Scalar::UInt(u64::MAX)));
        assert_eq!(p("-9223372036854775808"), sc(Scalar::Int(i64::MIN)));
        assert_eq!(
            p("[[1, 2], [3, 4]]"),
            ValueExpr::List(vec![
                ValueExpr::List(vec![sc(Scalar::Int(1)), sc(Scalar::Int(2))]),
                ValueExpr::List(vec![sc(Scalar::Int(3)), sc(Scalar::Int(4))]),
            ])
        );
    }

    #[test]
    fn numpy_calls() {
        assert_eq!(
            p("np.arange(9)"),
            ValueExpr::Arange {
                start: Scalar::Int(0),
                stop: Scalar::Int(9),
                step: Scalar::Int(1)
            }
        );
        assert_eq!(
            p("np.arange(1, 2.5, 0.5)"),
            ValueExpr::Arange {
                start: Scalar::Int(1),
                stop: Scalar::Float(2.5),
                step: Scalar::Float(0.5)
            }
        );
        assert_eq!(
            p("np.linspace(0, 1, 5, endpoint=False)"),
            ValueExpr::Linspace {
                start: 0.0,
                stop: 1.0,
                num: 5,
                endpoint: false
            }
        );
        assert_eq!(
            p("np.full((2, 3), 7)"),
            ValueExpr::Full {
                shape: vec![2, 3],
                fill: Scalar::Int(7)
            }
        );
        assert_eq!(
            p("np.zeros(4)"),
            ValueExpr::Full {
                shape: vec![4],
                fill: Scalar::Float(0.0)
            }
        );
        let nine = p("np.arange(9)");
        assert_eq!(
            p("np.arange(9).reshape(3, 3)"),
            ValueExpr::Reshape(Box::new(nine.clone()), vec![3, 3])
        );
        assert_eq!(
            p("np.arange(9).reshape((3, -1))"),
            ValueExpr::Reshape(Box::new(nine.clone()), vec![3, -1])
        );
        let f4 = DType::parse("float32").unwrap();
        assert_eq!(
            p("np.arange(9).astype('float32')"),
            ValueExpr::AsType(Box::new(nine.clone()), f4)
        );
        assert_eq!(
            p("np.arange(9).astype(np.float32)"),
            ValueExpr::AsType(Box::new(nine.clone()), f4)
        );
        assert_eq!(
            p("np.float32(2.5)"),
            ValueExpr::ScalarCall(Box::new(sc(Scalar::Float(2.5))), f4)
        );
        assert_eq!(
            p("np.ones(3, dtype='f4')"),
            ValueExpr::WithDtype(Box::new(p("np.ones(3)")), f4)
        );
        assert_eq!(
            p("np.array([1, 2])"),
            ValueExpr::Array(Box::new(p("[1, 2]")))
        );
        // `np.array(constructor, dtype=)` casts the built array (not the constructor's dtype=).
        assert_eq!(
            p("np.array(np.ones(3), dtype='f4')"),
            ValueExpr::WithDtype(Box::new(ValueExpr::Array(Box::new(p("np.ones(3)")))), f4)
        );
        assert_eq!(
            p("np.array([1, 2], dtype='f4')"),
            ValueExpr::WithDtype(Box::new(p("[1, 2]")), f4)
        );
        // Printed back exactly as written: NumPy's script behaves as the tutor does.
        for text in [
            "np.ones(3, dtype='float32')",
            "np.array([1, 2])",
            "np.array(np.full(2, 300), dtype='int8')",
            "[1, 2].reshape(2, 1)",
            "(3).astype('float64')",
            "-[1, 2]",
            "+np.arange(3)",
            "-(-np.arange(3))",
            "np.float32(2.5)",
        ] {
            assert_eq!(p(text).to_python(), text);
        }
    }

    #[test]
    fn arithmetic_precedence() {
        use BinOp::*;
        let i = |v| Box::new(sc(Scalar::Int(v)));
        assert_eq!(
            p("1 + 2 * 3"),
            ValueExpr::Binary(Add, i(1), Box::new(ValueExpr::Binary(Mul, i(2), i(3))))
        );
        assert_eq!(
            p("(1 + 2) * 3"),
            ValueExpr::Binary(Mul, Box::new(ValueExpr::Binary(Add, i(1), i(2))), i(3))
        );
        assert_eq!(
            p("8 / 2 - 1"),
            ValueExpr::Binary(Sub, Box::new(ValueExpr::Binary(Div, i(8), i(2))), i(1))
        );
        assert_eq!(
            p("-np.arange(3)"),
            ValueExpr::Unary(UnOp::Neg, Box::new(p("np.arange(3)")))
        );
    }

    #[test]
    fn errors_have_columns() {
        let e = parse_value_str("np.arang(9)").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(e.message.contains("did you mean `arange`"), "{}", e.message);
        let e = parse_value_str("np.arange(9).reshape(3, 3").unwrap_err();
        assert!(e.message.contains("expected `)`"), "{}", e.message);
        assert!(parse_value_str("[[1, 2], [3]]")
            .unwrap_err()
            .message
            .contains("inhomogeneous"));
        // Two unknown dimensions are NumPy's run-time ValueError, not a parse error.
        assert!(parse_value_str("np.arange(9).reshape(-1, -1)").is_ok());
        assert!(parse_value_str("np.zeros(-1)").is_err());
        assert!(parse_value_str("np.arange(1, 2, 0)").is_err());
        assert!(parse_value_str("x + 1").is_err());
        assert!(parse_value_str("").is_err());
        assert!(parse_value_str("1 +").is_err());
        assert!(parse_value_str("'abc'").is_err());
        // A dtype NumPy does not understand is its TypeError at run time; one NumPy has but the tutor
        // does not model is refused here.
        assert!(matches!(
            parse_value_str("np.arange(9).astype('flaot32')"),
            Ok(ValueExpr::BadDtype { astype: true, .. })
        ));
        assert!(parse_value_str("np.arange(9).astype('S4')")
            .unwrap_err()
            .message
            .contains("does not support"));
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_value_str(&deep).unwrap_err().message.contains("too"));
        let deep = format!("{}1{}", "(".repeat(3_000), ")".repeat(3_000));
        assert!(parse_value_str(&deep)
            .unwrap_err()
            .message
            .contains("too deeply"));
        let deep = "-".repeat(5_000) + "1";
        assert!(parse_value_str(&deep).is_err());
    }

    #[test]
    fn yaml_values() {
        let y = |s: &str| parse_value(&serde_yaml::from_str::<serde_yaml::Value>(s).unwrap());
        assert_eq!(y("5").unwrap(), sc(Scalar::Int(5)));
        assert_eq!(y("2.5").unwrap(), sc(Scalar::Float(2.5)));
        assert_eq!(y("true").unwrap(), sc(Scalar::Bool(true)));
        assert_eq!(y("[[1, 2], [3, 4]]").unwrap(), p("[[1, 2], [3, 4]]"));
        assert_eq!(
            y("'np.arange(9).reshape(3, 3)'").unwrap(),
            p("np.arange(9).reshape(3,3)")
        );
        assert!(y("~").is_err());
        assert!(y("{a: 1}").is_err());
        assert!(y("[[1, 2], [3]]").is_err());
    }

    #[test]
    fn round_trip_to_python() {
        for s in [
            "5",
            "-2.5",
            "1e-05",
            "1e+16",
            "0.0001",
            "True",
            "np.nan",
            "-np.inf",
            "[[1, 2], [3, 4]]",
            "np.arange(9)",
            "np.arange(1, 10)",
            "np.arange(0.0, 1.0, 0.25)",
            "np.linspace(0.0, 1.0, 5)",
            "np.linspace(0.0, 1.0, 5, endpoint=False)",
            "np.zeros((3, 3))",
            "np.ones(4)",
            "np.full((2, 2), 7)",
            "np.arange(9).reshape(3, 3)",
            "np.arange(9).reshape(-1)",
            "np.arange(9).astype('float32')",
            "np.arange(9).astype('>f4')",
            "np.float32(2.5)",
            "np.array([1, 2]).reshape(2, 1)",
            "1 + 2 * 3",
            "(1 + 2) * 3",
            "1 - (2 - 3)",
            "-np.arange(3) * 2",
            "-(np.arange(3) + 1)",
            "(np.arange(3) + 1).reshape(3, 1)",
            "np.arange(9).reshape(3, 3) / 2.0",
        ] {
            let v = p(s);
            assert_eq!(v.to_python(), s);
            // NaN != NaN, so compare the re-printed text as well as the tree where it is comparable.
            assert_eq!(p(&v.to_python()).to_python(), s);
            if !s.contains("nan") {
                assert_eq!(p(&v.to_python()), v);
            }
        }
        assert_eq!(
            p("np.arange(9).reshape((3,3))").to_python(),
            "np.arange(9).reshape(3, 3)"
        );
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(123456.5), "123456.5");
        assert_eq!(py_float(1e22), "1e+22");
        assert_eq!(py_float(-0.0), "-0.0");
    }
}

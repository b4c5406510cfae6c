//! NumPy basic-indexing expressions (`arr[1, 2]`, `[0:2, ::2]`, `[..., 1]`): syntax tree and parser.

use std::fmt;

use serde::Serialize;

use super::lex::{self, Tok, Token};
pub use super::ParseError;

/// One item between the brackets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IndexItem {
    /// `3`, `-1`: selects one position and drops the axis.
    Int(i64),
    /// `start:stop:step`, each part optional.
    Slice {
        start: Option<i64>,
        stop: Option<i64>,
        step: Option<i64>,
    },
    /// `...`
    Ellipsis,
    /// `None` / `np.newaxis`
    NewAxis,
    /// An integer beyond int64, as written: NumPy raises when it indexes with it
    /// (OverflowError below 2**64, IndexError beyond; see [`IndexItem::big_error`]).
    BigInt(String),
}

impl IndexItem {
    /// NumPy's error for an integer index beyond int64 (measured with NumPy 2.4.6: `a[2**63]`
    /// and `a[2**64 - 1]` go through a C long, `a[2**64]` and `a[-2**63 - 1]` become object
    /// arrays, which are not valid indices).
    pub fn big_error(text: &str) -> String {
        let v: num_bigint::BigInt = text.parse().unwrap_or_default();
        if v.sign() == num_bigint::Sign::Plus && v.bits() == 64 {
            "OverflowError: Python int too large to convert to C long".to_string()
        } else {
            "IndexError: only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are valid indices".to_string()
        }
    }
}

/// A parsed index expression; `var` is the name before the brackets, if written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexExpr {
    pub var: Option<String>,
    pub items: Vec<IndexItem>,
}

impl IndexExpr {
    /// `[:]`, the whole array.
    pub fn all() -> IndexExpr {
        IndexExpr {
            var: None,
            items: vec![IndexItem::Slice {
                start: None,
                stop: None,
                step: None,
            }],
        }
    }
}

/// Parse `arr[1, 2]`, `[0:2, ::2]`, `[...]`, `[-1]`, `[..., 1]`, `[None, :]`.
pub fn parse_index(text: &str) -> Result<IndexExpr, ParseError> {
    let toks = lex::tokenize(text)?;
    let mut p = Parser {
        toks: &toks,
        pos: 0,
    };
    let var = match &p.peek().kind {
        Tok::Ident(name) => {
            if !lex::is_identifier(name) {
                return Err(
                    p.error_here(format!("`{name}` is a Python keyword, not a variable name"))
                );
            }
            let name = name.clone();
            p.pos += 1;
            Some(name)
        }
        _ => None,
    };
    if !p.eat('[') {
        return Err(p.error_here(format!(
            "expected `[` to start the index{}, found {}",
            if var.is_some() {
                ""
            } else {
                " (e.g. `arr[1, 2]` or `[1, 2]`)"
            },
            p.peek().kind.describe()
        )));
    }
    // `[(1, 2)]` is the same tuple as `[1, 2]`; `[()]` is the empty tuple (the whole array, as a 0-d view).
    let items = if p.peek().kind == Tok::Punct('(') && p.paren_wraps_all() {
        p.pos += 1;
        let items = p.items(')')?;
        p.expect(')')?;
        items
    } else {
        p.items(']')?
    };
    p.expect(']')?;
    if p.peek().kind != Tok::End {
        return Err(p.error_here(format!(
            "expected the end of the index after `]`, found {}",
            p.peek().kind.describe()
        )));
    }
    Ok(IndexExpr { var, items })
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &'a Token {
        // tokenize always ends with End, so the last token is a safe fallback.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn error_here(&self, message: String) -> ParseError {
        ParseError {
            column: self.peek().col,
            message,
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek().kind == Tok::Punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error_here(format!(
                "expected `{c}`, found {}",
                self.peek().kind.describe()
            )))
        }
    }

    /// True when the `(` at the cursor closes right before the final `]`.
    fn paren_wraps_all(&self) -> bool {
        let mut i = self.pos + 1;
        while i < self.toks.len() {
            match self.toks[i].kind {
                Tok::Punct(')') => {
                    return self.toks.get(i + 1).map(|t| &t.kind) == Some(&Tok::Punct(']'));
                }
                Tok::Punct('(') | Tok::End => return false,
                _ => i += 1,
            }
        }
        false
    }

    /// Comma-separated items up to (not including) `close`; a trailing comma is allowed.
    fn items(&mut self, close: char) -> Result<Vec<IndexItem>, ParseError> {
        let mut items = Vec::new();
        loop {
            if self.peek().kind == Tok::Punct(close) {
                if items.is_empty() && close == ']' {
                    return Err(self.error_here(
                        "empty index `[]`: write `[:]` for the whole array or `[()]`".to_string(),
                    ));
                }
                break;
            }
            // Two ellipses and a zero slice step parse (Python builds the tuple); NumPy raises
            // when indexing, and so does the engine, with NumPy's message and order.
            let item = self.item()?;
            items.push(item);
            if !self.eat(',') {
                break;
            }
        }
        Ok(items)
    }

    fn item(&mut self) -> Result<IndexItem, ParseError> {
        let tok = self.peek().clone();
        match &tok.kind {
            Tok::Ellipsis => {
                self.pos += 1;
                Ok(IndexItem::Ellipsis)
            }
            Tok::Ident(name) if name == "None" => {
                self.pos += 1;
                Ok(IndexItem::NewAxis)
            }
            Tok::Ident(name) if name == "np" || name == "numpy" => {
                self.pos += 1;
                self.expect('.')?;
                match &self.peek().kind {
                    Tok::Ident(attr) if attr == "newaxis" => {
                        self.pos += 1;
                        Ok(IndexItem::NewAxis)
                    }
                    other => Err(self.error_here(format!(
                        "expected `newaxis` after `{name}.`, found {}",
                        other.describe()
                    ))),
                }
            }
            _ => {
                let start = self.opt_int()?;
                if !self.eat(':') {
                    return match start {
                        Some(v) => Ok(match i64::try_from(&v) {
                            Ok(i) => IndexItem::Int(i),
                            Err(_) => IndexItem::BigInt(v.to_string()),
                        }),
                        None => Err(self.error_here(format!(
                            "expected an integer, `:` or `...`, found {}",
                            self.peek().kind.describe()
                        ))),
                    };
                }
                // A slice clamps its parts to the C ssize_t range (CPython's
                // `_PyEval_SliceIndex`), so a Python int beyond int64 in a slice is exact.
                let clamp = |v: Option<num_bigint::BigInt>| {
                    v.map(|v| {
                        i64::try_from(&v).unwrap_or(if v.sign() == num_bigint::Sign::Minus {
                            i64::MIN
                        } else {
                            i64::MAX
                        })
                    })
                };
                let start = clamp(start);
                let stop = clamp(self.opt_int()?);
                let mut step = None;
                if self.eat(':') {
                    step = clamp(self.opt_int()?);
                }
                Ok(IndexItem::Slice { start, stop, step })
            }
        }
    }

    /// An optionally signed integer, or None when the next token cannot start one.
    fn opt_int(&mut self) -> Result<Option<num_bigint::BigInt>, ParseError> {
        let save = self.pos;
        let col = self.peek().col;
        let mut negative = false;
        while let Tok::Punct(c @ ('-' | '+')) = self.peek().kind {
            negative ^= c == '-';
            self.pos += 1;
        }
        let signed = self.pos != save;
        match &self.peek().kind {
            Tok::Int(digits) => {
                self.pos += 1;
                // Python's compiler refuses a literal past 4300 digits (SyntaxError).
                let magnitude =
                    crate::numpy::pyint::parse_literal(digits).map_err(|message| ParseError {
                        column: col,
                        message,
                    })?;
                Ok(Some(if negative { -magnitude } else { magnitude }))
            }
            Tok::Float(f) => Err(ParseError {
                column: self.peek().col,
                message: format!(
                    "float index `{f}`: only integers, slices (`:`), ellipsis (`...`), \
                     numpy.newaxis (`None`) and integer or boolean arrays are valid indices"
                ),
            }),
            other if signed => Err(self.error_here(format!(
                "expected an integer after the sign, found {}",
                other.describe()
            ))),
            _ => Ok(None),
        }
    }
}

impl IndexExpr {
    /// The index as NumPy code on `var`: `arr[1, 2]`, `arr[0:2, ::2]`, `arr[()]`.
    pub fn to_python(&self, var: &str) -> String {
        format!("{var}{}", Brackets(&self.items))
    }
}

struct Brackets<'a>(&'a [IndexItem]);

impl fmt::Display for Brackets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("[()]");
        }
        f.write_str("[")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_str("]")
    }
}

impl fmt::Display for IndexItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexItem::Int(i) => write!(f, "{i}"),
            IndexItem::BigInt(text) => f.write_str(text),
            IndexItem::Ellipsis => f.write_str("..."),
            IndexItem::NewAxis => f.write_str("None"),
            IndexItem::Slice { start, stop, step } => {
                if let Some(s) = start {
                    write!(f, "{s}")?;
                }
                f.write_str(":")?;
                if let Some(s) = stop {
                    write!(f, "{s}")?;
                }
                if let Some(s) = step {
                    write!(f, ":{s}")?;
                }
                Ok(())
            }
        }
    }
}

/// Canonical NumPy text: `arr[1, 2]` with the written name, or `[1, 2]` without one.
impl fmt::Display for IndexExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = &self.var {
            f.write_str(v)?;
        }
        write!(f, "{}", Brackets(&self.items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(s: &str) -> Vec<IndexItem> {
        parse_index(s).unwrap().items
    }

    #[test]
    fn forms() {
        use IndexItem::*;
        let all = Slice {
            start: None,
            stop: None,
            step: None,
        };
        assert_eq!(
            parse_index("arr[1, 2]").unwrap().var.as_deref(),
            Some("arr")
        );
        assert_eq!(items("[1,2]"), vec![Int(1), Int(2)]);
        assert_eq!(items(" [ : ] "), vec![all.clone()]);
        assert_eq!(items("[-1]"), vec![Int(-1)]);
        assert_eq!(items("[+3]"), vec![Int(3)]);
        assert_eq!(items("[..., 1]"), vec![Ellipsis, Int(1)]);
        assert_eq!(items("[None, :]"), vec![NewAxis, all.clone()]);
        assert_eq!(items("[np.newaxis]"), vec![NewAxis]);
        assert_eq!(items("[()]"), vec![]);
        assert_eq!(items("[(1, 2)]"), vec![Int(1), Int(2)]);
        assert_eq!(items("[1,]"), vec![Int(1)]);
        assert_eq!(
            items("[0:2, ::2]"),
            vec![
                Slice {
                    start: Some(0),
                    stop: Some(2),
                    step: None
                },
                Slice {
                    start: None,
                    stop: None,
                    step: Some(2)
                }
            ]
        );
    }

    #[test]
    fn errors() {
        let e = parse_index("[x]").unwrap_err();
        assert_eq!(e.column, 1);
        assert_eq!(e.message, "expected an integer, `:` or `...`, found `x`");
        // NumPy raises these when indexing (the engine does too), not when parsing.
        assert!(parse_index("[..., ...]").is_ok());
        assert!(parse_index("[1.5]")
            .unwrap_err()
            .message
            .contains("float index"));
        assert!(parse_index("[::0]").is_ok());
        assert!(parse_index("arr[1").is_err());
        assert!(parse_index("arr[1]x").is_err());
        assert!(parse_index("").is_err());
        assert!(parse_index("[]").is_err());
        // Ints beyond int64 parse (NumPy raises when indexing with one; a slice clamps them);
        // past 4300 digits Python's compiler refuses the literal.
        assert_eq!(
            parse_index("[99999999999999999999]").unwrap().items,
            vec![IndexItem::BigInt("99999999999999999999".to_string())]
        );
        assert_eq!(
            parse_index("[-99999999999999999999:99999999999999999999]")
                .unwrap()
                .items,
            vec![IndexItem::Slice {
                start: Some(i64::MIN),
                stop: Some(i64::MAX),
                step: None
            }]
        );
        assert!(parse_index(&format!("[{}]", "9".repeat(4301)))
            .unwrap_err()
            .message
            .starts_with("SyntaxError: Exceeds the limit (4300 digits)"));
    }

    #[test]
    fn round_trip() {
        for s in [
            "arr[1, 2]",
            "arr[0:2, ::2]",
            "arr[...]",
            "arr[()]",
            "arr[None, -1:]",
            "arr[1:2:-1]",
        ] {
            let e = parse_index(s).unwrap();
            assert_eq!(e.to_python("arr"), s);
            assert_eq!(e.to_string(), s);
            assert_eq!(parse_index(&e.to_string()).unwrap(), e);
        }
    }
}

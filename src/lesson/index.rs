//! NumPy basic-indexing expressions (`arr[1, 2]`, `[0:2, ::2]`, `[..., 1]`): syntax tree and parser.

use serde::Serialize;

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

/// A parse failure with the 0-based character column where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

/// Parse `arr[1, 2]`, `[0:2, ::2]`, `[...]`, `[-1]`, `[..., 1]`, `[None, :]`.
pub fn parse_index(_text: &str) -> Result<IndexExpr, ParseError> {
    todo!("lesson helper")
}

//! The lesson's small expression language: lexer -> parsers (index, value) -> AST -> evaluator.

pub(crate) mod eval;
pub mod index;
pub(crate) mod lex;
pub(crate) mod object;
#[cfg(test)]
mod pyint_vs_python;
pub(crate) mod suggest;
pub mod value;

/// A parse failure with the 0-based character column where it happened
/// (displayed 1-based, as editors count).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {}: {message}", column + 1)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

//! The lesson's small expression language: lexer -> parsers (index, value) -> AST -> evaluator.

pub mod eval;
pub mod index;
pub mod lex;
pub mod suggest;
pub mod value;

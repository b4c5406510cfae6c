//! Lessons: loading YAML (built-in or from a path), strict validation, and the resolved steps the engine runs.

pub mod builtin;
pub mod index;
mod lex;
pub mod model;
pub mod suggest;
pub mod value;

use std::path::PathBuf;

use crate::dtype::DType;
use index::IndexExpr;
use model::Lesson;
use value::ValueExpr;

/// NumPy memmap modes (short form, as `.mode` stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// `r`: read-only, MAP_SHARED.
    #[serde(rename = "r")]
    ReadOnly,
    /// `r+`: read-write, MAP_SHARED, grows the file.
    #[serde(rename = "r+")]
    ReadWrite,
    /// `w+`: create or truncate, then grow; read-write.
    #[serde(rename = "w+")]
    Write,
    /// `c`: copy-on-write, MAP_PRIVATE.
    #[serde(rename = "c")]
    CopyOnWrite,
}

impl Mode {
    /// Parse a short or long NumPy mode name; `None` for anything NumPy rejects.
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "r" | "readonly" => Mode::ReadOnly,
            "r+" | "readwrite" => Mode::ReadWrite,
            "w+" | "write" => Mode::Write,
            "c" | "copyonwrite" => Mode::CopyOnWrite,
            _ => return None,
        })
    }

    /// The short name NumPy stores in `.mode`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::ReadOnly => "r",
            Mode::ReadWrite => "r+",
            Mode::Write => "w+",
            Mode::CopyOnWrite => "c",
        }
    }
}

/// Arguments of `np.memmap(...)` after validation. Shape and offset stay signed: NumPy's
/// run-time errors for negative values are the engine's to raise, with NumPy's messages.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpenSpec {
    pub var: String,
    /// Relative to the work directory, as written in the lesson.
    pub file: String,
    pub dtype: DType,
    pub mode: Mode,
    pub shape: Option<Vec<i64>>,
    pub offset: i64,
    /// `C`, `F`, or anything else (NumPy raises at run time, after file growth).
    pub order: String,
}

/// What a validated step does.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Action {
    Open(OpenSpec),
    Assign {
        var: String,
        index: IndexExpr,
        value: ValueExpr,
    },
    Read {
        var: String,
        index: IndexExpr,
    },
    Flush {
        var: String,
    },
    Close {
        var: String,
    },
}

/// A validated step: the action plus its lesson text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedStep {
    /// 1-based.
    pub number: usize,
    pub action: Action,
    /// Action column text (generated from the op when the lesson gives none).
    pub action_text: String,
    pub note: String,
    /// Substring of the NumPy error this step is expected to raise.
    pub expect_error: Option<String>,
    /// The step written as NumPy code, e.g. `arr[:] = np.arange(9).reshape(3, 3)`.
    pub code: String,
}

/// A lesson ready to run: the text as written plus the resolved steps.
#[derive(Debug, Clone)]
pub struct LoadedLesson {
    /// Built-in name or the path given.
    pub source: String,
    pub lesson: Lesson,
    pub steps: Vec<ResolvedStep>,
}

/// Why a lesson could not be loaded. Always exit code 2; nothing was touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    /// The file could not be read, or no built-in lesson has that name.
    #[error("{source_name}: {message}")]
    Unreadable {
        source_name: String,
        message: String,
    },
    /// YAML syntax or structure (unknown key, wrong type): with line and column.
    #[error("{source_name}:{line}:{column}: {message}")]
    Syntax {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A step that parses but makes no sense: with the step number and field.
    #[error("{source_name}: step {step}, field `{field}`: {message}")]
    Step {
        source_name: String,
        step: usize,
        field: String,
        message: String,
    },
    /// A problem in the lesson text outside the steps (quiz, key moments…).
    #[error("{source_name}: {location}: {message}")]
    Other {
        source_name: String,
        location: String,
        message: String,
    },
}

/// Where a lesson comes from: a built-in name or a file path.
pub fn resolve_source(_name_or_path: &str) -> Result<(String, String), LessonError> {
    todo!("lesson helper: returns (source name, YAML text)")
}

/// Parse and validate a lesson's YAML text. `source_name` is used in messages.
pub fn load_str(_source_name: &str, _yaml: &str) -> Result<LoadedLesson, LessonError> {
    todo!("lesson helper")
}

/// Load a built-in lesson by name or a lesson file by path.
pub fn load(name_or_path: &str) -> Result<LoadedLesson, LessonError> {
    let (source, text) = resolve_source(name_or_path)?;
    load_str(&source, &text)
}

/// Files the lesson may create live under this directory; used by path checks.
pub type WorkDir = PathBuf;

//! `memmap-tutor list`: the built-in lessons with one-line summaries.

use super::{emit, CommandError};
use crate::lesson::{builtin, load_str};

/// Print each built-in lesson's name and summary.
pub fn run() -> Result<(), CommandError> {
    let mut out = String::new();
    let width = builtin::LESSONS
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    for (name, text) in builtin::LESSONS {
        let summary = match load_str(name, text) {
            Ok(l) => l.lesson.summary.unwrap_or(l.lesson.title),
            Err(e) => format!("(invalid: {e})"),
        };
        out.push_str(&format!("{name:width$}  {summary}\n"));
    }
    emit(&out)
}

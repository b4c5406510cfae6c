//! `Measured:` lines: where the run contradicts or qualifies a line of the lesson's text, what it shows instead,
//! with the live value of the cited cell.

use crate::lesson::model::{Lesson, TextRef};
use crate::trace::Trace;

/// The `Measured: …` lines for one text line of the lesson (its correcting claims; `verify` checks them).
pub fn measured_lines(lesson: &Lesson, trace: &Trace, on: TextRef) -> Vec<String> {
    lesson
        .claims
        .iter()
        .filter(|c| c.corrects && TextRef::parse(&c.on) == Some(on))
        .map(|c| {
            let cell = c
                .cites
                .as_ref()
                .map(|cite| format!(" ({})", super::cite::cited_cell(trace, cite)))
                .unwrap_or_default();
            format!("Measured: {}{cell}", c.says.trim())
        })
        .collect()
}

//! `Measured:` lines: where the run contradicts or qualifies a line of the lesson's text, what it shows instead,
//! with the live value of the cited cell — and, where a claim cannot be checked or fails in this run, that.

use crate::lesson::model::{Lesson, TextRef};
use crate::trace::Trace;

/// How a claim stands in this run, as `verify` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The run shows what the claim says.
    Holds,
    /// A probe it needs cannot answer here (e.g. dirty pages on tmpfs): the reason.
    Unknown(String),
    /// The run shows otherwise: what was measured.
    Disproved(String),
}

/// The lines to show under one text line of the lesson, in claim order: a correcting claim that holds as
/// `Measured: …` with its cited cell; any claim this run cannot check as `Not measured here: …`; any claim the
/// run disproves as `Measured: this run disproves …`. `standings[i]` is claim `i`'s; a claim without one is
/// treated as unchecked.
pub fn measured_lines(
    lesson: &Lesson,
    trace: &Trace,
    standings: &[Standing],
    on: TextRef,
) -> Vec<String> {
    let unchecked = Standing::Unknown("the claim was not checked against this run".to_string());
    lesson
        .claims
        .iter()
        .enumerate()
        .filter(|(_, c)| TextRef::parse(&c.on) == Some(on))
        .filter_map(|(i, c)| {
            let cell = c
                .cites
                .as_ref()
                .map(|cite| format!(" ({})", super::cite::cited_cell(trace, cite)))
                .unwrap_or_default();
            match standings.get(i).unwrap_or(&unchecked) {
                Standing::Holds if c.corrects => Some(format!("Measured: {}{cell}", c.says.trim())),
                Standing::Holds => None,
                Standing::Unknown(why) => Some(format!(
                    "Not measured here: {why} — this run cannot check \"{}\"",
                    c.says.trim()
                )),
                Standing::Disproved(why) => Some(format!(
                    "Measured: this run disproves \"{}\" — {why}{cell}",
                    c.says.trim()
                )),
            }
        })
        .collect()
}

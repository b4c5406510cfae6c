//! Every sentence about a measurement, made from the typed trace: outcome lines, the Disk Write verdict,
//! table cells, the facts of a step, the transcript's narrative and the citations of quiz answers.
//! Views, the quiz, verify and the JSON output take their wording from here and decide nothing from it.

pub mod cells;
pub mod cite;
pub mod disk;
pub mod facts;
pub mod narrate;
mod outcome;

pub use cells::one_line;
pub use disk::{disk_write_cell, disk_write_detail};
pub use outcome::outcome;

/// `unavailable (<why>)`: how every cell says a probe could not answer.
pub fn unavailable(why: &str) -> String {
    format!("unavailable ({why})")
}

/// A measured value in words, or `unavailable (<why>)`.
pub fn measured<T>(m: &crate::trace::Measured<T>, words: impl FnOnce(&T) -> String) -> String {
    match m.as_result() {
        Ok(v) => words(v),
        Err(why) => unavailable(why),
    }
}

/// `1 page`, `3 pages`.
pub fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The step's `outcome` sentence, if its operation reported an event.
pub fn step_outcome(step: &crate::trace::StepRecord) -> Option<String> {
    step.report.event.as_ref().map(outcome)
}

/// Choice letter for an index: 0 → A.
pub fn letter(i: usize) -> char {
    (b'A' + (i % 26) as u8) as char
}

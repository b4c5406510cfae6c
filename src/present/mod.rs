//! Every sentence about a measurement, made from the typed trace: outcome lines, the Disk Write verdict,
//! table cells, the facts of a step, the transcript's narrative and the citations of quiz answers.
//! Views, the quiz, verify and the JSON output take their wording from here and decide nothing from it.

pub mod cells;
pub(crate) mod cite;
pub(crate) mod claims;
pub mod disk;
pub(crate) mod facts;
pub(crate) mod narrate;
mod outcome;
pub(crate) mod scan;

pub(crate) use cells::one_line;
pub(crate) use disk::{disk_write_cell, disk_write_detail};
pub(crate) use outcome::outcome;

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
pub(crate) fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The step's `outcome` sentence, if its operation reported an event.
///
/// A wait for writeback also says how long the pages had been dirty: the flusher goes by that age, not by the
/// wait, so a short wait after a long-dirty page is the kernel keeping its schedule.
pub(crate) fn step_outcome(step: &crate::trace::StepRecord) -> Option<String> {
    let mut s = step.report.event.as_ref().map(outcome)?;
    if let (Some(ms), Some(n)) = (step.report.dirty_for_ms, step.report.dirtied_at_step) {
        s.push_str(&format!(
            "; the file had been dirty for {:.1} s by then, since step {n} dirtied it (the flusher writes \
             pages back once they are older than vm.dirty_expire_centisecs)",
            ms as f64 / 1000.0
        ));
    }
    Some(s)
}

/// Choice letter for an index: 0 → A.
pub fn letter(i: usize) -> char {
    (b'A' + (i % 26) as u8) as char
}

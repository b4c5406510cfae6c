//! The transcript's narrative: a sentence or two per step, from its measurements only.

use crate::trace::{ArrayLife, DiskWrite, Measured, StepRecord};

/// One sentence or two about a step, from its measurements only.
pub(crate) fn narrate(step: &StepRecord) -> String {
    let mut s = format!(
        "Step {} ({}): `{}`",
        step.step,
        step.action,
        step.code.replace('\n', " ")
    );
    if let Some(outcome) = super::step_outcome(step) {
        s.push_str(&format!(" — {outcome}"));
    }
    if let Some(e) = &step.error {
        s.push_str(&format!(" raised {e}"));
        if step.expected_error {
            s.push_str(", as the lesson expects");
        }
        s.push('.');
        return s;
    }
    let array = step.arrays.get(&step.var);
    match array {
        Some(a) if a.state == ArrayLife::Closed => s.push_str(&format!(
            " — `{}` is closed (unmapped without msync)",
            step.var
        )),
        Some(a) => s.push_str(&format!(
            " — `{}` reads {}",
            step.var,
            super::one_line(&a.str)
        )),
        None => {}
    }
    if let Some(f) = step.files.get(&step.var) {
        let same = array.map(|a| a.str == f.str).unwrap_or(false);
        if f.str.is_empty() {
            s.push_str(&format!("; the file is {} bytes", f.size));
        } else if same {
            s.push_str(&format!(
                "; the file ({} bytes) already reads the same through read(2)",
                f.size
            ));
        } else {
            s.push_str(&format!(
                "; read(2) of the file ({} bytes) gives {}",
                f.size,
                super::one_line(&f.str)
            ));
        }
    }
    match &step.pages {
        Measured::Value(p) => s.push_str(&format!(
            "; {} cached, {} dirty",
            super::plural(p.cached, "page"),
            p.dirty
        )),
        Measured::Unavailable { unavailable: why } => {
            s.push_str(&format!("; page cache {}", super::unavailable(why)))
        }
    }
    let detail = super::disk_write_detail(&step.disk_write);
    if step.disk_write.value().is_some_and(DiskWrite::wrote) {
        s.push_str(&format!("; written to disk during this step ({detail})"));
    } else if step.pages.value().is_some_and(|p| p.dirty > 0) {
        s.push_str("; not yet on disk");
    } else {
        s.push_str(&format!("; disk write: {detail}"));
    }
    s.push('.');
    s
}

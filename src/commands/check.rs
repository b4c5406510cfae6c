//! `memmap-tutor check`: parse and validate lessons without running them (touches no file).

use super::{emit, CommandError};
use crate::lesson::{check_all, load};

/// Validate each lesson; the first invalid one is the error (exit 2).
pub fn run(lessons: &[String]) -> Result<(), CommandError> {
    // Names, files and directories of lessons, as `verify` takes them.
    let names = super::verify::expand(lessons)?;
    let mut failures = Vec::new();
    let mut out = String::new();
    for name in &names {
        match load(name) {
            Ok(l) => out.push_str(&format!("ok: {} ({} steps)\n", l.source, l.steps.len())),
            // Every error of the lesson at once, so one edit-and-check round fixes them all.
            Err(first) => {
                let all = check_all(name);
                if all.is_empty() {
                    failures.push(first.to_string());
                }
                failures.extend(all.iter().map(|e| e.to_string()));
            }
        }
    }
    emit(&out)?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Invalid(failures.join("\n")))
    }
}

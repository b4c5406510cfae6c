//! `memmap-tutor check`: parse and validate lessons without running them (touches no file).

use super::{emit, CommandError};
use crate::lesson::{check_all, error_position, load, LessonError};

/// Most errors printed for one lesson: a lesson with thousands of bad steps must not cost thousands of
/// lookups of where each is (each walks the text); the count of the rest is printed instead.
pub const MAX_SHOWN: usize = 100;

/// Validate each lesson; every error of every invalid one is reported (exit 2).
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
                let checked = check_all(name);
                let mut all = checked.errors;
                if all.is_empty() {
                    all.push(first);
                }
                let more = all.len().saturating_sub(MAX_SHOWN);
                all.truncate(MAX_SHOWN);
                // Every error's position in the text as `check` read it (its repairs included).
                // One line per error: a line feed an error echoes from the lesson is shown as `\n`.
                failures.extend(
                    in_text_order(&all, checked.text.as_deref())
                        .iter()
                        .map(|f| crate::term_safe::one_line(f).into_owned()),
                );
                if more > 0 {
                    failures.push(format!(
                        "{name}: {more} more error{} not shown (the first {MAX_SHOWN} are above: fix \
                         them and run check again)",
                        if more == 1 { "" } else { "s" }
                    ));
                }
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

/// Each error as `file:line:column: …` where the text says where (meaning errors get the line of the key they
/// are about), in the order of the text; errors no line can be given for come last, in their order.
fn in_text_order(errors: &[LessonError], yaml: Option<&str>) -> Vec<String> {
    let mut located: Vec<(Option<(usize, usize)>, String)> = errors
        .iter()
        .map(|e| match e {
            LessonError::Syntax { line, column, .. } => (Some((*line, *column)), e.to_string()),
            LessonError::Step {
                source_name,
                step,
                field,
                message,
            } => match yaml.and_then(|y| error_position(y, e)) {
                Some((l, c)) => (
                    Some((l, c)),
                    format!("{source_name}:{l}:{c}: step {step}, field `{field}`: {message}"),
                ),
                None => (None, e.to_string()),
            },
            LessonError::Other {
                source_name,
                location,
                message,
            } => match yaml.and_then(|y| error_position(y, e)) {
                Some((l, c)) => (
                    Some((l, c)),
                    format!("{source_name}:{l}:{c}: {location}: {message}"),
                ),
                None => (None, e.to_string()),
            },
            _ => (None, e.to_string()),
        })
        .collect();
    located.sort_by_key(|(at, _)| at.unwrap_or((usize::MAX, 0)));
    located.into_iter().map(|(_, s)| s).collect()
}

//! `memmap-tutor check`: parse and validate lessons without running them (touches no file).

use super::{emit, CommandError};
use crate::lesson::{check_all, error_position, load, resolve_source, LessonError};

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
                let mut all = check_all(name);
                if all.is_empty() {
                    all.push(first);
                }
                let yaml = resolve_source(name).ok().map(|(_, yaml)| yaml);
                failures.extend(in_text_order(&all, yaml.as_deref()));
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

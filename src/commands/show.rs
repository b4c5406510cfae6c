//! `memmap-tutor show` prints a built-in lesson's YAML; `memmap-tutor new` writes a starter lesson.

use std::io::Write;
use std::path::Path;

use super::{emit, CommandError};
use crate::lesson::builtin;

/// `show LESSON`: the built-in lesson's YAML exactly as embedded.
pub fn show(name: &str) -> Result<(), CommandError> {
    match builtin::LESSONS.iter().find(|(n, _)| *n == name) {
        Some((_, yaml)) => emit(yaml),
        None => Err(CommandError::Invalid(unknown_lesson(name))),
    }
}

/// "no built-in lesson X" with the closest name, and the list.
fn unknown_lesson(name: &str) -> String {
    let names: Vec<&str> = builtin::LESSONS.iter().map(|(n, _)| *n).collect();
    let closest = names
        .iter()
        .map(|n| (strsim::levenshtein(name, n), n))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    format!(
        "no built-in lesson `{}`{closest}; built-in lessons: {}",
        shown(name),
        names.join(", ")
    )
}

/// The starter lesson `new` writes: every common op once, with comments that say what each key does.
pub const STARTER: &str = include_str!("starter.yaml");

/// `new FILE`: write the starter lesson; an existing file is never overwritten.
pub fn new(path: &Path) -> Result<(), CommandError> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            let shown = shown(&path.display().to_string());
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CommandError::Invalid(format!("{shown} already exists; choose another name"))
            } else {
                CommandError::Io(format!("cannot create {shown}: {e}"))
            }
        })?;
    file.write_all(STARTER.as_bytes())
        .map_err(|e| CommandError::Io(format!("cannot write the lesson: {e}")))?;
    // The schema the first line points at, beside the lesson, unless a file of that name is there.
    let schema = path
        .parent()
        .unwrap_or(Path::new("."))
        .join("lesson.schema.json");
    let schema_note = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&schema)
        .and_then(|mut f| f.write_all(super::schema::lesson_schema().as_bytes()))
    {
        Ok(()) => " and lesson.schema.json beside it (for your editor)",
        Err(_) => "",
    };
    let shown = shown(&path.display().to_string());
    emit(&format!(
        "Wrote {shown}{schema_note}.\nTry: memmap-tutor run --watch {}\n",
        super::shell_quote(&path.display().to_string())
    ))
}

/// A name or path as typed, with control characters escaped so it cannot drive the terminal.
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

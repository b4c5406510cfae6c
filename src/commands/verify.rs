//! `memmap-tutor verify`: run lessons for real and check their expectations and answer keys.

use std::path::Path;

use super::{emit, CommandError};
use crate::cli::VerifyArgs;
use crate::lesson::{self, builtin, LoadedLesson};
use crate::runner::Runner;
use crate::verify::{self, Outcome};
use crate::workdir::WorkDir;

/// The lessons named on the command line: built-in names and files as given, directories
/// expanded to their `*.yaml` files (sorted, README skipped); none means every built-in lesson.
pub(crate) fn expand(args: &[String]) -> Result<Vec<String>, CommandError> {
    if args.is_empty() {
        return Ok(builtin::LESSONS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect());
    }
    let mut out = Vec::new();
    for a in args {
        let path = Path::new(a);
        if !path.is_dir() {
            out.push(a.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| CommandError::Invalid(format!("{a}: cannot list the directory: {e}")))?;
        let mut found: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension().is_some_and(|x| x == "yaml")
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.to_ascii_lowercase().starts_with("readme"))
            })
            .map(|p| p.display().to_string())
            .collect();
        if found.is_empty() {
            return Err(CommandError::Invalid(format!(
                "{a}: no lesson files (*.yaml) in this directory"
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// `verify`: load every lesson, run the valid ones, print per-lesson results and the summary line
/// (again on every change of the lesson files with `--watch`).
pub fn run(args: &VerifyArgs) -> Result<(), CommandError> {
    let names = expand(&args.lessons)?;
    if args.watch {
        let files = super::watch::files_of(&names);
        return super::watch::watch(&files, || verify_all(&names, args.workdir.as_deref()));
    }
    verify_all(&names, args.workdir.as_deref())
}

fn verify_all(names: &[String], base: Option<&std::path::Path>) -> Result<(), CommandError> {
    let mut text = String::new();
    let mut invalid = Vec::new();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for name in names {
        let lesson = match lesson::load(name) {
            Ok(l) => l,
            Err(e) => {
                // One line each: a line feed the message echoes from the lesson is shown as `\n`.
                let e = crate::term_safe::one_line(&e.to_string()).into_owned();
                text.push_str(&format!("INVALID {e}\n"));
                invalid.push(e);
                continue;
            }
        };
        let (p, f, s, block) = verify_one(&lesson, base)?;
        text.push_str(&block);
        passed += p;
        failed += f;
        skipped += s;
    }
    text.push_str(&verify::summary(passed, failed, skipped));
    text.push('\n');
    emit(&text)?;
    if !invalid.is_empty() {
        // One line per lesson, each starting with its location (`file:line:column`, `step N, field`).
        return Err(CommandError::Invalid(invalid.join("\n")));
    }
    if failed > 0 {
        return Err(CommandError::Failed(format!(
            "{failed} check{} failed",
            if failed == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Run one lesson in a fresh temporary directory; its counts and printed block.
fn verify_one(
    lesson: &LoadedLesson,
    base: Option<&std::path::Path>,
) -> Result<(usize, usize, usize, String), CommandError> {
    let workdir = match base {
        Some(b) => WorkDir::prepare_temp_in(b, lesson)?,
        None => WorkDir::prepare(None, lesson, false)?,
    };
    let (checks, trace) = if lesson.lesson.script.is_some() {
        let (mapped, trace) = super::trace::perform_script_lesson(lesson, workdir.path())?;
        let mut checks = verify::check_script_lines(lesson, &trace);
        checks.extend(verify::check_lesson(&mapped, &trace));
        checks.extend(crate::quiz::keys::check_answers(&mapped, &trace));
        (checks, trace)
    } else {
        let trace = Runner::new(lesson, workdir.path())
            .with_wait_observer(super::ticker::wait_ticker())
            .run_all();
        let mut checks = verify::check_lesson(lesson, &trace);
        checks.extend(crate::quiz::keys::check_answers(lesson, &trace));
        (checks, trace)
    };
    let (p, f, s) = verify::tally(&checks);
    let src = &lesson.source;
    let status = if f > 0 { "FAIL" } else { "PASS" };
    let counts = if checks.is_empty() {
        "nothing to check (no expectations or answer keys)".to_string()
    } else {
        verify::summary(p, f, s)
    };
    let claims = match lesson.lesson.claims.len() {
        0 => String::new(),
        1 => " (1 of them a claim about the lesson's text)".to_string(),
        n => format!(" ({n} of them claims about the lesson's text)"),
    };
    let mut block = format!(
        "{status} {src} (on {}): {counts}{claims}\n",
        trace.environment.filesystem
    );
    for c in &checks {
        match &c.outcome {
            Outcome::Pass => {}
            Outcome::Fail(m) => block.push_str(&format!("  FAIL {src}: {}: {m}\n", c.place)),
            Outcome::Skip(why) => block.push_str(&format!("  SKIPPED {src}: {}: {why}\n", c.place)),
        }
    }
    Ok((p, f, s, block))
}

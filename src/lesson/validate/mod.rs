//! Semantic checks of a parsed lesson: each step resolved by its op's resolver, variable lifetimes, quiz keys.
//!
//! The pipeline for one step ([`resolve_step`]): the fields it wrote must apply to its op ([`fields`]); the
//! variable and index are read; the op's own resolver ([`ops`]) turns the fields into an [`Action`](super::Action); the one
//! variable-lifetime tracker ([`lifetime`]) checks and records what the step does to its variable; then the
//! step's `expect`. Key moments, quiz, claims and script lessons are checked in [`sections`].

mod compare;
mod fields;
mod lifetime;
mod ops;
mod parse;
mod sections;

use super::code;
use super::model::{Lesson, Op, Step};
use super::{LessonError, ResolvedStep, Target};
use crate::expr::index::{parse_index, IndexExpr};
use crate::expr::lex::is_identifier;

pub use fields::step_keys;
pub(crate) use parse::check_path;

use lifetime::Lifetimes;
use parse::excerpt;

/// Columns a key moment may cite.
pub(crate) const CITE_COLUMNS: &[&str] = super::model::CiteColumn::NAMES;

/// What a trace quiz question may be about.
pub(crate) const ABOUT_KINDS: &[&str] = super::model::AboutKind::NAMES;

/// Most steps a lesson may have: every step is performed and measured for real, and the trace
/// and views grow with the steps (see bench/ for the time and memory of the largest lesson).
pub const MAX_STEPS: usize = 10_000;
/// Most distinct variables a lesson may open (each is a live mapping and an open file).
pub const MAX_VARIABLES: usize = 1_000;
/// Default `timeout` of `wait_writeback`, in seconds.
pub(crate) const DEFAULT_WAIT_SECS: f64 = 40.0;
/// Largest `timeout` of `wait_writeback`: the kernel's own writeback happens within about 35 s here.
pub(crate) const MAX_WAIT_SECS: f64 = 120.0;
/// Largest `external_read` length and `external_write` data, in bytes (lessons show bytes, not bulk data).
pub(crate) const MAX_EXTERNAL_BYTES: u64 = 4096;

/// The lesson's source name, for building located errors.
struct Ctx<'a> {
    source: &'a str,
}

impl Ctx<'_> {
    fn step_err(&self, step: usize, field: &str, message: impl Into<String>) -> LessonError {
        LessonError::Step {
            source_name: self.source.to_string(),
            step,
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn other(&self, location: impl Into<String>, message: impl Into<String>) -> LessonError {
        LessonError::Other {
            source_name: self.source.to_string(),
            location: location.into(),
            message: message.into(),
        }
    }
}

/// A step `check` could not parse (see `lesson::tolerant`): the meaning checks skip it.
pub(crate) struct BrokenStep {
    /// 0-based.
    pub index: usize,
    /// It is (or may be) an `open` or `reopen`: the steps after it are not checked, as they would only
    /// repeat that it bound nothing.
    pub binds: bool,
}

/// Every problem [`validate`] would find, not only the first: each step is checked even after an
/// earlier one failed, except that steps after a failed (or `broken`) `open` or `reopen` are not (they would
/// only repeat that failure); then the key moments, the quiz and the claims.
pub(crate) fn validate_all(
    source: &str,
    lesson: &Lesson,
    broken: &[BrokenStep],
) -> Vec<LessonError> {
    let cx = Ctx { source };
    let mut errors = Vec::new();
    if lesson.title.trim().is_empty() {
        errors.push(cx.other("title", "the lesson needs a non-empty `title`"));
    }
    if let Some(script) = &lesson.script {
        errors.extend(sections::validate_script(&cx, lesson, script).err());
    } else {
        errors.extend(check_step_count(&cx, lesson).err());
        errors.extend(all_step_errors(&cx, lesson, broken));
        errors.extend(sections::check_claims(&cx, lesson).err());
    }
    for e in [
        sections::check_key_moments(&cx, lesson).err(),
        sections::check_quiz(&cx, lesson).err(),
    ]
    .into_iter()
    .flatten()
    {
        if !errors.contains(&e) {
            errors.push(e);
        }
    }
    errors
}

/// Each step's first error, in step order (see [`validate_all`]).
fn all_step_errors(cx: &Ctx, lesson: &Lesson, broken: &[BrokenStep]) -> Vec<LessonError> {
    let mut errors = Vec::new();
    let mut life = Lifetimes::default();
    for (i, step) in lesson.steps.iter().enumerate() {
        if let Some(b) = broken.iter().find(|b| b.index == i) {
            if b.binds {
                break;
            }
            continue;
        }
        match resolve_step(cx, i + 1, step, &mut life) {
            Err(e) => {
                errors.push(e);
                if matches!(step.op, Op::Open | Op::Reopen | Op::Load | Op::OpenMemmap) {
                    break;
                }
            }
            Ok(_) if life.count() > MAX_VARIABLES => {
                errors.push(too_many_variables(cx, i + 1, life.count()));
                break;
            }
            Ok(_) => {}
        }
    }
    errors
}

fn too_many_variables(cx: &Ctx, n: usize, count: usize) -> LessonError {
    cx.step_err(
        n,
        "var",
        format!("this is variable number {count}; a lesson may have at most {MAX_VARIABLES}"),
    )
}

/// Validate the lesson and resolve its steps.
pub(crate) fn validate(source: &str, lesson: &Lesson) -> Result<Vec<ResolvedStep>, LessonError> {
    let cx = Ctx { source };
    if lesson.title.trim().is_empty() {
        return Err(cx.other("title", "the lesson needs a non-empty `title`"));
    }
    if let Some(script) = &lesson.script {
        return sections::validate_script(&cx, lesson, script);
    }
    check_step_count(&cx, lesson)?;
    let mut life = Lifetimes::default();
    let mut out = Vec::with_capacity(lesson.steps.len());
    for (i, step) in lesson.steps.iter().enumerate() {
        let n = i + 1;
        let resolved = resolve_step(&cx, n, step, &mut life)?;
        if life.count() > MAX_VARIABLES {
            return Err(too_many_variables(&cx, n, life.count()));
        }
        out.push(resolved);
    }
    sections::check_key_moments(&cx, lesson)?;
    sections::check_quiz(&cx, lesson)?;
    sections::check_claims(&cx, lesson)?;
    Ok(out)
}

/// A step lesson has between one and [`MAX_STEPS`] steps.
fn check_step_count(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
    if lesson.steps.is_empty() {
        return Err(cx.other(
            "steps",
            "the lesson has no steps; add at least one (e.g. `- op: open`)",
        ));
    }
    if lesson.steps.len() > MAX_STEPS {
        return Err(cx.other(
            "steps",
            format!(
                "the lesson has {} steps; a lesson may have at most {MAX_STEPS} (split it into several lessons)",
                lesson.steps.len()
            ),
        ));
    }
    Ok(())
}

/// What every op's resolver gets: the step as written, with its variable, index and named file read.
struct StepInput<'a> {
    cx: &'a Ctx<'a>,
    /// 1-based step number.
    n: usize,
    step: &'a Step,
    /// The variable the step acts on (`var`, or the name in the index, or `arr`).
    var: String,
    /// The parsed `index`, when written (it may still name the variable).
    index: Option<IndexExpr>,
    /// An outside-process step's `file`, when it names a file instead of a variable.
    file_target: Option<Target>,
}

impl StepInput<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> LessonError {
        self.cx.step_err(self.n, field, message)
    }
}

/// Check one step and resolve it into an action, updating the variable lifetimes.
fn resolve_step(
    cx: &Ctx,
    n: usize,
    step: &Step,
    life: &mut Lifetimes,
) -> Result<ResolvedStep, LessonError> {
    fields::check_applicable(step).map_err(|(field, m)| cx.step_err(n, field, m))?;
    let input = read_input(cx, n, step)?;
    let action = ops::resolve(&input, life)?;
    life.record(&input, &action)?;
    if let Some(e) = &step.expect {
        super::expect::check(step.op, step.expect_error.as_deref(), e)
            .map_err(|(field, message)| cx.step_err(n, &field, message))?;
    }
    let code = code::action_code(&action);
    let action_text = match &step.action {
        Some(t) => t.clone(),
        None => code::action_text(&action),
    };
    Ok(ResolvedStep {
        number: n,
        action,
        action_text,
        note: step.note.clone().unwrap_or_default(),
        expect_error: step.expect_error.clone(),
        expect: step.expect.clone(),
        code,
    })
}

/// The step's index, variable and named file, which every op reads the same way.
fn read_input<'a>(cx: &'a Ctx<'a>, n: usize, step: &'a Step) -> Result<StepInput<'a>, LessonError> {
    // The index may name the variable (`arr2[1, 2]`); it must agree with `var` when both are written.
    let index = match &step.index {
        Some(text) => Some(parse_index(text).map_err(|e| {
            cx.step_err(n, "index", format!("cannot parse `{}`: {e}", excerpt(text)))
        })?),
        None => None,
    };
    let index_var = index.as_ref().and_then(|i| i.var.clone());
    let var = match (&step.var, &index_var) {
        (Some(v), Some(iv)) if v != iv => {
            return Err(cx.step_err(
                n,
                "index",
                format!("the index names `{iv}` but the step's `var` is `{v}`"),
            ))
        }
        (Some(v), _) => v.clone(),
        (None, Some(iv)) => iv.clone(),
        (None, None) => "arr".to_string(),
    };
    if !is_identifier(&var) {
        return Err(cx.step_err(
            n,
            "var",
            format!("`{var}` is not a valid Python variable name"),
        ));
    }
    let file_target = file_target(cx, n, step)?;
    Ok(StepInput {
        cx,
        n,
        step,
        var,
        index,
        file_target,
    })
}

/// Outside-process steps may name a file directly instead of a variable.
fn file_target(cx: &Ctx, n: usize, step: &Step) -> Result<Option<Target>, LessonError> {
    match (&step.file, &step.var, step.op) {
        (Some(f), None, Op::ExternalWrite | Op::ExternalRead | Op::Truncate) => {
            check_path(f).map_err(|m| cx.step_err(n, "file", m))?;
            Ok(Some(Target::File(f.clone())))
        }
        (Some(_), Some(_), Op::ExternalWrite | Op::ExternalRead | Op::Truncate) => Err(cx.step_err(
            n,
            "file",
            "give either `file` (a file in the work directory) or `var` (that variable's file), not both",
        )),
        _ => Ok(None),
    }
}

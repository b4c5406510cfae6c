//! Semantic checks of a parsed lesson: per-op fields, dtypes, modes, shapes, paths, variable lifetimes, quiz keys.

use std::collections::HashMap;
use std::path::{Component, Path};

use super::code;
use super::model::{Lesson, Op, Step, Yaml};
use super::{Action, LessonError, Mode, OpenSpec, ResolvedStep, Target};
use crate::expr::index::{parse_index, IndexExpr};
use crate::expr::lex::is_identifier;
use crate::expr::suggest::{did_you_mean, DTYPE_NAMES};
use crate::expr::value::parse_value;
use crate::expr::value::py_scalar;
use crate::numpy::dtype::{DType, Scalar};

/// Columns a key moment may cite.
pub(crate) const CITE_COLUMNS: &[&str] = super::model::CiteColumn::NAMES;

/// What a trace quiz question may be about.
pub(crate) const ABOUT_KINDS: &[&str] = super::model::AboutKind::NAMES;

/// Every step field, in the order the model declares them (for "does not apply" messages).
const COMMON: &[&str] = &["op", "action", "note", "expect_error", "expect"];

/// Every key a step of this op may have (its own and the common ones), for "valid keys here".
pub fn step_keys(op: Op) -> Vec<&'static str> {
    op_fields(op).iter().chain(COMMON.iter()).copied().collect()
}

fn op_fields(op: Op) -> &'static [&'static str] {
    match op {
        Op::Open => &["var", "file", "dtype", "mode", "shape", "offset", "order"],
        Op::Assign => &["var", "index", "value"],
        Op::Read => &["var", "index"],
        Op::Flush | Op::Close | Op::Evict | Op::FlushAsync => &["var"],
        Op::Reopen => &["var", "mode"],
        Op::ExternalWrite => &["var", "file", "offset", "value", "dtype", "bytes"],
        Op::ExternalRead => &["var", "file", "offset", "length", "dtype"],
        Op::Crash => &["var", "index", "value"],
        Op::WaitWriteback => &["var", "timeout"],
        Op::FlushRange => &["var", "offset", "length"],
        Op::Truncate => &["var", "file", "size", "touch"],
        Op::Load => &["var", "file", "mode"],
        Op::OpenMemmap => &["var", "file", "mode", "dtype", "shape", "order"],
        Op::ForkWrite => &["var", "index", "value"],
        Op::Madvise => &["var", "advice", "start", "length"],
        Op::Scan => &["var", "index", "chunk", "release", "summary"],
    }
}

/// The op-specific fields a step actually wrote, by name.
fn written_fields(step: &Step) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut add = |name: &'static str, present: bool| {
        if present {
            v.push(name);
        }
    };
    add("var", step.var.is_some());
    add("file", step.file.is_some());
    add("dtype", step.dtype.is_some());
    add("mode", step.mode.is_some());
    add("shape", step.shape.as_ref().is_some_and(|y| !y.is_null()));
    add("offset", step.offset.as_ref().is_some_and(|y| !y.is_null()));
    add("order", step.order.is_some());
    add("index", step.index.is_some());
    add("value", step.value.is_some());
    add("bytes", step.bytes.is_some());
    add("length", step.length.as_ref().is_some_and(|y| !y.is_null()));
    add(
        "timeout",
        step.timeout.as_ref().is_some_and(|y| !y.is_null()),
    );
    add("size", step.size.as_ref().is_some_and(|y| !y.is_null()));
    add("touch", step.touch.is_some());
    add("advice", step.advice.is_some());
    add("start", step.start.as_ref().is_some_and(|y| !y.is_null()));
    add("chunk", step.chunk.as_ref().is_some_and(|y| !y.is_null()));
    add("release", step.release.is_some());
    add("summary", step.summary.is_some());
    v
}

/// Whether a variable name is open or was closed (`reopen` maps a closed one again).
#[derive(Clone, Copy)]
enum VarState {
    Open,
    Closed,
}

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

/// Every problem [`validate`] would find, not only the first: each step is checked even after an
/// earlier one failed, except that steps after a failed `open` or `reopen` are not (they would only
/// repeat that failure); then the key moments and the quiz.
pub fn validate_all(source: &str, lesson: &Lesson) -> Vec<LessonError> {
    let cx = Ctx { source };
    let mut errors = Vec::new();
    if lesson.title.trim().is_empty() {
        errors.push(cx.other("title", "the lesson needs a non-empty `title`"));
    }
    let mut vars: HashMap<String, VarState> = HashMap::new();
    let mut specs: HashMap<String, OpenSpec> = HashMap::new();
    for (i, step) in lesson.steps.iter().enumerate() {
        if let Err(e) = resolve_step(&cx, i + 1, step, &mut vars, &mut specs) {
            errors.push(e);
            if matches!(step.op, Op::Open | Op::Reopen | Op::Load | Op::OpenMemmap) {
                break;
            }
        }
    }
    if let Err(e) = validate(source, lesson) {
        // Steps, key moments and quiz in one pass; the first error is one of those found above
        // unless it is about the whole lesson (no steps) or the text after the steps.
        if !errors.contains(&e) {
            errors.push(e);
        }
    }
    errors.extend(
        check_key_moments(&cx, lesson)
            .err()
            .filter(|e| !errors.contains(e)),
    );
    errors.extend(
        check_quiz(&cx, lesson)
            .err()
            .filter(|e| !errors.contains(e)),
    );
    errors
}
/// Most steps a lesson may have: every step is performed and measured for real, and the trace
/// and views grow with the steps (see bench/ for the time and memory of the largest lesson).
pub const MAX_STEPS: usize = 10_000;
/// Most distinct variables a lesson may open (each is a live mapping and an open file).
pub const MAX_VARIABLES: usize = 1_000;

/// Validate the lesson and resolve its steps.
pub(crate) fn validate(source: &str, lesson: &Lesson) -> Result<Vec<ResolvedStep>, LessonError> {
    let cx = Ctx { source };
    if lesson.title.trim().is_empty() {
        return Err(cx.other("title", "the lesson needs a non-empty `title`"));
    }
    if let Some(script) = &lesson.script {
        return validate_script(&cx, lesson, script);
    }
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
    let mut vars: HashMap<String, VarState> = HashMap::new();
    let mut specs: HashMap<String, OpenSpec> = HashMap::new();
    let mut out = Vec::with_capacity(lesson.steps.len());
    for (i, step) in lesson.steps.iter().enumerate() {
        let n = i + 1;
        let resolved = resolve_step(&cx, n, step, &mut vars, &mut specs)?;
        if specs.len() > MAX_VARIABLES {
            return Err(cx.step_err(
                n,
                "var",
                format!(
                    "this is variable number {}; a lesson may have at most {MAX_VARIABLES}",
                    specs.len()
                ),
            ));
        }
        out.push(resolved);
    }
    check_key_moments(&cx, lesson)?;
    check_quiz(&cx, lesson)?;
    check_claims(&cx, lesson)?;
    Ok(out)
}

/// Each claim names a line that exists, a step of the lesson, a valid expectation for that step's op, and a
/// valid cited cell.
fn check_claims(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
    use super::model::TextRef;
    let n = lesson.steps.len();
    for (i, c) in lesson.claims.iter().enumerate() {
        let loc = |f: &str| format!("claim {}, field `{f}`", i + 1);
        let exists = match TextRef::parse(&c.on) {
            None => {
                return Err(cx.other(
                    loc("on"),
                    format!("`{}` names no text line (forms: {})", c.on, TextRef::FORMS),
                ))
            }
            Some(TextRef::Note(k)) => (1..=n).contains(&k),
            Some(TextRef::Snapshot(k)) => (1..=lesson.snapshot.len()).contains(&k),
            Some(TextRef::Moment(k)) => (1..=lesson.key_moments.len()).contains(&k),
            Some(TextRef::Quiz(k)) => (1..=lesson.quiz.len()).contains(&k),
            Some(TextRef::Transcript) => lesson.transcript.is_some(),
            Some(TextRef::Caption) => lesson
                .concept_flow
                .as_ref()
                .is_some_and(|f| f.caption.is_some()),
            Some(TextRef::Footer) => lesson.table_footer.is_some(),
        };
        if !exists {
            return Err(cx.other(loc("on"), format!("the lesson has no {}", c.on)));
        }
        if c.step == 0 || c.step > n {
            return Err(cx.other(
                loc("step"),
                format!(
                    "step {} does not exist (the lesson has steps 1 to {n})",
                    c.step
                ),
            ));
        }
        super::expect::check(lesson.steps[c.step - 1].op, None, &c.expect)
            .map_err(|(field, message)| cx.other(loc(&field), message))?;
        if let Some(cite) = &c.cites {
            if cite.step == 0 || cite.step > n || !CITE_COLUMNS.contains(&cite.column.as_str()) {
                return Err(cx.other(
                    loc("cites"),
                    format!(
                        "cite a step 1 to {n} and a column of: {}",
                        CITE_COLUMNS.join(", ")
                    ),
                ));
            }
            check_var_name(cx, &cite.var, loc("cites.var"))?;
        }
    }
    Ok(())
}

fn resolve_step(
    cx: &Ctx,
    n: usize,
    step: &Step,
    vars: &mut HashMap<String, VarState>,
    specs: &mut HashMap<String, OpenSpec>,
) -> Result<ResolvedStep, LessonError> {
    let allowed = op_fields(step.op);
    for field in written_fields(step) {
        if !allowed.contains(&field) {
            return Err(cx.step_err(
                n,
                field,
                format!(
                    "`{field}` does not apply to a `{}` step (it takes: {})",
                    step.op.as_str(),
                    allowed
                        .iter()
                        .chain(COMMON.iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }

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

    // Outside-process steps may name a file directly instead of a variable.
    let file_target = match (&step.file, &step.var, step.op) {
        (Some(f), None, Op::ExternalWrite | Op::ExternalRead | Op::Truncate) => {
            check_path(f).map_err(|m| cx.step_err(n, "file", m))?;
            Some(Target::File(f.clone()))
        }
        (Some(_), Some(_), Op::ExternalWrite | Op::ExternalRead | Op::Truncate) => {
            return Err(cx.step_err(
                n,
                "file",
                "give either `file` (a file in the work directory) or `var` (that variable's file), not both",
            ))
        }
        _ => None,
    };
    let var_target = || -> Result<Target, LessonError> {
        let file = specs.get(&var).map(|s| s.file.clone()).unwrap_or_default();
        Ok(Target::Var {
            var: var.clone(),
            file,
        })
    };
    let target = |var_target: &dyn Fn() -> Result<Target, LessonError>| match &file_target {
        Some(t) => Ok(t.clone()),
        None => var_target(),
    };

    let action = match step.op {
        Op::Open => Action::Open(open_spec(cx, n, step, var.clone())?),
        Op::Load | Op::OpenMemmap => {
            if step.op == Op::Load && step.mode.is_none() {
                return Err(cx.step_err(n, "mode", super::npy::LOAD_NEEDS_MODE));
            }
            Action::Open(super::npy::npy_spec(
                open_spec(cx, n, step, var.clone())?,
                step,
            ))
        }
        Op::ForkWrite => {
            let value = step.value.as_ref().ok_or_else(|| {
                cx.step_err(
                    n,
                    "value",
                    "a `fork_write` step needs the `value` the worker stores",
                )
            })?;
            Action::ForkWrite {
                var: var.clone(),
                index: strip_var(index.unwrap_or_else(IndexExpr::all)),
                value: parse_value(value)
                    .map_err(|e| cx.step_err(n, "value", format!("cannot parse the value: {e}")))?,
            }
        }
        Op::Reopen => {
            let mut spec = match (vars.get(&var), specs.get(&var)) {
                (Some(VarState::Closed), Some(spec)) => spec.clone(),
                (Some(VarState::Open), _) => {
                    return Err(cx.step_err(
                        n,
                        "var",
                        format!(
                            "`{var}` is still open; `reopen` maps a closed variable again (to map the same file a second time, `open` it under another name)"
                        ),
                    ))
                }
                _ => {
                    return Err(cx.step_err(
                        n,
                        "var",
                        format!(
                            "no variable `{var}` was opened and closed before this step; `reopen` needs an earlier `open` and `close` of it{}",
                            did_you_mean(&var, specs.keys().map(|k| k.as_str()))
                        ),
                    ))
                }
            };
            let mode_text = step.mode.as_deref().unwrap_or("r+");
            (spec.mode, spec.bad_mode) = parse_mode(mode_text);
            if let Some(call) = spec.npy.as_mut() {
                call.mode = mode_text.to_string();
            }
            Action::Reopen(spec)
        }
        Op::ExternalWrite => {
            let target = target(&var_target)?;
            let offset = uint_field(cx, n, "offset", step.offset.as_ref())?.unwrap_or(0);
            let mut var_values = None;
            let (data, shown) = match (&step.bytes, &step.value) {
                (Some(_), Some(_)) => {
                    return Err(cx.step_err(
                        n,
                        "bytes",
                        "give either `bytes` (hex) or `value` (with a dtype), not both",
                    ))
                }
                (Some(hex), None) => {
                    if step.dtype.is_some() {
                        return Err(cx.step_err(
                            n,
                            "dtype",
                            "`dtype` applies to `value`; `bytes` are written as they are",
                        ));
                    }
                    let data = parse_hex(hex).map_err(|m| cx.step_err(n, "bytes", m))?;
                    let shown = format!("bytes.fromhex({})", crate::python::py_str(&crate::python::hex(&data)));
                    (data, shown)
                }
                (None, Some(value)) => {
                    let dtype = match (&step.dtype, target.var()) {
                        (Some(text), _) => parse_dtype(cx, n, text)?,
                        (None, Some(v)) => match specs.get(v) {
                            Some(spec) => spec.dtype,
                            None => parse_dtype(cx, n, "uint8")?,
                        },
                        (None, None) => {
                            return Err(cx.step_err(
                                n,
                                "dtype",
                                "writing a `value` to a `file` needs its `dtype` (e.g. `dtype: float32`), or write `bytes` as hex",
                            ))
                        }
                    };
                    let scalars = scalars_of(value).map_err(|m| cx.step_err(n, "value", m))?;
                    if step.dtype.is_none() && target.var().is_some() {
                        var_values = Some(scalars.clone());
                    }
                    let mut data = vec![0u8; scalars.len() * dtype.size];
                    for (i, s) in scalars.iter().enumerate() {
                        dtype.encode(*s, &mut data[i * dtype.size..]);
                    }
                    let items: Vec<String> = scalars.iter().map(py_scalar).collect();
                    let literal = if matches!(value, Yaml::Sequence(_)) {
                        format!("[{}]", items.join(", "))
                    } else {
                        items.join(", ")
                    };
                    let shown = format!(
                        "np.array({literal}, dtype={}).tobytes()",
                        crate::python::py_str(&dtype.to_string())
                    );
                    (data, shown)
                }
                (None, None) => {
                    return Err(cx.step_err(
                        n,
                        "value",
                        "an `external_write` step needs a `value` (with the variable's or a given `dtype`) or `bytes` as hex (e.g. `bytes: \"00 00 c6 42\"`)",
                    ))
                }
            };
            if data.is_empty() {
                return Err(cx.step_err(n, "value", "nothing to write (the value is empty)"));
            }
            offset
                .checked_add(data.len() as u64)
                .filter(|&e| e <= i64::MAX as u64)
                .ok_or_else(|| {
                    cx.step_err(
                        n,
                        "offset",
                        "offset + length of the data does not fit in a file",
                    )
                })?;
            Action::ExternalWrite {
                target,
                offset,
                data,
                shown,
                var_values,
            }
        }
        Op::ExternalRead => {
            let target = target(&var_target)?;
            let offset = uint_field(cx, n, "offset", step.offset.as_ref())?.unwrap_or(0);
            let length = uint_field(cx, n, "length", step.length.as_ref())?.unwrap_or(16);
            if length == 0 || length > MAX_EXTERNAL_BYTES {
                return Err(cx.step_err(
                    n,
                    "length",
                    format!(
                        "length must be between 1 and {MAX_EXTERNAL_BYTES} bytes (got {length})"
                    ),
                ));
            }
            let dtype = match (&step.dtype, target.var()) {
                (Some(text), _) => Some(parse_dtype(cx, n, text)?),
                (None, Some(v)) => specs.get(v).map(|s| s.dtype),
                (None, None) => None,
            };
            Action::ExternalRead {
                dtype_from_var: step.dtype.is_none() && target.var().is_some(),
                target,
                offset,
                length,
                dtype,
            }
        }
        Op::Crash => {
            let value_yaml = step.value.as_ref().ok_or_else(|| {
                cx.step_err(
                    n,
                    "value",
                    "a `crash` step needs the `value` the child stores before it is killed (e.g. `value: 42`)",
                )
            })?;
            let value = parse_value(value_yaml)
                .map_err(|e| cx.step_err(n, "value", format!("cannot parse the value: {e}")))?;
            let text = serde_yaml::to_string(value_yaml).map_err(|e| {
                cx.step_err(n, "value", format!("cannot re-serialise the value: {e}"))
            })?;
            Action::Crash {
                var: var.clone(),
                index: strip_var(index.clone().unwrap_or_else(IndexExpr::all)),
                value,
                value_yaml: text,
            }
        }
        Op::Evict => Action::Evict { var: var.clone() },
        Op::FlushAsync => Action::FlushAsync { var: var.clone() },
        Op::WaitWriteback => {
            let secs = match &step.timeout {
                None | Some(Yaml::Null) => DEFAULT_WAIT_SECS,
                Some(Yaml::Number(num)) => num.as_f64().unwrap_or(f64::NAN),
                Some(_) => f64::NAN,
            };
            if !(secs > 0.0 && secs <= MAX_WAIT_SECS) {
                return Err(cx.step_err(
                    n,
                    "timeout",
                    format!(
                        "timeout must be a number of seconds greater than 0 and at most {MAX_WAIT_SECS} (default {DEFAULT_WAIT_SECS})"
                    ),
                ));
            }
            Action::WaitWriteback {
                var: var.clone(),
                timeout_ms: (secs * 1000.0).round() as u64,
            }
        }
        Op::FlushRange => {
            let offset = uint_field(cx, n, "offset", step.offset.as_ref())?.unwrap_or(0);
            let length = uint_field(cx, n, "length", step.length.as_ref())?.ok_or_else(|| {
                cx.step_err(
                    n,
                    "length",
                    "a `flush_range` step needs a `length` in bytes (e.g. `length: 4096`)",
                )
            })?;
            if length == 0 {
                return Err(cx.step_err(n, "length", "length must be at least 1 byte"));
            }
            offset
                .checked_add(length)
                .filter(|&e| e <= i64::MAX as u64)
                .ok_or_else(|| {
                    cx.step_err(n, "length", "offset + length does not fit in a file")
                })?;
            Action::FlushRange {
                var: var.clone(),
                offset,
                length,
            }
        }
        Op::Truncate => {
            let target = target(&var_target)?;
            let size = uint_field(cx, n, "size", step.size.as_ref())?.ok_or_else(|| {
                cx.step_err(
                    n,
                    "size",
                    "a `truncate` step needs the new file `size` in bytes (e.g. `size: 0`)",
                )
            })?;
            if size > i64::MAX as u64 {
                return Err(cx.step_err(n, "size", "size does not fit in a file length"));
            }
            Action::Truncate {
                target,
                size,
                touch: step.touch.unwrap_or(false),
            }
        }
        Op::Assign => {
            let value_yaml = step.value.as_ref().ok_or_else(|| {
                cx.step_err(
                    n,
                    "value",
                    "an `assign` step needs a `value` (e.g. `value: np.arange(9).reshape(3, 3)`)",
                )
            })?;
            let value = parse_value(value_yaml).map_err(|e| {
                let shown = match value_yaml {
                    Yaml::String(s) => format!(" `{}`", excerpt(s)),
                    _ => String::new(),
                };
                cx.step_err(n, "value", format!("cannot parse the value{shown}: {e}"))
            })?;
            Action::Assign {
                var: var.clone(),
                index: strip_var(index.unwrap_or_else(IndexExpr::all)),
                value,
            }
        }
        Op::Read => {
            let index = index.ok_or_else(|| {
                cx.step_err(
                    n,
                    "index",
                    "a `read` step needs an `index` (e.g. `index: arr[1, 2]` or `[:]`)",
                )
            })?;
            Action::Read {
                var: var.clone(),
                index: strip_var(index),
            }
        }
        Op::Flush => Action::Flush { var: var.clone() },
        Op::Close => Action::Close { var: var.clone() },
        Op::Madvise => Action::Madvise(
            super::scan_steps::madvise(step, &var).map_err(|(f, m)| cx.step_err(n, f, m))?,
        ),
        Op::Scan => Action::Scan(
            super::scan_steps::scan(step, &var, index.map(strip_var))
                .map_err(|(f, m)| cx.step_err(n, f, m))?,
        ),
    };

    // Variable lifetimes: a failing open binds nothing, as in Python.
    match step.op {
        Op::Open | Op::Load | Op::OpenMemmap => {
            if step.expect_error.is_none() {
                vars.insert(var.clone(), VarState::Open);
                if let Action::Open(spec) = &action {
                    specs.insert(var.clone(), spec.clone());
                }
            }
        }
        Op::Reopen => {
            // Checked above: the variable is closed and its spec known.
            if step.expect_error.is_none() {
                vars.insert(var.clone(), VarState::Open);
            }
        }
        _ if file_target.is_some() => {}
        // A name used after `close` (`del`) or never bound is NumPy's NameError at run time,
        // where the lesson goes on: the engine raises it, as Python would.
        _ => {
            if step.op == Op::Close && matches!(vars.get(&var), Some(VarState::Open)) {
                vars.insert(var.clone(), VarState::Closed);
            }
        }
    }

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

/// Default and largest `timeout` of `wait_writeback`, in seconds.
pub(crate) const DEFAULT_WAIT_SECS: f64 = 40.0;
/// Largest `timeout` of `wait_writeback`: the kernel's own writeback happens within about 35 s here.
pub(crate) const MAX_WAIT_SECS: f64 = 120.0;
/// Largest `external_read` length and `external_write` data, in bytes (lessons show bytes, not bulk data).
pub(crate) const MAX_EXTERNAL_BYTES: u64 = 4096;

/// A mode NumPy rejects is its ValueError at run time (the step records it, the lesson goes
/// on): the placeholder mode `r` touches nothing, the text is kept for the error.
fn parse_mode(mode_text: &str) -> (Mode, Option<String>) {
    match Mode::parse(mode_text) {
        Some(m) => (m, None),
        None => (Mode::ReadOnly, Some(mode_text.to_string())),
    }
}

fn parse_dtype(cx: &Ctx, n: usize, dtype_text: &str) -> Result<DType, LessonError> {
    DType::parse(dtype_text).map_err(|e| {
        cx.step_err(
            n,
            "dtype",
            format!(
                "{e}{}",
                did_you_mean(dtype_text, DTYPE_NAMES.iter().copied())
            ),
        )
    })
}

/// A non-negative whole number of bytes (None when the field is absent).
fn uint_field(
    cx: &Ctx,
    n: usize,
    field: &str,
    y: Option<&Yaml>,
) -> Result<Option<u64>, LessonError> {
    match y {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Number(num)) => match (num.as_u64(), num.as_i64()) {
            (Some(v), _) => Ok(Some(v)),
            (None, Some(v)) => Err(cx.step_err(
                n,
                field,
                format!("{field} must be a non-negative number of bytes (got {v})"),
            )),
            _ => Err(cx.step_err(
                n,
                field,
                format!("{field} must be a whole number of bytes (got {num})"),
            )),
        },
        Some(other) => Err(cx.step_err(
            n,
            field,
            format!(
                "{field} must be a whole number of bytes, found {}",
                describe(other)
            ),
        )),
    }
}

/// The bytes of an `external_write` (hex in the grammar of [`crate::python::parse_hex`]), at most
/// [`MAX_EXTERNAL_BYTES`].
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    use crate::python::HexError;
    let bytes = crate::python::parse_hex(text).map_err(|e| match e {
        HexError::Empty => "no bytes given: write hex digits such as \"00 00 c6 42\"".to_string(),
        HexError::NotHexDigit(c) => {
            format!("`{c}` is not a hex digit; write bytes as hex such as \"00 00 c6 42\"")
        }
        HexError::OddDigits(n) => format!("an odd number of hex digits ({n}); each byte takes two"),
    })?;
    if bytes.len() > MAX_EXTERNAL_BYTES as usize {
        return Err(format!("at most {MAX_EXTERNAL_BYTES} bytes"));
    }
    Ok(bytes)
}

/// An `external_write` value: a number, a boolean, or a flat list of them.
fn scalars_of(y: &Yaml) -> Result<Vec<Scalar>, String> {
    let one = |y: &Yaml| -> Result<Scalar, String> {
        match y {
            Yaml::Bool(b) => Ok(Scalar::Bool(*b)),
            Yaml::Number(num) => {
                if let Some(i) = num.as_i64() {
                    Ok(Scalar::Int(i))
                } else if let Some(u) = num.as_u64() {
                    Ok(Scalar::UInt(u))
                } else {
                    Ok(Scalar::Float(num.as_f64().unwrap_or(f64::NAN)))
                }
            }
            other => Err(format!(
                "an `external_write` value is a number, a boolean or a flat list of them, found {}",
                describe(other)
            )),
        }
    };
    match y {
        Yaml::Sequence(items) => {
            if items.len() > MAX_EXTERNAL_BYTES as usize {
                return Err(format!("at most {MAX_EXTERNAL_BYTES} values"));
            }
            items.iter().map(one).collect()
        }
        other => Ok(vec![one(other)?]),
    }
}

/// The resolved action names its variable separately; the index keeps only the brackets.
fn strip_var(mut index: IndexExpr) -> IndexExpr {
    index.var = None;
    index
}

fn open_spec(cx: &Ctx, n: usize, step: &Step, var: String) -> Result<OpenSpec, LessonError> {
    let file = step.file.as_deref().ok_or_else(|| {
        cx.step_err(
            n,
            "file",
            "an `open` step needs a `file` (e.g. `file: large_data.dat`)",
        )
    })?;
    check_path(file).map_err(|m| cx.step_err(n, "file", m))?;

    let dtype_text = step.dtype.as_deref().unwrap_or("uint8");
    let dtype = DType::parse(dtype_text).map_err(|e| {
        cx.step_err(
            n,
            "dtype",
            format!(
                "{e}{}",
                did_you_mean(dtype_text, DTYPE_NAMES.iter().copied())
            ),
        )
    })?;

    let mode_text = step.mode.as_deref().unwrap_or("r+");
    let (mode, bad_mode) = parse_mode(mode_text);

    let shape = match &step.shape {
        None | Some(Yaml::Null) => None,
        Some(y) => Some(shape_of(y).map_err(|m| cx.step_err(n, "shape", m))?),
    };

    let offset = match &step.offset {
        None | Some(Yaml::Null) => 0,
        Some(Yaml::Number(num)) => match num.as_i64() {
            Some(o) => o,
            None if num.is_f64() => {
                return Err(cx.step_err(
                    n,
                    "offset",
                    "offset must be a whole number of bytes ('float' object cannot be interpreted as an integer)",
                ))
            }
            None => {
                return Err(cx.step_err(
                    n,
                    "offset",
                    format!("offset {num} does not fit in a 64-bit integer"),
                ))
            }
        },
        Some(_) => {
            return Err(cx.step_err(
                n,
                "offset",
                "offset must be an integer number of bytes",
            ))
        }
    };

    let order = step.order.clone().unwrap_or_else(|| "C".to_string());
    if !matches!(order.as_str(), "C" | "F" | "A" | "K") {
        return Err(cx.step_err(
            n,
            "order",
            format!(
                "order must be one of 'C', 'F', 'A', or 'K' (got '{order}'){}",
                did_you_mean(&order, ["C", "F", "A", "K"])
            ),
        ));
    }

    if let Some(dims) = &shape {
        check_size(dims, dtype.size, offset).map_err(|m| cx.step_err(n, "shape", m))?;
    }

    if mode == Mode::Write && shape.is_none() && step.expect_error.is_none() {
        return Err(cx.step_err(
            n,
            "shape",
            "shape must be given if mode == 'w+' (NumPy raises ValueError); add `shape`, \
             or set `expect_error` to show the error",
        ));
    }

    Ok(OpenSpec {
        var,
        file: file.to_string(),
        dtype,
        mode,
        shape,
        offset,
        order,
        bad_mode,
        npy: None,
    })
}

/// A lesson's file must stay inside the work directory: relative, no `..`, naming a file.
pub(crate) fn check_path(file: &str) -> Result<(), String> {
    if file.trim().is_empty() {
        return Err("the file name is empty".to_string());
    }
    if file.contains('\0') {
        return Err("the file name contains a NUL byte".to_string());
    }
    let path = Path::new(file);
    if path.is_absolute() || file.starts_with('~') {
        return Err(format!(
            "`{file}` is an absolute path; lessons may only name files inside their work directory \
             (write a relative name such as `large_data.dat`)"
        ));
    }
    for c in path.components() {
        match c {
            Component::ParentDir => {
                return Err(format!(
                "`{file}` contains `..`; lessons may only name files inside their work directory"
            ))
            }
            Component::Normal(_) | Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("`{file}` is not a relative path"))
            }
        }
    }
    if file.ends_with('/') || !path.components().any(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("`{file}` names a directory, not a file"));
    }
    Ok(())
}

/// `shape:` as an int, a list of ints, or a Python tuple written as text (`(3, 3)`).
fn shape_of(y: &Yaml) -> Result<Vec<i64>, String> {
    let dim = |y: &Yaml| -> Result<i64, String> {
        match y {
            Yaml::Number(num) => match num.as_i64() {
                Some(d) => Ok(d),
                None if num.is_f64() => Err(format!(
                    "dimension {num} is not an integer ('float' object cannot be interpreted as an integer)"
                )),
                None => Err(format!("dimension {num} does not fit in a 64-bit integer")),
            },
            other => Err(format!(
                "each dimension must be an integer, found {}",
                describe(other)
            )),
        }
    };
    match y {
        Yaml::Number(num) if num.is_f64() => Err(
            "shape must be an integer or a list of integers ('float' object is not iterable)"
                .to_string(),
        ),
        Yaml::Number(_) => Ok(vec![dim(y)?]),
        Yaml::Sequence(items) => items.iter().map(dim).collect(),
        Yaml::String(s) => shape_text(s),
        other => Err(format!(
            "shape must be an integer or a list of integers such as [3, 3], found {}",
            describe(other)
        )),
    }
}

/// `(3, 3)`, `3, 3`, `(9,)`, `9`, `()`: how teachers may write a tuple in YAML.
fn shape_text(s: &str) -> Result<Vec<i64>, String> {
    let t = s.trim();
    let inner = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
        .unwrap_or(t);
    let mut dims = Vec::new();
    for (i, part) in inner.split(',').enumerate() {
        let p = part.trim();
        if p.is_empty() {
            // A trailing comma (`(9,)`) or the empty tuple is fine; an empty middle item is not.
            if i == 0 && inner.trim().is_empty() || i > 0 {
                continue;
            }
        }
        match p.parse::<i64>() {
            Ok(d) => dims.push(d),
            Err(_) => {
                return Err(format!(
                    "shape `{s}` is not an integer or a tuple of integers such as (3, 3)"
                ))
            }
        }
    }
    Ok(dims)
}

fn describe(y: &Yaml) -> &'static str {
    match y {
        Yaml::Null => "nothing",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a mapping",
        Yaml::Tagged(_) => "a tagged value",
    }
}

/// The array's element count and byte size must be addressable; negative dims are NumPy's run-time error.
fn check_size(dims: &[i64], itemsize: usize, offset: i64) -> Result<(), String> {
    if dims.iter().any(|&d| d < 0) {
        return Ok(());
    }
    let shape = crate::python::tuple(dims);
    let mut count: usize = 1;
    for &d in dims {
        count = usize::try_from(d)
            .ok()
            .and_then(|d| count.checked_mul(d))
            .ok_or_else(|| {
                format!("shape {shape} has too many elements: the product overflows a 64-bit size")
            })?;
    }
    count
        .checked_mul(itemsize)
        .and_then(|b| i64::try_from(b).ok())
        .and_then(|b| b.checked_add(offset.max(0)))
        .ok_or_else(|| {
            format!("shape {shape} needs more bytes than a file can hold (over 2^63 bytes)")
        })?;
    Ok(())
}

fn check_key_moments(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
    let (n, unit) = numbered(lesson);
    for (i, km) in lesson.key_moments.iter().enumerate() {
        let loc = |f: &str| format!("key moment {}, field `{f}`", i + 1);
        if let Some(c) = &km.cites {
            if c.step == 0 || c.step > n {
                return Err(cx.other(
                    loc("cites.step"),
                    format!(
                        "{unit} {} does not exist (the lesson has {unit}s 1 to {n})",
                        c.step
                    ),
                ));
            }
            if !CITE_COLUMNS.contains(&c.column.as_str()) {
                return Err(cx.other(
                    loc("cites.column"),
                    format!(
                        "unknown column `{}` (columns: {}){}",
                        c.column,
                        CITE_COLUMNS.join(", "),
                        did_you_mean(&c.column, CITE_COLUMNS.iter().copied())
                    ),
                ));
            }
            check_var_name(cx, &c.var, loc("cites.var"))?;
        }
    }
    Ok(())
}

fn check_var_name(cx: &Ctx, var: &Option<String>, location: String) -> Result<(), LessonError> {
    match var {
        Some(v) if !is_identifier(v) => Err(cx.other(
            location,
            format!("`{v}` is not a valid Python variable name"),
        )),
        _ => Ok(()),
    }
}

/// A script lesson: the script instead of steps; its steps, cites and `about`s name lines of the script.
fn validate_script(
    cx: &Ctx,
    lesson: &Lesson,
    script: &str,
) -> Result<Vec<ResolvedStep>, LessonError> {
    if !lesson.steps.is_empty() {
        return Err(cx.other("steps", "give either `steps` or `script`, not both"));
    }
    let n = script.lines().count();
    if script.trim().is_empty() {
        return Err(cx.other("script", "the script is empty"));
    }
    for (i, e) in lesson.expect_lines.iter().enumerate() {
        if e.line == 0 || e.line > n {
            return Err(cx.other(
                format!("expect_lines entry {}, field `line`", i + 1),
                format!(
                    "line {} does not exist (the script has lines 1 to {n})",
                    e.line
                ),
            ));
        }
    }
    check_key_moments(cx, lesson)?;
    check_quiz(cx, lesson)?;
    Ok(Vec::new())
}

/// The steps a lesson's `about.step` and `cites.step` may name: its steps, or its script's lines.
fn numbered(lesson: &Lesson) -> (usize, &'static str) {
    match &lesson.script {
        Some(s) => (s.lines().count(), "line"),
        None => (lesson.steps.len(), "step"),
    }
}

fn check_quiz(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
    let (n, unit) = numbered(lesson);
    for (i, q) in lesson.quiz.iter().enumerate() {
        let loc = |f: &str| format!("quiz question {}, field `{f}`", i + 1);
        if q.choices.len() > 26 {
            return Err(cx.other(loc("choices"), "at most 26 choices (A to Z)"));
        }
        if let Some(a) = &q.answer {
            let last = (b'A' + q.choices.len().saturating_sub(1) as u8) as char;
            let ok = a.len() == 1
                && a.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase() && c <= last)
                && !q.choices.is_empty();
            if !ok {
                return Err(cx.other(
                    loc("answer"),
                    if q.choices.is_empty() {
                        format!("answer `{a}` given but the question has no `choices`")
                    } else {
                        format!("answer must be a letter from A to {last} (one per choice), found `{a}`")
                    },
                ));
            }
        }
        if let Some(about) = &q.about {
            if !ABOUT_KINDS.contains(&about.kind.as_str()) {
                return Err(cx.other(
                    loc("about.kind"),
                    format!(
                        "unknown kind `{}` (kinds: {}){}",
                        about.kind,
                        ABOUT_KINDS.join(", "),
                        did_you_mean(&about.kind, ABOUT_KINDS.iter().copied())
                    ),
                ));
            }
            if let Some(s) = about.step {
                if s == 0 || s > n {
                    return Err(cx.other(
                        loc("about.step"),
                        format!("{unit} {s} does not exist (the lesson has {unit}s 1 to {n})"),
                    ));
                }
            }
            if let Some(text) = &about.index {
                parse_index(text).map_err(|e| {
                    cx.other(
                        loc("about.index"),
                        format!("cannot parse `{}`: {e}", excerpt(text)),
                    )
                })?;
            }
            if about.kind == "value" {
                if about.step.is_none() {
                    return Err(cx.other(
                        loc("about.step"),
                        "a `value` question needs the `step` whose array it asks about",
                    ));
                }
                if about.index.is_none() {
                    return Err(cx.other(
                        loc("about.index"),
                        "a `value` question needs the element's `index`, e.g. `arr[1, 2]`",
                    ));
                }
            }
            check_var_name(cx, &about.var, loc("about.var"))?;
        }
        check_derive(cx, lesson, i, q)?;
    }
    Ok(())
}

/// A derived question's conditions: each names one of the choices (by text, once), a step of the lesson, a
/// valid expectation for that step's op that checks something, and valid cited cells.
fn check_derive(
    cx: &Ctx,
    lesson: &Lesson,
    i: usize,
    q: &super::model::Question,
) -> Result<(), LessonError> {
    let n = lesson.steps.len();
    let norm = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    let mut named = Vec::new();
    for (j, d) in q.derive.iter().enumerate() {
        let loc = |f: &str| format!("quiz question {}, derive {}, field `{f}`", i + 1, j + 1);
        if q.about.is_some() {
            return Err(cx.other(
                loc("choice"),
                "a question is derived (`derive`) or about one measurement (`about`), not both",
            ));
        }
        if !q.choices.iter().any(|c| norm(c) == norm(&d.choice)) {
            return Err(cx.other(
                loc("choice"),
                format!(
                    "`{}` is none of the question's choices (name a choice by its text)",
                    excerpt(&d.choice)
                ),
            ));
        }
        if named.contains(&norm(&d.choice)) {
            return Err(cx.other(
                loc("choice"),
                format!("`{}` has two conditions (give it one)", excerpt(&d.choice)),
            ));
        }
        named.push(norm(&d.choice));
        if d.step == 0 || d.step > n {
            return Err(cx.other(
                loc("step"),
                format!(
                    "step {} does not exist (the lesson has steps 1 to {n})",
                    d.step
                ),
            ));
        }
        super::expect::check(lesson.steps[d.step - 1].op, None, &d.expect)
            .map_err(|(field, message)| cx.other(loc(&field), message))?;
        let kernel_checks = d.kernel.as_ref().is_some_and(|k| k.flusher.is_some());
        if d.expect == super::expect::Expect::default() && !kernel_checks {
            return Err(cx.other(
                loc("expect"),
                "the condition checks nothing (give `expect` or `kernel`)",
            ));
        }
        for cite in &d.cites {
            if cite.step == 0 || cite.step > n || !CITE_COLUMNS.contains(&cite.column.as_str()) {
                return Err(cx.other(
                    loc("cites"),
                    format!(
                        "cite a step 1 to {n} and a column of: {}",
                        CITE_COLUMNS.join(", ")
                    ),
                ));
            }
            check_var_name(cx, &cite.var, loc("cites.var"))?;
        }
    }
    Ok(())
}

/// The start of an expression quoted in an error message: a 200 KB expression must not be
/// echoed whole (the column in the message points into the full text).
fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(check_path("large_data.dat").is_ok());
        assert!(check_path("sub/x.dat").is_ok());
        assert!(check_path("./x.dat").is_ok());
        assert!(check_path("/etc/passwd").is_err());
        assert!(check_path("../x").is_err());
        assert!(check_path("a/../../x").is_err());
        assert!(check_path("").is_err());
        assert!(check_path("dir/").is_err());
        assert!(check_path(".").is_err());
    }

    #[test]
    fn hex_bytes() {
        assert_eq!(parse_hex("00 00 c6 42").unwrap(), vec![0, 0, 0xc6, 0x42]);
        assert_eq!(parse_hex("0xFF01").unwrap(), vec![0xff, 1]);
        assert!(parse_hex("").is_err());
        assert!(parse_hex("abc").unwrap_err().contains("odd"));
        assert!(parse_hex("zz").unwrap_err().contains("not a hex digit"));
    }

    #[test]
    fn shapes() {
        let y = |s: &str| serde_yaml::from_str::<Yaml>(s).unwrap();
        assert_eq!(shape_of(&y("9")).unwrap(), vec![9]);
        assert_eq!(shape_of(&y("[3, 3]")).unwrap(), vec![3, 3]);
        assert_eq!(shape_of(&y("'(3, 3)'")).unwrap(), vec![3, 3]);
        assert_eq!(shape_of(&y("'(9,)'")).unwrap(), vec![9]);
        assert_eq!(shape_of(&y("'()'")).unwrap(), Vec::<i64>::new());
        assert!(shape_of(&y("2.5")).is_err());
        assert!(shape_of(&y("abc")).is_err());
        assert!(shape_of(&y("[3, x]")).is_err());
        assert!(check_size(&[1 << 40, 1 << 40], 4, 0).is_err());
        assert!(check_size(&[1 << 31, 1 << 31], 4, 0).is_err());
        assert!(check_size(&[3, 3], 4, 0).is_ok());
        assert!(check_size(&[-1, 1 << 62], 4, 0).is_ok());
    }
}

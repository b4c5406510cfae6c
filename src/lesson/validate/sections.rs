//! Checks of the lesson's parts beyond the steps: key moments, quiz, claims, and a script lesson's lines.

use super::parse::excerpt;
use super::{Ctx, ABOUT_KINDS, CITE_COLUMNS};
use crate::expr::index::parse_index;
use crate::expr::lex::is_identifier;
use crate::expr::suggest::did_you_mean;
use crate::lesson::model::Lesson;
use crate::lesson::{LessonError, ResolvedStep};

/// Each key moment cites a step (or script line) that exists, a known column and a valid variable name.
pub(super) fn check_key_moments(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
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

/// Each question's answer letter, `about` kind, step and index make sense.
pub(super) fn check_quiz(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
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

/// Each claim names a line that exists, a step of the lesson, a valid expectation for that step's op, and a
/// valid cited cell.
pub(super) fn check_claims(cx: &Ctx, lesson: &Lesson) -> Result<(), LessonError> {
    use crate::lesson::model::TextRef;
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
        crate::lesson::expect::check(lesson.steps[c.step - 1].op, None, &c.expect)
            .map_err(|(field, message)| cx.other(loc(&field), message))?;
        if c.expect == crate::lesson::expect::Expect::default() && c.compare.is_empty() {
            return Err(cx.other(
                loc("expect"),
                "the claim checks nothing (give `expect` or `compare`)",
            ));
        }
        for (k, cmp) in c.compare.iter().enumerate() {
            let loc = |f: &str| format!("claim {}, compare {}, {f}", i + 1, k + 1);
            super::compare::check(cx, cmp, lesson, &loc)?;
        }
        if let Some(cite) = &c.cites {
            check_cite(cx, cite, n, &loc)?;
        }
    }
    Ok(())
}

/// A claim's or a derive condition's cite names a step that exists, a known column and a valid variable.
fn check_cite(
    cx: &Ctx,
    cite: &crate::lesson::model::Cite,
    n: usize,
    loc: &dyn Fn(&str) -> String,
) -> Result<(), LessonError> {
    if cite.step == 0 || cite.step > n || !CITE_COLUMNS.contains(&cite.column.as_str()) {
        return Err(cx.other(
            loc("cites"),
            format!(
                "cite a step 1 to {n} and a column of: {}",
                CITE_COLUMNS.join(", ")
            ),
        ));
    }
    check_var_name(cx, &cite.var, loc("cites.var"))
}

/// A cited or asked-about variable is a Python identifier.
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
pub(super) fn validate_script(
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

/// A derived question's conditions: each names one of the choices (by text, once), a step of the lesson, a
/// valid expectation for that step's op that checks something, and valid cited cells.
fn check_derive(
    cx: &Ctx,
    lesson: &Lesson,
    i: usize,
    q: &crate::lesson::model::Question,
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
        let has_expect = d.expect != crate::lesson::expect::Expect::default();
        match d.step {
            Some(s) if s == 0 || s > n => {
                return Err(cx.other(
                    loc("step"),
                    format!("step {s} does not exist (the lesson has steps 1 to {n})"),
                ))
            }
            Some(s) => crate::lesson::expect::check(lesson.steps[s - 1].op, None, &d.expect)
                .map_err(|(field, message)| cx.other(loc(&field), message))?,
            None if has_expect || d.first_since.is_some() => {
                return Err(cx.other(
                    loc("step"),
                    "`expect` and `first_since` need the `step` whose record they check",
                ))
            }
            None => {}
        }
        if let (Some(since), Some(s)) = (d.first_since, d.step) {
            if since == 0 || since > s || !has_expect {
                return Err(cx.other(
                    loc("first_since"),
                    format!(
                        "give a step 1 to {s} (the derivation's `step`) and an `expect` that step is the first to show"
                    ),
                ));
            }
        }
        for (k, c) in d.compare.iter().enumerate() {
            let loc = |f: &str| {
                format!(
                    "quiz question {}, derive {}, compare {}, {f}",
                    i + 1,
                    j + 1,
                    k + 1
                )
            };
            super::compare::check(cx, c, lesson, &loc)?;
        }
        let kernel_checks = d.kernel.as_ref().is_some_and(|k| k.flusher.is_some());
        if !has_expect && !kernel_checks && d.compare.is_empty() {
            return Err(cx.other(
                loc("expect"),
                "the condition checks nothing (give `expect`, `compare` or `kernel`)",
            ));
        }
        for cite in &d.cites {
            check_cite(cx, cite, n, &loc)?;
        }
    }
    Ok(())
}

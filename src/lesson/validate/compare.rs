//! A derived question's `compare:` conditions: known operators and measures, steps that exist, a `var` and an
//! `index` only where the measure uses them, and no order comparison of text.

use super::Ctx;
use crate::expr::index::parse_index;
use crate::expr::lex::is_identifier;
use crate::expr::suggest::did_you_mean;
use crate::lesson::compare::{MEASURES, OPERATORS, STEP_ONLY, TEXT_ONLY};
use crate::lesson::model::{Comparison, Lesson, Quantity};
use crate::lesson::LessonError;

/// One comparison; `loc(field)` names where it is in the lesson.
pub(super) fn check(
    cx: &Ctx,
    c: &Comparison,
    lesson: &Lesson,
    loc: &dyn Fn(&str) -> String,
) -> Result<(), LessonError> {
    if !OPERATORS.contains(&c.is.as_str()) {
        return Err(cx.other(
            loc("field `is`"),
            format!(
                "unknown comparison `{}` (one of: {}){}",
                c.is,
                OPERATORS.join(", "),
                did_you_mean(&c.is, OPERATORS.iter().copied())
            ),
        ));
    }
    quantity(cx, &c.left, lesson, &|f| loc(&format!("left, field `{f}`")))?;
    quantity(cx, &c.right, lesson, &|f| {
        loc(&format!("right, field `{f}`"))
    })?;
    if c.left.text.is_some() && c.right.text.is_some() {
        return Err(cx.other(
            loc("field `left`"),
            "both sides are given values: compare at least one measurement",
        ));
    }
    let ordered = matches!(c.is.as_str(), "less" | "greater");
    for (side, q) in [("left", &c.left), ("right", &c.right)] {
        if let Some(m) = q
            .measure
            .as_deref()
            .filter(|m| ordered && TEXT_ONLY.contains(m))
        {
            return Err(cx.other(
                loc(&format!("{side}, field `measure`")),
                format!(
                    "`{m}` is text: compare it with `equal` or `differs`, not `{}`",
                    c.is
                ),
            ));
        }
    }
    Ok(())
}

fn quantity(
    cx: &Ctx,
    q: &Quantity,
    lesson: &Lesson,
    loc: &dyn Fn(&str) -> String,
) -> Result<(), LessonError> {
    let n = lesson.steps.len();
    if q.text.is_some() {
        if q.step.is_some() || q.measure.is_some() || q.var.is_some() || q.index.is_some() {
            return Err(cx.other(
                loc("text"),
                "a given `text` stands alone (no `step`, `measure`, `var` or `index` beside it)",
            ));
        }
        return Ok(());
    }
    let (Some(step), Some(measure)) = (q.step, q.measure.as_deref()) else {
        return Err(cx.other(
            loc(if q.step.is_none() { "step" } else { "measure" }),
            "a quantity is a measurement (`step` and `measure`) or a given `text`",
        ));
    };
    if step == 0 || step > n {
        return Err(cx.other(
            loc("step"),
            format!("step {step} does not exist (the lesson has steps 1 to {n})"),
        ));
    }
    if !MEASURES.contains(&measure) {
        return Err(cx.other(
            loc("measure"),
            format!(
                "unknown measure `{measure}` (one of: {}){}",
                MEASURES.join(", "),
                did_you_mean(measure, MEASURES.iter().copied())
            ),
        ));
    }
    if let Some(v) = &q.var {
        if STEP_ONLY.contains(&measure) {
            return Err(cx.other(
                loc("var"),
                format!("`{measure}` is measured of the step's own variable: drop `var`"),
            ));
        }
        if !is_identifier(v) {
            return Err(cx.other(
                loc("var"),
                format!("`{v}` is not a valid Python variable name"),
            ));
        }
    }
    match (measure, q.index.as_deref()) {
        ("value", None) => Err(cx.other(
            loc("index"),
            "`value` needs the element to read, e.g. `index: \"a[1]\"`",
        )),
        ("value", Some(i)) => parse_index(i)
            .map(|_| ())
            .map_err(|e| cx.other(loc("index"), format!("cannot parse the index `{i}`: {e}"))),
        (_, Some(_)) => Err(cx.other(
            loc("index"),
            format!("only `value` reads an element; `{measure}` takes no `index`"),
        )),
        (_, None) => Ok(()),
    }
}

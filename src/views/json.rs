//! The JSON document: the typed trace as serde writes it, plus the sentences `present` makes from it
//! (`outcome`, `disk_write_detail`), so JSON goes through the same presentation as text and Markdown.

use serde_json::{json, Value};

use super::{QuizItem, ViewContext};
use crate::present;

/// `{"lesson": {...}, "environment": {...}, "steps": [...], "quiz": [...]}`, pretty printed, ending in a
/// newline.
pub(crate) fn document(ctx: &ViewContext) -> String {
    let value = value(ctx);
    let mut s =
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The JSON trace as a value (the web page embeds exactly this).
pub(crate) fn value(ctx: &ViewContext) -> Value {
    let trace = ctx.trace;
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|step| {
            let mut v = serde_json::to_value(step).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert(
                    "disk_write_detail".to_string(),
                    Value::String(present::disk_write_detail(&step.disk_write)),
                );
                if let Some(outcome) = present::step_outcome(step) {
                    map.insert("outcome".to_string(), Value::String(outcome));
                }
            }
            v
        })
        .collect();
    let mut text = serde_json::to_value(&ctx.lesson.lesson).unwrap_or(Value::Null);
    fill_placeholders(&mut text, &expire_seconds(trace));
    let mut value = json!({
        "lesson": {
            "source": trace.lesson.source,
            "title": trace.lesson.title,
            "workdir": trace.lesson.workdir,
            "text": text,
        },
        "environment": trace.environment,
        "steps": steps,
        "quiz": ctx.quiz.iter().map(quiz_item).collect::<Vec<_>>(),
    });
    if let (Some(script), Value::Object(map)) = (&trace.script, &mut value) {
        map.insert("script".to_string(), json!(script));
    }
    value
}

/// One question with the answer this run decides (`answer`: a letter, or null when the run cannot tell and
/// the lesson gives none).
fn quiz_item(q: &QuizItem) -> Value {
    let letter = |i: usize| present::letter(i).to_string();
    json!({
        "question": q.question,
        "choices": q.choices,
        "hint": q.hint,
        "answer": q.answer.map(letter),
        "answer_index": q.answer,
        "declared": q.declared.map(letter),
        "measured": q.measured.as_ref().map(|m| json!({
            "answer": m.answer,
            "citation": m.citation,
            "kind": m.kind,
        })),
        "explanation": q.explanation,
        "not_graded": q.not_graded,
        "about_step": q.about_step,
    })
}

/// `vm.dirty_expire_centisecs` of this run in seconds, as `{dirty_expire_seconds}` in lesson text
/// is filled in (the same rule as the quiz's text).
fn expire_seconds(trace: &crate::trace::Trace) -> String {
    match trace.environment.dirty_expire_centisecs {
        Some(c) => format!("{}", c as f64 / 100.0),
        None => "unknown".to_string(),
    }
}

/// Fill `{dirty_expire_seconds}` in every string of the lesson text, so JSON says what text says.
fn fill_placeholders(v: &mut Value, secs: &str) {
    match v {
        Value::String(s) if s.contains("{dirty_expire_seconds}") => {
            *s = s.replace("{dirty_expire_seconds}", secs);
        }
        Value::Array(items) => items.iter_mut().for_each(|i| fill_placeholders(i, secs)),
        Value::Object(map) => map.values_mut().for_each(|i| fill_placeholders(i, secs)),
        _ => {}
    }
}

//! The quiz as the JSON trace carries it: each question with the answer derived from this run.

use serde_json::{json, Value};

use super::{letter, questions};
use crate::lesson::LoadedLesson;
use crate::trace::Trace;

/// Every question of the lesson with its right answer, derived exactly as the terminal quiz derives it
/// ([`questions`]), so a page or a script can grade without re-deriving anything.
pub fn to_json(lesson: &LoadedLesson, trace: &Trace) -> Value {
    let asked = questions(lesson, trace);
    let about_steps = lesson
        .lesson
        .quiz
        .iter()
        .map(|q| q.about.as_ref().and_then(|a| a.step));
    Value::Array(
        asked
            .iter()
            .zip(about_steps)
            .map(|(q, about_step)| {
                json!({
                    "question": q.question,
                    "choices": q.choices,
                    "hint": q.hint,
                    "answer": q.answer.map(|i| letter(i).to_string()),
                    "answer_index": q.answer,
                    "declared": q.declared.map(|i| letter(i).to_string()),
                    "measured": q.measured.as_ref().map(|m| json!({
                        "answer": m.answer,
                        "citation": m.citation,
                        "kind": m.kind,
                    })),
                    "explanation": q.explanation,
                    "about_step": about_step,
                })
            })
            .collect(),
    )
}

//! Quiz questions with answers derived from the live trace where they are about the run.

pub mod derive;
pub mod shuffle;

use crate::lesson::LoadedLesson;
use crate::trace::Trace;
use crate::views::{MeasuredAnswer, QuizItem};

/// A question ready to ask: choices fixed, the right answer known (from the run or the lesson).
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub question: String,
    pub choices: Vec<String>,
    pub hint: Option<String>,
    /// Index of the right choice: from the trace for questions about the run, else as declared.
    pub answer: Option<usize>,
    /// The lesson's declared answer, if any (verify compares it with `answer`).
    pub declared: Option<usize>,
    /// For questions about the run: the measured value and the cell it came from.
    pub measured: Option<derive::Measurement>,
    /// Why the answer is right.
    pub explanation: String,
}

/// Replace `{dirty_expire_seconds}` in lesson text with this machine's measured setting.
pub(crate) fn fill_in(text: &str, trace: &Trace) -> String {
    let secs = match trace.environment.dirty_expire_centisecs {
        Some(c) => format!("{}", c as f64 / 100.0),
        None => "unknown".to_string(),
    };
    text.replace("{dirty_expire_seconds}", &secs)
}

pub use crate::present::letter;

/// Index of a letter answer (`a`, `B`) among `n` choices.
pub(crate) fn index_of(letter: &str, n: usize) -> Option<usize> {
    let mut chars = letter.trim().chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() || !c.is_ascii_uppercase() {
        return None;
    }
    let i = (c as u8 - b'A') as usize;
    (i < n).then_some(i)
}

/// Every question of the lesson, answered from this run's trace where it asks about the run.
pub(crate) fn questions(lesson: &LoadedLesson, trace: &Trace) -> Vec<Asked> {
    lesson
        .lesson
        .quiz
        .iter()
        .enumerate()
        .map(|(number, q)| {
            let measured = q.about.as_ref().and_then(|a| derive::measure(a, trace));
            let mut choices = q.choices.clone();
            if let (Some(m), true) = (&measured, choices.is_empty()) {
                choices = derive::distractors(m, trace);
            }
            let declared = q.answer.as_deref().and_then(|a| index_of(a, choices.len()));
            let answer = match &measured {
                Some(m) => derive::matching_choice(&m.answer, &choices),
                None => declared,
            };
            let lesson_text = q.explanation.as_deref().map(|e| fill_in(e, trace));
            let mut explanation = match (&measured, &lesson_text) {
                (Some(m), Some(e)) => format!("{} {e}", m.citation),
                (Some(m), None) => m.citation.clone(),
                (None, Some(e)) => e.clone(),
                (None, None) => String::new(),
            };
            // What the run shows about this question, with the measured cell (checked by `verify`).
            let on = crate::lesson::model::TextRef::Quiz(number + 1);
            for line in crate::present::claims::measured_lines(&lesson.lesson, trace, on) {
                explanation = format!("{explanation} {line}").trim().to_string();
            }
            Asked {
                question: q.question.clone(),
                choices,
                hint: q.hint.clone(),
                answer,
                declared,
                measured,
                explanation,
            }
        })
        .collect()
}

/// The quiz as the views get it: each question with its answer derived from this run exactly as the
/// terminal quiz derives it ([`questions`]); the JSON trace and the web page carry the answers, the printed
/// handout never does.
pub fn items(lesson: &LoadedLesson, trace: &Trace) -> Vec<QuizItem> {
    questions(lesson, trace)
        .into_iter()
        .zip(&lesson.lesson.quiz)
        .map(|(q, written)| QuizItem {
            question: q.question,
            choices: q.choices,
            hint: q.hint,
            answer: q.answer,
            declared: q.declared,
            measured: q.measured.map(|m| MeasuredAnswer {
                answer: m.answer,
                citation: m.citation,
                kind: written
                    .about
                    .as_ref()
                    .map(|a| a.kind.clone())
                    .unwrap_or_default(),
            }),
            explanation: q.explanation,
            about_step: written.about.as_ref().and_then(|a| a.step),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_indices() {
        assert_eq!(letter(0), 'A');
        assert_eq!(letter(3), 'D');
        assert_eq!(index_of("c", 4), Some(2));
        assert_eq!(index_of("E", 4), None);
        assert_eq!(index_of("AB", 4), None);
        assert_eq!(index_of("", 4), None);
    }
}

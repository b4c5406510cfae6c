//! Quiz questions with answers derived from the live trace where they are about the run.

pub mod derive;
pub mod derived;
pub mod keys;
pub mod shows;
pub mod shuffle;

use crate::lesson::model::Question;
use crate::lesson::LoadedLesson;
use crate::trace::Trace;
use crate::views::{MeasuredAnswer, QuizItem};
pub use shows::Shows;

/// A question ready to ask: choices fixed, the right answer known (from the run or the lesson).
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub question: String,
    pub choices: Vec<String>,
    pub hint: Option<String>,
    /// Index of the right choice: from the trace for questions about the run, else as declared;
    /// `None` when the question is not graded (see `not_graded`).
    pub answer: Option<usize>,
    /// The lesson's declared answer, if any (verify compares it with `answer`).
    pub declared: Option<usize>,
    /// For questions about the run: the measured value and the cell it came from.
    pub measured: Option<derive::Measurement>,
    /// Why the question is not graded in this run (e.g. a disk question on tmpfs).
    pub not_graded: Option<String>,
    /// Why the answer is right; names choices by their text, never by letter (it survives `--shuffle`).
    pub explanation: String,
    /// What the question refers to, shown before it is asked.
    pub shows: Shows,
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
    let claims = crate::verify::claim_standings(lesson, trace);
    lesson
        .lesson
        .quiz
        .iter()
        .enumerate()
        .map(|(number, q)| ask(number + 1, q, lesson, trace, &claims))
        .collect()
}

/// One question: its choices, and its answer from the run (derived or about the run) or the lesson.
fn ask(
    number: usize,
    q: &Question,
    lesson: &LoadedLesson,
    trace: &Trace,
    claims: &[crate::present::claims::Standing],
) -> Asked {
    let mut choices = q.choices.clone();
    let lesson_text = q.explanation.as_deref().map(|e| fill_in(e.trim(), trace));
    let mut measured = None;
    let mut texts: Vec<String> = Vec::new();
    let (answer, not_graded) = if let Some(d) = derived::decide(q, lesson, trace) {
        match d {
            derived::Derived::Answer {
                choice,
                measured,
                explanation,
            } => {
                texts.extend(explanation.or(lesson_text));
                texts.push(measured);
                (Some(choice), None)
            }
            derived::Derived::Undecided(why) => {
                (None, Some(format!("cannot be measured here: {why}")))
            }
            derived::Derived::Contradicted(why) => (None, Some(why)),
        }
    } else if let Some(about) = &q.about {
        match derive::measure(about, trace) {
            Ok(m) => {
                if choices.is_empty() {
                    choices = derive::distractors(&m, trace);
                }
                let answer = derive::matching_choice(&m.answer, &choices);
                texts.push(m.citation.clone());
                texts.extend(lesson_text);
                let why = answer.is_none().then(|| {
                    format!(
                        "the run measured {}, which is none of the choices",
                        m.answer
                    )
                });
                measured = Some(m);
                (answer, why)
            }
            Err(derive::Unmeasured::Here(why)) => {
                (None, Some(format!("cannot be measured here: {why}")))
            }
            Err(derive::Unmeasured::Never(why)) => (None, Some(why)),
        }
    } else {
        texts.extend(lesson_text);
        let declared = q.answer.as_deref().and_then(|a| index_of(a, choices.len()));
        let why = declared
            .is_none()
            .then(|| "the lesson gives no answer".to_string());
        (declared, why)
    };
    let declared = q.answer.as_deref().and_then(|a| index_of(a, choices.len()));
    // What the run shows about this question, with the measured cell (checked by `verify`); only where the
    // question is graded, since the claim may cite what cannot be measured here.
    if not_graded.is_none() {
        let on = crate::lesson::model::TextRef::Quiz(number);
        texts.extend(crate::present::claims::measured_lines(
            &lesson.lesson,
            trace,
            claims,
            on,
        ));
    }
    Asked {
        question: q.question.clone(),
        shows: shows::shows(q),
        choices,
        hint: q.hint.clone(),
        answer,
        declared,
        measured,
        not_graded,
        explanation: texts
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
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
            not_graded: q.not_graded,
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

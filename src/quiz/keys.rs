//! `verify`'s check of the quiz: every answer key the run can decide must be the measured one.

use super::{derive, derived};
use crate::lesson::LoadedLesson;
use crate::present::letter;
use crate::trace::Trace;
use crate::verify::{Check, Outcome};

/// The answer keys of questions about the run and of derived questions: the declared letter must be the one
/// the run decides; a question the run cannot decide here is skipped with the reason.
pub(crate) fn check_answers(lesson: &LoadedLesson, trace: &Trace) -> Vec<Check> {
    let asked = super::questions(lesson, trace);
    let mut out = Vec::new();
    for (i, (q, a)) in lesson.lesson.quiz.iter().zip(&asked).enumerate() {
        let place = format!("quiz question {}", i + 1);
        let choice = |k: usize| {
            format!(
                "{} ({})",
                letter(k),
                a.choices.get(k).map(String::as_str).unwrap_or("?")
            )
        };
        let declared = a
            .declared
            .map(|d| format!("declared {}", choice(d)))
            .unwrap_or_else(|| "no declared answer".to_string());
        let keyed = |ans: usize, measured: String| match a.declared {
            Some(d) if d != ans => Outcome::Fail(format!("{declared} but {measured}")),
            _ => Outcome::Pass,
        };
        let outcome = if let Some(d) = derived::decide(q, lesson, trace) {
            match d {
                derived::Derived::Answer {
                    choice: ans,
                    measured,
                    ..
                } => keyed(
                    ans,
                    format!(
                        "the run decides {} — {}",
                        choice(ans),
                        measured.trim_start_matches("Measured: ")
                    ),
                ),
                derived::Derived::Undecided(why) => Outcome::Skip(why),
                derived::Derived::Contradicted(why) => Outcome::Fail(format!("{declared}: {why}")),
            }
        } else if let Some(about) = &q.about {
            match derive::measure(about, trace) {
                Err(derive::Unmeasured::Here(why)) => Outcome::Skip(why),
                Err(derive::Unmeasured::Never(why)) => {
                    Outcome::Fail(format!("{declared} but {why}"))
                }
                Ok(m) => match a.answer {
                    None => Outcome::Fail(format!(
                        "the run measured {}, which is none of the choices ({})",
                        m.answer,
                        (0..a.choices.len())
                            .map(|k| format!("{}: {}", letter(k), a.choices[k]))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(ans) => keyed(
                        ans,
                        format!("the run measured {} ({})", m.answer, letter(ans)),
                    ),
                },
            }
        } else {
            continue;
        };
        out.push(Check { place, outcome });
    }
    out
}

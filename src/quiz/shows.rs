//! What a question refers to (the execution table, or one step), so the quiz can show it before asking.

use crate::lesson::model::{AboutKind, Question};

/// The part of the run a question refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shows {
    /// Nothing of the run (a conceptual question).
    Nothing,
    /// The execution table, up to and including a step (`None`: every step).
    Table { upto: Option<usize> },
    /// One step as the step-by-step trace shows it.
    Step(usize),
}

/// What to show before `q`: the table when the question or its hint names the table or one of its columns
/// (or asks which step did something), else the step it is about, else nothing.
pub fn shows(q: &Question) -> Shows {
    let step = q
        .about
        .as_ref()
        .and_then(|a| a.step)
        .or_else(|| step_named(&q.question))
        .or_else(|| super::derived::steps_named(q).last().copied());
    // A derived question that weighs several steps against each other refers to the table up to the last.
    let several = super::derived::steps_named(q).len() > 1;
    let first_write = q
        .about
        .as_ref()
        .is_some_and(|a| a.kind() == Some(AboutKind::FirstDiskWrite));
    let names_table = [Some(q.question.as_str()), q.hint.as_deref()]
        .into_iter()
        .flatten()
        .any(names_the_table);
    if first_write {
        Shows::Table { upto: None }
    } else if names_table || several {
        Shows::Table {
            upto: super::derived::steps_named(q).last().copied().or(step),
        }
    } else {
        step.map_or(Shows::Nothing, Shows::Step)
    }
}

/// Whether lesson text points at the execution table (`execution_table`, `the Disk Write column`).
fn names_the_table(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("table") || t.contains("column")
}

/// The first `step N` a question names (`After step 3, …`, `At step 5, …`).
fn step_named(text: &str) -> Option<usize> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        (w[0].eq_ignore_ascii_case("step"))
            .then(|| {
                w[1].trim_end_matches(|c: char| !c.is_ascii_digit())
                    .parse()
                    .ok()
            })
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::model::About;

    fn question(text: &str, hint: Option<&str>, about: Option<About>) -> Question {
        Question {
            question: text.to_string(),
            choices: Vec::new(),
            answer: None,
            hint: hint.map(String::from),
            explanation: None,
            about,
            derive: Vec::new(),
        }
    }

    fn about(kind: &str, step: Option<usize>) -> Option<About> {
        Some(About {
            kind: kind.into(),
            step,
            index: None,
            var: None,
        })
    }

    #[test]
    fn table_step_or_nothing() {
        let q = question(
            "Look at the execution_table at step 2, what is arr[1,2]?",
            None,
            about("value", Some(2)),
        );
        assert_eq!(shows(&q), Shows::Table { upto: Some(2) });
        let q = question(
            "At which step is it saved?",
            None,
            about("first_disk_write", None),
        );
        assert_eq!(shows(&q), Shows::Table { upto: None });
        let q = question(
            "After step 3, what is be[0, 1]?",
            Some("Read it big-endian"),
            None,
        );
        assert_eq!(shows(&q), Shows::Step(3));
        let q = question("At step 5, where did the page come from?", None, None);
        assert_eq!(shows(&q), Shows::Step(5));
        let q = question(
            "Which mode creates a missing file?",
            Some("Compare modes"),
            None,
        );
        assert_eq!(shows(&q), Shows::Nothing);
        let q = question(
            "What is saved?",
            Some("Look at the Dirty pages column"),
            None,
        );
        assert_eq!(shows(&q), Shows::Table { upto: None });
    }
}

//! Derived questions: the right choice is the one whose measured condition (`derive:`) holds in this run.

use crate::lesson::expect::Expect;
use crate::lesson::model::{Derivation, KernelExpect, Question};
use crate::lesson::{Action, LoadedLesson};
use crate::trace::{Environment, Trace};
use crate::verify::{self, Outcome};

/// What the run decides about a derived question.
#[derive(Debug, Clone, PartialEq)]
pub enum Derived {
    /// Exactly one choice's condition holds.
    Answer {
        /// Index of the choice in the lesson's order.
        choice: usize,
        /// `Measured: …` with the cited cells.
        measured: String,
        /// The derivation's explanation, filled in with this machine's settings.
        explanation: Option<String>,
    },
    /// A probe this needs cannot answer here (e.g. no disk on tmpfs): the question is not graded.
    Undecided(String),
    /// The conditions do not single out one choice: what the run measured instead.
    Contradicted(String),
}

/// How one derivation came out.
enum Holds {
    /// It holds; the compared measurements in words (for the `Measured:` line).
    Yes(Vec<String>),
    No(String),
    Unknown(String),
}

/// Decide a derived question from the run; `None` when the question is not derived.
pub fn decide(q: &Question, lesson: &LoadedLesson, trace: &Trace) -> Option<Derived> {
    if q.derive.is_empty() {
        return None;
    }
    let mut holding = Vec::new();
    let mut unknown = Vec::new();
    let mut failed = Vec::new();
    for d in &q.derive {
        match holds(d, lesson, trace) {
            Holds::Yes(facts) => holding.push((d, facts)),
            Holds::No(why) => failed.push(format!("`{}`: {why}", d.choice)),
            Holds::Unknown(why) => unknown.push(why),
        }
    }
    Some(match (holding.as_slice(), unknown.first()) {
        ([(d, facts)], _) => match choice_index(&d.choice, &q.choices) {
            Some(choice) => Derived::Answer {
                choice,
                measured: measured_line(d, facts, trace),
                explanation: d
                    .explanation
                    .as_deref()
                    .map(|e| super::fill_in(e.trim(), trace)),
            },
            None => Derived::Contradicted(format!(
                "the condition of `{}` holds, but no choice has that text",
                d.choice
            )),
        },
        ([], Some(why)) => Derived::Undecided(why.clone()),
        ([], None) => Derived::Contradicted(format!(
            "no choice's condition holds in this run ({})",
            failed.join("; ")
        )),
        (several, _) => Derived::Contradicted(format!(
            "the conditions of {} all hold: the run does not single out one choice",
            several
                .iter()
                .map(|(d, _)| format!("`{}`", d.choice))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

/// Every step a derived question's conditions read, sorted, once each (empty when it is not derived): the last is
/// the step after which the run has decided it.
pub fn steps_named(q: &Question) -> Vec<usize> {
    let mut steps: Vec<usize> = q
        .derive
        .iter()
        .flat_map(|d| {
            let since = d.first_since.zip(d.step).map(|(a, b)| a..=b);
            d.step.into_iter().chain(since.into_iter().flatten()).chain(
                d.compare
                    .iter()
                    .flat_map(|c| [c.left.step, c.right.step])
                    .flatten(),
            )
        })
        .collect();
    steps.sort_unstable();
    steps.dedup();
    steps
}

/// The choice a derivation names, by its text (spaces and case ignored).
pub fn choice_index(text: &str, choices: &[String]) -> Option<usize> {
    let norm = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    choices.iter().position(|c| norm(c) == norm(text))
}

/// `Measured: <says> (cited cells)`.
fn measured_line(d: &Derivation, facts: &[String], trace: &Trace) -> String {
    let cells: Vec<String> = d
        .cites
        .iter()
        .map(|c| crate::present::cite::cited_cell(trace, c))
        .chain(facts.iter().cloned())
        .collect();
    let cells = if cells.is_empty() {
        String::new()
    } else {
        format!(" ({})", cells.join("; "))
    };
    format!(
        "Measured: {}{cells}",
        super::fill_in(d.says.trim(), trace).trim_end_matches('.')
    )
}

fn holds(d: &Derivation, lesson: &LoadedLesson, trace: &Trace) -> Holds {
    let mut checks = Vec::new();
    if let Some(n) = d.step.filter(|_| d.expect != Expect::default()) {
        match expect_at(d, n, lesson, trace) {
            Ok(mut c) => checks.append(&mut c),
            Err(why) => return Holds::Unknown(why),
        }
    }
    if let Some(k) = &d.kernel {
        checks.extend(kernel_checks(k, &trace.environment));
    }
    let mut unknown = None;
    for c in checks {
        match c.outcome {
            Outcome::Fail(why) => return Holds::No(format!("{}: {why}", c.place)),
            Outcome::Skip(why) => unknown = unknown.or(Some(why)),
            Outcome::Pass => {}
        }
    }
    if let (Some(since), Some(n)) = (d.first_since, d.step) {
        if let Some(h) = not_shown_before(d, since, n, lesson, trace) {
            return h;
        }
    }
    let mut facts = Vec::new();
    for c in &d.compare {
        match crate::verify::compare::holds(c, lesson, trace) {
            Ok(said) => facts.push(said),
            Err(crate::verify::compare::NotHeld::No(why)) => return Holds::No(why),
            Err(crate::verify::compare::NotHeld::Unknown(why)) => unknown = unknown.or(Some(why)),
        }
    }
    match unknown {
        Some(why) => Holds::Unknown(why),
        None => Holds::Yes(facts),
    }
}

/// The checks of the derivation's `expect` against step `n`'s record (`Err`: the step did not run).
fn expect_at(
    d: &Derivation,
    n: usize,
    lesson: &LoadedLesson,
    trace: &Trace,
) -> Result<Vec<verify::Check>, String> {
    let rec = trace
        .steps
        .iter()
        .find(|r| r.step == n)
        .ok_or_else(|| format!("step {n} did not run"))?;
    // A `cached` count after an evict cannot be decided without a disk (the page cache is the only copy).
    let evicted = lesson
        .steps
        .iter()
        .take_while(|s| s.number <= n)
        .any(|s| matches!(s.action, Action::Evict { .. }));
    let mut checks = Vec::new();
    verify::check_step_after(&d.expect, rec, &trace.environment, evicted, &mut checks);
    Ok(checks)
}

/// `first_since`: no step from `since` up to (not including) `n` may show `expect`; `None` when none does.
fn not_shown_before(
    d: &Derivation,
    since: usize,
    n: usize,
    lesson: &LoadedLesson,
    trace: &Trace,
) -> Option<Holds> {
    for m in since..n {
        let checks = match expect_at(d, m, lesson, trace) {
            Ok(c) => c,
            Err(why) => return Some(Holds::Unknown(why)),
        };
        let failed = checks.iter().any(|c| matches!(c.outcome, Outcome::Fail(_)));
        let skipped = checks.iter().find_map(|c| match &c.outcome {
            Outcome::Skip(why) => Some(why.clone()),
            _ => None,
        });
        match (failed, skipped) {
            (true, _) => continue,
            // Step m might already show it: which step came first cannot be told here.
            (false, Some(why)) => return Some(Holds::Unknown(format!("step {m}: {why}"))),
            (false, None) => {
                return Some(Holds::No(format!(
                    "step {m}, before step {n}, already shows it"
                )))
            }
        }
    }
    None
}

/// The kernel settings a derivation names, checked against those measured at the start of the run.
pub(crate) fn kernel_checks(k: &KernelExpect, env: &Environment) -> Vec<verify::Check> {
    let mut out = Vec::new();
    if let Some(want) = k.flusher {
        let outcome = match env.dirty_writeback_centisecs {
            None => Outcome::Skip("vm.dirty_writeback_centisecs could not be read".to_string()),
            Some(_) if !env.has_disk => {
                Outcome::Skip(crate::present::cite::no_disk_state(&env.filesystem))
            }
            Some(c) if (c > 0) == want => Outcome::Pass,
            Some(c) => Outcome::Fail(format!(
                "expected the flusher {}, measured vm.dirty_writeback_centisecs = {c}",
                if want { "on" } else { "off" }
            )),
        };
        out.push(verify::Check {
            place: "kernel, flusher".to_string(),
            outcome,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_named_by_text() {
        let choices = ["Data on disk updates automatically", "File is deleted"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            choice_index("data on disk  updates automatically", &choices),
            Some(0)
        );
        assert_eq!(choice_index("File is deleted", &choices), Some(1));
        assert_eq!(choice_index("B", &choices), None);
    }

    /// The default lesson's question 3 follows the measured kernel: the flusher on gives "updates
    /// automatically", off gives "remains unchanged", and no disk leaves it undecided.
    #[test]
    fn question_3_of_the_default_lesson_follows_the_run() {
        let lesson = crate::lesson::load("numpy-memmap-basics").expect("built-in lesson");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut trace = crate::runner::Runner::new(&lesson, dir.path()).run_all();
        let q = &lesson.lesson.quiz[2];
        let choice = |trace: &Trace| match decide(q, &lesson, trace) {
            Some(Derived::Answer { choice, .. }) => Ok(q.choices[choice].clone()),
            other => Err(format!("{other:?}")),
        };
        if !trace.environment.has_disk {
            assert!(matches!(
                decide(q, &lesson, &trace),
                Some(Derived::Undecided(_))
            ));
            trace.environment.has_disk = true;
            trace.environment.filesystem = "ext4".into();
            // tmpfs counts no dirty page: "remains unchanged" cannot hold there, "updates" can.
        }
        trace.environment.dirty_writeback_centisecs = Some(500);
        assert_eq!(
            choice(&trace).as_deref(),
            Ok("Data on disk updates automatically")
        );
        let dirty = trace.steps[1].pages.value().map(|p| p.dirty).unwrap_or(0);
        trace.environment.dirty_writeback_centisecs = Some(0);
        if dirty > 0 {
            assert_eq!(
                choice(&trace).as_deref(),
                Ok("Data on disk remains unchanged")
            );
        } else {
            assert!(matches!(
                decide(q, &lesson, &trace),
                Some(Derived::Contradicted(_))
            ));
        }
        trace.environment.dirty_writeback_centisecs = None;
        assert!(matches!(
            decide(q, &lesson, &trace),
            Some(Derived::Undecided(_))
        ));
    }

    #[test]
    fn the_flusher_setting_decides_and_tmpfs_cannot() {
        let mut env = Environment {
            kernel: "6.8".into(),
            page_size: 4096,
            filesystem: "ext4".into(),
            has_disk: true,
            dirty_expire_centisecs: Some(3000),
            dirty_writeback_centisecs: Some(500),
        };
        let on = KernelExpect {
            flusher: Some(true),
        };
        let outcome = |env: &Environment| kernel_checks(&on, env)[0].outcome.clone();
        assert_eq!(outcome(&env), Outcome::Pass);
        env.dirty_writeback_centisecs = Some(0);
        assert!(matches!(outcome(&env), Outcome::Fail(w) if w.contains("= 0")));
        env.dirty_writeback_centisecs = None;
        assert!(matches!(outcome(&env), Outcome::Skip(_)));
        env.dirty_writeback_centisecs = Some(500);
        env.has_disk = false;
        env.filesystem = "tmpfs".into();
        assert!(matches!(outcome(&env), Outcome::Skip(w) if w.starts_with("tmpfs")));
    }

    /// A small lesson with comparison, first-step and value conditions, run for real.
    const COMPARED: &str = r#"
title: compared
steps:
  - {op: open, var: a, file: c.dat, dtype: int32, mode: w+, shape: 1024}
  - {op: open, var: b, file: c.dat, dtype: int32, mode: r+}
  - {op: assign, index: "a[1]", value: 7}
  - {op: flush, var: a}
  - {op: external_write, var: a, offset: 4, value: 9}
quiz:
  - question: Did b see a's store?
    choices: ["yes", "no"]
    derive:
      - choice: "yes"
        compare: [{left: {step: 2, measure: value, index: "b[1]"}, is: differs, right: {step: 3, measure: value, index: "b[1]"}}]
        says: b[1] changed
      - choice: "no"
        compare: [{left: {step: 2, measure: value, index: "b[1]"}, is: equal, right: {step: 3, measure: value, index: "b[1]"}}]
        says: b[1] kept its value
  - question: Which step first wrote to disk?
    choices: [Step 3, Step 4, Step 5]
    derive:
      - {choice: Step 3, step: 3, first_since: 1, expect: {disk_write: true}, says: step 3 wrote}
      - {choice: Step 4, step: 4, first_since: 1, expect: {disk_write: true}, says: step 4 wrote}
      - {choice: Step 5, step: 5, first_since: 1, expect: {disk_write: true}, says: step 5 wrote}
  - question: More dirty pages after the store or after the flush?
    choices: [The store, The flush]
    derive:
      - choice: The store
        compare: [{left: {step: 3, measure: dirty}, is: greater, right: {step: 4, measure: dirty}}]
        says: more after the store
      - choice: The flush
        compare: [{left: {step: 3, measure: dirty}, is: less, right: {step: 4, measure: dirty}}]
        says: more after the flush
  - question: How big is the file?
    choices: ["4096", "4"]
    derive:
      - {choice: "4096", compare: [{left: {step: 5, measure: size, var: b}, is: equal, right: {text: 4096}}], says: 4096 bytes}
      - {choice: "4", compare: [{left: {text: "4"}, is: equal, right: {step: 5, measure: size}}], says: 4 bytes}
"#;

    fn answer(q: &Question, lesson: &LoadedLesson, trace: &Trace) -> Result<String, String> {
        match decide(q, lesson, trace) {
            Some(Derived::Answer {
                choice, measured, ..
            }) => Ok(format!("{} | {measured}", q.choices[choice])),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn comparisons_first_steps_and_values_are_decided_by_the_run() {
        let lesson = crate::lesson::load_str("compared.yaml", COMPARED).expect("valid lesson");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut trace = crate::runner::Runner::new(&lesson, dir.path()).run_all();
        let quiz = &lesson.lesson.quiz;
        // Values and sizes are measured on any filesystem.
        let got = answer(&quiz[0], &lesson, &trace).expect("decided");
        assert!(got.starts_with("yes | Measured: b[1] changed"), "{got}");
        assert!(got.contains("step 2, b[1] = 0; step 3, b[1] = 7"), "{got}");
        let got = answer(&quiz[3], &lesson, &trace).expect("decided");
        assert!(got.starts_with("4096 | "), "{got}");
        assert!(
            !got.contains("given"),
            "a given value is not a measurement: {got}"
        );
        if !trace.environment.has_disk {
            // No disk: disk writes and dirty counts cannot be measured, so neither question is graded.
            for q in &quiz[1..3] {
                assert!(matches!(
                    decide(q, &lesson, &trace),
                    Some(Derived::Undecided(_))
                ));
            }
            return;
        }
        assert_eq!(
            answer(&quiz[1], &lesson, &trace).map(|a| a[..6].to_string()),
            Ok("Step 4".to_string())
        );
        assert!(answer(&quiz[2], &lesson, &trace)
            .expect("decided")
            .starts_with("The store"));
        // Rewrite the record: with step 3's dirty count at 0 the two are equal and no choice holds.
        if let crate::trace::Measured::Value(p) = &mut trace.steps[2].pages {
            p.dirty = 0;
        }
        assert!(matches!(
            decide(&quiz[2], &lesson, &trace),
            Some(Derived::Contradicted(w)) if w.contains("not greater") && w.contains("not less")
        ));
        // A step that measurably wrote before step 4 makes `Step 4` no longer the first.
        trace.steps[2].disk_write = trace.steps[3].disk_write.clone();
        let got = answer(&quiz[1], &lesson, &trace);
        assert_eq!(got.map(|a| a[..6].to_string()), Ok("Step 3".to_string()));
        // An unmeasured step before the answer leaves the first write undecided.
        trace.steps[1].disk_write = crate::trace::Measured::Unavailable {
            unavailable: "probe failed".into(),
        };
        assert!(matches!(
            decide(&quiz[1], &lesson, &trace),
            Some(Derived::Undecided(w)) if w.contains("probe failed")
        ));
        // Without a disk, dirty counts are unknown: the comparison is undecided, never graded.
        trace.environment.has_disk = false;
        trace.environment.filesystem = "tmpfs".into();
        assert!(matches!(
            decide(&quiz[2], &lesson, &trace),
            Some(Derived::Undecided(w)) if w.starts_with("tmpfs")
        ));
    }
}

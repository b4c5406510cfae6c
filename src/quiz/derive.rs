//! Answers to questions about the run, taken from the trace, with the cell they cite.

use crate::lesson::model::{About, AboutKind};
use crate::present::{cells, cite};
use crate::trace::{DiskWrite, Trace};

/// A measured answer: its text and where in the trace it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The answer as a choice would state it, e.g. `5.0`, `Step 3`, `1`.
    pub answer: String,
    /// Sentence citing the measured cell.
    pub citation: String,
    /// The kind of question.
    pub kind: AboutKind,
}

/// Why a question about the run has no measured answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasured {
    /// A probe cannot answer it on this machine or filesystem (e.g. disk questions on tmpfs).
    Here(String),
    /// The run has no such measurement (a lesson error `verify` reports).
    Never(String),
}

impl Unmeasured {
    /// The reason, in words.
    pub fn why(&self) -> &str {
        match self {
            Unmeasured::Here(w) | Unmeasured::Never(w) => w,
        }
    }
}

/// Measure the answer of a question about the run, or say why it cannot be measured.
pub(crate) fn measure(about: &About, trace: &Trace) -> Result<Measurement, Unmeasured> {
    let env = &trace.environment;
    let step_of = |n: Option<usize>| {
        let n = n.ok_or_else(|| Unmeasured::Never("the question names no step".to_string()))?;
        trace
            .steps
            .iter()
            .find(|s| s.step == n)
            .ok_or_else(|| Unmeasured::Never(format!("step {n} did not run")))
    };
    let kind = about
        .kind()
        .ok_or_else(|| Unmeasured::Never(format!("unknown kind `{}`", about.kind)))?;
    match kind {
        AboutKind::Value => {
            let step = step_of(about.step)?;
            let expr = about.index.clone().unwrap_or_default();
            let w = step
                .watches
                .iter()
                .find(|w| w.expr == expr)
                .ok_or_else(|| {
                    Unmeasured::Never(format!(
                    "the run could not measure `{expr}` at step {} (is its variable open then?)",
                    step.step
                ))
                })?;
            Ok(Measurement {
                answer: w.str.clone(),
                citation: cite::value_answer(step, &expr, &w.str),
                kind,
            })
        }
        AboutKind::FirstDiskWrite => {
            if !env.has_disk {
                return Err(Unmeasured::Here(crate::present::disk::no_disk_reason(
                    &env.filesystem,
                )));
            }
            // `step: N` asks for the first disk write at or after step N (e.g. of what step N stored).
            let from = about.step.unwrap_or(1);
            for s in trace.steps.iter().filter(|s| s.step >= from) {
                // A step with a file whose verdict is unknown could be the first write: nothing after it can be
                // the answer. (A step with no file at all has nothing to write.)
                if let Some(why) = crate::present::disk::unmeasured_reason(&s.disk_write)
                    .filter(|_| !s.files.is_empty())
                {
                    return Err(Unmeasured::Here(format!("step {}: {why}", s.step)));
                }
                if s.disk_write.value().is_some_and(DiskWrite::wrote) {
                    return Ok(Measurement {
                        answer: format!("Step {}", s.step),
                        citation: cite::first_disk_write_answer(s),
                        kind,
                    });
                }
            }
            Err(Unmeasured::Never(
                "the run measured no disk write at any step".into(),
            ))
        }
        AboutKind::DirtyPages => {
            let step = step_of(about.step)?;
            if !env.has_disk {
                // tmpfs reports 0 dirty pages whatever happened: the count means nothing there.
                return Err(Unmeasured::Here(cite::no_disk_state(&env.filesystem)));
            }
            let p = step
                .pages
                .value()
                .ok_or_else(|| Unmeasured::Here(step.pages.why().unwrap_or_default()))?;
            Ok(Measurement {
                answer: p.dirty.to_string(),
                citation: cite::dirty_pages_answer(step.step, p.dirty),
                kind,
            })
        }
        AboutKind::File => {
            let step = step_of(about.step)?;
            let var = about.var.clone().unwrap_or_else(|| step.var.clone());
            if !step.files.contains_key(&var) {
                return Err(Unmeasured::Never(format!(
                    "`{var}` has no file at step {}",
                    step.step
                )));
            }
            let f = cells::file_content(step, &var);
            Ok(Measurement {
                answer: f.clone(),
                citation: cite::file_answer(step.step, &f),
                kind,
            })
        }
    }
}

/// Index of the choice that states the measured answer (ignoring case, spaces and a trailing `.0`-less form).
pub(crate) fn matching_choice(answer: &str, choices: &[String]) -> Option<usize> {
    let norm = |s: &str| s.trim().to_lowercase().replace(' ', "");
    let a = norm(answer);
    choices.iter().position(|c| norm(c) == a).or_else(|| {
        // A numeric answer matches a choice of the same number (`5.0` vs `5.`).
        let av: f64 = a.trim_end_matches('.').parse().ok()?;
        choices.iter().position(|c| {
            norm(c)
                .trim_end_matches('.')
                .parse::<f64>()
                .map(|cv| cv == av)
                .unwrap_or(false)
        })
    })
}

/// Four choices when a lesson gives none: the measured answer and three other cells of the trace.
pub(crate) fn distractors(m: &Measurement, trace: &Trace) -> Vec<String> {
    let mut pool: Vec<String> = match m.kind {
        AboutKind::FirstDiskWrite => trace
            .steps
            .iter()
            .map(|s| format!("Step {}", s.step))
            .collect(),
        AboutKind::DirtyPages => {
            let mut v: Vec<String> = trace
                .steps
                .iter()
                .filter_map(|s| s.pages.value().map(|p| p.dirty.to_string()))
                .collect();
            v.extend(["0", "1", "2", "3"].map(String::from));
            v
        }
        AboutKind::File => trace
            .steps
            .iter()
            .flat_map(|s| s.files.values().map(|f| cells::one_line(&f.str)))
            .collect(),
        AboutKind::Value => trace
            .steps
            .iter()
            .flat_map(|s| s.watches.iter().map(|w| w.str.clone()))
            .chain(["0.0", "1.0", "-1.0"].map(String::from))
            .collect(),
    };
    let mut choices = vec![m.answer.clone()];
    pool.retain(|c| !c.is_empty());
    for c in pool {
        if choices.len() == 4 {
            break;
        }
        if !choices.contains(&c) {
            choices.push(c);
        }
    }
    // Put the answer in a position that depends on its text, not always first.
    let pos = m.answer.bytes().map(|b| b as usize).sum::<usize>() % choices.len();
    choices.swap(0, pos);
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_answers_match_equal_numbers() {
        let choices = ["5.0", "3.0", "8.0", "0.0"].map(String::from).to_vec();
        assert_eq!(matching_choice("5.0", &choices), Some(0));
        assert_eq!(matching_choice("8.", &choices), Some(2));
        assert_eq!(matching_choice("7.0", &choices), None);
        let steps = ["Step 1", "Step 2"].map(String::from).to_vec();
        assert_eq!(matching_choice("step 2", &steps), Some(1));
    }
}

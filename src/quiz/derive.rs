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

/// Measure the answer of a question about the run; None when the trace cannot answer it.
pub(crate) fn measure(about: &About, trace: &Trace) -> Option<Measurement> {
    let step_of = |n: usize| trace.steps.iter().find(|s| s.step == n);
    let kind = about.kind()?;
    match kind {
        AboutKind::Value => {
            let n = about.step?;
            let step = step_of(n)?;
            let expr = about.index.clone()?;
            let w = step.watches.iter().find(|w| w.expr == expr)?;
            Some(Measurement {
                answer: w.str.clone(),
                citation: cite::value_answer(step, &expr, &w.str),
                kind,
            })
        }
        AboutKind::FirstDiskWrite => {
            // `step: N` asks for the first disk write at or after step N (e.g. of what step N stored).
            let from = about.step.unwrap_or(1);
            let step = trace
                .steps
                .iter()
                .filter(|s| s.step >= from)
                .find(|s| s.disk_write.value().is_some_and(DiskWrite::wrote))?;
            Some(Measurement {
                answer: format!("Step {}", step.step),
                citation: cite::first_disk_write_answer(step),
                kind,
            })
        }
        AboutKind::DirtyPages => {
            let n = about.step?;
            let step = step_of(n)?;
            let p = step.pages.value()?;
            Some(Measurement {
                answer: p.dirty.to_string(),
                citation: cite::dirty_pages_answer(n, p.dirty),
                kind,
            })
        }
        AboutKind::File => {
            let n = about.step?;
            let step = step_of(n)?;
            let var = about.var.clone().unwrap_or_else(|| step.var.clone());
            let f = cells::file_content(step, &var);
            Some(Measurement {
                answer: f.clone(),
                citation: cite::file_answer(n, &f),
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

//! Citations: the live value of a cited cell (key moments) and why a measured quiz answer is right.

use super::cells;
use crate::lesson::model::{Cite, CiteColumn};
use crate::trace::{StepRecord, Trace};

/// The live value of a cited cell, e.g. `step 3, Disk Write = Yes (1 page)`.
pub(crate) fn cited_cell(trace: &Trace, cite: &Cite) -> String {
    let Some(step) = trace.steps.iter().find(|s| s.step == cite.step) else {
        return format!("step {} is not in this run", cite.step);
    };
    let var = cite.var.clone().unwrap_or_else(|| step.var.clone());
    let (column, value) = match cite.column() {
        Some(CiteColumn::Array) => ("Array Content", cells::array_content(step, &var)),
        Some(CiteColumn::File) => ("File (read(2))", cells::file_content(step, &var)),
        // The detail sentence starts with the cell's verdict (`Yes (1 page written back)`, `No`): citing both
        // would repeat it (`No — No`).
        Some(CiteColumn::DiskWrite) => ("Disk Write", super::disk_write_detail(&step.disk_write)),
        Some(CiteColumn::Dirty) => ("Dirty pages", cells::dirty(step)),
        // An unmeasured count shows the same `unavailable (…)` as the dirty cell.
        Some(CiteColumn::Cached) => ("Cached pages", cells::cached(step)),
        Some(CiteColumn::Error) => (
            "Error",
            step.error.clone().unwrap_or_else(|| "none".to_string()),
        ),
        None => (cite.column.as_str(), "unknown column".to_string()),
    };
    // With several variables a bare column is ambiguous: name whose cell it is (and how it maps the file).
    let whose = match step.arrays.get(&var) {
        Some(a) if step.arrays.len() > 1 => {
            let order = if a.order == "F" { ", order F" } else { "" };
            format!(" of `{var}` (mode {}{order})", a.mode)
        }
        _ => String::new(),
    };
    format!("step {}, {column}{whose} = {value}", step.step)
}

/// Why an element's value is the answer: the Array Content cell of the step.
pub(crate) fn value_answer(step: &StepRecord, expr: &str, value: &str) -> String {
    format!(
        "At step {} the Array Content column shows {}, so {expr} = {value}.",
        step.step,
        cells::array_content(step, &step.var),
    )
}

/// Why a step is the first disk write: its Disk Write cell.
pub(crate) fn first_disk_write_answer(step: &StepRecord) -> String {
    format!(
        "The Disk Write column is first measured Yes at step {} ({}): {}.",
        step.step,
        step.action,
        super::disk_write_detail(&step.disk_write)
    )
}

/// Why a dirty-page count is the answer: cachestat after the step.
pub(crate) fn dirty_pages_answer(step: usize, dirty: u64) -> String {
    format!("cachestat after step {step} counted {dirty} dirty page(s).")
}

/// Why the file's contents are the answer: read(2) after the step.
pub(crate) fn file_answer(step: usize, contents: &str) -> String {
    format!("After step {step}, read(2) of the file gives {contents}.")
}

/// Why page-cache questions and expectations cannot be decided on a filesystem without a disk.
pub(crate) fn no_disk_state(filesystem: &str) -> String {
    format!(
        "{filesystem} has no disk behind the page cache: the kernel keeps no dirty or writeback state for its pages"
    )
}

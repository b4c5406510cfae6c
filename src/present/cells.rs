//! Short cell texts shared by the table-like views (execution table, tracker, moments) and the quiz.

use crate::trace::{ArrayLife, StepRecord};

/// NumPy's multi-line `str()` on one line, as the seed's table prints it:
/// `[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]`.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 && !line.is_empty() && !line.starts_with(' ') {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// The Array Content cell of a step's variable: what it holds after the step.
/// A closed variable shows what it held when it was closed, as the seed's table does.
pub(crate) fn array_content(step: &StepRecord, var: &str) -> String {
    match step.arrays.get(var) {
        None => match &step.error {
            Some(e) => format!("raised {}", short_error(e)),
            None => "None".to_string(),
        },
        Some(a) if a.state == ArrayLife::Closed => match &a.last_str {
            Some(s) => one_line(s),
            None => "Closed".to_string(),
        },
        Some(a) => one_line(&a.str),
    }
}

/// The tracker's value of a variable after a step: `None`, the one-line array, or `Closed`.
pub(crate) fn tracker_value(step: &StepRecord, var: &str) -> String {
    match step.arrays.get(var) {
        None => "None".to_string(),
        Some(a) if a.state == ArrayLife::Closed => "Closed".to_string(),
        Some(a) => one_line(&a.str),
    }
}

/// The measured Disk Write cell: `Yes (1 page)`, `No`, or `unavailable (…)`.
pub fn disk_write(step: &StepRecord) -> String {
    super::disk_write_cell(&step.disk_write)
}

/// The dirty-page cell: a count or `unavailable (…)`.
pub fn dirty(step: &StepRecord) -> String {
    super::measured(&step.pages, |p| p.dirty.to_string())
}

/// The cached-page cell: a count or `unavailable (…)`.
pub fn cached(step: &StepRecord) -> String {
    super::measured(&step.pages, |p| p.cached.to_string())
}

/// The file cell: the step's file decoded as read(2) sees it, on one line.
pub(crate) fn file_content(step: &StepRecord, var: &str) -> String {
    match step.files.get(var) {
        Some(f) => one_line(&f.str),
        None => "(no file)".to_string(),
    }
}

/// `ValueError: x` → `ValueError`; keeps table cells short.
pub(crate) fn short_error(e: &str) -> String {
    e.split(':').next().unwrap_or(e).to_string()
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn joins_rows_like_the_seed() {
        assert_eq!(
            one_line("[[0. 1. 2.]\n [3. 4. 5.]\n [6. 7. 8.]]"),
            "[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]"
        );
        assert_eq!(one_line("[[[1]]\n\n [[2]]]"), "[[[1]] [[2]]]");
    }
}

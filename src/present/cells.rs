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
///
/// A step that raised says so first (with NumPy's message), a `read` row starts with the value read, and a
/// closed variable says `Closed` with what it held when it was closed (the seed's table shows that array).
pub(crate) fn array_content(step: &StepRecord, var: &str) -> String {
    let held = match step.arrays.get(var) {
        None => "None".to_string(),
        Some(a) if a.state == ArrayLife::Closed => match &a.last_str {
            Some(s) => format!("Closed (held {})", one_line(s)),
            None => "Closed".to_string(),
        },
        Some(a) => one_line(&a.str),
    };
    let mut out = String::new();
    if let Some(e) = &step.error {
        out.push_str(&format!("raised {e}; "));
        if step.arrays.contains_key(var) {
            out.push_str(&format!("{var} = "));
        }
    } else if let Some(r) = &step.read {
        out.push_str(&format!("{} = {}; {var} = ", r.expr, one_line(&r.str)));
    }
    if step.error.is_some() && !step.arrays.contains_key(var) {
        // Nothing was bound (a failed open): the error is the whole story.
        return out.trim_end_matches("; ").to_string();
    }
    out.push_str(&held);
    out
}

/// The tracker's value of a variable after a step: `None`, the one-line array, or `Closed`; the variable a
/// step acted on says when that step raised.
pub(crate) fn tracker_value(step: &StepRecord, var: &str) -> String {
    let value = match step.arrays.get(var) {
        None => "None".to_string(),
        Some(a) if a.state == ArrayLife::Closed => "Closed".to_string(),
        Some(a) => one_line(&a.str),
    };
    match &step.error {
        Some(e) if step.var == var => {
            format!("{value} (step {} raised {})", step.step, short_error(e))
        }
        _ => value,
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

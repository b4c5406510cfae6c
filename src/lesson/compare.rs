//! What a `derive: compare` quantity may measure, and the elements its `value` quantities read after a step.

use super::model::Lesson;

/// The measures a quantity may name, as lessons spell them.
pub const MEASURES: &[&str] = &[
    "cached",
    "dirty",
    "writeback",
    "resident",
    "peak_resident",
    "faults.major",
    "faults.minor",
    "size",
    "signal",
    "array",
    "file",
    "read",
    "error",
    "value",
];

/// Measures that are counts of the step's own file or mapping (a `var` would be ignored, so it is refused).
pub const STEP_ONLY: &[&str] = &[
    "cached",
    "dirty",
    "writeback",
    "resident",
    "peak_resident",
    "faults.major",
    "faults.minor",
    "signal",
    "read",
    "error",
];

/// Measures that are text (only `equal` / `differs` compare them).
pub const TEXT_ONLY: &[&str] = &["signal", "array", "file", "error"];

/// The comparison operators.
pub const OPERATORS: &[&str] = &["less", "greater", "equal", "differs"];

/// The elements `value` quantities of the lesson's derived questions read at step `n`: `(variable, index)` pairs
/// the runner reads through the mapping after that step (like `about: {kind: value}`).
pub fn compared_values(lesson: &Lesson, n: usize) -> Vec<(Option<String>, String)> {
    lesson
        .quiz
        .iter()
        .flat_map(|q| &q.derive)
        .flat_map(|d| &d.compare)
        .flat_map(|c| [&c.left, &c.right])
        .filter(|q| q.step == Some(n) && q.measure.as_deref() == Some("value"))
        .filter_map(|q| Some((q.var.clone(), q.index.clone()?)))
        .collect()
}

//! Resolvers of the ops that work on the array in this process: `assign` and `read`.

use super::super::parse::{excerpt, strip_var};
use super::super::StepInput;
use crate::expr::index::IndexExpr;
use crate::expr::value::parse_value;
use crate::lesson::model::Yaml;
use crate::lesson::{Action, LessonError};

/// `arr[index] = value` (the whole array when no index is given).
pub(super) fn assign(s: &StepInput) -> Result<Action, LessonError> {
    let value_yaml = s.step.value.as_ref().ok_or_else(|| {
        s.err(
            "value",
            "an `assign` step needs a `value` (e.g. `value: np.arange(9).reshape(3, 3)`)",
        )
    })?;
    let value = parse_value(value_yaml).map_err(|e| {
        let shown = match value_yaml {
            Yaml::String(text) => format!(" `{}`", excerpt(text)),
            _ => String::new(),
        };
        s.err("value", format!("cannot parse the value{shown}: {e}"))
    })?;
    Ok(Action::Assign {
        var: s.var.clone(),
        index: strip_var(s.index.clone().unwrap_or_else(IndexExpr::all)),
        value,
    })
}

/// `arr[index]`: the index is required.
pub(super) fn read(s: &StepInput) -> Result<Action, LessonError> {
    let index = s.index.clone().ok_or_else(|| {
        s.err(
            "index",
            "a `read` step needs an `index` (e.g. `index: arr[1, 2]` or `[:]`)",
        )
    })?;
    Ok(Action::Read {
        var: s.var.clone(),
        index: strip_var(index),
    })
}

//! Resolvers of the ops that ask the kernel about the mapping's pages: `wait_writeback` and `flush_range`
//! (`evict` and `flush_async` take only the variable).

use super::super::parse::uint_field;
use super::super::{StepInput, DEFAULT_WAIT_SECS, MAX_WAIT_SECS};
use crate::lesson::model::Yaml;
use crate::lesson::{Action, LessonError};

/// Wait until the kernel wrote the file's dirty pages back, at most `timeout` seconds.
pub(super) fn wait_writeback(s: &StepInput) -> Result<Action, LessonError> {
    let secs = match &s.step.timeout {
        None | Some(Yaml::Null) => DEFAULT_WAIT_SECS,
        Some(Yaml::Number(num)) => num.as_f64().unwrap_or(f64::NAN),
        Some(_) => f64::NAN,
    };
    if !(secs > 0.0 && secs <= MAX_WAIT_SECS) {
        return Err(s.err(
            "timeout",
            format!(
                "timeout must be a number of seconds greater than 0 and at most {MAX_WAIT_SECS} (default {DEFAULT_WAIT_SECS})"
            ),
        ));
    }
    Ok(Action::WaitWriteback {
        var: s.var.clone(),
        timeout_ms: (secs * 1000.0).round() as u64,
    })
}

/// msync of `length` bytes of the array from `offset`.
pub(super) fn flush_range(s: &StepInput) -> Result<Action, LessonError> {
    let offset = uint_field(s, "offset", s.step.offset.as_ref())?.unwrap_or(0);
    let length = uint_field(s, "length", s.step.length.as_ref())?.ok_or_else(|| {
        s.err(
            "length",
            "a `flush_range` step needs a `length` in bytes (e.g. `length: 4096`)",
        )
    })?;
    if length == 0 {
        return Err(s.err("length", "length must be at least 1 byte"));
    }
    offset
        .checked_add(length)
        .filter(|&e| e <= i64::MAX as u64)
        .ok_or_else(|| s.err("length", "offset + length does not fit in a file"))?;
    Ok(Action::FlushRange {
        var: s.var.clone(),
        offset,
        length,
    })
}

//! Resolvers of the ops another process performs on the file: `external_write`, `external_read`, `truncate`,
//! `crash` (a child that stores into the map and is killed) and `fork_write` (a forked worker's store).

use super::super::lifetime::Lifetimes;
use super::super::parse::{parse_dtype, parse_hex, scalars_of, strip_var, uint_field};
use super::super::{StepInput, MAX_EXTERNAL_BYTES};
use super::target;
use crate::expr::index::IndexExpr;
use crate::expr::value::{parse_value, py_scalar};
use crate::lesson::model::Yaml;
use crate::lesson::{Action, LessonError, Target};
use crate::numpy::dtype::Scalar;

/// The bytes another process writes, and how the step shows them in Python.
struct Written {
    data: Vec<u8>,
    shown: String,
    /// The values as written, when they take the variable's dtype (the trace shows them as values).
    var_values: Option<Vec<Scalar>>,
}

/// write(2) of `bytes` (hex) or a `value` encoded in a dtype, at `offset`.
pub(super) fn write(s: &StepInput, life: &Lifetimes) -> Result<Action, LessonError> {
    let target = target(s, life);
    let offset = uint_field(s, "offset", s.step.offset.as_ref())?.unwrap_or(0);
    let written = match (&s.step.bytes, &s.step.value) {
        (Some(_), Some(_)) => {
            return Err(s.err(
                "bytes",
                "give either `bytes` (hex) or `value` (with a dtype), not both",
            ))
        }
        (Some(hex), None) => hex_bytes(s, hex)?,
        (None, Some(value)) => value_bytes(s, life, &target, value)?,
        (None, None) => {
            return Err(s.err(
                "value",
                "an `external_write` step needs a `value` (with the variable's or a given `dtype`) or `bytes` as hex (e.g. `bytes: \"00 00 c6 42\"`)",
            ))
        }
    };
    if written.data.is_empty() {
        return Err(s.err("value", "nothing to write (the value is empty)"));
    }
    offset
        .checked_add(written.data.len() as u64)
        .filter(|&e| e <= i64::MAX as u64)
        .ok_or_else(|| {
            s.err(
                "offset",
                "offset + length of the data does not fit in a file",
            )
        })?;
    Ok(Action::ExternalWrite {
        target,
        offset,
        data: written.data,
        shown: written.shown,
        var_values: written.var_values,
    })
}

/// `bytes:` as hex, written as they are.
fn hex_bytes(s: &StepInput, hex: &str) -> Result<Written, LessonError> {
    if s.step.dtype.is_some() {
        return Err(s.err(
            "dtype",
            "`dtype` applies to `value`; `bytes` are written as they are",
        ));
    }
    let data = parse_hex(hex).map_err(|m| s.err("bytes", m))?;
    let shown = format!(
        "bytes.fromhex({})",
        crate::python::py_str(&crate::python::hex(&data))
    );
    Ok(Written {
        data,
        shown,
        var_values: None,
    })
}

/// `value:` encoded in the given dtype, or the variable's (uint8 for a variable never opened).
fn value_bytes(
    s: &StepInput,
    life: &Lifetimes,
    target: &Target,
    value: &Yaml,
) -> Result<Written, LessonError> {
    let dtype = match (&s.step.dtype, target.var()) {
        (Some(text), _) => parse_dtype(s, text)?,
        (None, Some(v)) => match life.spec(v) {
            Some(spec) => spec.dtype,
            None => parse_dtype(s, "uint8")?,
        },
        (None, None) => {
            return Err(s.err(
                "dtype",
                "writing a `value` to a `file` needs its `dtype` (e.g. `dtype: float32`), or write `bytes` as hex",
            ))
        }
    };
    let scalars = scalars_of(value).map_err(|m| s.err("value", m))?;
    let var_values = (s.step.dtype.is_none() && target.var().is_some()).then(|| scalars.clone());
    let mut data = vec![0u8; scalars.len() * dtype.size];
    for (i, x) in scalars.iter().enumerate() {
        dtype.encode(x.clone(), &mut data[i * dtype.size..]);
    }
    let items: Vec<String> = scalars.iter().map(py_scalar).collect();
    let literal = if matches!(value, Yaml::Sequence(_)) {
        format!("[{}]", items.join(", "))
    } else {
        items.join(", ")
    };
    let shown = format!(
        "np.array({literal}, dtype={}).tobytes()",
        crate::python::py_str(&dtype.to_string())
    );
    Ok(Written {
        data,
        shown,
        var_values,
    })
}

/// read(2) of `length` bytes at `offset`, shown in the given dtype or the variable's.
pub(super) fn read(s: &StepInput, life: &Lifetimes) -> Result<Action, LessonError> {
    let target = target(s, life);
    let offset = uint_field(s, "offset", s.step.offset.as_ref())?.unwrap_or(0);
    let length = uint_field(s, "length", s.step.length.as_ref())?.unwrap_or(16);
    if length == 0 || length > MAX_EXTERNAL_BYTES {
        return Err(s.err(
            "length",
            format!("length must be between 1 and {MAX_EXTERNAL_BYTES} bytes (got {length})"),
        ));
    }
    let dtype = match (&s.step.dtype, target.var()) {
        (Some(text), _) => Some(parse_dtype(s, text)?),
        (None, Some(v)) => life.spec(v).map(|sp| sp.dtype),
        (None, None) => None,
    };
    Ok(Action::ExternalRead {
        dtype_from_var: s.step.dtype.is_none() && target.var().is_some(),
        target,
        offset,
        length,
        dtype,
    })
}

/// ftruncate(2) of the file to `size` bytes; `touch` has a child touch the map afterwards.
pub(super) fn truncate(s: &StepInput, life: &Lifetimes) -> Result<Action, LessonError> {
    let target = target(s, life);
    let size = uint_field(s, "size", s.step.size.as_ref())?.ok_or_else(|| {
        s.err(
            "size",
            "a `truncate` step needs the new file `size` in bytes (e.g. `size: 0`)",
        )
    })?;
    if size > i64::MAX as u64 {
        return Err(s.err("size", "size does not fit in a file length"));
    }
    Ok(Action::Truncate {
        target,
        size,
        touch: s.step.touch.unwrap_or(false),
    })
}

/// A forked worker stores `value` at `index` through the mapping it inherited.
pub(super) fn fork_write(s: &StepInput) -> Result<Action, LessonError> {
    let value = s.step.value.as_ref().ok_or_else(|| {
        s.err(
            "value",
            "a `fork_write` step needs the `value` the worker stores",
        )
    })?;
    Ok(Action::ForkWrite {
        var: s.var.clone(),
        index: strip_var(s.index.clone().unwrap_or_else(IndexExpr::all)),
        value: parse_value(value)
            .map_err(|e| s.err("value", format!("cannot parse the value: {e}")))?,
    })
}

/// A child stores `value` at `index` of its own map of the file and is SIGKILLed.
pub(super) fn crash(s: &StepInput) -> Result<Action, LessonError> {
    let value_yaml = s.step.value.as_ref().ok_or_else(|| {
        s.err(
            "value",
            "a `crash` step needs the `value` the child stores before it is killed (e.g. `value: 42`)",
        )
    })?;
    let value = parse_value(value_yaml)
        .map_err(|e| s.err("value", format!("cannot parse the value: {e}")))?;
    let text = serde_yaml::to_string(value_yaml)
        .map_err(|e| s.err("value", format!("cannot re-serialise the value: {e}")))?;
    Ok(Action::Crash {
        var: s.var.clone(),
        index: strip_var(s.index.clone().unwrap_or_else(IndexExpr::all)),
        value,
        value_yaml: text,
    })
}

//! Resolvers of `open` (np.memmap's arguments) and `reopen` (a closed variable mapped again).

use super::super::lifetime::Lifetimes;
use super::super::parse::{check_path, check_size, parse_dtype, parse_mode, shape_of};
use super::super::StepInput;
use crate::lesson::model::{Op, Yaml};
use crate::lesson::{Action, LessonError, OpenSpec};
use crate::numpy::dtype::{DType, DTypeError};

/// `np.memmap(file, dtype, mode, offset, shape, order)`, with NumPy's defaults.
pub(super) fn spec(s: &StepInput) -> Result<OpenSpec, LessonError> {
    let step = s.step;
    let file = step.file.as_deref().ok_or_else(|| {
        s.err(
            "file",
            "an `open` step needs a `file` (e.g. `file: large_data.dat`)",
        )
    })?;
    check_path(file).map_err(|m| s.err("file", m))?;
    let (dtype, bad_dtype) = open_dtype(s, step.dtype.as_deref().unwrap_or("uint8"))?;
    let (mode, bad_mode) = parse_mode(step.mode.as_deref().unwrap_or("r+"));
    let shape = match &step.shape {
        None | Some(Yaml::Null) => None,
        Some(y) => Some(shape_of(y).map_err(|m| s.err("shape", m))?),
    };
    let offset = offset(s)?;
    let order = order(s)?;
    // With a bad dtype NumPy raises before the shape is used.
    if let (Some(dims), None) = (&shape, &bad_dtype) {
        check_size(dims, dtype.size, offset).map_err(|m| s.err("shape", m))?;
    }
    // `w+` without a shape is NumPy's run-time error (`ValueError: shape must be given if
    // mode == 'w+'`), recorded in the step as NumPy words it, not a refusal at load.
    Ok(OpenSpec {
        var: s.var.clone(),
        file: file.to_string(),
        dtype,
        mode,
        shape,
        offset,
        order,
        npy: None,
        bad_mode,
        bad_dtype,
    })
}

/// `dtype:` of an open. A spelling NumPy does not understand (`float_`, `f3`, a removed alias) loads:
/// np.memmap raises its TypeError when the call runs, after opening the file, and so does the step
/// (the dtype is then a placeholder). A kind NumPy has but the tutor does not model is refused here.
fn open_dtype(s: &StepInput, text: &str) -> Result<(DType, Option<String>), LessonError> {
    match DType::parse(text) {
        Ok(d) => Ok((d, None)),
        Err(DTypeError::NotUnderstood(_) | DTypeError::RemovedAlias(_)) => {
            Ok((DType::UINT8, Some(text.to_string())))
        }
        Err(DTypeError::Unsupported(..)) => parse_dtype(s, text).map(|d| (d, None)),
    }
}

/// `np.load(file, mmap_mode=…)` or `np.lib.format.open_memmap(file, …)`: an open of a `.npy` file.
pub(super) fn npy(s: &StepInput) -> Result<Action, LessonError> {
    if s.step.op == Op::Load && s.step.mode.is_none() {
        return Err(s.err("mode", crate::lesson::npy::LOAD_NEEDS_MODE));
    }
    let spec = spec(s)?;
    if let Some(text) = &spec.bad_dtype {
        // open_memmap's own order of checks is not modelled: refused at load with NumPy's words.
        parse_dtype(s, text)?;
    }
    Ok(Action::Open(crate::lesson::npy::npy_spec(spec, s.step)))
}

/// `offset:` in bytes; a negative one is NumPy's run-time error, so it passes here.
fn offset(s: &StepInput) -> Result<i64, LessonError> {
    match &s.step.offset {
        None | Some(Yaml::Null) => Ok(0),
        Some(Yaml::Number(num)) => match num.as_i64() {
            Some(o) => Ok(o),
            None if num.is_f64() => Err(s.err(
                "offset",
                "offset must be a whole number of bytes ('float' object cannot be interpreted as an integer)",
            )),
            None => Err(s.err(
                "offset",
                format!("offset {num} does not fit in a 64-bit integer"),
            )),
        },
        Some(_) => Err(s.err("offset", "offset must be an integer number of bytes")),
    }
}

/// `order:` (default 'C'). Any text loads: NumPy checks it when the call runs (`ValueError: order
/// must be one of 'C', 'F', 'A', or 'K' (got 'X')`, lower case accepted), and so does the step.
fn order(s: &StepInput) -> Result<String, LessonError> {
    Ok(s.step.order.clone().unwrap_or_else(|| "C".to_string()))
}

/// Map a closed variable again, as it was opened, in `mode` (default r+).
pub(super) fn reopen(s: &StepInput, life: &Lifetimes) -> Result<Action, LessonError> {
    let mut spec = life.closed_spec(s)?;
    let mode_text = s.step.mode.as_deref().unwrap_or("r+");
    (spec.mode, spec.bad_mode) = parse_mode(mode_text);
    if let Some(call) = spec.npy.as_mut() {
        call.mode = mode_text.to_string();
    }
    Ok(Action::Reopen(spec))
}

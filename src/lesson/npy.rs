//! The `.npy` ops of a lesson (`load`, `open_memmap`): their resolved spec and how they read as NumPy code.

use super::model::{Op, Step};
use super::{NpyCall, OpenSpec};
use crate::python::py_str;

/// The refusal for a `load` step without `mode`: np.load without `mmap_mode` reads the whole array into memory.
pub(crate) const LOAD_NEEDS_MODE: &str =
    "a `load` step needs `mode` (np.load's mmap_mode: r, r+ or c); \
     without it np.load reads the whole array into memory instead of mapping it";

/// The spec of a `load` / `open_memmap` step, from the checks `open` makes on the same fields.
pub(crate) fn npy_spec(mut spec: OpenSpec, step: &Step) -> OpenSpec {
    spec.npy = Some(NpyCall {
        load: step.op == Op::Load,
        mode: step.mode.clone().unwrap_or_else(|| "r+".to_string()),
        dtype_given: step.dtype.is_some(),
    });
    spec
}

/// The NumPy line for a `.npy` open: `arr = np.load('a.npy', mmap_mode='r')` or
/// `arr = np.lib.format.open_memmap('a.npy', mode='w+', dtype='float32', shape=(3,), fortran_order=True)`.
pub(crate) fn code(spec: &OpenSpec, call: &NpyCall) -> String {
    if call.load {
        return format!(
            "{} = np.load({}, mmap_mode={})",
            spec.var,
            py_str(&spec.file),
            py_str(&call.mode)
        );
    }
    let mut s = format!(
        "{} = np.lib.format.open_memmap({}, mode={}",
        spec.var,
        py_str(&spec.file),
        py_str(&call.mode)
    );
    if call.dtype_given {
        s.push_str(&format!(", dtype={}", py_str(&spec.dtype_text())));
    }
    if let Some(shape) = &spec.shape {
        s.push_str(&format!(", shape={}", crate::numpy::npy::tuple_repr(shape)));
    }
    if spec.order == "F" {
        s.push_str(", fortran_order=True");
    }
    s.push(')');
    s
}

/// The Action column's default text for a `.npy` open.
pub(crate) fn text(spec: &OpenSpec, call: &NpyCall) -> String {
    if call.load {
        format!(
            "Load {} as {} (np.load, mmap_mode {})",
            spec.file, spec.var, call.mode
        )
    } else {
        format!(
            "Open {} as {} with open_memmap (mode {})",
            spec.file, spec.var, call.mode
        )
    }
}

//! Records what the program and read(2) see after a step: arrays, the file's bytes, the mapping's memory.

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::{Engine, ReadResult, Variable};
use crate::lesson::{Action, ResolvedStep};
use crate::numpy::print::{array_repr, array_str, scalar_repr, scalar_str};
use crate::probe::{self, FileElements};
use crate::trace::{ArrayLife, ArrayState, FileState, MappingState, Measured, ReadValue};

/// Hex dump lines shown per file (16 bytes each).
const HEX_LINES: usize = 4;

/// Every variable the lesson has opened so far, as the program sees it.
pub fn arrays(
    engine: &Engine,
    files: &BTreeMap<String, String>,
    last_seen: &BTreeMap<String, String>,
    untouched: Option<&Path>,
) -> BTreeMap<String, ArrayState> {
    let mut out = BTreeMap::new();
    for var in engine.variables() {
        if !files.contains_key(&var.name) {
            continue;
        }
        let skip = var.is_open() && untouched.is_some_and(|p| same_file(p, &var.path));
        let mut state = array_state(var, !skip);
        if !var.is_open() {
            state.last_str = last_seen.get(&var.name).cloned();
        }
        out.insert(var.name.clone(), state);
    }
    out
}

/// `str()` of an open variable right now, if it can be read safely.
pub fn array_str_now(engine: &Engine, var: &str) -> Option<String> {
    let v = engine.variable(var)?;
    if v.is_open() && v.check_mapped_range().is_ok() {
        Some(array_str(v))
    } else {
        None
    }
}

/// What a view shows instead of contents it must not read (reading would undo an eviction).
pub const NOT_READ: &str =
    "(not read after the eviction: reading would bring the pages back before the next step measures it)";

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The variable's state; with `read` false its contents are not touched (see [`NOT_READ`]).
fn array_state(var: &Variable, read: bool) -> ArrayState {
    let (state, str, repr) = if !var.is_open() {
        (ArrayLife::Closed, String::new(), String::new())
    } else if !read {
        (ArrayLife::Open, NOT_READ.to_string(), NOT_READ.to_string())
    } else {
        match var.check_mapped_range() {
            Ok(()) => (ArrayLife::Open, array_str(var), array_repr(var, "memmap")),
            Err(why) => (ArrayLife::Unreadable, why.clone(), why),
        }
    };
    ArrayState {
        dtype: var.dtype.to_string(),
        shape: var.shape.clone(),
        mode: var.mode.as_str().to_string(),
        state,
        str,
        repr,
        last_str: None,
        file: var.file.clone(),
        offset: var.offset,
        order: var.order.to_string(),
    }
}

/// The variable's file as read(2) sees it: size, the array region decoded, and a short hex dump.
pub fn file(engine: &Engine, var: &str, rel: &str, untouched: Option<&Path>) -> Option<FileState> {
    let path = engine.workdir().join(rel);
    let meta = std::fs::metadata(&path).ok()?;
    let size = meta.len();
    if untouched.is_some_and(|p| same_file(p, &path)) {
        return Some(FileState {
            path: rel.to_string(),
            abs_path: path.display().to_string(),
            size,
            str: NOT_READ.to_string(),
            hex: Vec::new(),
            hex_truncated: false,
        });
    }
    let (str, hex, hex_truncated) = match engine.variable(var) {
        Some(v) => {
            let (start, nbytes) = v.array_byte_range();
            let str = match FileElements::open(&path, v.dtype, &v.shape, &v.strides, v.offset) {
                Ok(elements) => array_str(&elements),
                Err(why) => why,
            };
            let (hex, truncated) = dump(&path, start, nbytes);
            (str, hex, truncated)
        }
        None => {
            let (hex, truncated) = dump(&path, 0, size);
            (String::new(), hex, truncated)
        }
    };
    Some(FileState {
        path: rel.to_string(),
        abs_path: path.display().to_string(),
        size,
        str,
        hex,
        hex_truncated,
    })
}

fn dump(path: &std::path::Path, offset: u64, len: u64) -> (Vec<crate::trace::HexLine>, bool) {
    match probe::hex_dump(path, offset, len, HEX_LINES) {
        Ok(d) => (d.lines, d.truncated),
        Err(e) => (
            vec![crate::trace::HexLine::unavailable(
                offset,
                &format!("pread failed: {e}"),
            )],
            false,
        ),
    }
}

/// Memory of the variable's mapping, or why there is none.
pub fn mapping(engine: &Engine, var: &str) -> Measured<MappingState> {
    match engine.variable(var).and_then(|v| v.mapping_addr()) {
        Some(addr) => probe::mapping_state(addr),
        None => Measured::unavailable("no live mapping"),
    }
}

/// The value a `read` step produced, printed as NumPy would.
pub fn read_value(step: &ResolvedStep, result: &ReadResult) -> ReadValue {
    let expr = match &step.action {
        Action::Read { var, index } => index.to_python(var),
        _ => String::new(),
    };
    let (str, repr) = printed(result);
    ReadValue { expr, str, repr }
}

/// `str()` and `repr()` of a read result.
pub fn printed(result: &ReadResult) -> (String, String) {
    match result {
        ReadResult::Scalar(v, dtype) => (scalar_str(*v, *dtype), scalar_repr(*v, *dtype)),
        ReadResult::View(view) => (
            array_str(view.as_ref()),
            array_repr(view.as_ref(), result.class_name()),
        ),
    }
}

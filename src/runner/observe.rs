//! Records what the program and read(2) see after a step — arrays, the file's bytes — without disturbing what
//! the probes measured: every read here goes through [`QuietFile`] (no page enters the page cache) and touches
//! a mapping only where our page table already maps a private copy (no fault, no new residency).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::engine::{Engine, ReadResult, Variable};
use crate::expr::index::IndexExpr;
use crate::lesson::{Action, Mode, ResolvedStep};
use crate::numpy::dtype::{DType, Scalar};
use crate::numpy::print::{array_repr, array_str, scalar_repr, scalar_str, ElementSource};
use crate::probe::{self, FileElements, QuietFile};
use crate::trace::{ArrayLife, ArrayState, FileState, MappingState, Measured, ReadValue};

/// Hex dump lines shown per file (16 bytes each).
const HEX_LINES: usize = 4;

pub use super::readers::Readers;

/// A variable's elements (or a view of them) read for display without touching pages the program did not.
///
/// A shared or read-only map shows exactly the file's page-cache pages, so the file is read instead of the
/// map. A copy-on-write (`c`) map differs from the file only in the pages it has copied: those are read
/// through the map (our page table maps them, so no fault), every other page from the file.
struct QuietArray<'a> {
    var: &'a Variable,
    file: Rc<QuietFile>,
    readers: &'a Readers,
    shape: Vec<usize>,
    strides: Vec<isize>,
    /// File offset of element `[0, …, 0]`.
    base: u64,
    /// Page address -> page-table entry, asked once per page.
    entries: RefCell<HashMap<usize, Option<probe::PageEntry>>>,
    error: RefCell<Option<String>>,
}

impl<'a> QuietArray<'a> {
    fn new(
        var: &'a Variable,
        readers: &'a Readers,
        shape: Vec<usize>,
        strides: Vec<isize>,
        base: u64,
    ) -> Result<QuietArray<'a>, String> {
        let file = readers
            .get(&var.path)
            .map_err(|e| format!("cannot open {}: {e}", var.path.display()))?;
        Ok(QuietArray {
            var,
            file,
            readers,
            shape,
            strides,
            base,
            entries: RefCell::new(HashMap::new()),
            error: RefCell::new(None),
        })
    }

    /// Whether the byte at file offset `pos` must be read through the map (a private copy).
    fn private_copy(&self, pos: u64) -> Option<usize> {
        if self.var.mode != Mode::CopyOnWrite {
            return None;
        }
        let addr = self.var.mapping_addr()?;
        let in_map = usize::try_from(pos.checked_sub(self.var.mapping_file_offset())?).ok()?;
        let ps = probe::page_size() as usize;
        let page = (addr + in_map) / ps * ps;
        let entry = *self
            .entries
            .borrow_mut()
            .entry(page)
            .or_insert_with(|| match probe::page_entry(page) {
                Ok(e) => Some(e),
                Err(e) => {
                    self.readers.note(format!(
                        "cannot read /proc/self/pagemap ({e}): copy-on-write pages read through the map"
                    ));
                    None
                }
            });
        match entry {
            Some(e) if e.is_private_copy() => {
                if !e.present {
                    self.readers.count_swapped_touch();
                    self.readers.note(
                        "a private copy was swapped out: showing it faulted it back in".to_string(),
                    );
                }
                Some(in_map)
            }
            Some(_) => None,
            // Cannot tell: the map is what the program sees.
            None => Some(in_map),
        }
    }

    fn record_error(&self, msg: String) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(msg);
        }
    }
}

impl ElementSource for QuietArray<'_> {
    fn dtype(&self) -> DType {
        self.var.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn get(&self, index: &[usize]) -> Scalar {
        let zero = Scalar::Int(0).cast(&self.var.dtype);
        let mut pos = self.base as i128;
        for (&i, &s) in index.iter().zip(&self.strides) {
            pos += i as i128 * s as i128;
        }
        let Ok(pos) = u64::try_from(pos) else {
            self.record_error(format!(
                "element {index:?} lies before the start of the file"
            ));
            return zero;
        };
        let size = self.var.dtype.size;
        let bytes = match self.private_copy(pos) {
            Some(in_map) => self
                .var
                .mapped_bytes(in_map, size)
                .ok_or_else(|| format!("element {index:?} lies outside the mapping")),
            None => self
                .file
                .read_at(pos, size)
                .map_err(|e| format!("reading element {index:?} failed: {e}")),
        };
        // Past EOF inside the page that holds the file's last byte (another process shrank the
        // file; check_mapped_range allows only such pages): read(2) sees nothing there, the mapping
        // sees what NumPy prints (zeros, or what was stored since).
        let bytes = match bytes {
            Ok(b) if b.len() < size => pos
                .checked_sub(self.var.mapping_file_offset())
                .and_then(|in_map| usize::try_from(in_map).ok())
                .and_then(|in_map| self.var.mapped_bytes(in_map, size))
                .map_or(Ok(b), Ok),
            other => other,
        };
        match bytes {
            Ok(b) if b.len() == size => self.var.dtype.decode(&b),
            Ok(_) => {
                self.record_error(format!(
                    "{} ended before element {index:?} (byte {pos})",
                    self.var.path.display()
                ));
                zero
            }
            Err(e) => {
                self.record_error(e);
                zero
            }
        }
    }
}

/// The variable's state, its contents read quietly.
pub(super) fn array_state(var: &Variable, readers: &Readers) -> ArrayState {
    let (state, str, repr) = if !var.is_open() {
        (ArrayLife::Closed, String::new(), String::new())
    } else {
        let whole = var.check_mapped_range().and_then(|()| {
            QuietArray::new(
                var,
                readers,
                var.shape.clone(),
                var.strides.clone(),
                var.offset,
            )
        });
        match whole {
            Ok(q) => {
                let (s, r) = (array_str(&q), array_repr(&q, "memmap"));
                match q.error.borrow().clone() {
                    Some(why) => (ArrayLife::Unreadable, why.clone(), why),
                    None => (ArrayLife::Open, s, r),
                }
            }
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

/// `str()` and `repr()` of `var[index]` read quietly (the quiz's watched elements), or the error NumPy raises.
pub fn watched(var: &Variable, index: &IndexExpr, readers: &Readers) -> (String, String) {
    let view = var.check_mapped_range().and_then(|()| {
        crate::engine::view::apply_index(
            &var.shape,
            &var.strides,
            var.offset as usize,
            &index.items,
        )
    });
    let view = match view {
        Ok(v) => v,
        Err(e) => return (e.clone(), e),
    };
    let q = match QuietArray::new(var, readers, view.shape, view.strides, view.base as u64) {
        Ok(q) => q,
        Err(e) => return (e.clone(), e),
    };
    if view.is_scalar {
        let s = q.get(&[]);
        (scalar_str(s.clone(), var.dtype), scalar_repr(s, var.dtype))
    } else {
        (array_str(&q), array_repr(&q, "memmap"))
    }
}

/// The variable's file as read(2) sees it: size, the array region decoded, and a short hex dump.
pub fn file(engine: &Engine, var: &str, rel: &str, readers: &Readers) -> Option<FileState> {
    let path = engine.workdir().join(rel);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let size = meta.len();
    let reader = match readers.get(&path) {
        Ok(r) => r,
        Err(e) => {
            let why = format!("unavailable (cannot open {}: {e})", path.display());
            return Some(FileState {
                path: rel.to_string(),
                abs_path: path.display().to_string(),
                size,
                str: why,
                hex: Vec::new(),
                hex_truncated: false,
                header: Vec::new(),
            });
        }
    };
    // A `.npy` header is part of the file the program mapped past: shown whole (up to 16 lines).
    let header = match engine.variable(var).and_then(|v| v.npy_header) {
        Some(len) => probe::hex_dump_quiet(&reader, 0, len, 16)
            .map(|d| d.lines)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let (str, hex, hex_truncated) = match engine.variable(var) {
        Some(v) => {
            let (start, nbytes) = v.array_byte_range();
            let str = match FileElements::on(
                reader.clone(),
                &path,
                v.dtype,
                &v.shape,
                &v.strides,
                v.offset,
            ) {
                Ok(elements) => array_str(&elements),
                Err(why) => why,
            };
            let (hex, truncated) = dump(&reader, start, nbytes);
            (str, hex, truncated)
        }
        None => {
            let (hex, truncated) = dump(&reader, 0, size);
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
        header,
    })
}

fn dump(reader: &QuietFile, offset: u64, len: u64) -> (Vec<crate::trace::HexLine>, bool) {
    super::readers::hex_dump(reader, offset, len, HEX_LINES)
}

/// Memory of the variable's mapping, or why there is none.
pub fn mapping(engine: &Engine, var: &str) -> Measured<MappingState> {
    let live = engine
        .variable(var)
        .and_then(|v| Some((v.mapping_addr()?, &v.path)));
    match live {
        Some((addr, path)) => probe::own_mapping_state(addr, path),
        None => Measured::unavailable("no live mapping"),
    }
}

/// The value a `read` step produced, printed as NumPy would.
pub(crate) fn read_value(step: &ResolvedStep, result: &ReadResult) -> ReadValue {
    let expr = match &step.action {
        Action::Read { var, index } => index.to_python(var),
        Action::Scan(s) => format!(
            "np.count_nonzero({})",
            crate::lesson::scan_steps::view_expr(s)
        ),
        _ => String::new(),
    };
    let (str, repr) = printed(result);
    ReadValue { expr, str, repr }
}

/// `str()` and `repr()` of a read result.
pub fn printed(result: &ReadResult) -> (String, String) {
    match result {
        ReadResult::Scalar(v, dtype) => (
            scalar_str(v.clone(), *dtype),
            scalar_repr(v.clone(), *dtype),
        ),
        ReadResult::View(view) => (
            array_str(view.as_ref()),
            array_repr(view.as_ref(), result.class_name()),
        ),
        ReadResult::PyInt(i) => (i.to_string(), i.to_string()),
    }
}

//! Performs lesson steps on real files with memmap2, following `np.memmap` semantics exactly.

pub mod array;
pub mod assign;
pub mod open;
pub mod values;
pub mod view;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::dtype::{DType, Scalar};
use crate::lesson::{Action, Mode};
use crate::numpy_print::ElementSource;
use array::{element_pos, read_element, MapView, Mapping, SharedMap};

/// A variable of the lesson: an open mapping, or one that was closed.
pub struct Variable {
    pub name: String,
    /// File as the lesson names it (relative to the work directory).
    pub file: String,
    /// Absolute path of the file.
    pub path: PathBuf,
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Byte strides of the array (C or F order).
    pub strides: Vec<isize>,
    /// Requested offset of the array in the file (NumPy's `.offset`).
    pub offset: u64,
    pub mode: Mode,
    /// `C` or `F`.
    pub order: char,
    /// True once closed (unmapped).
    pub closed: bool,
    // The mapping itself is private to the engine.
    map: Option<SharedMap>,
    /// The file stays open beside the mapping so its length can be checked (fstat).
    handle: Option<File>,
    /// File offset of the mapping (page aligned).
    map_start: u64,
    map_len: usize,
    /// Offset of the array's first byte inside the mapping.
    array_offset: usize,
}

impl Variable {
    /// Address of the first byte of the mapping (page aligned), for smaps; None when closed.
    pub fn mapping_addr(&self) -> Option<usize> {
        self.map.as_ref().map(|m| m.borrow().addr())
    }

    /// Length of the mapping in bytes (NumPy's `len(arr._mmap)`); 0 when closed.
    pub fn mapping_len(&self) -> usize {
        if self.map.is_some() {
            self.map_len
        } else {
            0
        }
    }

    /// File offset where the mapping starts (the requested offset aligned down to a page).
    pub fn mapping_file_offset(&self) -> u64 {
        self.map_start
    }

    /// `(file_offset, nbytes)` of the array's bytes in the file.
    pub fn array_byte_range(&self) -> (u64, u64) {
        let n: usize = self.shape.iter().product();
        (self.offset, (n * self.dtype.size) as u64)
    }

    /// True while the mapping exists (not closed).
    pub fn is_open(&self) -> bool {
        self.map.is_some() && !self.closed
    }

    /// The open file behind the mapping (e.g. for cachestat/FIEMAP probes); None when closed.
    pub fn file_handle(&self) -> Option<&File> {
        self.handle.as_ref()
    }

    /// Check with fstat that the file still covers the mapped range. Call it once before
    /// printing through [`ElementSource::get`] (which does not check, to stay cheap): touching
    /// a mapping past EOF raises SIGBUS.
    pub fn check_mapped_range(&self) -> Result<(), String> {
        match (&self.map, &self.handle) {
            (Some(_), Some(f)) => array::check_range(f, self.map_start, self.map_len),
            _ => Err(self.closed_error()),
        }
    }

    fn closed_error(&self) -> String {
        format!(
            "error: `{}` was closed (its mapping is unmapped); NumPy would crash touching it",
            self.name
        )
    }

    /// A view of the whole array sharing the mapping (no copy).
    fn view(&self, shape: Vec<usize>, strides: Vec<isize>, base: usize) -> Option<MapView> {
        self.map.as_ref().map(|m| MapView {
            map: m.clone(),
            dtype: self.dtype,
            shape,
            strides,
            base,
        })
    }

    fn flush(&self) -> Result<(), String> {
        if !matches!(self.mode, Mode::ReadWrite | Mode::Write) {
            // mmap.flush() on ACCESS_READ/ACCESS_COPY makes no syscall.
            return Ok(());
        }
        self.check_mapped_range()?;
        let map = self.map.as_ref().ok_or_else(|| self.closed_error())?;
        let map = map.borrow();
        if let Mapping::Shared(m) = &*map {
            // msync(MS_SYNC) over the whole mapping, as CPython's mmap.flush() does.
            m.flush().map_err(|e| open::os_error(&e, None))?;
        }
        Ok(())
    }
}

impl ElementSource for Variable {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Reads through the mapping. Does not check the file length: run
    /// [`Variable::check_mapped_range`] once before a batch of `get`s. A closed variable reads zeros.
    fn get(&self, index: &[usize]) -> Scalar {
        let pos = element_pos(self.array_offset, &self.strides, index);
        match &self.map {
            Some(m) => read_element(m.borrow().bytes(), pos, self.dtype),
            None => Scalar::Int(0).cast(&self.dtype),
        }
    }
}

/// The result of a `read` step: a scalar or a view.
pub enum ReadResult {
    Scalar(Scalar, DType),
    /// A view of the mapping; printed through ElementSource (class `memmap`).
    View(Box<dyn ElementSource>),
}

/// What performing one step produced.
pub struct StepOutcome {
    /// NumPy's message (`ValueError: ...`) when NumPy would raise.
    pub error: Option<String>,
    pub read: Option<ReadResult>,
}

impl StepOutcome {
    fn from_result(r: Result<Option<ReadResult>, String>) -> StepOutcome {
        match r {
            Ok(read) => StepOutcome { error: None, read },
            Err(e) => StepOutcome {
                error: Some(e),
                read: None,
            },
        }
    }
}

/// Holds the lesson's variables and performs steps inside one work directory.
pub struct Engine {
    workdir: PathBuf,
    vars: BTreeMap<String, Variable>,
}

impl Engine {
    pub fn new(workdir: &Path) -> Engine {
        Engine {
            workdir: workdir.to_path_buf(),
            vars: BTreeMap::new(),
        }
    }

    /// The work directory files are resolved against.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Perform one action for real.
    pub fn perform(&mut self, action: &Action) -> StepOutcome {
        StepOutcome::from_result(self.perform_inner(action))
    }

    fn open_var(&self, name: &str) -> Result<&Variable, String> {
        let v = self
            .vars
            .get(name)
            .ok_or_else(|| format!("NameError: name '{name}' is not defined"))?;
        if v.closed || v.map.is_none() {
            return Err(v.closed_error());
        }
        Ok(v)
    }

    fn perform_inner(&mut self, action: &Action) -> Result<Option<ReadResult>, String> {
        match action {
            Action::Open(spec) => {
                let var = open::open(&self.workdir, spec)?;
                // Rebinding drops the old mapping (munmap, no msync), as in Python.
                self.vars.insert(spec.var.clone(), var);
                Ok(None)
            }
            Action::Assign { var, index, value } => {
                let v = self.open_var(var)?;
                assign::assign(v, index, value)?;
                Ok(None)
            }
            Action::Read { var, index } => {
                let v = self.open_var(var)?;
                v.check_mapped_range()?;
                let view = view::apply_index(&v.shape, &v.strides, v.array_offset, &index.items)?;
                if view.is_scalar {
                    let m = v.map.as_ref().ok_or_else(|| v.closed_error())?;
                    let s = read_element(m.borrow().bytes(), view.base, v.dtype);
                    return Ok(Some(ReadResult::Scalar(s, v.dtype)));
                }
                let mv = v
                    .view(view.shape, view.strides, view.base)
                    .ok_or_else(|| v.closed_error())?;
                Ok(Some(ReadResult::View(Box::new(mv))))
            }
            Action::Flush { var } => {
                self.open_var(var)?.flush()?;
                Ok(None)
            }
            Action::Close { var } => {
                let v = self
                    .vars
                    .get_mut(var)
                    .ok_or_else(|| format!("NameError: name '{var}' is not defined"))?;
                // munmap without msync; views already handed out keep their own reference.
                v.map = None;
                v.handle = None;
                v.closed = true;
                Ok(None)
            }
        }
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.vars.get(name)
    }

    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.vars.values()
    }
}

#[cfg(test)]
mod tests;

//! Performs lesson steps on real files with memmap2, following `np.memmap` semantics exactly.

pub mod array;
pub mod assign;
pub mod child;
pub mod kernel;
pub mod open;
pub mod view;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::lesson::{Action, Mode, Target};
use crate::numpy::dtype::{DType, Scalar};
use crate::numpy::print::ElementSource;
use crate::trace::{MapOverrun, Measured, OpReport, StepEvent, TouchResult};
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
    pub(crate) fn mapping_addr(&self) -> Option<usize> {
        self.map.as_ref().map(|m| m.borrow().addr())
    }

    /// `len` bytes at byte `pos` of the live mapping; None when closed or out of range.
    ///
    /// For display reads of a page the caller knows is mapped (a private copy): touching an unmapped
    /// page here would fault it in.
    pub fn mapped_bytes(&self, pos: usize, len: usize) -> Option<Vec<u8>> {
        let map = self.map.as_ref()?.borrow();
        map.bytes()
            .get(pos..pos.checked_add(len)?)
            .map(<[u8]>::to_vec)
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
    pub(crate) fn mapping_file_offset(&self) -> u64 {
        self.map_start
    }

    /// `(file_offset, nbytes)` of the array's bytes in the file.
    pub(crate) fn array_byte_range(&self) -> (u64, u64) {
        let n: usize = self.shape.iter().product();
        (self.offset, (n * self.dtype.size) as u64)
    }

    /// True while the mapping exists (not closed).
    pub(crate) fn is_open(&self) -> bool {
        self.map.is_some() && !self.closed
    }

    /// Check with fstat that the file still covers the mapped range. Call it once before
    /// printing through [`ElementSource::get`] (which does not check, to stay cheap): touching
    /// a mapping past EOF raises SIGBUS.
    pub fn check_mapped_range(&self) -> Result<(), String> {
        match (&self.map, &self.handle) {
            // An array without elements never touches its mapping (NumPy prints it as is).
            (Some(_), Some(_)) if self.shape.contains(&0) => Ok(()),
            (Some(_), Some(f)) => array::check_range(f, self.map_start, self.map_len),
            _ => Err(self.closed_error()),
        }
    }

    /// A closed variable is `del`eted in NumPy terms: using the name raises NameError.
    fn closed_error(&self) -> String {
        format!("NameError: name '{}' is not defined", self.name)
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

/// Bytes read by a child, decoded as a 1-d array for printing.
struct BytesElements {
    dtype: DType,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl ElementSource for BytesElements {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn get(&self, index: &[usize]) -> Scalar {
        let pos = index.first().copied().unwrap_or(0) * self.dtype.size;
        read_element(&self.bytes, pos, self.dtype)
    }
}

/// The result of a `read` step: a scalar or a view.
pub enum ReadResult {
    Scalar(Scalar, DType),
    /// A view of the mapping; printed through ElementSource (class from [`ReadResult::class_name`]).
    View(Box<dyn ElementSource>),
}

impl ReadResult {
    /// The class NumPy gives the result: `memmap.__array_finalize__` keeps `_mmap` only when
    /// `np.may_share_memory(view, base)`, which is False for a view without elements, and
    /// `memmap.__getitem__` turns a memmap without `_mmap` into a plain `ndarray`.
    pub fn class_name(&self) -> &'static str {
        match self {
            ReadResult::View(v) if v.shape().iter().product::<usize>() > 0 => "memmap",
            _ => "array",
        }
    }
}

/// What performing one step produced.
pub struct StepOutcome {
    /// NumPy's message (`ValueError: ...`) when NumPy would raise.
    pub error: Option<String>,
    pub read: Option<ReadResult>,
    /// What the new ops measured (child process, pages dropped, wait time, …).
    pub report: OpReport,
}

impl StepOutcome {
    fn from_result(r: Result<Option<ReadResult>, String>, report: OpReport) -> StepOutcome {
        match r {
            Ok(read) => StepOutcome {
                error: None,
                read,
                report,
            },
            Err(e) => StepOutcome {
                error: Some(e),
                read: None,
                report,
            },
        }
    }
}

/// Holds the lesson's variables and performs steps inside one work directory.
pub struct Engine {
    workdir: PathBuf,
    vars: BTreeMap<String, Variable>,
    /// Read-write fds of files that child processes act on, kept open until the engine is dropped
    /// (handed to each child as fd 3, so a child's exit never closes a file; see `child`).
    aux_fds: HashMap<PathBuf, File>,
    /// The report of the step being performed.
    report: OpReport,
}

impl Engine {
    /// An engine acting on files under `workdir`.
    pub fn new(workdir: &Path) -> Engine {
        Engine {
            workdir: workdir.to_path_buf(),
            vars: BTreeMap::new(),
            aux_fds: HashMap::new(),
            report: OpReport::default(),
        }
    }

    /// The work directory files are resolved against.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Perform one action for real.
    pub fn perform(&mut self, action: &Action) -> StepOutcome {
        self.report = OpReport::default();
        let r = self.perform_inner(action);
        StepOutcome::from_result(r, std::mem::take(&mut self.report))
    }

    /// The absolute path of a target's file (confined to the work directory).
    fn target_path(&self, target: &Target) -> Result<PathBuf, String> {
        if let Some(v) = target.var().and_then(|v| self.vars.get(v)) {
            return Ok(v.path.clone());
        }
        open::confine(&self.workdir, target.file())
    }

    /// The engine's own long-lived read-write fd of `path` (opened once, never created).
    fn aux_fd(&mut self, path: &Path, shown: &str) -> Result<&File, String> {
        if !self.aux_fds.contains_key(path) {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|e| open::os_error(&e, Some(shown)))?;
            self.aux_fds.insert(path.to_path_buf(), f);
        }
        self.aux_fds
            .get(path)
            .ok_or_else(|| "internal: fd table lost an entry".to_string())
    }

    fn known_var(&self, name: &str) -> Result<&Variable, String> {
        self.vars
            .get(name)
            .ok_or_else(|| format!("NameError: name '{name}' is not defined"))
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

    /// One arm per op; each op's work is its own method below.
    fn perform_inner(&mut self, action: &Action) -> Result<Option<ReadResult>, String> {
        match action {
            Action::Open(spec) => {
                let var = open::open(&self.workdir, spec)?;
                // Rebinding drops the old mapping (munmap, no msync), as in Python.
                self.vars.insert(spec.var.clone(), var);
                Ok(None)
            }
            Action::Assign { var, index, value } => {
                // Python evaluates the right-hand side before looking the name up.
                let compiled = assign::compile_value(value)?;
                let v = self.open_var(var)?;
                assign::assign_compiled(v, index, compiled)?;
                Ok(None)
            }
            Action::Read { var, index } => self.read(var, index).map(Some),
            Action::Flush { var } => {
                self.open_var(var)?.flush()?;
                Ok(None)
            }
            Action::Close { var } => {
                let v = self
                    .vars
                    .get_mut(var)
                    .filter(|v| !v.closed)
                    .ok_or_else(|| format!("NameError: name '{var}' is not defined"))?;
                // munmap without msync; views already handed out keep their own reference.
                v.map = None;
                v.handle = None;
                v.closed = true;
                Ok(None)
            }
            Action::Reopen(spec) => {
                let var = open::open(&self.workdir, spec)?;
                self.report.event = Some(StepEvent::Reopened {
                    file: spec.file.clone(),
                    mode: spec.mode.as_str().to_string(),
                });
                self.vars.insert(spec.var.clone(), var);
                Ok(None)
            }
            Action::ExternalWrite {
                target,
                offset,
                data,
                ..
            } => self.external_write(target, *offset, data).map(|_| None),
            Action::ExternalRead {
                target,
                offset,
                length,
                dtype,
                dtype_from_var,
            } => {
                // "The variable's dtype" is the binding's now, not the lesson's last `open`.
                let dtype = match (dtype_from_var, target.var()) {
                    (true, Some(v)) => self.vars.get(v).map(|v| v.dtype),
                    _ => *dtype,
                };
                self.external_read(target, *offset, *length, dtype.as_ref())
                    .map(|_| None)
            }
            Action::Crash {
                var,
                index,
                value_yaml,
                ..
            } => self.crash(var, index, value_yaml).map(|_| None),
            Action::Evict { var } => self.evict(var).map(|_| None),
            Action::WaitWriteback { var, timeout_ms } => {
                self.wait_writeback(var, *timeout_ms).map(|_| None)
            }
            Action::FlushAsync { var } => {
                let v = self.open_var(var)?;
                let mut report = OpReport::default();
                let r = kernel::flush_async(v, &mut report);
                self.report = report;
                r.map(|_| None)
            }
            Action::FlushRange {
                var,
                offset,
                length,
            } => self.flush_range(var, *offset, *length).map(|_| None),
            Action::Truncate {
                target,
                size,
                touch,
            } => self.truncate(target, *size, *touch).map(|_| None),
        }
    }

    /// Poll until the kernel has written the file's dirty pages back by itself, at most `timeout_ms`.
    fn wait_writeback(&mut self, var: &str, timeout_ms: u64) -> Result<(), String> {
        let path = self.known_var(var)?.path.clone();
        let (fs_name, has_disk) = match crate::probe::fs_info(&self.workdir) {
            Measured::Value(fs) => (fs.name, fs.has_disk),
            Measured::Unavailable { unavailable } => {
                (format!("unknown filesystem ({unavailable})"), true)
            }
        };
        kernel::wait_writeback(
            &path,
            has_disk,
            &fs_name,
            Duration::from_millis(timeout_ms),
            &mut self.report,
        )
    }

    /// msync(MS_SYNC) of bytes `[offset, offset + length)` of the array only.
    fn flush_range(&mut self, var: &str, offset: u64, length: u64) -> Result<(), String> {
        let v = self.open_var(var)?;
        let mut report = OpReport::default();
        let r = kernel::flush_range(v, offset, length, &mut report);
        self.report = report;
        r
    }

    /// `arr[index]`: a scalar, or a view sharing the mapping.
    fn read(&self, var: &str, index: &crate::expr::index::IndexExpr) -> Result<ReadResult, String> {
        let v = self.open_var(var)?;
        v.check_mapped_range()?;
        let view = view::apply_index(&v.shape, &v.strides, v.array_offset, &index.items)?;
        if view.is_scalar {
            let m = v.map.as_ref().ok_or_else(|| v.closed_error())?;
            let s = read_element(m.borrow().bytes(), view.base, v.dtype);
            return Ok(ReadResult::Scalar(s, v.dtype));
        }
        let mv = v
            .view(view.shape, view.strides, view.base)
            .ok_or_else(|| v.closed_error())?;
        Ok(ReadResult::View(Box::new(mv)))
    }

    /// Another process pwrite(2)s `data` at `offset`.
    fn external_write(&mut self, target: &Target, offset: u64, data: &[u8]) -> Result<(), String> {
        let path = self.target_path(target)?;
        let file = self.aux_fd(&path, target.file())?;
        let task = child::ChildTask::Write {
            offset,
            hex: crate::python::hex(data),
        };
        let run = child::spawn(file, &task, false)?;
        let mut record = run.record;
        record.wrote = child::data_line(&run.lines);
        let ok = record.exit_code == Some(0);
        let (shared, private) = self.sharers(&path);
        self.report.event = Some(if ok {
            StepEvent::ExternalWrote {
                pid: record.pid,
                bytes: data.len(),
                offset,
                shared,
                private,
            }
        } else {
            StepEvent::ChildFailed {
                said: record.said.clone(),
            }
        });
        let failed = (!ok).then(|| record.said.join("; "));
        self.report.child = Some(record);
        match failed {
            Some(why) => Err(format!("OSError: the writing process failed: {why}")),
            None => Ok(()),
        }
    }

    /// Another process pread(2)s `length` bytes at `offset`, decoded with `dtype` when given.
    fn external_read(
        &mut self,
        target: &Target,
        offset: u64,
        length: u64,
        dtype: Option<&DType>,
    ) -> Result<(), String> {
        let path = self.target_path(target)?;
        let file = self.aux_fd(&path, target.file())?;
        let task = child::ChildTask::Read { offset, length };
        let run = child::spawn(file, &task, false)?;
        let mut record = run.record;
        record.read = child::data_line(&run.lines);
        let bytes = record
            .read
            .as_deref()
            .and_then(|h| crate::python::parse_hex(h).ok())
            .unwrap_or_default();
        if let Some(dt) = dtype {
            let n = bytes.len() / dt.size;
            if n > 0 {
                let src = BytesElements {
                    dtype: *dt,
                    shape: vec![n],
                    bytes: bytes[..n * dt.size].to_vec(),
                };
                record.read_values = Some(crate::numpy::print::array_str(&src));
            }
        }
        let ok = record.exit_code == Some(0);
        self.report.event = Some(if ok {
            StepEvent::ExternalRead {
                pid: record.pid,
                offset,
                bytes,
                values: record.read_values.clone(),
            }
        } else {
            StepEvent::ChildFailed {
                said: record.said.clone(),
            }
        });
        let failed = (!ok).then(|| record.said.join("; "));
        self.report.child = Some(record);
        match failed {
            Some(why) => Err(format!("OSError: the reading process failed: {why}")),
            None => Ok(()),
        }
    }

    /// A child maps the array, stores `arr[index] = value` and is SIGKILLed before any msync.
    fn crash(
        &mut self,
        var: &str,
        index: &crate::expr::index::IndexExpr,
        value_yaml: &str,
    ) -> Result<(), String> {
        let v = self.known_var(var)?;
        let task = child::ChildTask::Crash {
            dtype: v.dtype.code(),
            shape: v.shape.clone(),
            strides: v.strides.clone(),
            offset: v.offset,
            index: index.to_python("arr"),
            value_yaml: value_yaml.to_string(),
        };
        let (path, shown) = (v.path.clone(), v.file.clone());
        let file = self.aux_fd(&path, &shown)?;
        let run = child::spawn(file, &task, true)?;
        let record = run.record;
        let stored = record.said.iter().any(|l| l.contains("stored"));
        let killed = record.signal == Some(libc::SIGKILL);
        self.report.event = Some(if stored && killed {
            StepEvent::CrashStored { pid: record.pid }
        } else {
            StepEvent::CrashFailed {
                pid: record.pid,
                said: record.said.clone(),
            }
        });
        let failed = (!stored).then(|| record.said.join("; "));
        self.report.child = Some(record);
        match failed {
            Some(why) => Err(format!("the crashing process failed before storing: {why}")),
            None => Ok(()),
        }
    }

    /// Drop the variable's file's clean pages from the page cache.
    fn evict(&mut self, var: &str) -> Result<(), String> {
        let v = self.known_var(var)?;
        let (path, shown, open) = (v.path.clone(), v.file.clone(), v.is_open());
        if !open {
            self.aux_fd(&path, &shown)?;
        }
        let v = self.known_var(var)?;
        let fd = match v.handle.as_ref().filter(|_| v.is_open()) {
            Some(h) => h,
            None => self
                .aux_fds
                .get(&path)
                .ok_or_else(|| "internal: fd table lost an entry".to_string())?,
        };
        let mut report = OpReport::default();
        let r = kernel::evict(v, fd, &mut report);
        self.report = report;
        r
    }

    /// Another process shrinks the file to `size`; with `touch` it also touches its old mapping past the end.
    fn truncate(&mut self, target: &Target, size: u64, touch: bool) -> Result<(), String> {
        let path = self.target_path(target)?;
        let file = self.aux_fd(&path, target.file())?;
        let task = child::ChildTask::Truncate { size, touch };
        let run = child::spawn(file, &task, false)?;
        let record = run.record;
        let truncated = record.said.iter().any(|l| l.contains("ftruncate(2) from"));
        let overruns = self
            .vars
            .values()
            .filter(|v| v.path == path && v.is_open())
            .filter_map(|v| {
                v.check_mapped_range().err().map(|why| MapOverrun {
                    var: v.name.clone(),
                    start: v.map_start,
                    end: v.map_start + v.map_len as u64,
                    why,
                })
            })
            .collect();
        let touch = touch.then(|| match record.signal {
            Some(libc::SIGBUS) => TouchResult::Sigbus {
                signal: libc::SIGBUS,
            },
            Some(sig) => TouchResult::Signal {
                name: child::signal_name(sig),
                signal: sig,
            },
            None => TouchResult::NoSignal,
        });
        self.report.event = Some(if truncated {
            StepEvent::Truncated {
                pid: record.pid,
                size,
                overruns,
                touch,
            }
        } else {
            StepEvent::TruncateFailed {
                said: record.said.clone(),
                overruns,
                touch,
            }
        });
        let failed = (!truncated).then(|| record.said.join("; "));
        self.report.child = Some(record);
        match failed {
            Some(why) => Err(format!("OSError: the truncating process failed: {why}")),
            None => Ok(()),
        }
    }

    /// The open variables on `path` that see an outside write at once (MAP_SHARED) and those that
    /// may not (copy-on-write: written pages are private copies), as `` `name` ``.
    fn sharers(&self, path: &Path) -> (Vec<String>, Vec<String>) {
        let mut shared = Vec::new();
        let mut private = Vec::new();
        for v in self.vars.values().filter(|v| v.path == path && v.is_open()) {
            match v.mode {
                Mode::CopyOnWrite => private.push(v.name.clone()),
                _ => shared.push(v.name.clone()),
            }
        }
        (shared, private)
    }

    /// The variable named `name`, open or closed.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.vars.get(name)
    }

    pub(crate) fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.vars.values()
    }
}

#[cfg(test)]
mod tests;

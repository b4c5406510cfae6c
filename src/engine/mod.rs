//! Performs lesson steps on real files with memmap2, following `np.memmap` semantics exactly.

pub(crate) mod array;
pub(crate) mod assign;
pub mod child;
mod fork;
pub(crate) mod kernel;
pub(crate) mod madvise;
mod npy;
pub(crate) mod open;
pub(crate) mod scan;
pub(crate) mod view;

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
    /// For a `.npy` file: the header's length (the file's bytes before `offset`), shown in the file view.
    pub npy_header: Option<u64>,
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

/// What a child process stores (offsets inside the variable's mapping, contiguous runs merged),
/// and NumPy's error when the assignment failed part-way: NumPy stores a list's elements one by
/// one, so the elements before the failing one are stored before the error is raised.
pub(super) struct PlannedStores {
    pub stores: Vec<child::Store>,
    pub error: Option<String>,
}

/// `arr[index] = value` evaluated by the tutor, as the bytes the crashing child stores and where.
/// The assignment runs on a private anonymous copy of the mapping's length, so NumPy's errors
/// (broadcast, cast) come out exactly as for `assign` and nothing of the file is touched.
fn crash_stores(
    v: &Variable,
    file: &File,
    index: &crate::expr::index::IndexExpr,
    value: &crate::expr::value::ValueExpr,
    progress: assign::Progress,
) -> Result<PlannedStores, String> {
    // `m[index] = value` evaluates the value before the index.
    assign::compile_value(value)?;
    let target = view::apply_index(&v.shape, &v.strides, v.array_offset, &index.items)?;
    let count = array::checked_size(&target.shape).unwrap_or(usize::MAX);
    if count.saturating_mul(v.dtype.size) > MAX_CHILD_BYTES {
        return Err(format!(
            "the crashing process would store {count} elements; this tutor hands a child at most {MAX_CHILD_BYTES} bytes"
        ));
    }
    let scratch = scratch_copy(v, file, &target, 0x00)?;
    match assign::assign(&scratch, index, value, progress) {
        Ok(()) => Ok(PlannedStores {
            stores: target_runs(&scratch, &target, v.dtype.size, None)?,
            error: None,
        }),
        Err(error) => {
            // Which elements were stored before the error: the same assignment into a copy whose
            // target bytes start as 0xff; an element holds the same bytes in both only if stored.
            let other = scratch_copy(v, file, &target, 0xff)?;
            let _ = assign::assign(&other, index, value, &mut |_, _| {});
            Ok(PlannedStores {
                stores: target_runs(&scratch, &target, v.dtype.size, Some(&other))?,
                error: Some(error),
            })
        }
    }
}

/// A read-write stand-in for `v` on an anonymous private mapping whose target elements hold `fill`.
fn scratch_copy(
    v: &Variable,
    file: &File,
    target: &view::View,
    fill: u8,
) -> Result<Variable, String> {
    // SAFETY: an anonymous private mapping: no file behind it, so no SIGBUS; MAP_NORESERVE so a
    // large array's length costs address space only, and only the stored elements' pages are touched.
    let mut anon = memmap2::MmapOptions::new()
        .len(v.map_len.max(1))
        .no_reserve_swap()
        .map_anon()
        .map_err(|e| open::os_error(&e, None))?;
    if fill != 0 && array::checked_size(&target.shape).unwrap_or(0) > 0 {
        let size = v.dtype.size;
        let mut idx = vec![0usize; target.shape.len()];
        loop {
            let pos = element_pos(target.base, &target.strides, &idx);
            if let Some(b) = anon.get_mut(pos..pos + size) {
                b.fill(fill);
            }
            if !array::next_index(&mut idx, &target.shape) {
                break;
            }
        }
    }
    Ok(Variable {
        name: v.name.clone(),
        file: v.file.clone(),
        path: v.path.clone(),
        dtype: v.dtype,
        shape: v.shape.clone(),
        strides: v.strides.clone(),
        offset: v.offset,
        mode: Mode::ReadWrite,
        order: v.order,
        closed: false,
        map: Some(std::rc::Rc::new(std::cell::RefCell::new(Mapping::Private(
            anon,
        )))),
        handle: Some(file.try_clone().map_err(|e| open::os_error(&e, None))?),
        map_start: v.map_start,
        map_len: v.map_len,
        array_offset: v.array_offset,
        npy_header: None,
    })
}

/// The target elements of `scratch` as runs of bytes, keeping only those equal in `other` when given.
fn target_runs(
    scratch: &Variable,
    target: &view::View,
    size: usize,
    other: Option<&Variable>,
) -> Result<Vec<child::Store>, String> {
    let map = scratch.map.as_ref().ok_or_else(|| scratch.closed_error())?;
    let map = map.borrow();
    let bytes = map.bytes();
    let other_map = match other {
        Some(o) => Some(o.map.as_ref().ok_or_else(|| o.closed_error())?.borrow()),
        None => None,
    };
    let mut stores: Vec<child::Store> = Vec::new();
    if array::checked_size(&target.shape).unwrap_or(0) == 0 {
        return Ok(stores);
    }
    let mut idx = vec![0usize; target.shape.len()];
    loop {
        let pos = element_pos(target.base, &target.strides, &idx);
        let data = bytes
            .get(pos..pos + size)
            .ok_or("internal: store outside the mapping")?;
        let stored = match &other_map {
            Some(m) => m.bytes().get(pos..pos + size) == Some(data),
            None => true,
        };
        if stored {
            match stores.last_mut() {
                Some(last) if last.at + last.data.len() == pos => last.data.extend_from_slice(data),
                _ => stores.push(child::Store {
                    at: pos,
                    data: data.to_vec(),
                }),
            }
        }
        if !array::next_index(&mut idx, &target.shape) {
            break;
        }
    }
    Ok(stores)
}

/// The result of a `read` step: a scalar or a view.
pub enum ReadResult {
    Scalar(Scalar, DType),
    /// A view of the mapping; printed through ElementSource (class from [`ReadResult::class_name`]).
    View(Box<dyn ElementSource>),
    /// A Python int: what a `scan` of a view with no rows returns (the README's `total = 0` with no
    /// `total += np.count_nonzero(...)` after it).
    PyInt(i64),
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

/// Most bytes a child process reads or stores in one step (a crash's evaluated store travels to
/// the child as bytes; a hostile lesson must not make the tutor allocate without bound).
pub const MAX_CHILD_BYTES: usize = 16 << 20;

/// `madvise(MADV_POPULATE_WRITE)` of `[at, at + len)` of the mapping starting at `base`: the pages a
/// store is about to touch are faulted in writable first, so a page the filesystem cannot give
/// (disk full) is an error here instead of a SIGBUS at the store. Only those pages are touched, so
/// what the probes see afterwards is what the store itself would have caused.
pub fn populate_write(base: usize, at: usize, len: usize) -> std::io::Result<()> {
    populate(base, at, len, MADV_POPULATE_WRITE)
}

/// `madvise(MADV_POPULATE_READ)`: fault in the pages a read is about to touch, so a page that
/// cannot be had (a full tmpfs must allocate even to read a hole) is an error, not a SIGBUS.
pub fn populate_read(base: usize, at: usize, len: usize) -> std::io::Result<()> {
    populate(base, at, len, MADV_POPULATE_READ)
}

fn populate(base: usize, at: usize, len: usize, advice: libc::c_int) -> std::io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let page = open::page_size() as usize;
    let start = (base + at) / page * page;
    let end = (base + at + len).div_ceil(page) * page;
    // SAFETY: the range lies inside a live mapping owned by the caller (page-rounded outward, and a
    // mapping always covers whole pages); MADV_POPULATE_WRITE only prefaults, it changes no data.
    let rc = unsafe { libc::madvise(start as *mut libc::c_void, end - start, advice) };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        // Kernels before 5.14 do not know it: the store goes ahead (the SIGBUS handler remains).
        Some(libc::EINVAL) => Ok(()),
        _ => Err(e),
    }
}

/// Linux's `MADV_POPULATE_WRITE` and `MADV_POPULATE_READ` (5.14); not in every libc.
const MADV_POPULATE_WRITE: libc::c_int = 23;
const MADV_POPULATE_READ: libc::c_int = 22;

/// Views up to this span are faulted in before a read step (larger ones print only a summary).
const READ_POPULATE_MAX: usize = 1 << 20;

/// The error step for a store whose pages could not be populated.
pub(crate) fn populate_error(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EFAULT) | Some(libc::ENOSPC) | Some(libc::EIO) => format!(
            "OSError: [Errno {}] No space left on device: the filesystem cannot give this access a page \
             (the disk is full or the file shrank); NumPy would be killed by SIGBUS here, the tutor stops the step",
            libc::ENOSPC
        ),
        _ => open::os_error(e, None),
    }
}

/// Populate (see [`populate_write`]) exactly the pages of `var`'s shared mapping that a store to the
/// view `shape`/`strides`/`base` touches; a private or read-only mapping needs nothing (its writes
/// never need a page of the file's filesystem).
pub(crate) fn populate_target(
    var: &Variable,
    shape: &[usize],
    strides: &[isize],
    base: usize,
) -> Result<(), String> {
    let Some(map) = var.map.as_ref() else {
        return Ok(());
    };
    let map = map.borrow();
    if !matches!(&*map, Mapping::Shared(_)) {
        return Ok(());
    }
    let addr = map.addr();
    let size = var.dtype.size;
    let Some(n) = array::checked_size(shape).filter(|&n| n > 0) else {
        return Ok(());
    };
    let (mut lo, mut hi) = (base as isize, base as isize);
    for (&d, &s) in shape.iter().zip(strides) {
        let reach = (d as isize - 1) * s;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    let span = (hi - lo) as usize + size;
    if span == n.saturating_mul(size) {
        return populate_write(addr, lo as usize, span).map_err(|e| populate_error(&e));
    }
    // Strided: one call per run of consecutive pages the elements fall in.
    let page = open::page_size() as usize;
    let mut run: Option<(usize, usize)> = None;
    let mut idx = vec![0usize; shape.len()];
    loop {
        let pos = element_pos(base, strides, &idx);
        let (first, last) = (pos / page, (pos + size - 1) / page);
        run = match run {
            Some((a, b)) if first <= b + 1 && first >= a => Some((a, b.max(last))),
            Some((a, b)) => {
                populate_write(addr, a * page, (b + 1 - a) * page)
                    .map_err(|e| populate_error(&e))?;
                Some((first, last))
            }
            None => Some((first, last)),
        };
        if !array::next_index(&mut idx, shape) {
            break;
        }
    }
    if let Some((a, b)) = run {
        populate_write(addr, a * page, (b + 1 - a) * page).map_err(|e| populate_error(&e))?;
    }
    Ok(())
}

/// Holds the lesson's variables and performs steps inside one work directory.
pub struct Engine {
    workdir: PathBuf,
    /// The work directory's descriptor: every file is opened beneath it (or why it could not be opened).
    dir: Result<open::DirFd, String>,
    /// Which files the lesson may write (created by this run, or `--overwrite`).
    guard: open::WriteGuard,
    vars: BTreeMap<String, Variable>,
    /// Fds of files that child processes act on (by normalised name and writability), kept open
    /// until the engine is dropped (handed to each child as fd 3, so a child's exit never closes a
    /// file; see `child`).
    aux_fds: HashMap<(String, bool), File>,
    /// The report of the step being performed.
    report: OpReport,
    /// Hears how a `wait_writeback` step is getting on (a terminal ticker); None: nobody listens.
    wait_observer: Option<WaitObserver>,
    /// Told how a long fill (≥ 100 MB) is getting on; lent to each assignment (see [`Engine::with_progress`]).
    fill_progress: Option<assign::ProgressHook>,
}

/// A callback told about each poll of a `wait_writeback` step.
pub type WaitObserver = Box<dyn FnMut(kernel::WaitProgress)>;
pub use kernel::WaitProgress;

impl Engine {
    /// An engine acting on files under `workdir`; the directory is opened once, here.
    pub fn new(workdir: &Path) -> Engine {
        let dir = open::DirFd::open(workdir)
            .map_err(|e| open::os_error(&e, Some(&workdir.to_string_lossy())));
        if let Ok(d) = &dir {
            crate::probe::confine_to(d.path(), d.file());
        }
        Engine {
            workdir: workdir.to_path_buf(),
            dir,
            guard: open::WriteGuard::default(),
            vars: BTreeMap::new(),
            aux_fds: HashMap::new(),
            report: OpReport::default(),
            wait_observer: None,
            fill_progress: None,
        }
    }

    /// Tell `observer` how each later `wait_writeback` step is getting on.
    pub fn set_wait_observer(&mut self, observer: Option<WaitObserver>) {
        self.wait_observer = observer;
    }

    /// Tell `hook(bytes_done, bytes_total)` how each later long fill is getting on (None: nobody).
    pub fn set_fill_progress(&mut self, hook: Option<assign::ProgressHook>) {
        self.fill_progress = hook;
    }

    /// Run `f` with the engine and a progress callback that forwards to the fill-progress hook (a no-op
    /// without one). The hook is lent out for the call, so the engine itself stays borrowable.
    fn with_progress<R>(&mut self, f: impl FnOnce(&Engine, assign::Progress) -> R) -> R {
        let mut hook = self.fill_progress.take();
        let mut forward = |done: u64, total: u64| {
            if let Some(h) = hook.as_mut() {
                h(done, total)
            }
        };
        let r = f(self, &mut forward);
        self.fill_progress = hook;
        r
    }

    /// Let the lesson write files it did not create (`--overwrite`).
    pub fn allow_overwrite(&mut self, yes: bool) {
        self.guard.overwrite = yes;
    }

    /// The work directory files are resolved against.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The work directory's own descriptor (None when it could not be opened), for probes asking about
    /// files beneath it without walking its path again.
    pub(crate) fn workdir_fd(&self) -> Option<&std::fs::File> {
        self.dir.as_ref().ok().map(|d| d.file())
    }

    /// Perform one action for real.
    pub fn perform(&mut self, action: &Action) -> StepOutcome {
        self.report = OpReport::default();
        let r = self.perform_inner(action);
        StepOutcome::from_result(r, std::mem::take(&mut self.report))
    }

    fn dir(&self) -> Result<&open::DirFd, String> {
        self.dir.as_ref().map_err(|e| e.clone())
    }

    /// The normalised name and absolute path of a target's file.
    fn target_name(&self, target: &Target) -> Result<(String, PathBuf), String> {
        // `arr.filename` of a name never bound (or whose only open failed) is a NameError.
        let file = match target.var() {
            Some(v) => self
                .vars
                .get(v)
                .map(|x| x.file.as_str())
                .ok_or_else(|| format!("NameError: name '{v}' is not defined"))?,
            None => target.file(),
        };
        let name = open::normal_name(file).ok_or_else(|| {
            open::open_error(&std::io::Error::from_raw_os_error(libc::EXDEV), file)
        })?;
        let path = self.workdir.join(&name);
        Ok((name, path))
    }

    /// The engine's own long-lived fd of a file (opened once beneath the work directory, never
    /// created, never through a symlink); read-write only when `write`, and then only on a file
    /// the lesson may write.
    fn aux_fd(&mut self, name: &str, shown: &str, write: bool) -> Result<&File, String> {
        let key = (name.to_string(), write);
        if !self.aux_fds.contains_key(&key) {
            if write && !self.guard.may_write(name) {
                // A file that does not exist is NumPy's FileNotFoundError, not a refusal.
                self.dir()?
                    .open_file(name, libc::O_RDONLY | libc::O_NONBLOCK, 0)
                    .map_err(|e| open::open_error(&e, shown))?;
                return Err(open::WriteGuard::refusal(shown, "change"));
            }
            let flags = if write {
                libc::O_RDWR
            } else {
                libc::O_RDONLY | libc::O_NONBLOCK
            };
            let f = self
                .dir()?
                .open_file(name, flags, 0)
                .map_err(|e| open::open_error(&e, shown))?;
            if !f.metadata().map(|m| m.is_file()).unwrap_or(false) {
                return Err(open::os_error(
                    &std::io::Error::from_raw_os_error(libc::ENODEV),
                    Some(shown),
                ));
            }
            if write {
                // By identity: the name may now lead to another file (a hard link to one outside).
                self.guard.check_opened(name, &f, shown)?;
            }
            self.aux_fds.insert(key.clone(), f);
        }
        self.aux_fds
            .get(&key)
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
            Action::Open(spec) => self.open(spec).map(|_| None),
            Action::Assign { var, index, value } => {
                // Python evaluates the right-hand side before looking the name up.
                let compiled = assign::compile_value(value)?;
                self.with_progress(|e, progress| {
                    let v = e.open_var(var)?;
                    assign::assign_compiled(v, index, compiled, progress)
                })?;
                Ok(None)
            }
            Action::Read { var, index } => self.read(var, index).map(Some),
            Action::Flush { var } => {
                self.open_var(var)?.flush()?;
                Ok(None)
            }
            Action::Close { var } => self.close(var).map(|_| None),
            Action::Reopen(spec) => self.reopen(spec).map(|_| None),
            Action::ExternalWrite {
                target,
                offset,
                data,
                var_values,
                ..
            } => {
                let data = self.bytes_to_write(target, data, var_values.as_deref());
                self.external_write(target, *offset, &data).map(|_| None)
            }
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
                var, index, value, ..
            } => self.crash(var, index, value).map(|_| None),
            Action::Evict { var } => self.evict(var).map(|_| None),
            Action::ForkWrite { var, index, value } => {
                // The worker's `arr[index] = value` evaluates the value before looking the name up.
                assign::compile_value(value)?;
                let (record, event) = self.with_progress(|e, progress| {
                    fork::fork_write(e.open_var(var)?, index, value, progress)
                })?;
                self.report.child = Some(record);
                self.report.event = Some(event);
                Ok(None)
            }
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
            } => {
                let v = self.open_var(var)?;
                let mut report = OpReport::default();
                let r = kernel::flush_range(v, *offset, *length, &mut report);
                self.report = report;
                r.map(|_| None)
            }
            Action::Truncate {
                target,
                size,
                touch,
            } => self.truncate(target, *size, *touch).map(|_| None),
            Action::Madvise(spec) => {
                let v = self.open_var(&spec.var)?;
                let mut report = OpReport::default();
                let r = madvise::madvise(v, spec, &mut report);
                self.report = report;
                r.map(|_| None)
            }
            Action::Scan(spec) => self.scan(spec).map(Some),
        }
    }

    /// `var = np.memmap(...)` (or `np.load`/`open_memmap`): rebinding drops the old mapping (munmap, no
    /// msync), as in Python.
    fn open(&mut self, spec: &crate::lesson::OpenSpec) -> Result<(), String> {
        let dir = self.dir.as_ref().map_err(|e| e.clone())?;
        let var = match &spec.npy {
            Some(call) => {
                let (var, event) = npy::open(dir, spec, call, &mut self.guard)?;
                self.report.event = Some(event);
                var
            }
            None => open::open(dir, spec, &mut self.guard)?,
        };
        self.vars.insert(spec.var.clone(), var);
        Ok(())
    }

    /// `del var`: munmap without msync; views already handed out keep their own reference.
    fn close(&mut self, var: &str) -> Result<(), String> {
        let v = self
            .vars
            .get_mut(var)
            .filter(|v| !v.closed)
            .ok_or_else(|| format!("NameError: name '{var}' is not defined"))?;
        v.map = None;
        v.handle = None;
        v.closed = true;
        Ok(())
    }

    /// Map a closed variable's file again with its previous spec (the `reopen` step's mode).
    fn reopen(&mut self, spec: &crate::lesson::OpenSpec) -> Result<(), String> {
        let dir = self.dir.as_ref().map_err(|e| e.clone())?;
        let var = match &spec.npy {
            Some(call) => npy::open(dir, spec, call, &mut self.guard)?.0,
            None => open::open(dir, spec, &mut self.guard)?,
        };
        self.report.event = Some(StepEvent::Reopened {
            file: spec.file.clone(),
            mode: spec.mode.as_str().to_string(),
        });
        self.vars.insert(spec.var.clone(), var);
        Ok(())
    }

    /// The bytes an `external_write` writes: a value given without dtype is encoded with the dtype the
    /// variable is bound to now (not the lesson's last `open`), else the bytes validated from the lesson.
    fn bytes_to_write(
        &self,
        target: &Target,
        data: &[u8],
        var_values: Option<&[Scalar]>,
    ) -> Vec<u8> {
        let bound = target.var().and_then(|v| self.vars.get(v)).map(|v| v.dtype);
        match (var_values, bound) {
            (Some(values), Some(dt)) => {
                let mut out = vec![0u8; values.len() * dt.size];
                for (i, s) in values.iter().enumerate() {
                    dt.encode(s.clone(), &mut out[i * dt.size..]);
                }
                out
            }
            _ => data.to_vec(),
        }
    }

    /// Poll the variable's file until it has no dirty or writeback pages, at most `timeout_ms`, telling the
    /// wait observer about each poll.
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
            &mut |p| {
                if let Some(observer) = self.wait_observer.as_mut() {
                    observer(p)
                }
            },
        )?;
        Ok(())
    }

    /// A chunked scan of a variable; `release: recreate` maps its file anew (mode `r`) per chunk.
    fn scan(&mut self, spec: &crate::lesson::scan_steps::ScanSpec) -> Result<ReadResult, String> {
        let has_disk = !matches!(
            crate::probe::fs_info(&self.workdir),
            Measured::Value(crate::probe::FsInfo {
                has_disk: false,
                ..
            })
        );
        let v = self
            .vars
            .get(&spec.var)
            .filter(|v| !v.closed && v.map.is_some())
            .ok_or_else(|| format!("NameError: name '{}' is not defined", spec.var))?;
        let fresh = crate::lesson::OpenSpec {
            var: v.name.clone(),
            file: v.file.clone(),
            dtype: v.dtype,
            mode: Mode::ReadOnly,
            shape: Some(v.shape.iter().map(|&d| d as i64).collect()),
            offset: v.offset as i64,
            order: v.order.to_string(),
            bad_mode: None,
            bad_dtype: None,
            npy: None,
        };
        let dir = self.dir.as_ref().map_err(|e| e.clone())?;
        let guard = &mut self.guard;
        let mut reopen = || open::open(dir, &fresh, guard);
        let mut report = OpReport::default();
        let r = scan::scan(v, spec, has_disk, &mut reopen, &mut report);
        self.report = report;
        r
    }

    /// `arr[index]`: a scalar, or a view sharing the mapping.
    fn read(&self, var: &str, index: &crate::expr::index::IndexExpr) -> Result<ReadResult, String> {
        let v = self.open_var(var)?;
        v.check_mapped_range()?;
        let view = view::apply_index(&v.shape, &v.strides, v.array_offset, &index.items)?;
        if let Some(m) = v.map.as_ref() {
            let m = m.borrow();
            let n = array::checked_size(&view.shape).unwrap_or(0);
            let (mut lo, mut hi) = (view.base as isize, view.base as isize);
            // An axis of length 0 or 1 reaches nothing (its stride may be saturated: `[::-2**63]`).
            for (&d, &st) in view.shape.iter().zip(&view.strides).filter(|(&d, _)| d > 1) {
                let reach = (d as isize - 1) * st;
                if reach < 0 {
                    lo += reach;
                } else {
                    hi += reach;
                }
            }
            let span = (hi - lo) as usize + v.dtype.size;
            if n > 0 && span <= READ_POPULATE_MAX {
                populate_read(m.addr(), lo as usize, span).map_err(|e| populate_error(&e))?;
            }
        }
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
        let (name, path) = self.target_name(target)?;
        let file = self.aux_fd(&name, target.file(), true)?;
        let task = child::ChildTask::Write {
            offset,
            data: data.to_vec(),
        };
        let run = child::spawn(file, &task, false)?;
        let wrote = run.events.iter().find_map(|e| match e {
            child::ChildEvent::Wrote { data, .. } => Some(crate::python::hex(data)),
            _ => None,
        });
        let why = run.why();
        let mut record = run.record;
        let ok = wrote.is_some();
        record.wrote = wrote;
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
        self.report.child = Some(record);
        if ok {
            Ok(())
        } else {
            Err(format!("OSError: the writing process failed: {why}"))
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
        let (name, _) = self.target_name(target)?;
        // A reader needs no write permission: the file is opened read-only.
        let file = self.aux_fd(&name, target.file(), false)?;
        let task = child::ChildTask::Read { offset, length };
        let run = child::spawn(file, &task, false)?;
        let read = run.events.iter().find_map(|e| match e {
            child::ChildEvent::Read { data, .. } => Some(data.clone()),
            _ => None,
        });
        let why = run.why();
        let mut record = run.record;
        let ok = read.is_some();
        record.read = read.as_deref().map(crate::python::hex);
        let bytes = read.unwrap_or_default();
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
        self.report.child = Some(record);
        if ok {
            Ok(())
        } else {
            Err(format!("OSError: the reading process failed: {why}"))
        }
    }

    /// A child maps the file as the variable does (NumPy's mode), stores `arr[index] = value`
    /// (evaluated here, sent as bytes) and is SIGKILLed before any msync.
    fn crash(
        &mut self,
        var: &str,
        index: &crate::expr::index::IndexExpr,
        value: &crate::expr::value::ValueExpr,
    ) -> Result<(), String> {
        let v = self.known_var(var)?;
        // The crashing process maps the file as the variable does; a closed name has no mapping
        // left, so the process maps it read-write (`r+`), as another program would.
        let mode = if v.closed { Mode::ReadWrite } else { v.mode };
        // Only a shared mapping can carry the store to the file.
        let map = match mode {
            Mode::ReadWrite | Mode::Write => child::CrashMap::Shared,
            Mode::CopyOnWrite => child::CrashMap::Private,
            Mode::ReadOnly => child::CrashMap::ReadOnly,
        };
        let (map_start, map_len, shown) = (v.map_start, v.map_len, v.file.clone());
        let name = open::normal_name(&shown).unwrap_or_default();
        let file = self.aux_fd(&name, &shown, map == child::CrashMap::Shared)?;
        let file = file.try_clone().map_err(|e| open::os_error(&e, None))?;
        // The crashing process's own np.memmap comes first: mode r+ grows a file shorter than the
        // array (one NUL at its last byte), r and c cannot map past the end; then the value.
        let len = file.metadata().map_err(|e| open::os_error(&e, None))?.len();
        let need = map_start.saturating_add(map_len as u64);
        if len < need {
            if map != child::CrashMap::Shared {
                return Err("ValueError: mmap length is greater than file size".to_string());
            }
            std::os::unix::fs::FileExt::write_at(&file, &[0], need - 1)
                .map_err(|e| open::os_error(&e, None))?;
        }
        let (stores, failed) = if map == child::CrashMap::ReadOnly {
            (Vec::new(), None)
        } else {
            let planned = self.with_progress(|e, progress| {
                crash_stores(e.known_var(var)?, &file, index, value, progress)
            })?;
            match planned.error {
                // Nothing stored before NumPy's error: no process to start.
                Some(error) if planned.stores.is_empty() => return Err(error),
                error => (planned.stores, error),
            }
        };
        let task = child::ChildTask::Crash {
            map,
            map_start,
            map_len,
            stores,
        };
        let run = child::spawn(&file, &task, true)?;
        let stored = run
            .events
            .iter()
            .any(|e| matches!(e, child::ChildEvent::Stored { .. }));
        let why = run.why();
        let record = run.record;
        let killed = record.signal == Some(libc::SIGKILL);
        self.report.event = Some(match (stored && killed, map) {
            (true, child::CrashMap::Shared) => StepEvent::CrashStored { pid: record.pid },
            (true, _) => StepEvent::CrashStoredPrivate {
                pid: record.pid,
                var: var.to_string(),
            },
            _ => StepEvent::CrashFailed {
                pid: record.pid,
                said: record.said.clone(),
            },
        });
        self.report.child = Some(record);
        if let (true, Some(error)) = (stored, failed) {
            // The elements before the failing one are stored (and stay, as the crash leaves them).
            return Err(error);
        }
        if stored {
            Ok(())
        } else if map == child::CrashMap::ReadOnly {
            Err(why)
        } else {
            Err(format!("the crashing process failed before storing: {why}"))
        }
    }

    /// Drop the variable's file's clean pages from the page cache.
    fn evict(&mut self, var: &str) -> Result<(), String> {
        let v = self.known_var(var)?;
        let (shown, open) = (v.file.clone(), v.is_open());
        let name = open::normal_name(&shown).unwrap_or_default();
        if !open {
            self.aux_fd(&name, &shown, false)?;
        }
        let v = self.known_var(var)?;
        let fd = match v.handle.as_ref().filter(|_| v.is_open()) {
            Some(h) => h,
            None => self
                .aux_fds
                .get(&(name, false))
                .ok_or_else(|| "internal: fd table lost an entry".to_string())?,
        };
        let mut report = OpReport::default();
        let r = kernel::evict(v, fd, &mut report);
        self.report = report;
        r
    }

    /// Another process shrinks the file to `size`; with `touch` it also touches its old mapping past the end.
    fn truncate(&mut self, target: &Target, size: u64, touch: bool) -> Result<(), String> {
        let (name, path) = self.target_name(target)?;
        let file = self.aux_fd(&name, target.file(), true)?;
        let task = child::ChildTask::Truncate { size, touch };
        let run = child::spawn(file, &task, false)?;
        let truncated = run
            .events
            .iter()
            .any(|e| matches!(e, child::ChildEvent::Truncated { .. }));
        let why = run.why();
        let record = run.record;
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
        self.report.child = Some(record);
        if truncated {
            Ok(())
        } else {
            Err(format!("OSError: the truncating process failed: {why}"))
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
}

#[cfg(test)]
mod tests;

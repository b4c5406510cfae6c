//! The per-step record of a run: what the program saw, what the file held, what the kernel reported.
//! Plain serialisable data; every view reads only this.

pub(crate) mod scan;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

mod records;
pub use records::Records;

/// A measurement, or why it could not be made: the one "measured or unavailable (reason)" type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Measured<T> {
    Value(T),
    Unavailable { unavailable: String },
}

impl<T> Measured<T> {
    /// A measurement that could not be made, and why.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Measured::Unavailable {
            unavailable: why.into(),
        }
    }
    /// The measured value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Measured::Value(v) => Some(v),
            Measured::Unavailable { .. } => None,
        }
    }
    /// Why there is no value (the bare reason), or `None` when there is one.
    pub fn why(&self) -> Option<String> {
        match self {
            Measured::Value(_) => None,
            Measured::Unavailable { unavailable } => Some(unavailable.clone()),
        }
    }
    /// The value turned into a `Result` with the reason as the error.
    pub(crate) fn as_result(&self) -> Result<&T, &str> {
        match self {
            Measured::Value(v) => Ok(v),
            Measured::Unavailable { unavailable } => Err(unavailable),
        }
    }
}

/// The operation a step performs (lessons spell it in snake_case, and so does the JSON trace).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Open,
    Assign,
    Read,
    Flush,
    Close,
    /// Open a closed variable again with its previous file/dtype/shape/offset/order.
    Reopen,
    /// Another process writes bytes into the file with write(2).
    ExternalWrite,
    /// Another process reads bytes of the file with read(2).
    ExternalRead,
    /// A child maps the file, stores, and is killed with SIGKILL before any flush.
    Crash,
    /// Drop the file's clean pages from the page cache.
    Evict,
    /// Wait until the kernel's flusher has written the dirty pages back on its own.
    WaitWriteback,
    /// msync(MS_ASYNC) of the whole mapping (memmap2 `flush_async`).
    FlushAsync,
    /// msync(MS_SYNC) of a byte range of the array only.
    FlushRange,
    /// Another process shrinks the file with ftruncate(2) while it is mapped.
    Truncate,
    /// `np.load(file, mmap_mode=...)` of a `.npy` file.
    Load,
    /// `np.lib.format.open_memmap(file, mode, dtype, shape, fortran_order)`.
    OpenMemmap,
    /// A forked worker stores through the mapping it inherited, then exits.
    ForkWrite,
    /// `arr._mmap.madvise(mmap.MADV_…, start, length)`: advice to the kernel about the mapping.
    Madvise,
    /// Read an array (or a view of it) in chunks, measuring memory per chunk.
    Scan,
}

impl Op {
    /// The op as lessons spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Assign => "assign",
            Op::Read => "read",
            Op::Flush => "flush",
            Op::Close => "close",
            Op::Reopen => "reopen",
            Op::ExternalWrite => "external_write",
            Op::ExternalRead => "external_read",
            Op::Crash => "crash",
            Op::Evict => "evict",
            Op::WaitWriteback => "wait_writeback",
            Op::FlushAsync => "flush_async",
            Op::FlushRange => "flush_range",
            Op::Truncate => "truncate",
            Op::Load => "load",
            Op::OpenMemmap => "open_memmap",
            Op::ForkWrite => "fork_write",
            Op::Madvise => "madvise",
            Op::Scan => "scan",
        }
    }
}

impl PartialEq<&str> for Op {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub lesson: LessonInfo,
    pub environment: Environment,
    pub steps: Vec<StepRecord>,
    /// For a traced script (`memmap-tutor trace`): how it ran; absent for a lesson.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptInfo>,
}

/// How a traced script ran (the steps are its finished lines).
#[derive(Debug, Clone, Serialize)]
pub struct ScriptInfo {
    pub script: String,
    pub args: Vec<String>,
    /// `sys.version` and `np.__version__` of the interpreter that ran it.
    pub python: String,
    pub numpy: String,
    pub pid: u32,
    /// One step per this many finished lines (`--every`).
    pub every: usize,
    /// Only the module's top-level lines were traced (`--top-level`).
    pub top_level: bool,
    pub max_steps: usize,
    /// The line after which the step limit stopped tracing (the script then ran on untraced).
    pub stopped_after: Option<usize>,
    /// The script's exit code (negative: killed by that signal).
    pub exit_code: Option<i32>,
    /// The uncaught exception that ended it, with its line.
    pub error: Option<String>,
    /// What it printed after the last step.
    pub stdout_after: String,
}

/// A traced script's line behind a step.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptStep {
    /// Line number in the script.
    pub line: usize,
    /// The function it ran in (`<module>` at top level).
    pub function: String,
    /// What the script printed since the previous step (everything it wrote to fd 1).
    pub stdout: String,
    /// How the step's op was determined: what was observed, or the source text when nothing was.
    pub op_from: String,
}

/// The lesson as the trace names it (the full text is added by the JSON view).
#[derive(Debug, Clone, Serialize)]
pub struct LessonInfo {
    pub source: String,
    pub title: String,
    pub workdir: String,
}

/// Facts about where the run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub kernel: String,
    pub page_size: usize,
    /// Filesystem of the work directory, e.g. `ext4`, `tmpfs`.
    pub filesystem: String,
    /// False on tmpfs/ramfs: no disk behind the page cache, so nothing is ever "written to disk".
    pub has_disk: bool,
    /// `vm.dirty_expire_centisecs`: age at which the kernel writes a dirty page back by itself.
    pub dirty_expire_centisecs: Option<u64>,
    /// `vm.dirty_writeback_centisecs`: how often the flusher wakes; 0 turns periodic writeback off.
    pub dirty_writeback_centisecs: Option<u64>,
}

/// The state after one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// 1-based.
    pub step: usize,
    /// Action column text.
    pub action: String,
    /// The operation (`open`, `assign`, …).
    pub op: Op,
    /// The step as NumPy code.
    pub code: String,
    pub ok: bool,
    /// NumPy's message (`ValueError: ...`) when the step raised.
    pub error: Option<String>,
    /// The step raised and the lesson said it would.
    pub expected_error: bool,
    /// Variable the step acted on.
    pub var: String,
    /// Every variable the lesson has named so far (records a step did not change are shared with the
    /// step before).
    pub arrays: Records<ArrayState>,
    /// The file of `var` as read(2) sees it (null if the variable never had a file).
    pub file: Option<FileState>,
    /// Every variable's file as read(2) sees it, decoded with that variable's dtype and shape.
    pub files: Records<FileState>,
    /// Page-cache state of that file; in JSON `pages` (null when unavailable) and `pages_unavailable` (why).
    #[serde(flatten, serialize_with = "pages_fields")]
    pub pages: Measured<PageState>,
    /// Whether dirty pages of the file were written back during this step, as measured; in JSON
    /// `disk_write` (bool) and `pages_written` (dirty pages cleaned during the step).
    #[serde(flatten, serialize_with = "disk_write_fields")]
    pub disk_write: Measured<DiskWrite>,
    /// Block allocation of the file (FIEMAP).
    pub allocation: Measured<Allocation>,
    /// Page faults this step caused in the tutor's process.
    pub faults: Measured<Faults>,
    /// Resident / dirty memory of the mapping (smaps).
    pub mapping: Measured<MappingState>,
    /// For `read` steps: the value read.
    pub read: Option<ReadValue>,
    /// Elements the lesson's quiz asks about at this step, read through the mapping after the step.
    pub watches: Vec<ReadValue>,
    /// Lesson Notes column text.
    pub note: String,
    /// What the new ops (reopen, external_*, crash, evict, wait_writeback, flush_async,
    /// flush_range, truncate) measured; absent fields are omitted from the JSON.
    #[serde(flatten)]
    pub report: OpReport,
    /// Page map of every file the lesson has opened so far, keyed by its path as the lesson names it
    /// (cachestat per cell + FIEMAP; never reads the data).
    pub page_map: Records<Measured<PageMap>>,
    /// Which files were probed at this step and which page maps are carried.
    pub probed: Probed,
    /// What the tutor's own display reads left behind after the probes' snapshot (zero unless unavoidable);
    /// never part of the numbers above.
    pub observer: ObserverFootprint,
    /// Wall time of the step's own work (the engine), in milliseconds; probes are not included.
    pub elapsed_ms: f64,
    /// Wall time the probes took after the step, in milliseconds.
    pub probe_ms: f64,
    /// For a traced script: the line behind this step; absent for a lesson.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptStep>,
}

/// The tutor's own footprint after a step's snapshot: what reading the array and the file for display changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObserverFootprint {
    /// Pages of the lesson's files that entered the page cache while the tutor read them for display.
    pub cached_pages: u64,
    /// kB of the step's mapping that became resident while the tutor read it for display.
    pub resident_kb: u64,
    /// Why a footprint could not be avoided, or what could not be checked; empty when nothing happened.
    pub notes: Vec<String>,
}

/// Measured results of a step beyond the common columns (only the fields the op produced are set).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpReport {
    /// What happened, as data; the JSON view adds it as the sentence `outcome` (see `present`).
    #[serde(skip)]
    pub event: Option<StepEvent>,
    /// The child process that performed the step (external_write/read, crash, truncate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child: Option<ChildRecord>,
    /// Dirty pages of the file right before the op (cachestat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty_before: Option<u64>,
    /// Dirty pages of the file right after the op (cachestat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty_after: Option<u64>,
    /// Cached pages of the file right before the op (cachestat; evict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_before: Option<u64>,
    /// Cached pages of the file right after the op (cachestat; evict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_after: Option<u64>,
    /// evict: pages that left the page cache (cached before − cached after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages_dropped: Option<u64>,
    /// wait_writeback: milliseconds waited, measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writeback_wait_ms: Option<u64>,
    /// wait_writeback: how long the file had had dirty pages when the wait ended, since the step whose store
    /// dirtied them (the age the kernel's flusher goes by), in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirty_for_ms: Option<u64>,
    /// wait_writeback: the step whose store dirtied the pages (see `dirty_for_ms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dirtied_at_step: Option<usize>,
    /// wait_writeback: true when the timeout passed with pages still dirty or under writeback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writeback_timed_out: Option<bool>,
    /// flush_range: the file byte range msync covered, page aligned as memmap2 does it: `[start, end)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flushed_range: Option<[u64; 2]>,
    /// madvise: what was advised, over which bytes, and the disk's read-ahead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<scan::AdviceReport>,
    /// scan: the measurements of every chunk (or the summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<scan::ScanReport>,
}

/// A child process the tutor started for a step, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChildRecord {
    pub pid: u32,
    /// Exit code when it exited normally.
    pub exit_code: Option<i32>,
    /// Signal number when a signal killed it (9 SIGKILL, 7 SIGBUS).
    pub signal: Option<i32>,
    /// `SIGKILL`, `SIGBUS`, …
    pub signal_name: Option<String>,
    /// Bytes it wrote (hex, e.g. `0000c642`) and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrote: Option<String>,
    /// Bytes it read (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    /// What it read decoded with the array's dtype, printed like NumPy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_values: Option<String>,
    /// Its own report, one line per event, e.g. `stored arr[0] = 42` or `truncated 36 -> 0`.
    pub said: Vec<String>,
}

/// One variable as the program sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayState {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub mode: String,
    /// Open, closed or unreadable (a variable that does not exist yet is absent).
    pub state: ArrayLife,
    /// NumPy's `str(arr)`; empty when closed.
    pub str: String,
    /// NumPy's `repr(arr)`; empty when closed.
    pub repr: String,
    /// For a closed variable: its `str()` read just before it was unmapped.
    pub last_str: Option<String>,
    pub file: String,
    pub offset: u64,
    pub order: String,
}

/// The file as read(2) sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileState {
    /// Path relative to the work directory as the lesson names it.
    pub path: String,
    /// Absolute path (for a learner's hexdump in another terminal).
    pub abs_path: String,
    pub size: u64,
    /// The bytes of the array region decoded with the array's dtype, shape, offset and order, printed like NumPy.
    pub str: String,
    /// Hex dump of the first bytes of the array region (offset, hex) — at most a few lines.
    pub hex: Vec<HexLine>,
    /// True when `hex` shows only part of the region.
    pub hex_truncated: bool,
    /// For a `.npy` file: the header's bytes (magic, version, length, dict, padding) before the array region.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub header: Vec<HexLine>,
}

/// One hex dump line: up to 16 bytes, spelled `00 00 80 3f` (or `unavailable (<why>)` when the bytes
/// could not be read).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexLine {
    pub offset: u64,
    /// The bytes as the JSON contract spells them.
    pub hex: String,
    /// The same bytes as data (empty when they could not be read), for consumers that compare bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl HexLine {
    /// A line of bytes read at `offset`.
    pub fn new(offset: u64, bytes: Vec<u8>) -> HexLine {
        HexLine {
            offset,
            hex: crate::python::hex_spaced(&bytes),
            bytes,
        }
    }

    /// A line whose bytes could not be read, and why.
    pub fn unavailable(offset: u64, why: &str) -> HexLine {
        HexLine {
            offset,
            hex: format!("unavailable ({why})"),
            bytes: Vec::new(),
        }
    }
}

/// Page-cache counts for the file (cachestat), in pages.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct PageState {
    pub total: u64,
    pub cached: u64,
    pub dirty: u64,
    pub writeback: u64,
    pub evicted: u64,
}

/// Extent summary (FIEMAP).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Allocation {
    pub extents: u64,
    /// Bytes with a physical block on disk.
    pub allocated_bytes: u64,
    /// Bytes in delayed-allocation extents (in the page cache, no block chosen yet).
    pub delalloc_bytes: u64,
    /// Bytes of the file in no extent (holes, read as zeros).
    pub hole_bytes: u64,
}

/// Page faults of the tutor's process during the step.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct Faults {
    pub minor: u64,
    pub major: u64,
}

/// The mapping's memory from /proc/self/smaps, in kB.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct MappingState {
    pub rss_kb: u64,
    pub dirty_kb: u64,
    pub anonymous_kb: u64,
}

/// The value a `read` step recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ReadValue {
    /// The index as written, e.g. `arr[1, 2]`.
    pub expr: String,
    /// `str()` of the result (`5.0`, or an array's str).
    pub str: String,
    /// `repr()` of the result (`np.float32(5.0)`, or `memmap([...], dtype=float32)`).
    pub repr: String,
}

/// Where a variable is in its life (a variable not yet opened is absent from the trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArrayLife {
    /// Mapped and readable.
    Open,
    /// Unmapped (`del arr`).
    Closed,
    /// Mapped, but the file no longer covers the mapping (touching it would raise SIGBUS).
    Unreadable,
}

/// What a step did to the disk, measured from the file's page cache (cachestat) and extents (FIEMAP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskWrite {
    /// Dirty or under-writeback pages of the file were cleaned during the step.
    WrittenBack { pages: u64 },
    /// Delayed-allocation bytes received disk blocks during the step.
    BlocksAssigned,
    /// A truncation discarded dirty pages without writing them.
    DiscardedByTruncation { pages: u64 },
    /// Nothing was written; this many pages are dirty or under writeback in the page cache.
    Pending { pages: u64 },
    /// Nothing was written and nothing is pending.
    Nothing,
    /// The filesystem has no disk behind the page cache (tmpfs): nothing is ever written to disk.
    NoDisk { filesystem: String },
}

impl DiskWrite {
    /// True when the step wrote the file's data to disk.
    pub fn wrote(&self) -> bool {
        matches!(
            self,
            DiskWrite::WrittenBack { .. } | DiskWrite::BlocksAssigned
        )
    }
    /// Dirty pages cleaned during the step (0 unless written back).
    pub(crate) fn pages_written(&self) -> u64 {
        match self {
            DiskWrite::WrittenBack { pages } => *pages,
            _ => 0,
        }
    }
}

/// `pages` and `pages_unavailable`, the JSON contract's spelling of a measured page count.
fn pages_fields<S: Serializer>(m: &Measured<PageState>, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("pages", &m.value())?;
    map.serialize_entry("pages_unavailable", &m.why())?;
    map.end()
}

/// `disk_write` (bool) and `pages_written`, the JSON contract's spelling of the verdict.
fn disk_write_fields<S: Serializer>(m: &Measured<DiskWrite>, s: S) -> Result<S::Ok, S::Error> {
    let verdict = m.value();
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("disk_write", &verdict.is_some_and(DiskWrite::wrote))?;
    map.serialize_entry(
        "pages_written",
        &verdict.map_or(0, DiskWrite::pages_written),
    )?;
    map.end()
}

/// What a step's operation did beyond the array and the file, as data (the sentences are in `present`).
#[derive(Debug, Clone, PartialEq)]
pub enum StepEvent {
    /// A closed variable was mapped again.
    Reopened { file: String, mode: String },
    /// Another process wrote bytes with pwrite(2); `shared`/`private` name the open variables on the
    /// file that see it at once (MAP_SHARED) or only on pages not yet written through them (copy-on-write).
    ExternalWrote {
        pid: u32,
        bytes: usize,
        offset: u64,
        shared: Vec<String>,
        private: Vec<String>,
    },
    /// Another process read bytes with pread(2); `values` is what it read decoded with a dtype.
    ExternalRead {
        pid: u32,
        offset: u64,
        bytes: Vec<u8>,
        values: Option<String>,
    },
    /// A child process did not do what the step asked; its own report.
    ChildFailed { said: Vec<String> },
    /// The crash child stored through its MAP_SHARED map and was SIGKILLed before any msync.
    CrashStored { pid: u32 },
    /// The crash child mapped the file copy-on-write (the variable's mode `c`), stored into its
    /// private copy and was SIGKILLed: the store died with it.
    CrashStoredPrivate { pid: u32, var: String },
    /// The crash child did not store and die as planned.
    CrashFailed { pid: u32, said: Vec<String> },
    /// Clean pages were dropped from the page cache.
    Evicted {
        dropped: u64,
        cached_before: u64,
        cached_after: u64,
        /// How the variable's own mapping was treated.
        mapping: EvictedMapping,
    },
    /// wait_writeback on a filesystem with no disk: nothing to wait for.
    NoWritebackWithoutDisk { filesystem: String },
    /// wait_writeback found no dirty pages.
    NothingToWaitFor,
    /// The kernel's flusher wrote the pages back by itself after `ms` milliseconds.
    WrittenBackByKernel { pages: u64, ms: u64 },
    /// wait_writeback gave up after `ms` milliseconds.
    WritebackTimedOut { ms: u64, dirty: u64, writeback: u64 },
    /// A flush of a variable whose mapping cannot reach the file (mode `c` or `r`).
    NothingToFlush { var: String, mode: String },
    /// msync(MS_ASYNC) returned; page counts before and after where cachestat could tell.
    FlushedAsync {
        before: Option<PageState>,
        after: Option<PageState>,
    },
    /// msync(MS_SYNC) of file bytes `[start, stop)` (`pages` pages); dirty counts before and after.
    FlushedRange {
        start: u64,
        stop: u64,
        pages: u64,
        dirty: Option<(u64, u64)>,
    },
    /// Another process shrank the file with ftruncate(2).
    Truncated {
        pid: u32,
        size: u64,
        /// Open variables that now map bytes past the end of the file.
        overruns: Vec<MapOverrun>,
        /// With `touch`: how the child's touch past the new end ended.
        touch: Option<TouchResult>,
    },
    /// The truncating process failed.
    TruncateFailed {
        said: Vec<String>,
        overruns: Vec<MapOverrun>,
        touch: Option<TouchResult>,
    },
    /// A `.npy` file was opened: its header (read, or written by `open_memmap` in mode w+).
    NpyOpened {
        /// `1.0`, `2.0` or `3.0`.
        version: String,
        /// The header dict as stored (padding spaces trimmed).
        dict: String,
        /// Header length in bytes = where the data starts.
        data_offset: u64,
        written: bool,
    },
    /// A forked worker stored `bytes` bytes through the mapping it inherited and exited; `shared` says whether
    /// that mapping was MAP_SHARED (the parent sees the store) or MAP_PRIVATE (mode c: it does not).
    ForkWrote {
        pid: u32,
        var: String,
        bytes: usize,
        shared: bool,
    },
    /// madvise returned 0 (the measurements are in `OpReport::advice`).
    Advised(scan::AdviceReport),
    /// A chunked scan finished (the measurements are in `OpReport::scan`).
    Scanned(scan::ScanReport),
}

/// What an eviction did with the variable's own mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvictedMapping {
    /// madvise(MADV_DONTNEED) unmapped the variable's pages first.
    Unmapped { var: String },
    /// A copy-on-write mapping was left alone.
    CopyOnWriteKept { var: String },
    /// No live mapping to treat.
    None,
}

/// An open variable whose mapping reaches past the end of its shrunk file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOverrun {
    pub var: String,
    /// File bytes `[start, end)` the mapping covers.
    pub start: u64,
    pub end: u64,
    /// The engine's error for touching it.
    pub why: String,
}

/// How a truncate child's touch past the new end ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TouchResult {
    /// SIGBUS: the kernel has no file data for the page.
    Sigbus { signal: i32 },
    /// Another signal killed it.
    Signal { name: String, signal: i32 },
    /// No signal: no whole page of the old length lies past the new end.
    NoSignal,
}

/// Cells of a page map for a large file; a file of fewer pages gets one cell per page.
pub(crate) const PAGE_MAP_CELLS: u64 = 64;
/// Some page of the cell is dirty (changed in the page cache, not yet on disk).
pub(crate) const DIRTY: char = 'D';
/// Some page is being written back right now (none dirty).
pub(crate) const WRITEBACK: char = 'W';
/// Every page of the cell is in the page cache, clean.
pub(crate) const CACHED: char = '#';
/// Some pages are in the page cache, clean; others are not.
pub(crate) const PARTLY_CACHED: char = '+';
/// No page in the page cache; the data has disk blocks (reading it would go to disk).
pub(crate) const NOT_CACHED: char = '.';
/// No page in the page cache and no disk block: a hole, which reads as zeros.
pub(crate) const HOLE: char = '-';

/// The legend of the cell characters, part of every page map in the JSON (ASCII, so it survives
/// Markdown and any terminal).
pub(crate) const PAGE_MAP_LEGEND: &str =
    "D dirty · W writeback · # cached · + partly cached · . on disk, not cached · - hole (no disk block)";

/// The page map of one file at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageMap {
    /// One character per cell, file order, e.g. `D---------------D--------------D`.
    pub cells: String,
    /// Pages each cell covers (the last cell may cover fewer).
    pub pages_per_cell: u64,
    /// Bytes each cell covers (`pages_per_cell` × the page size).
    pub bytes_per_cell: u64,
    /// Pages in the file.
    pub total_pages: u64,
    /// What each character means.
    pub legend: String,
    /// Why the hole/not-cached distinction is missing (FIEMAP unavailable), if it is.
    pub holes_unknown: Option<String>,
    /// The step whose probe took this map: a later step shows it carried from there (see [`Probed`] and
    /// [`CARRIED_RULE`]) — not asked again, or asked and found with the same counts.
    pub probed_at_step: usize,
}

/// Why a page map may be carried from an earlier step instead of probed again (the views say it).
pub(crate) const CARRIED_RULE: &str = "taken at that step and not again: a step asks the kernel again about \
     the files it touched and those opened, read or written by any process (inotify), and takes a new map \
     where a file's page counts moved; of the files that only may have changed on their own (dirty or under \
     writeback at their last look, or every file after reclaim or drop_caches anywhere in the system \
     (/proc/vmstat)) it asks at most 32 per step, the longest unasked first";

/// Which files a step asked the kernel about again (each page map says at which step it was probed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Probed {
    /// Why every file may have changed at this step (the first step, reclaim seen, events lost, …), if so:
    /// every file was asked about, or where `deferred` > 0, as many as the budget allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_because: Option<String>,
    /// Files whose page cache was asked about at this step.
    pub files: usize,
    /// Of those, the files asked because the step touched them (its own, new ones, ones some process acted
    /// on, or all where the step itself may have changed anything): beyond the budget.
    pub touched: usize,
    /// Page maps taken at an earlier step ([`CARRIED_RULE`]).
    pub carried: usize,
    /// Files that may have changed since their last look (untouched, but dirty or under writeback then, or
    /// anything after reclaim) and were not asked at this step: more than `budget`. Their maps are carried and
    /// say from which step.
    pub deferred: usize,
    /// At most this many such files are asked about per step (the files the step touched come on top).
    pub budget: usize,
}

impl PageMap {
    /// `[DD--…--D]`, the strip as the views print it.
    pub(crate) fn strip(&self) -> String {
        format!("[{}]", self.cells)
    }
}

//! The per-step record of a run: what the program saw, what the file held, what the kernel reported.
//! Plain serialisable data; every view reads only this.

use std::collections::BTreeMap;

use serde::Serialize;

/// A measurement, or why it could not be made.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Measured<T> {
    Value(T),
    Unavailable { unavailable: String },
}

impl<T> Measured<T> {
    pub fn unavailable(why: impl Into<String>) -> Self {
        Measured::Unavailable {
            unavailable: why.into(),
        }
    }
    pub fn value(&self) -> Option<&T> {
        match self {
            Measured::Value(v) => Some(v),
            Measured::Unavailable { .. } => None,
        }
    }
    /// `unavailable (<why>)` or `None` when there is a value.
    pub fn why(&self) -> Option<String> {
        match self {
            Measured::Value(_) => None,
            Measured::Unavailable { unavailable } => Some(format!("unavailable ({unavailable})")),
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub lesson: LessonInfo,
    pub environment: Environment,
    pub steps: Vec<StepRecord>,
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
}

/// The state after one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// 1-based.
    pub step: usize,
    /// Action column text.
    pub action: String,
    /// `open`, `assign`, `read`, `flush`, `close`.
    pub op: String,
    /// The step as NumPy code.
    pub code: String,
    pub ok: bool,
    /// NumPy's message (`ValueError: ...`) when the step raised.
    pub error: Option<String>,
    /// The step raised and the lesson said it would.
    pub expected_error: bool,
    /// Variable the step acted on.
    pub var: String,
    /// Every variable the lesson has named so far.
    pub arrays: BTreeMap<String, ArrayState>,
    /// The file of `var` as read(2) sees it (null if the variable never had a file).
    pub file: Option<FileState>,
    /// Every variable's file as read(2) sees it, decoded with that variable's dtype and shape.
    pub files: BTreeMap<String, FileState>,
    /// Page-cache state of that file.
    pub pages: Option<PageState>,
    /// Why `pages` is null, when it is.
    pub pages_unavailable: Option<String>,
    /// Dirty pages of the file were written back during this step (or an extent left delayed allocation).
    pub disk_write: bool,
    /// How disk_write was decided, e.g. `1 page written back`, or `unavailable (tmpfs: no disk)`.
    pub disk_write_detail: String,
    /// Dirty pages of the file cleaned during this step.
    pub pages_written: u64,
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
    pub page_map: BTreeMap<String, Measured<crate::probe::PageMap>>,
    /// What the tutor's own display reads left behind after the probes' snapshot (zero unless unavoidable);
    /// never part of the numbers above.
    pub observer: ObserverFootprint,
    /// Wall time of the step's own work (the engine), in milliseconds; probes are not included.
    pub elapsed_ms: f64,
    /// Wall time the probes took after the step, in milliseconds.
    pub probe_ms: f64,
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
    /// One human line on what happened, e.g. `the child died of SIGKILL (signal 9) before any flush`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
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
    /// wait_writeback: true when the timeout passed with pages still dirty or under writeback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writeback_timed_out: Option<bool>,
    /// flush_range: the file byte range msync covered, page aligned as memmap2 does it: `[start, end)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flushed_range: Option<[u64; 2]>,
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
#[derive(Debug, Clone, Serialize)]
pub struct ArrayState {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub mode: String,
    /// `open` or `closed` (`none` before the variable exists is represented by absence).
    pub state: String,
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
#[derive(Debug, Clone, Serialize)]
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
}

/// One hex dump line: 16 bytes.
#[derive(Debug, Clone, Serialize)]
pub struct HexLine {
    pub offset: u64,
    pub hex: String,
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

//! Typed records of the `madvise` and `scan` ops: what was advised, and memory measured per chunk of a scan.

use serde::Serialize;

use super::{Faults, Measured};

/// The disk's read-ahead window for the file, read live from sysfs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadAhead {
    /// `read_ahead_kb` of the file's backing device.
    pub kb: u64,
    /// Where it was read, e.g. `/sys/class/bdi/254:0/read_ahead_kb`.
    pub source: String,
}

/// What a `madvise` step asked of the kernel, and the mapping's memory around it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdviceReport {
    /// Python's name, e.g. `MADV_SEQUENTIAL`.
    pub advice: String,
    /// Its value on this system (the `advice` argument of madvise(2)).
    pub value: i32,
    /// Byte offset of the advised range inside the mapping (Python's `start`).
    pub start: u64,
    /// Bytes advised (Python clamps `length` to the end of the mapping).
    pub length: u64,
    /// File bytes `[start, end)` the advised range covers.
    pub file_range: [u64; 2],
    /// Resident kB of the variable's mapping right before and right after madvise (smaps).
    pub rss_kb_before: Measured<u64>,
    pub rss_kb_after: Measured<u64>,
    /// Pages of the file in the page cache right before and right after (cachestat).
    pub cached_before: Measured<u64>,
    pub cached_after: Measured<u64>,
    /// The kernel's flags of the mapping right after the call (`VmFlags` of smaps): `sr` after MADV_SEQUENTIAL,
    /// `rr` after MADV_RANDOM, neither after MADV_NORMAL.
    pub vm_flags_after: Measured<Vec<String>>,
    /// The disk's read-ahead window: MADV_RANDOM switches it off; MADV_SEQUENTIAL keeps its size and places it
    /// ahead of a fault instead of around it (measured in the memory-grows lesson, steps 14 and 17).
    pub read_ahead: Measured<ReadAhead>,
}

/// What a `scan` step does after reading each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Release {
    /// Nothing: the chunks stay mapped.
    Keep,
    /// `madvise(MADV_DONTNEED)` of the chunk just read.
    Dontneed,
    /// Map the file anew for every chunk and drop that mapping afterwards (nanoGPT's fix).
    Recreate,
}

impl Release {
    /// As lessons spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Release::Keep => "keep",
            Release::Dontneed => "dontneed",
            Release::Recreate => "recreate",
        }
    }
}

/// Memory measured right after one chunk of a scan was read (and released, when the scan releases).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkRecord {
    /// 1-based.
    pub chunk: usize,
    /// Rows `[start, stop)` of the scanned view.
    pub rows: [usize; 2],
    /// Resident kB of every mapping of the file in this process right after the read (smaps).
    pub rss_kb_read: Measured<u64>,
    /// The same after the chunk's release (equal to `rss_kb_read` when nothing is released).
    pub rss_kb: Measured<u64>,
    /// Pages of the file in the page cache after the chunk (cachestat).
    pub cached: Measured<u64>,
    /// Page faults the chunk's read caused (getrusage).
    pub faults: Measured<Faults>,
    /// Wall time of the chunk's read, in milliseconds.
    pub read_ms: f64,
}

/// A whole chunked scan: what was read, the result, and the memory per chunk or as a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub var: String,
    /// The scanned view as Python, e.g. `arr[:, 0]`.
    pub expr: String,
    /// Rows of the view (its first axis; the elements of a 1-d view).
    pub rows: usize,
    pub chunk_rows: usize,
    pub chunks: usize,
    pub release: Release,
    /// Elements read (every element of the view).
    pub elements: u64,
    /// Bytes the program used: elements × itemsize.
    pub bytes_used: u64,
    /// Bytes from the view's lowest to its highest element: what the elements are spread over.
    pub span_bytes: u64,
    /// `np.count_nonzero` of the view: the scan's result.
    pub nonzero: u64,
    /// Resident kB of the file's mappings before the scan, and the most seen after any chunk.
    pub rss_kb_before: Measured<u64>,
    pub rss_kb_peak: Measured<u64>,
    /// Pages of the file cached before the scan.
    pub cached_before: Measured<u64>,
    /// All page faults of the scan's reads.
    pub faults: Measured<Faults>,
    /// Wall time of all chunk reads, in milliseconds.
    pub read_ms: f64,
    /// The disk's read-ahead window.
    pub read_ahead: Measured<ReadAhead>,
    /// The tutor's own anonymous memory (`RssAnon` of /proc/self/status) before and after the scan: the scan
    /// reads through the mapping and copies nothing, so this stays flat whatever the file's size.
    pub tutor_anon_kb_before: Measured<u64>,
    pub tutor_anon_kb_after: Measured<u64>,
    /// Every chunk's record; empty when the lesson asked for a summary only.
    pub per_chunk: Vec<ChunkRecord>,
    /// True when `per_chunk` was left out on request (`summary: true`).
    pub summary: bool,
}

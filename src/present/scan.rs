//! Sentences about `madvise` and `scan` steps: what was advised, and the memory a chunked read left behind.

use super::facts::bytes_text;
use super::{measured, plural};
use crate::trace::scan::{AdviceReport, ChunkRecord, ReadAhead, Release, ScanReport};
use crate::trace::{Faults, Measured};

/// Chunks listed one per line before the list is cut to its first and last few.
const CHUNK_LINES: usize = 16;

fn kb(m: &Measured<u64>) -> String {
    measured(m, |kb| format!("{kb} kB"))
}

fn pages(m: &Measured<u64>) -> String {
    measured(m, |p| plural(*p, "page"))
}

fn faults(m: &Measured<Faults>) -> String {
    measured(m, |f| format!("{} minor, {} major", f.minor, f.major))
}

/// `read-ahead 8192 kB (/sys/class/bdi/254:0/read_ahead_kb)`.
pub(crate) fn read_ahead_text(m: &Measured<ReadAhead>) -> String {
    measured(m, |r| format!("{} kB ({})", r.kb, r.source))
}

/// The outcome of a `madvise` step.
pub(crate) fn advised(a: &AdviceReport) -> String {
    format!(
        "madvise({}) of mapping bytes {}..{} (file bytes {}..{}) returned 0; resident {} -> {}, page cache {} -> {}",
        a.advice,
        a.start,
        a.start + a.length,
        a.file_range[0],
        a.file_range[1],
        kb(&a.rss_kb_before),
        kb(&a.rss_kb_after),
        pages(&a.cached_before),
        pages(&a.cached_after),
    )
}

/// The outcome of a `scan` step.
pub(crate) fn scanned(s: &ScanReport) -> String {
    let release = match s.release {
        Release::Keep => "",
        Release::Dontneed => ", each chunk dropped with MADV_DONTNEED after it was read",
        Release::Recreate => ", each chunk through a new memmap deleted after it",
    };
    format!(
        "read {} ({} elements, {} used) in {} of {} rows{release}: np.count_nonzero = {}; resident memory of the file's mappings {} before, peak {}; {} faults in {:.1} ms",
        s.expr,
        s.elements,
        bytes_text(s.bytes_used),
        plural(s.chunks as u64, "chunk"),
        s.chunk_rows,
        s.nonzero,
        kb(&s.rss_kb_before),
        kb(&s.rss_kb_peak),
        faults(&s.faults),
        s.read_ms,
    )
}

fn mem(m: &Measured<u64>) -> String {
    measured(m, |kb| bytes_text(kb * 1024))
}

fn chunk_line(c: &ChunkRecord, release: Release) -> String {
    let resident = match release {
        Release::Keep => mem(&c.rss_kb),
        _ => format!("{} -> {} released", mem(&c.rss_kb_read), mem(&c.rss_kb)),
    };
    let faults = measured(&c.faults, |f| {
        format!("{} minor/{} major", f.minor, f.major)
    });
    format!(
        "rows {}..{}: resident {resident}; cached {}; faults {faults}",
        c.rows[0],
        c.rows[1],
        pages(&c.cached),
    )
}

/// The facts lines of a scan: the summary, then one line per chunk (cut to the first and last few).
pub(crate) fn scan_facts(s: &ScanReport) -> Vec<(String, String)> {
    let mut out = vec![
        ("Read-ahead".to_string(), read_ahead_text(&s.read_ahead)),
        (
            "Tutor heap".to_string(),
            format!(
                "{} before the scan, {} after (the tutor's own anonymous memory: the scan copies nothing)",
                mem(&s.tutor_anon_kb_before),
                mem(&s.tutor_anon_kb_after)
            ),
        ),
    ];
    if s.summary {
        out.push((
            "Chunks".to_string(),
            format!(
                "{} measured; per-chunk records left out (summary: true)",
                s.chunks
            ),
        ));
        return out;
    }
    let n = s.per_chunk.len();
    let half = CHUNK_LINES / 2;
    for (i, c) in s.per_chunk.iter().enumerate() {
        if n > CHUNK_LINES && i == half {
            out.push((
                "…".to_string(),
                format!(
                    "{} more chunks (every one is in the JSON trace)",
                    n - 2 * half
                ),
            ));
        }
        if n > CHUNK_LINES && i >= half && i < n - half {
            continue;
        }
        out.push((format!("Chunk {}", c.chunk), chunk_line(c, s.release)));
    }
    out
}

/// The facts lines of a madvise step.
pub(crate) fn advice_facts(a: &AdviceReport) -> Vec<(String, String)> {
    vec![
        ("Read-ahead".to_string(), read_ahead_text(&a.read_ahead)),
        ("VM flags".to_string(), vm_flags_text(&a.vm_flags_after)),
    ]
}

/// `rd mr mw me sd sr (sr: the kernel reads ahead of faults, …)`: the flags as smaps lists them, and what
/// the read-advice ones mean.
fn vm_flags_text(m: &Measured<Vec<String>>) -> String {
    measured(m, |flags| {
        let has = |f: &str| flags.iter().any(|x| x == f);
        let meaning = if has("sr") {
            "sr: marked as read sequentially - faults read ahead of the page, and reclaim ignores its use"
        } else if has("rr") {
            "rr: marked as read randomly - faults read only the page"
        } else {
            "neither sr nor rr: the default read-around"
        };
        format!(
            "{} ({meaning}; VmFlags of the mapping in /proc/self/smaps)",
            flags.join(" ")
        )
    })
}

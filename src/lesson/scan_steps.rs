//! The `madvise` and `scan` steps: their resolved form, Linux's advice values and their Python and prose spellings
//! (their fields are checked by `lesson::validate::ops::memory`).

use crate::expr::index::IndexExpr;
use crate::trace::scan::Release;

/// `var._mmap.madvise(mmap.<advice>[, start[, length]])`, Python's arguments as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MadviseSpec {
    pub var: String,
    /// Python's name, e.g. `MADV_DONTNEED` (an unknown one raises AttributeError at run time, as in Python).
    pub advice: String,
    /// Python's `start` (may be out of range: Python raises at run time).
    pub start: Option<i64>,
    /// Python's `length`.
    pub length: Option<i64>,
}

/// Read `var[index]` in chunks of `chunk` rows, with `release` after each chunk.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScanSpec {
    pub var: String,
    pub index: IndexExpr,
    pub chunk: u64,
    pub release: Release,
    /// Record only the summary.
    pub summary: bool,
}

/// Most rows a scan reads per chunk is any; most chunks a scan measures is this (each costs a few probes).
pub const MAX_CHUNKS: u64 = 4096;

/// The NumPy name of an advice's value on Linux, as Python's `mmap` module (3.11) defines it.
pub fn advice_value(name: &str) -> Option<i32> {
    Some(match name {
        "MADV_NORMAL" => 0,
        "MADV_RANDOM" => 1,
        "MADV_SEQUENTIAL" => 2,
        "MADV_WILLNEED" => 3,
        "MADV_DONTNEED" => 4,
        "MADV_FREE" => 8,
        "MADV_REMOVE" => 9,
        "MADV_DONTFORK" => 10,
        "MADV_DOFORK" => 11,
        "MADV_MERGEABLE" => 12,
        "MADV_UNMERGEABLE" => 13,
        "MADV_HUGEPAGE" => 14,
        "MADV_NOHUGEPAGE" => 15,
        "MADV_DONTDUMP" => 16,
        "MADV_DODUMP" => 17,
        "MADV_HWPOISON" => 100,
        _ => return None,
    })
}

/// The scanned view as Python: `arr` for the whole array, else `arr[:, 0]`.
pub fn view_expr(s: &ScanSpec) -> String {
    if s.index == IndexExpr::all() {
        s.var.clone()
    } else {
        s.index.to_python(&s.var)
    }
}

/// `arr._mmap.madvise(mmap.MADV_RANDOM, 0, 4096)`: the call as Python spells it.
pub fn madvise_code(m: &MadviseSpec) -> String {
    let mut args = format!("mmap.{}", m.advice);
    match (m.start, m.length) {
        (None, None) => {}
        (Some(s), None) => args.push_str(&format!(", {s}")),
        (s, Some(l)) => args.push_str(&format!(", {}, {l}", s.unwrap_or(0))),
    }
    format!("{}._mmap.madvise({args})", m.var)
}

/// The scan as one line of Python for the Code cell (the exported script spells it out in full).
pub fn scan_code(s: &ScanSpec) -> String {
    let view = view_expr(s);
    let after = match s.release {
        Release::Keep => "",
        Release::Dontneed => "; madvise(MADV_DONTNEED) of the chunk's pages",
        Release::Recreate => "; a new np.memmap per chunk, deleted after it",
    };
    format!(
        "for i in range(0, len({view}), {c}): total += np.count_nonzero({view}[i:i + {c}]){after}",
        c = s.chunk
    )
}

/// Default Action text of a `madvise` step.
pub fn madvise_text(m: &MadviseSpec) -> String {
    match (m.start, m.length) {
        (None, None) => format!(
            "Advise the kernel {} on all of {}'s mapping",
            m.advice, m.var
        ),
        _ => format!(
            "Advise the kernel {} on bytes from {} of {}'s mapping",
            m.advice,
            m.start.unwrap_or(0),
            m.var
        ),
    }
}

/// Default Action text of a `scan` step.
pub fn scan_text(s: &ScanSpec) -> String {
    let after = match s.release {
        Release::Keep => "",
        Release::Dontneed => ", dropping each chunk with MADV_DONTNEED",
        Release::Recreate => ", with a new memmap per chunk",
    };
    format!("Read {} in chunks of {}{after}", view_expr(s), s.chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_values_are_linux_ones() {
        assert_eq!(advice_value("MADV_DONTNEED"), Some(libc::MADV_DONTNEED));
        assert_eq!(advice_value("MADV_SEQUENTIAL"), Some(libc::MADV_SEQUENTIAL));
        assert_eq!(advice_value("MADV_FREE"), Some(libc::MADV_FREE));
        assert_eq!(advice_value("MADV_COLD"), None);
    }
}

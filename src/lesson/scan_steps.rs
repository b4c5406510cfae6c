//! The `madvise` and `scan` steps: their resolved form and the checks of their fields.

use super::model::{Step, Yaml};
use crate::expr::index::IndexExpr;
use crate::expr::lex::is_identifier;
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

/// A field error: (field, message).
pub type FieldError = (&'static str, String);

/// An optional integer field, any sign (Python decides about the range at run time).
fn int_field(field: &'static str, y: Option<&Yaml>) -> Result<Option<i64>, FieldError> {
    match y {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
            (
                field,
                format!("{field} must be a whole number of bytes that fits in 64 bits (got {n})"),
            )
        }),
        Some(_) => Err((field, format!("{field} must be a whole number of bytes"))),
    }
}

/// Resolve a `madvise` step.
pub fn madvise(step: &Step, var: &str) -> Result<MadviseSpec, FieldError> {
    let text = step.advice.as_deref().ok_or((
        "advice",
        "a `madvise` step needs an `advice` as Python's mmap module names it (e.g. `advice: MADV_SEQUENTIAL`)"
            .to_string(),
    ))?;
    let name = text.trim().strip_prefix("mmap.").unwrap_or(text.trim());
    if !is_identifier(name) {
        return Err((
            "advice",
            "advice must be a name from Python's mmap module, e.g. MADV_DONTNEED".to_string(),
        ));
    }
    Ok(MadviseSpec {
        var: var.to_string(),
        advice: name.to_string(),
        start: int_field("start", step.start.as_ref())?,
        length: int_field("length", step.length.as_ref())?,
    })
}

/// Most rows a scan reads per chunk is any; most chunks a scan measures is this (each costs a few probes).
pub const MAX_CHUNKS: u64 = 4096;

/// Resolve a `scan` step (`index` already parsed, without its variable name).
pub fn scan(step: &Step, var: &str, index: Option<IndexExpr>) -> Result<ScanSpec, FieldError> {
    let chunk = match &step.chunk {
        Some(Yaml::Number(n)) => n.as_u64().filter(|&c| c > 0).ok_or((
            "chunk",
            format!("chunk must be a whole number of rows, at least 1 (got {n})"),
        ))?,
        None | Some(Yaml::Null) => {
            return Err((
                "chunk",
                "a `scan` step needs a `chunk`: rows read per chunk (e.g. `chunk: 1048576`)"
                    .to_string(),
            ))
        }
        Some(_) => {
            return Err((
                "chunk",
                "chunk must be a whole number of rows, at least 1".to_string(),
            ))
        }
    };
    let release = match step.release.as_deref() {
        None | Some("keep") => Release::Keep,
        Some("dontneed") => Release::Dontneed,
        Some("recreate") => Release::Recreate,
        Some(_) => {
            return Err((
                "release",
                "release must be `keep`, `dontneed` (madvise MADV_DONTNEED of each chunk read) or `recreate` (a new memmap per chunk)"
                    .to_string(),
            ))
        }
    };
    Ok(ScanSpec {
        var: var.to_string(),
        index: index.unwrap_or_else(IndexExpr::all),
        chunk,
        release,
        summary: step.summary.unwrap_or(false),
    })
}

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

    fn step(yaml: &str) -> Step {
        serde_yaml::from_str(yaml).expect("step yaml")
    }

    #[test]
    fn madvise_fields() {
        let m = madvise(
            &step("{op: madvise, advice: mmap.MADV_RANDOM, start: 4096}"),
            "a",
        )
        .expect("valid");
        assert_eq!(m.advice, "MADV_RANDOM");
        assert_eq!(m.start, Some(4096));
        assert_eq!(m.length, None);
        let m = madvise(&step("{op: madvise, advice: MADV_BOGUS, start: -1}"), "a")
            .expect("run-time errors are Python's");
        assert_eq!(m.start, Some(-1));
        assert_eq!(
            madvise(&step("{op: madvise}"), "a").unwrap_err().0,
            "advice"
        );
        assert_eq!(
            madvise(&step("{op: madvise, advice: 'x; import os'}"), "a")
                .unwrap_err()
                .0,
            "advice"
        );
        assert_eq!(
            madvise(
                &step("{op: madvise, advice: MADV_NORMAL, length: 1.5}"),
                "a"
            )
            .unwrap_err()
            .0,
            "length"
        );
    }

    #[test]
    fn scan_fields() {
        let s = scan(&step("{op: scan, chunk: 10, release: dontneed}"), "a", None).expect("ok");
        assert_eq!(
            (s.chunk, s.release, s.summary),
            (10, Release::Dontneed, false)
        );
        for bad in [
            "{op: scan}",
            "{op: scan, chunk: 0}",
            "{op: scan, chunk: -3}",
            "{op: scan, chunk: x}",
        ] {
            assert_eq!(scan(&step(bad), "a", None).unwrap_err().0, "chunk", "{bad}");
        }
        assert_eq!(
            scan(&step("{op: scan, chunk: 1, release: never}"), "a", None)
                .unwrap_err()
                .0,
            "release"
        );
    }

    #[test]
    fn advice_values_are_linux_ones() {
        assert_eq!(advice_value("MADV_DONTNEED"), Some(libc::MADV_DONTNEED));
        assert_eq!(advice_value("MADV_SEQUENTIAL"), Some(libc::MADV_SEQUENTIAL));
        assert_eq!(advice_value("MADV_FREE"), Some(libc::MADV_FREE));
        assert_eq!(advice_value("MADV_COLD"), None);
    }
}

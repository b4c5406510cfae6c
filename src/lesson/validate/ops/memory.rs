//! Resolvers of the ops that act on the mapping's memory as Python's `mmap` does: `madvise` (its advice name,
//! `start`, `length`) and `scan` (chunked reads: `chunk`, `release`, `summary`).

use super::super::parse::strip_var;
use super::super::StepInput;
use crate::expr::index::IndexExpr;
use crate::expr::lex::is_identifier;
use crate::lesson::model::{Step, Yaml};
use crate::lesson::scan_steps::{MadviseSpec, ScanSpec};
use crate::lesson::{Action, LessonError};
use crate::trace::scan::Release;

/// `var._mmap.madvise(mmap.<advice>[, start[, length]])`.
pub(super) fn madvise(s: &StepInput) -> Result<Action, LessonError> {
    madvise_spec(s.step, &s.var)
        .map(Action::Madvise)
        .map_err(|(f, m)| s.err(f, m))
}

/// A chunked read of `var[index]`.
pub(super) fn scan(s: &StepInput) -> Result<Action, LessonError> {
    scan_spec(s.step, &s.var, s.index.clone().map(strip_var))
        .map(Action::Scan)
        .map_err(|(f, m)| s.err(f, m))
}

/// A field error: (field, message).
type FieldError = (&'static str, String);

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

/// The fields of a `madvise` step.
fn madvise_spec(step: &Step, var: &str) -> Result<MadviseSpec, FieldError> {
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

/// The fields of a `scan` step (`index` already parsed, without its variable name).
fn scan_spec(step: &Step, var: &str, index: Option<IndexExpr>) -> Result<ScanSpec, FieldError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn step(yaml: &str) -> Step {
        serde_yaml::from_str(yaml).expect("step yaml")
    }

    #[test]
    fn madvise_fields() {
        let m = madvise_spec(
            &step("{op: madvise, advice: mmap.MADV_RANDOM, start: 4096}"),
            "a",
        )
        .expect("valid");
        assert_eq!(m.advice, "MADV_RANDOM");
        assert_eq!(m.start, Some(4096));
        assert_eq!(m.length, None);
        let m = madvise_spec(&step("{op: madvise, advice: MADV_BOGUS, start: -1}"), "a")
            .expect("run-time errors are Python's");
        assert_eq!(m.start, Some(-1));
        assert_eq!(
            madvise_spec(&step("{op: madvise}"), "a").unwrap_err().0,
            "advice"
        );
        assert_eq!(
            madvise_spec(&step("{op: madvise, advice: 'x; import os'}"), "a")
                .unwrap_err()
                .0,
            "advice"
        );
        assert_eq!(
            madvise_spec(
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
        let s =
            scan_spec(&step("{op: scan, chunk: 10, release: dontneed}"), "a", None).expect("ok");
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
            assert_eq!(
                scan_spec(&step(bad), "a", None).unwrap_err().0,
                "chunk",
                "{bad}"
            );
        }
        assert_eq!(
            scan_spec(&step("{op: scan, chunk: 1, release: never}"), "a", None)
                .unwrap_err()
                .0,
            "release"
        );
    }
}

//! `madvise` steps: Python's `arr._mmap.madvise(mmap.MADV_…, start, length)` on a variable's mapping, with
//! CPython's checks and errors, and the mapping's memory and the file's page cache measured around it.

use super::Variable;
use crate::lesson::scan_steps::{advice_value, MadviseSpec};
use crate::probe;
use crate::trace::scan::AdviceReport;
use crate::trace::{Measured, OpReport, StepEvent};

/// Advice the tutor refuses to give: it would poison this machine's memory or punch holes in the file.
fn refused(name: &str) -> Option<&'static str> {
    match name {
        "MADV_HWPOISON" => Some(
            "it marks the pages as hardware-poisoned, which kills the process that touches them",
        ),
        "MADV_REMOVE" => {
            Some("it punches a hole in the file (its data is freed), which no lesson needs")
        }
        _ => None,
    }
}

/// Python's `start`/`length` checks (CPython `mmap_madvise_method`), then the clamped range.
pub(crate) fn python_range(
    size: u64,
    start: Option<i64>,
    length: Option<i64>,
) -> Result<(u64, u64), String> {
    let start = start.unwrap_or(0);
    let length = length.unwrap_or(size as i64);
    if start < 0 || start as u64 >= size {
        return Err("ValueError: madvise start out of bounds".to_string());
    }
    if length < 0 {
        return Err("ValueError: madvise length invalid".to_string());
    }
    if i64::MAX - start < length {
        return Err("OverflowError: madvise length too large".to_string());
    }
    let (start, length) = (start as u64, length as u64);
    Ok((start, length.min(size - start)))
}

/// Resident kB of the variable's mapping (that one VMA: PROCMAP_QUERY + PAGEMAP_SCAN), as a plain number.
fn rss_kb(addr: usize, path: &std::path::Path) -> Measured<u64> {
    match probe::own_mapping_state(addr, path) {
        Measured::Value(m) => Measured::Value(m.rss_kb),
        Measured::Unavailable { unavailable } => Measured::unavailable(unavailable),
    }
}

/// Pages of the file in the page cache (cachestat), as a plain number.
pub(crate) fn cached_pages(path: &std::path::Path) -> Measured<u64> {
    match probe::page_state(path) {
        Measured::Value(p) => Measured::Value(p.cached),
        Measured::Unavailable { unavailable } => Measured::unavailable(unavailable),
    }
}

/// Perform `v._mmap.madvise(...)` on the variable's live mapping.
pub fn madvise(v: &Variable, spec: &MadviseSpec, report: &mut OpReport) -> Result<(), String> {
    // `mmap.MADV_BOGUS` fails when Python evaluates the argument, before the call.
    let value = advice_value(&spec.advice).ok_or_else(|| {
        format!(
            "AttributeError: module 'mmap' has no attribute '{}'",
            spec.advice
        )
    })?;
    let map = v.map.as_ref().ok_or_else(|| v.closed_error())?;
    let map = map.borrow();
    let size = v.map_len as u64;
    let (start, length) = python_range(size, spec.start, spec.length)?;
    if let Some(why) = refused(&spec.advice) {
        return Err(format!("the tutor does not perform {}: {why}", spec.advice));
    }
    let addr = map.addr();
    let (rss_kb_before, cached_before) = (rss_kb(addr, &v.path), cached_pages(&v.path));
    // SAFETY: `[addr + start, addr + start + length)` lies inside our own live mapping (checked
    // above against its length). The advice values the tutor performs only change how the kernel
    // pages this range (read-ahead, residency); MADV_DONTNEED drops our page-table entries (the
    // data stays in the file, or a private copy is discarded exactly as Python's call would).
    let rc = unsafe {
        libc::madvise(
            (addr + start as usize) as *mut libc::c_void,
            length as usize,
            value,
        )
    };
    if rc != 0 {
        return Err(super::open::os_error(
            &std::io::Error::last_os_error(),
            None,
        ));
    }
    let file_start = v.map_start + start;
    let advice = AdviceReport {
        advice: spec.advice.clone(),
        value,
        start,
        length,
        file_range: [file_start, file_start + length],
        rss_kb_before,
        rss_kb_after: rss_kb(addr, &v.path),
        cached_before,
        cached_after: cached_pages(&v.path),
        vm_flags_after: probe::vm_flags(addr + start as usize),
        read_ahead: probe::read_ahead(&v.path),
    };
    report.event = Some(StepEvent::Advised(advice.clone()));
    report.advice = Some(advice);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::python_range;

    #[test]
    fn cpython_checks_in_cpython_order() {
        let size = 3 * 4096;
        assert_eq!(python_range(size, None, None), Ok((0, size)));
        assert_eq!(
            python_range(size, Some(4096), Some(1 << 40)),
            Ok((4096, 8192))
        );
        assert_eq!(python_range(size, Some(0), Some(0)), Ok((0, 0)));
        let err = |s, l| python_range(size, s, l).unwrap_err();
        assert_eq!(
            err(Some(size as i64), None),
            "ValueError: madvise start out of bounds"
        );
        assert_eq!(
            err(Some(-1), Some(-1)),
            "ValueError: madvise start out of bounds"
        );
        assert_eq!(err(Some(0), Some(-1)), "ValueError: madvise length invalid");
        assert_eq!(
            err(Some(4096), Some(i64::MAX)),
            "OverflowError: madvise length too large"
        );
        assert_eq!(python_range(size, Some(0), Some(i64::MAX)), Ok((0, size)));
    }
}

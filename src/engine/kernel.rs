//! Steps that act on the page cache rather than on the array: evict, wait_writeback, flush_async, flush_range.

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use super::array::Mapping;
use super::{open, Variable};
use crate::lesson::Mode;
use crate::probe;
use crate::trace::{EvictedMapping, Measured, OpReport, PageState, StepEvent};

/// How often `wait_writeback` asks cachestat (cheap: one syscall).
const POLL: Duration = Duration::from_millis(100);

/// cachestat of the whole file, or why not.
fn pages(path: &Path) -> Result<PageState, String> {
    match probe::page_state(path) {
        Measured::Value(p) => Ok(p),
        Measured::Unavailable { unavailable } => Err(unavailable),
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// How many times `evict` asks the kernel to drop the file's pages while some are left.
const EVICT_TRIES: u64 = 4;

/// Drop the file's clean pages from the page cache.
///
/// `fd` is an open descriptor of the file that is kept open afterwards (closing an fd of a
/// just-truncated ext4 file would start writeback, see `probe::handles`).
pub fn evict(var: &Variable, fd: &std::fs::File, report: &mut OpReport) -> Result<(), String> {
    let before =
        pages(&var.path).map_err(|why| format!("evict: cannot measure the page cache ({why})"))?;
    report.cached_before = Some(before.cached);
    report.dirty_before = Some(before.dirty);
    let pending = before.dirty + before.writeback;
    if pending > 0 {
        // POSIX_FADV_DONTNEED starts writeback of dirty pages: evicting would itself write to disk.
        return Err(format!(
            "evict: {} of the file {} not yet on disk; POSIX_FADV_DONTNEED would start writing them back itself. \
             Flush first (or wait_writeback), then evict",
            plural(pending, "page"),
            if pending == 1 { "is" } else { "are" }
        ));
    }
    let mut madvised = false;
    if var.is_open() && var.mode != Mode::CopyOnWrite {
        if let Some(map) = &var.map {
            let map = map.borrow();
            if matches!(&*map, Mapping::Shared(_) | Mapping::ReadOnly(_)) && var.map_len > 0 {
                // SAFETY: addr/len are exactly our own live MAP_SHARED mapping (page aligned by mmap).
                // MADV_DONTNEED on a shared file mapping only removes our page-table entries; the data
                // stays in the file and the page cache, and the next touch faults it back in. Never
                // done for MAP_PRIVATE (mode `c`), where it would discard the private copies.
                let rc = unsafe {
                    libc::madvise(
                        map.addr() as *mut libc::c_void,
                        var.map_len,
                        libc::MADV_DONTNEED,
                    )
                };
                if rc != 0 {
                    return Err(format!(
                        "evict: madvise(MADV_DONTNEED) failed: {}",
                        std::io::Error::last_os_error()
                    ));
                }
                madvised = true;
            }
        }
    }
    // POSIX_FADV_DONTNEED skips a page that is locked or held for a moment (a read just completing, a folio
    // batch of another CPU): asked again, a little later, the kernel drops it. A few tries, then what is left
    // is reported as measured.
    let mut after;
    let mut attempt = 0;
    loop {
        // SAFETY: plain syscall on a valid open fd; no memory is passed.
        let rc = unsafe { libc::posix_fadvise(fd.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(format!(
                "evict: posix_fadvise(POSIX_FADV_DONTNEED) failed: {}",
                std::io::Error::from_raw_os_error(rc)
            ));
        }
        after = pages(&var.path)
            .map_err(|why| format!("evict: cannot measure the page cache ({why})"))?;
        attempt += 1;
        if after.cached == 0 || after.dirty + after.writeback > 0 || attempt == EVICT_TRIES {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
    }
    report.cached_after = Some(after.cached);
    report.dirty_after = Some(after.dirty);
    let dropped = before.cached.saturating_sub(after.cached);
    report.pages_dropped = Some(dropped);
    let mapping = if madvised {
        EvictedMapping::Unmapped {
            var: var.name.clone(),
        }
    } else if var.is_open() && var.mode == Mode::CopyOnWrite {
        EvictedMapping::CopyOnWriteKept {
            var: var.name.clone(),
        }
    } else {
        EvictedMapping::None
    };
    report.event = Some(StepEvent::Evicted {
        dropped,
        cached_before: before.cached,
        cached_after: after.cached,
        mapping,
    });
    Ok(())
}

/// How a `wait_writeback` step is getting on, told to the engine's observer after every poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitProgress {
    /// Time waited so far.
    pub waited: Duration,
    /// The step's limit.
    pub timeout: Duration,
    /// Dirty and writeback pages of the file at the last poll (cachestat).
    pub dirty: u64,
    pub writeback: u64,
    /// True on the last report of the wait.
    pub done: bool,
}

/// Poll cachestat until the file has no dirty or writeback pages, up to `timeout`; no msync, no fsync.
/// `progress` hears about every poll (a terminal shows a ticker; nothing else depends on it).
pub fn wait_writeback(
    path: &Path,
    has_disk: bool,
    fs_name: &str,
    timeout: Duration,
    report: &mut OpReport,
    progress: &mut dyn FnMut(WaitProgress),
) -> Result<(), String> {
    if !has_disk {
        report.writeback_wait_ms = Some(0);
        report.writeback_timed_out = Some(false);
        report.event = Some(StepEvent::NoWritebackWithoutDisk {
            filesystem: fs_name.to_string(),
        });
        return Ok(());
    }
    let start = Instant::now();
    let first = pages(path).map_err(|why| format!("wait_writeback: unavailable ({why})"))?;
    report.dirty_before = Some(first.dirty);
    let mut last = first;
    loop {
        let elapsed = start.elapsed();
        let finished = last.dirty + last.writeback == 0 || elapsed >= timeout;
        progress(WaitProgress {
            waited: elapsed,
            timeout,
            dirty: last.dirty,
            writeback: last.writeback,
            done: finished,
        });
        if last.dirty + last.writeback == 0 {
            let ms = elapsed.as_millis() as u64;
            report.writeback_wait_ms = Some(ms);
            report.writeback_timed_out = Some(false);
            report.dirty_after = Some(last.dirty);
            report.event = Some(if first.dirty + first.writeback == 0 {
                StepEvent::NothingToWaitFor
            } else {
                StepEvent::WrittenBackByKernel {
                    pages: first.dirty + first.writeback,
                    ms,
                }
            });
            return Ok(());
        }
        if elapsed >= timeout {
            let ms = elapsed.as_millis() as u64;
            report.writeback_wait_ms = Some(ms);
            report.writeback_timed_out = Some(true);
            report.dirty_after = Some(last.dirty);
            report.event = Some(StepEvent::WritebackTimedOut {
                ms,
                dirty: last.dirty,
                writeback: last.writeback,
            });
            return Ok(());
        }
        std::thread::sleep(POLL.min(timeout.saturating_sub(elapsed)));
        last = pages(path).map_err(|why| format!("wait_writeback: unavailable ({why})"))?;
    }
}

/// The file's page-cache state before and after an operation (None where cachestat cannot tell).
type BeforeAfter = (Option<PageState>, Option<PageState>);

/// Run `op` on the variable's shared mapping after checking it still fits its file, with the file's
/// page-cache state before and after. A copy-on-write or read-only map has nothing that can reach the
/// file: that is reported in `report` and None is returned.
fn with_shared_map(
    var: &Variable,
    report: &mut OpReport,
    op: impl FnOnce(&memmap2::MmapMut) -> std::io::Result<()>,
) -> Result<Option<BeforeAfter>, String> {
    var.check_mapped_range()?;
    let map = var.map.as_ref().ok_or_else(|| var.closed_error())?;
    let map = map.borrow();
    let Mapping::Shared(m) = &*map else {
        report.event = Some(StepEvent::NothingToFlush {
            var: var.name.clone(),
            mode: var.mode.as_str().to_string(),
        });
        return Ok(None);
    };
    let before = pages(&var.path).ok();
    op(m).map_err(|e| open::os_error(&e, None))?;
    let after = pages(&var.path).ok();
    Ok(Some((before, after)))
}

/// msync(MS_ASYNC) over the whole mapping, with the dirty count before and after.
pub fn flush_async(var: &Variable, report: &mut OpReport) -> Result<(), String> {
    let Some((before, after)) = with_shared_map(var, report, |m| m.flush_async())? else {
        return Ok(());
    };
    report.dirty_before = before.map(|p| p.dirty);
    report.dirty_after = after.map(|p| p.dirty);
    report.event = Some(StepEvent::FlushedAsync { before, after });
    Ok(())
}

/// msync(MS_SYNC) of bytes `[offset, offset + length)` of the array, page aligned as memmap2 does it.
pub fn flush_range(
    var: &Variable,
    offset: u64,
    length: u64,
    report: &mut OpReport,
) -> Result<(), String> {
    let (_, nbytes) = var.array_byte_range();
    let end = offset.saturating_add(length);
    if end > nbytes {
        return Err(format!(
            "ValueError: flush range {offset}..{end} is outside `{}`'s {nbytes} bytes",
            var.name
        ));
    }
    let in_map = var.array_offset + offset as usize;
    let page = open::page_size() as u64;
    // memmap2 moves the start down to a page boundary and lengthens the range to match;
    // msync itself covers whole pages up to the end.
    let start = var.map_start + (in_map as u64 / page) * page;
    let stop = (var.map_start + in_map as u64 + length).div_ceil(page) * page;
    let Some((before, after)) =
        with_shared_map(var, report, |m| m.flush_range(in_map, length as usize))?
    else {
        return Ok(());
    };
    report.flushed_range = Some([start, stop]);
    report.dirty_before = before.map(|p| p.dirty);
    report.dirty_after = after.map(|p| p.dirty);
    report.event = Some(StepEvent::FlushedRange {
        start,
        stop,
        pages: (stop - start) / page,
        dirty: before.zip(after).map(|(b, a)| (b.dirty, a.dirty)),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_disk_means_nothing_to_wait_for() {
        let mut r = OpReport::default();
        let start = Instant::now();
        wait_writeback(
            Path::new("/nonexistent"),
            false,
            "tmpfs",
            Duration::from_secs(30),
            &mut r,
            &mut |_| panic!("no disk: no wait to report"),
        )
        .expect("no error");
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(r.writeback_wait_ms, Some(0));
        assert_eq!(r.writeback_timed_out, Some(false));
        assert!(r
            .event
            .map(|e| crate::present::outcome(&e))
            .unwrap_or_default()
            .starts_with("tmpfs has no disk"));
    }

    #[test]
    fn clean_file_returns_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clean.bin");
        std::fs::write(&path, b"x").expect("write");
        // Make it clean first: fsync through a probe-independent handle.
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .expect("fsync");
        let mut r = OpReport::default();
        let mut ticks = Vec::new();
        let waited = wait_writeback(
            &path,
            true,
            "ext4",
            Duration::from_millis(300),
            &mut r,
            &mut |p| ticks.push(p),
        );
        match waited {
            Ok(()) => {
                // The observer heard every poll, and the last report says the wait is over.
                assert!(ticks.last().is_some_and(|p| p.done), "{ticks:?}");
                assert!(ticks
                    .iter()
                    .all(|p| p.timeout == Duration::from_millis(300)));
                assert_eq!(r.writeback_timed_out, Some(false), "{r:?}");
                assert_eq!(r.dirty_after, Some(0));
            }
            Err(e) => eprintln!("skip: cachestat unavailable here: {e}"),
        }
        crate::probe::release_file(&path);
    }
}

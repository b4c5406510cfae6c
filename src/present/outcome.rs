//! The `outcome` sentence of a step: what its operation did, in words, from the typed [`StepEvent`].

use super::plural;
use crate::trace::{EvictedMapping, MapOverrun, PageState, StepEvent, TouchResult};

/// One human line on what happened, e.g. `the child (pid 7) stored … killed by SIGKILL (signal 9) …`.
pub fn outcome(event: &StepEvent) -> String {
    match event {
        StepEvent::NpyOpened {
            version,
            dict,
            data_offset,
            written,
        } => npy_opened(version, dict, *data_offset, *written),
        StepEvent::ForkWrote {
            pid,
            var,
            bytes,
            shared,
        } => fork_wrote(*pid, var, *bytes, *shared),
        StepEvent::Reopened { file, mode } => {
            format!("mapped {file} again (mode {mode}): the array shows what the file holds now")
        }
        StepEvent::ExternalWrote {
            pid,
            bytes,
            offset,
            shared,
            private,
        } => format!(
            "another process (pid {pid}) wrote {} at offset {offset} with pwrite(2){}",
            plural(*bytes as u64, "byte"),
            visibility(shared, private)
        ),
        StepEvent::ExternalRead {
            pid,
            offset,
            bytes,
            values,
        } => external_read(*pid, *offset, bytes, values.as_deref()),
        StepEvent::ChildFailed { said } => {
            format!("the child process failed: {}", said.join("; "))
        }
        StepEvent::CrashStored { pid } => format!(
            "the child (pid {pid}) stored through its MAP_SHARED mapping and was killed by SIGKILL (signal 9) \
             before any msync; its store is in the page cache, so the file still holds it"
        ),
        StepEvent::CrashStoredPrivate { pid, var } => format!(
            "the child (pid {pid}) mapped the file copy-on-write (mode c, MAP_PRIVATE) as `{var}` does, stored \
             into its private copy and was killed by SIGKILL (signal 9): the copy died with it, the file is unchanged"
        ),
        StepEvent::CrashFailed { pid, said } => format!(
            "the child (pid {pid}) did not store and die as planned: {}",
            said.join("; ")
        ),
        StepEvent::Evicted {
            dropped,
            cached_before,
            cached_after,
            mapping,
        } => evicted(*dropped, *cached_before, *cached_after, mapping),
        StepEvent::NoWritebackWithoutDisk { filesystem } => format!(
            "{filesystem} has no disk behind the page cache: there is no writeback to wait for"
        ),
        StepEvent::NothingToWaitFor => "no dirty pages: nothing to wait for".to_string(),
        StepEvent::WrittenBackByKernel { pages, ms } => written_back(*pages, *ms),
        StepEvent::WritebackTimedOut {
            ms,
            dirty,
            writeback,
        } => writeback_timed_out(*ms, *dirty, *writeback),
        StepEvent::NothingToFlush { var, mode } => format!(
            "`{var}` is mode {mode}: nothing of it can reach the file, so there is nothing to flush"
        ),
        StepEvent::FlushedAsync { before, after } => flushed_async(before.as_ref(), after.as_ref()),
        StepEvent::FlushedRange {
            start,
            stop,
            pages,
            dirty,
        } => flushed_range(*start, *stop, *pages, *dirty),
        StepEvent::Truncated {
            pid,
            size,
            overruns,
            touch,
        } => {
            let first = format!(
                "another process (pid {pid}) shrank the file to {size} bytes with ftruncate(2)"
            );
            truncated(first, overruns, touch.as_ref())
        }
        StepEvent::TruncateFailed {
            said,
            overruns,
            touch,
        } => {
            let first = format!("the truncating process failed: {}", said.join("; "));
            truncated(first, overruns, touch.as_ref())
        }
        StepEvent::Advised(a) => super::scan::advised(a),
        StepEvent::Scanned(s) => super::scan::scanned(s),
    }
}

/// `np.load`/`open_memmap` read or wrote a .npy header.
fn npy_opened(version: &str, dict: &str, data_offset: u64, written: bool) -> String {
    format!(
        "{} a .npy header (format {version}, {}): {dict}; the data starts at byte {data_offset}, a multiple of 64",
        if written { "wrote" } else { "read" },
        plural(data_offset, "byte")
    )
}

/// A forked worker stored through its inherited mapping; who sees the store.
fn fork_wrote(pid: u32, var: &str, bytes: usize, shared: bool) -> String {
    format!(
        "a forked worker (pid {pid}) stored {} through the copy of `{var}`'s mapping it inherited and exited: {}",
        plural(bytes as u64, "byte"),
        if shared {
            "the mapping is MAP_SHARED, so the parent's array and the file see the store at once"
        } else {
            "the mapping is MAP_PRIVATE (mode c), so the store stayed in the worker's private copy and died with it"
        }
    )
}

/// Another process's pread(2): the bytes as hex, and decoded when the step gave a dtype.
fn external_read(pid: u32, offset: u64, bytes: &[u8], values: Option<&str>) -> String {
    format!(
        "another process (pid {pid}) read {} at offset {offset} with pread(2): {}{}",
        plural(bytes.len() as u64, "byte"),
        crate::python::hex_spaced(bytes),
        values
            .map(|v| format!(" = {}", v.split_whitespace().collect::<Vec<_>>().join(" ")))
            .unwrap_or_default()
    )
}

/// A `wait_writeback` saw the kernel's flusher write the file's dirty pages back.
fn written_back(pages: u64, ms: u64) -> String {
    format!(
        "the kernel's flusher wrote {} back on its own after {:.1} s (measured; no msync, no fsync)",
        plural(pages, "page"),
        ms as f64 / 1000.0
    )
}

/// A `wait_writeback` gave up with pages still dirty or under writeback.
fn writeback_timed_out(ms: u64, dirty: u64, writeback: u64) -> String {
    format!(
        "timed out after {:.1} s: {} dirty and {writeback} under writeback still (the kernel writes a dirty \
         page back once it is older than vm.dirty_expire_centisecs)",
        ms as f64 / 1000.0,
        plural(dirty, "page"),
    )
}

/// msync(MS_ASYNC) returned; what the dirty counts around it show.
fn flushed_async(before: Option<&PageState>, after: Option<&PageState>) -> String {
    match (before, after) {
        (Some(b), Some(a)) if b.dirty == a.dirty && a.writeback == 0 => format!(
            "msync(MS_ASYNC) returned; dirty pages {} before and {} after, none under writeback: \
             on Linux MS_ASYNC schedules nothing",
            b.dirty, a.dirty
        ),
        (Some(b), Some(a)) => format!(
            "msync(MS_ASYNC) returned; dirty pages {} before, {} after, {} under writeback \
             (the kernel's own flusher may have run meanwhile: MS_ASYNC itself schedules nothing on Linux)",
            b.dirty, a.dirty, a.writeback
        ),
        _ => "msync(MS_ASYNC) returned (page cache unavailable here, so its effect is not measured)"
            .to_string(),
    }
}

/// msync(MS_SYNC) of a byte range; the file's dirty pages before and after where measured.
fn flushed_range(start: u64, stop: u64, pages: u64, dirty: Option<(u64, u64)>) -> String {
    let range = format!(
        "msync(MS_SYNC) of file bytes {start}..{stop} ({})",
        plural(pages, "page")
    );
    match dirty {
        Some((b, a)) => format!("{range}; dirty pages of the file {b} before, {a} after"),
        None => range,
    }
}

/// Which open variables on the file see an outside write at once, and which may not.
fn visibility(shared: &[String], private: &[String]) -> String {
    let names = |v: &[String]| {
        v.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = String::new();
    if !shared.is_empty() {
        s.push_str(&format!(
            "; MAP_SHARED {} see{} it at once (same page-cache pages)",
            names(shared),
            if shared.len() == 1 { "s" } else { "" }
        ));
    }
    if !private.is_empty() {
        s.push_str(&format!(
            "; copy-on-write {} see{} it only on pages not yet written through them (written pages are private copies)",
            names(private),
            if private.len() == 1 { "s" } else { "" }
        ));
    }
    s
}

fn evicted(dropped: u64, before: u64, after: u64, mapping: &EvictedMapping) -> String {
    let mut line = format!(
        "{} dropped from the page cache ({before} cached before, {after} after)",
        plural(dropped, "page"),
    );
    match mapping {
        EvictedMapping::Unmapped { var } => line.push_str(&format!(
            "; madvise(MADV_DONTNEED) first unmapped `{var}`'s pages so the kernel could drop them"
        )),
        EvictedMapping::CopyOnWriteKept { var } => line.push_str(&format!(
            "; `{var}` is copy-on-write: its mapping was left alone (MADV_DONTNEED would discard private changes), \
             so pages it still maps stay cached"
        )),
        EvictedMapping::None => {}
    }
    if dropped == 0 {
        line.push_str(
            "; nothing could be dropped (pages still mapped, or no disk behind the file: \
             on tmpfs the page cache is the only copy)",
        );
    } else {
        line.push_str(
            ". Those pages are on disk only now: the next access must read them from disk (through a mapping, a \
             major page fault; read-ahead may bring their neighbours in with it)",
        );
    }
    line
}

fn truncated(mut line: String, overruns: &[MapOverrun], touch: Option<&TouchResult>) -> String {
    for o in overruns {
        line.push_str(&format!(
            "; `{}` maps bytes {}..{}: {} — the tutor checks the length (fstat) before every touch, so its next \
             use is an error instead of a crash",
            o.var, o.start, o.end, o.why
        ));
    }
    match touch {
        Some(TouchResult::Sigbus { signal }) => line.push_str(&format!(
            "; a second mapping of the old length in the child touched a page past the new end: the kernel has no \
             file data for it, so it sent SIGBUS (signal {signal}) and the child died"
        )),
        Some(TouchResult::Signal { name, signal }) => {
            line.push_str(&format!("; the child died of {name} (signal {signal})"))
        }
        Some(TouchResult::NoSignal) => line.push_str(
            "; the child's touch raised no SIGBUS (no whole page of the old length lies past the new end)",
        ),
        None => {}
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_range_and_reads_in_words() {
        let e = StepEvent::FlushedRange {
            start: 0,
            stop: 4096,
            pages: 1,
            dirty: Some((2, 1)),
        };
        assert_eq!(
            outcome(&e),
            "msync(MS_SYNC) of file bytes 0..4096 (1 page); dirty pages of the file 2 before, 1 after"
        );
        let r = StepEvent::ExternalRead {
            pid: 5,
            offset: 0,
            bytes: vec![0, 0, 0xc6, 0x42],
            values: Some("[99.]".into()),
        };
        assert_eq!(
            outcome(&r),
            "another process (pid 5) read 4 bytes at offset 0 with pread(2): 00 00 c6 42 = [99.]"
        );
    }
}

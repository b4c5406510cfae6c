//! A page map is carried only where nothing can have changed it, and a change nobody in the lesson made is
//! seen at the next step: looks counted per file in the probe layer (not timed), eviction by another
//! process, and writeback completing.

use std::path::Path;

use super::Runner;
use crate::trace::{Measured, PageMap, StepRecord};

/// `a.dat` (one page) written and flushed, then closed where `close_a`; then steps on `b.dat` only.
fn lesson(close_a: bool, flush_a: bool, b_steps: usize) -> String {
    let mut s = String::from(
        "title: carry\nsteps:\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    dtype: uint8\n    shape: 4096\n  - op: assign\n    var: a\n    index: '[0]'\n    value: 7\n",
    );
    if flush_a {
        s.push_str("  - op: flush\n    var: a\n");
    }
    if close_a {
        s.push_str("  - op: close\n    var: a\n");
    }
    s.push_str("  - op: open\n    var: b\n    file: b.dat\n    mode: w+\n    dtype: uint8\n    shape: 16\n");
    for k in 0..b_steps {
        s.push_str(&format!(
            "  - op: read\n    var: b\n    index: '[{}]'\n",
            k % 16
        ));
    }
    s
}

fn map<'r>(r: &'r StepRecord, file: &str) -> Option<&'r PageMap> {
    r.page_map.get(file).and_then(Measured::value)
}

fn load(yaml: &str) -> crate::lesson::LoadedLesson {
    crate::lesson::load_str("carry.yaml", yaml).expect("lesson")
}

#[test]
fn a_clean_untouched_file_is_not_probed_again_and_says_from_which_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lesson = load(&lesson(false, true, 8));
    let mut runner = Runner::new(&lesson, dir.path());
    let a = dir.path().join("a.dat");
    // open a, assign, flush (a clean from here), open b.
    let mut records: Vec<StepRecord> = (0..4).filter_map(|_| runner.step()).collect();
    let Some(m) = map(&records[2], "a.dat") else {
        eprintln!(
            "skip: no page map here: {:?}",
            records[2].page_map.get("a.dat")
        );
        return;
    };
    if m.cells.contains('D') || m.cells.contains('W') {
        eprintln!(
            "skip: a.dat not clean after flush ({}): nothing to carry",
            m.cells
        );
        return;
    }
    let (mut carried, mut reclaimed) = (0, Vec::new());
    while let Some(r) = {
        let before = crate::probe::looks_at(&a);
        runner.step().map(|r| (r, before))
    } {
        let (r, before) = r;
        let looks = crate::probe::looks_at(&a) - before;
        let m = map(&r, "a.dat").expect("a.dat's map stays shown");
        match &r.probed.all_because {
            // The kernel reclaimed pages somewhere: every file is probed, as it must be.
            Some(why) => {
                assert!(looks >= 1, "step {}: {why} but a.dat not probed", r.step);
                reclaimed.push(why.clone());
            }
            None => {
                assert_eq!(
                    looks, 0,
                    "step {}: a clean untouched file was probed",
                    r.step
                );
                assert!(m.probed_at_step < r.step, "step {}: {m:?}", r.step);
                assert!(r.probed.carried >= 1, "{:?}", r.probed);
                carried += 1;
            }
        }
        records.push(r);
    }
    if carried == 0 {
        eprintln!("skip: every step saw reclaim on this machine: {reclaimed:?}");
    }
}

#[test]
fn eviction_by_another_process_is_seen_at_the_next_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lesson = load(&lesson(true, true, 3));
    let mut runner = Runner::new(&lesson, dir.path());
    // open a, assign, flush, close a, open b, read b.
    let records: Vec<StepRecord> = (0..6).filter_map(|_| runner.step()).collect();
    let before = map(&records[5], "a.dat").cloned();
    let Some(before) = before.clone().filter(|m| m.cells.contains('#')) else {
        eprintln!("skip: a.dat is not cached and clean before the eviction: {before:?}");
        return;
    };
    evict_from_another_process(&dir.path().join("a.dat"));
    let evicted = crate::probe::page_state(&dir.path().join("a.dat"));
    if evicted.value().is_none_or(|p| p.cached > 0) {
        eprintln!("skip: POSIX_FADV_DONTNEED left the page cached here (tmpfs?): {evicted:?}");
        return;
    }
    let r = runner.step().expect("a step");
    let after = map(&r, "a.dat").expect("a map");
    assert_eq!(
        after.probed_at_step, r.step,
        "not probed again: {:?}",
        r.probed
    );
    assert!(
        !after.cells.contains('#'),
        "{} -> {}",
        before.cells,
        after.cells
    );
    eprintln!(
        "eviction seen at step {} ({}): {} -> {}",
        r.step,
        r.probed
            .all_because
            .as_deref()
            .unwrap_or("through inotify: the helper opened the file"),
        before.cells,
        after.cells
    );
}

#[test]
fn writeback_completing_is_seen_without_the_lesson_touching_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lesson = load(&lesson(false, false, 3));
    let mut runner = Runner::new(&lesson, dir.path());
    // open a, assign (a dirty), open b; then read b.
    let mut records: Vec<StepRecord> = (0..3).filter_map(|_| runner.step()).collect();
    let a = dir.path().join("a.dat");
    let looks = crate::probe::looks_at(&a);
    records.extend(runner.step());
    let dirty_probed = crate::probe::looks_at(&a) > looks;
    let Some(before) = map(&records[3], "a.dat").filter(|m| m.cells.contains('D')) else {
        eprintln!(
            "skip: a.dat has no dirty page to write back (no dirty accounting here, or already written): {:?}",
            records[3].page_map.get("a.dat")
        );
        return;
    };
    assert!(dirty_probed, "a dirty file is probed at every step");
    // SAFETY: sync(2) takes no arguments; it opens no file of ours (no inotify event), and waits for the
    // writeback it starts.
    unsafe { libc::sync() };
    let r = runner.step().expect("a step");
    let after = map(&r, "a.dat").expect("a map");
    assert_eq!(after.probed_at_step, r.step);
    assert!(
        !after.cells.contains('D'),
        "{} -> {}",
        before.cells,
        after.cells
    );
}

/// A child process opens `path` read-only and asks the kernel to drop its cached pages.
fn evict_from_another_process(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: the child only calls open, posix_fadvise and _exit (async-signal-safe) before exiting.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: as above; a NUL-terminated path.
        unsafe {
            let fd = libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            let rc = if fd >= 0 {
                libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED)
            } else {
                1
            };
            libc::_exit(rc);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status}"
    );
}

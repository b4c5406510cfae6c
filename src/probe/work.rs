//! Counts of the work the probes did (system calls that touch a file's data or page cache).

use std::cell::Cell;

/// Work the probes did on this thread: system calls that touch a file's data or page cache.
///
/// Cost tests compare these between a small and a huge file (counts, not wall time, which is noisy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProbeWork {
    /// pread(2) calls (file view, printing, hex dumps).
    pub preads: u64,
    /// Bytes those preads returned.
    pub pread_bytes: u64,
    /// cachestat(2) calls (page counts and page maps).
    pub cachestat_calls: u64,
}

thread_local! {
    // Per thread, so parallel tests each see only their own work; a Cell costs nothing to bump.
    static WORK: Cell<ProbeWork> = const {
        Cell::new(ProbeWork { preads: 0, pread_bytes: 0, cachestat_calls: 0 })
    };
}

/// The probe work done on this thread so far.
pub fn probe_work() -> ProbeWork {
    WORK.with(|w| w.get())
}

/// Count one pread that returned `bytes` bytes.
pub(crate) fn count_pread(bytes: usize) {
    WORK.with(|w| {
        let mut v = w.get();
        v.preads += 1;
        v.pread_bytes += bytes as u64;
        w.set(v);
    });
}

/// Count one cachestat call.
pub(crate) fn count_cachestat() {
    WORK.with(|w| {
        let mut v = w.get();
        v.cachestat_calls += 1;
        w.set(v);
    });
}

thread_local! {
    // Per file: how many times the probes asked the kernel about its page cache (a look or a snapshot).
    static LOOKS: std::cell::RefCell<std::collections::HashMap<std::path::PathBuf, u64>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// How many times this thread's probes asked the kernel about the page cache of `path` (tests count
/// which files a step probed, not how long it took).
pub fn looks_at(path: &std::path::Path) -> u64 {
    LOOKS.with(|l| l.borrow().get(path).copied().unwrap_or(0))
}

/// Count one look at `path` (a whole-file cachestat or a snapshot).
pub(crate) fn count_look(path: &std::path::Path) {
    LOOKS.with(|l| {
        let mut map = l.borrow_mut();
        match map.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                map.insert(path.to_path_buf(), 1);
            }
        }
    });
}

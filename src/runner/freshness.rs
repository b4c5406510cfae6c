//! Which files a step must ask the kernel about again, beyond those it touched: what another process or the
//! kernel itself can have changed since the last look.
//!
//! A file's page cache changes without the lesson touching it only by (1) writeback of its dirty pages —
//! such a file is probed at every step until it is clean ([`super::shown`]); (2) reclaim or drop_caches —
//! counted system-wide in /proc/vmstat: when the count moved, every file is probed; (3) another process —
//! which needs a syscall on the file (open, read, write, truncate, rename), reported by inotify on the
//! directories that hold the lesson's files. A step's own display reads also raise inotify events (reads
//! only: they go through the probes' long-lived fds): a read of a file the tutor itself just read is set
//! aside after those reads, every other event is kept for the next step. What stays unseen: another
//! process reading, through an fd it opened before the file's last probe, the same file while the tutor
//! reads it for display, or acting through such an fd or mapping in a way inotify does not report
//! (posix_fadvise, madvise, stores through a mapping).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::probe::{DirEvents, ReclaimCounter, DISPLAY_READ_EVENTS};

/// The watches and counters that tell which untouched files may have changed.
#[derive(Default)]
pub(super) struct Freshness {
    events: DirEvents,
    reclaim: ReclaimCounter,
    /// The reclaim count at the last look.
    last: Option<u64>,
    /// Files some process acted on since the last look (events kept after the display reads).
    pending: BTreeSet<String>,
    /// Why events may have been missed (a directory could not be watched, or events were lost).
    broken: Option<String>,
}

/// What the look of one step must add to what the step touched.
pub(super) struct Since {
    /// Files (as named beneath the work directory) some process acted on since the last look.
    pub names: Vec<String>,
    /// Why every file must be probed, if it must.
    pub all_because: Option<String>,
}

impl Freshness {
    /// Watch the directory that holds `rel` (a file the lesson names), once.
    pub(super) fn watch(&mut self, workdir: &Path, rel: &str) {
        let dir = Path::new(rel)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Err(why) = self.events.watch(workdir, &dir) {
            self.broken.get_or_insert(why);
        }
    }

    /// Called before a step's probes: the files acted on since the last look, and whether reclaim,
    /// drop_caches or lost events mean that every file must be probed.
    pub(super) fn since_last_look(&mut self) -> Since {
        let mut all_because = self.broken.take();
        let now = self.reclaim.now();
        match (&now, self.last) {
            (Ok(n), Some(then)) if *n != then => {
                all_because.get_or_insert(format!(
                    "/proc/vmstat counted {} page(s) reclaimed or a drop_caches in the system since the \
                     last step",
                    n.wrapping_sub(then)
                ));
            }
            (Ok(_), _) => {}
            (Err(why), _) => {
                all_because.get_or_insert(format!("reclaim cannot be seen: {why}"));
            }
        }
        self.last = now.ok();
        let mut names: Vec<String> = std::mem::take(&mut self.pending).into_iter().collect();
        match self.events.drain() {
            Ok(evs) => names.extend(evs.into_iter().map(|e| e.name)),
            Err(why) => {
                all_because.get_or_insert(format!("file events may be missing: {why}"));
            }
        }
        Since { names, all_because }
    }

    /// Called after a step's display reads (their files closed): keep the events those reads did not cause.
    pub(super) fn after_display(&mut self, workdir: &Path, read: &[PathBuf]) {
        match self.events.drain() {
            Ok(evs) => {
                for e in evs {
                    // Only a read is set aside: an open, write or rename is never the display's.
                    let ours = e.mask & !DISPLAY_READ_EVENTS == 0
                        && read.iter().any(|p| *p == workdir.join(&e.name));
                    if !ours {
                        self.pending.insert(e.name);
                    }
                }
            }
            Err(why) => {
                self.broken
                    .get_or_insert(format!("file events may be missing: {why}"));
            }
        }
    }
}

//! Which mapped files a traced script's step asks the kernel about again; every other page map is carried.
//!
//! A line changes a mapped file's page cache only through (1) a page fault of the program — a store into a
//! clean page of a shared mapping takes a write fault (the kernel's dirty tracking), a read of an uncached
//! page a read fault — counted in /proc/PID/stat; (2) a system call on the file (open, read, write,
//! truncate, rename: inotify on the directories that hold the files); (3) msync/fsync, which clean a file
//! that had dirty pages and so is unsettled anyway. The kernel changes it through writeback of dirty pages
//! and through reclaim or drop_caches (/proc/vmstat). So a step always asks about the files the line touched
//! — its variable's, those of the arrays the line names, files new to the trace, files with events — and,
//! within [`LOOK_BUDGET`], oldest look first: the files last seen dirty or under writeback, or every file
//! when the program took a page fault, reclaim was counted or events may be lost. What stays unseen (as for
//! lessons): posix_fadvise/madvise, and another process's stores through a mapping of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::by_age::{choose, ByAge, LOOK_BUDGET};
use crate::probe::{self, DirEvents, ReclaimCounter, DISPLAY_READ_EVENTS};
use crate::trace::{Measured, PageMap, PageState, Probed, Records};

/// What the tracer knows of the files' page caches between steps.
#[derive(Default)]
pub(super) struct ScriptLooks {
    events: DirEvents,
    /// Directories watched (absolute).
    dirs: BTreeSet<PathBuf>,
    /// Why events may have been missed since the last look.
    broken: Option<String>,
    reclaim: ReclaimCounter,
    last_reclaim: Option<u64>,
    /// Files some process acted on since the last look (kept after the display reads).
    pending: BTreeSet<PathBuf>,
    /// Every file asked about, by the step of its last look.
    asked: ByAge<PathBuf>,
    /// Files whose last look found dirty or writeback pages, or could not measure them.
    unsettled: ByAge<PathBuf>,
    /// The whole-file counts at each file's last snapshot (a new map is taken where they moved).
    counts: BTreeMap<PathBuf, Measured<PageState>>,
    /// The page map of every file, by the name the trace gives it; carried maps keep their step.
    maps: Records<Measured<PageMap>>,
    /// The last step whose look had every file as "may have changed" (a "before" sample older than it
    /// may be stale).
    last_pool_all: usize,
}

/// What one step's look asked and found.
pub(super) struct ScriptLook {
    /// The snapshots taken at this step (files asked about whose counts moved, or touched).
    pub snaps: BTreeMap<PathBuf, probe::FileSnapshot>,
    /// Every file asked about at this step.
    pub asked: Vec<PathBuf>,
    /// Every file's page map (carried ones say from which step).
    pub page_map: Records<Measured<PageMap>>,
    pub summary: Probed,
}

/// Why a step must look at what.
pub(super) struct LookFor<'a> {
    pub step: usize,
    /// Every file the script has mapped so far.
    pub files: &'a BTreeMap<PathBuf, Option<super::disk::Sample>>,
    /// The files the line touched (its variable's, the arrays it names).
    pub touched: BTreeSet<PathBuf>,
    /// Why every file must be asked about, beyond any budget (the first step, MEMMAP_TUTOR_OBSERVE_ALL).
    pub everything: Option<String>,
    /// Why every file may have changed through the line itself (its page faults), if so.
    pub may_all: Option<String>,
}

impl ScriptLooks {
    /// Ask the kernel about the files `at` says must be asked, and the budget's share of those that may
    /// have changed; a file asked whose counts moved, or touched, gets a new snapshot and page map.
    pub(super) fn look(&mut self, at: LookFor<'_>, name: &dyn Fn(&Path) -> String) -> ScriptLook {
        let mut may_all = at.may_all;
        let mut touched = at.touched;
        touched.extend(std::mem::take(&mut self.pending));
        match self.events.drain() {
            Ok(evs) => touched.extend(evs.into_iter().map(|e| PathBuf::from(e.name))),
            Err(why) => {
                may_all.get_or_insert(format!("file events may be missing: {why}"));
            }
        }
        if let Some(why) = self.broken.take() {
            may_all.get_or_insert(why);
        }
        match (self.reclaim.now(), self.last_reclaim) {
            (Ok(n), then) => {
                if then.is_some_and(|t| t != n) {
                    may_all.get_or_insert(format!(
                        "/proc/vmstat counted {} page(s) reclaimed or a drop_caches in the system since the \
                         last step",
                        n.wrapping_sub(then.unwrap_or(n))
                    ));
                }
                self.last_reclaim = Some(n);
            }
            (Err(why), _) => {
                may_all.get_or_insert(format!("reclaim cannot be seen: {why}"));
            }
        }
        let known = |p: &PathBuf| at.files.contains_key(p);
        let mut must: BTreeSet<PathBuf> = match &at.everything {
            Some(_) => at.files.keys().cloned().collect(),
            None => touched.into_iter().filter(known).collect(),
        };
        // Files new to the trace: watched first (nothing between the watch and the probe goes unseen).
        let new: Vec<PathBuf> = at
            .files
            .keys()
            .filter(|p| !self.asked.contains(p))
            .cloned()
            .collect();
        for p in new {
            self.watch(&p);
            must.insert(p);
        }
        let (chosen, stale, deferred) = if at.everything.is_some() {
            (Vec::new(), Vec::new(), 0)
        } else {
            let pool = if may_all.is_some() {
                self.last_pool_all = at.step;
                &self.asked
            } else {
                &self.unsettled
            };
            choose(pool, &must, known)
        };
        for p in stale {
            self.forget(&p, name);
        }
        let mut snaps = BTreeMap::new();
        let mut asked = Vec::new();
        for p in must.iter().chain(&chosen) {
            if !p.exists() {
                self.forget(p, name);
                continue;
            }
            asked.push(p.clone());
            let counts = probe::page_state(p);
            self.asked.set(p, at.step);
            let fresh = must.contains(p)
                || counts.value().is_none()
                || self.counts.get(p) != Some(&counts)
                || !self.maps.contains_key(&name(p));
            let now = if fresh {
                let mut snap = probe::snapshot(p);
                if let Measured::Value(m) = &mut snap.page_map {
                    m.probed_at_step = at.step;
                }
                self.maps.insert(&name(p), snap.page_map.clone());
                self.counts.insert(p.clone(), snap.pages.clone());
                let pages = snap.pages.clone();
                snaps.insert(p.clone(), snap);
                pages
            } else {
                counts
            };
            if now.value().is_some_and(|c| c.dirty + c.writeback == 0) {
                self.unsettled.remove(p);
            } else {
                self.unsettled.set(p, at.step);
            }
        }
        let fresh = self
            .maps
            .values()
            .filter(|m| m.value().is_some_and(|m| m.probed_at_step == at.step))
            .count();
        ScriptLook {
            snaps,
            page_map: self.maps.clone(),
            summary: Probed {
                all_because: at.everything.or(may_all),
                files: asked.len(),
                touched: asked.iter().filter(|p| must.contains(*p)).count(),
                carried: self.maps.len().saturating_sub(fresh),
                deferred,
                budget: LOOK_BUDGET,
            },
            asked,
        }
    }

    /// After the step's display reads: keep the events those reads did not cause (a read of a file the
    /// tutor itself read is theirs; an open, write or rename never is).
    pub(super) fn after_display(&mut self, read: &[PathBuf]) {
        match self.events.drain() {
            Ok(evs) => {
                for e in evs {
                    let path = PathBuf::from(&e.name);
                    let ours = e.mask & !DISPLAY_READ_EVENTS == 0 && read.contains(&path);
                    if !ours {
                        self.pending.insert(path);
                    }
                }
            }
            Err(why) => {
                self.broken
                    .get_or_insert(format!("file events may be missing: {why}"));
            }
        }
    }

    /// Whether a "before" sample of `path` taken at the end of step `at` may no longer hold: the file was
    /// dirty or under writeback then, or a later look had every file as "may have changed" — and the
    /// budget may have left it unasked since.
    pub(super) fn may_have_moved_since(&self, path: &Path, at: usize) -> bool {
        self.unsettled.contains(&path.to_path_buf()) || self.last_pool_all > at
    }

    fn watch(&mut self, file: &Path) {
        let Some(dir) = file.parent() else { return };
        if self.dirs.contains(dir) {
            return;
        }
        // Absolute directories under "/": events then name files by their absolute paths.
        match self.events.watch(Path::new("/"), &dir.to_string_lossy()) {
            Ok(()) => {
                self.dirs.insert(dir.to_path_buf());
            }
            Err(why) => {
                self.broken.get_or_insert(why);
            }
        }
    }

    /// Forget a file that is gone.
    fn forget(&mut self, p: &PathBuf, name: &dyn Fn(&Path) -> String) {
        self.asked.remove(p);
        self.unsettled.remove(p);
        self.counts.remove(p);
        self.maps.remove(&name(p));
    }
}

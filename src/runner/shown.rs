//! What the trace shows of every variable and file, observed again only where a step could have changed it.
//!
//! A step changes the data of the files it acts on, so every variable mapping one of them (by name or, for
//! a hard link, by inode) is read again; any other variable's record is shared with the step before. The
//! kernel can change a file's page cache on its own (writeback, eviction), so every file is asked one
//! whole-file cachestat per step and its page map is taken again when the counts moved.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::confine::normal_name;
use crate::engine::Engine;
use crate::lesson::Action;
use crate::probe;
use crate::trace::{ArrayState, FileState, Measured, PageMap, PageState, Records};

use super::observe;

/// A file's identity (device, inode): two names of one file (a hard link) share it.
type Inode = (u64, u64);

fn inode(path: &Path) -> Option<Inode> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// A lesson's file name in one spelling.
fn norm(rel: &str) -> String {
    normal_name(rel).unwrap_or_else(|| rel.to_string())
}

/// What a step can have changed.
pub(super) struct Touched {
    /// An op not listed in [`Touched::by`]: everything is observed again.
    all: bool,
    /// The files it acts on, by normal name and by inode.
    names: BTreeSet<String>,
    inodes: BTreeSet<Inode>,
    /// The variables it names.
    vars: BTreeSet<String>,
}

impl Touched {
    /// What `action` can change: the files it acts on (`file` is the step's file as the runner resolved
    /// it), whose every variable sees the change, and the variables it names.
    pub(super) fn by(action: &Action, var: &str, file: Option<&str>, workdir: &Path) -> Touched {
        let mut names: BTreeSet<String> = file.into_iter().map(norm).collect();
        let all = match action {
            Action::Open(spec) | Action::Reopen(spec) => {
                names.insert(norm(&spec.file));
                false
            }
            Action::ExternalWrite { target, .. }
            | Action::ExternalRead { target, .. }
            | Action::Truncate { target, .. } => {
                names.insert(norm(target.file()));
                false
            }
            // These act on their variable's file only (`file`).
            Action::Assign { .. }
            | Action::Read { .. }
            | Action::Flush { .. }
            | Action::Close { .. }
            | Action::Crash { .. }
            | Action::Evict { .. }
            | Action::WaitWriteback { .. }
            | Action::FlushAsync { .. }
            | Action::FlushRange { .. } => false,
            // An op added later changes anything until it is listed above.
            #[allow(unreachable_patterns)]
            _ => true,
        };
        let inodes = names
            .iter()
            .filter_map(|n| inode(&workdir.join(n)))
            .collect();
        let vars = [var, action.var()]
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        Touched {
            all,
            names,
            inodes,
            vars,
        }
    }

    /// Everything: the first step, or a step whose op is not known here.
    pub(super) fn everything() -> Touched {
        Touched {
            all: true,
            names: BTreeSet::new(),
            inodes: BTreeSet::new(),
            vars: BTreeSet::new(),
        }
    }

    fn file(&self, name: &str, ino: Option<Inode>) -> bool {
        self.all || self.names.contains(name) || ino.is_some_and(|i| self.inodes.contains(&i))
    }
}

/// The records every step shares, and what is needed to tell which of them a step changed.
#[derive(Default)]
pub(super) struct Shown {
    pub arrays: Records<ArrayState>,
    pub files: Records<FileState>,
    pub page_map: Records<Measured<PageMap>>,
    /// Per file (as the lesson spells it): the whole-file counts of the last step's look.
    pub counts: BTreeMap<String, Measured<PageState>>,
    /// Per file: what it was like when its snapshot was last taken.
    looked: BTreeMap<String, Seen>,
    /// Per variable: the file it shows (normal name) and that file's inode.
    var_file: BTreeMap<String, (String, Option<Inode>)>,
    /// Variables by the file they show.
    by_name: BTreeMap<String, BTreeSet<String>>,
    by_inode: BTreeMap<Inode, BTreeSet<String>>,
}

/// A file when its snapshot was last taken: its whole-file counts, its inode and its normal name.
struct Seen {
    counts: Measured<PageState>,
    ino: Option<Inode>,
    norm: String,
}

/// The snapshots one step's look took again (the counts of every file are in [`Shown::counts`]).
#[derive(Default)]
pub(super) struct Looked {
    pub snaps: BTreeMap<String, probe::FileSnapshot>,
}

impl Shown {
    /// Ask the kernel about every file some variable maps (`bound`, the page maps shown) and the step's
    /// own file `extra`, before any display read: a file the step touched, or whose counts moved since the
    /// last look (the kernel's own writeback or eviction), gets a new snapshot; the others keep theirs.
    ///
    /// Every file is asked at every step (the kernel may change any of them), so the per-file cost is kept
    /// to one fstatat beneath the work directory and one cachestat (see `probe::page_state_beneath`).
    pub(super) fn look(
        &mut self,
        engine: &Engine,
        bound: &BTreeMap<String, usize>,
        extra: Option<&str>,
        touched: &Touched,
    ) -> Looked {
        let mut out = Looked::default();
        let workdir = engine.workdir();
        let extra = extra.filter(|e| !bound.contains_key(*e));
        // Files looked at now, and those of them with a page map: more entries than that are stale.
        let (mut present, mut mapped) = (0, 0);
        for rel in bound.keys().map(String::as_str).chain(extra) {
            let path = workdir.join(rel);
            // Counts first: a change between them and the snapshot makes the next step look again.
            let counts = match engine.workdir_fd() {
                Some(dir) => probe::page_state_beneath(dir, rel, &path),
                None => path.exists().then(|| probe::page_state(&path)),
            };
            let Some(counts) = counts else {
                self.looked.remove(rel);
                self.counts.remove(rel);
                self.page_map.remove(rel);
                continue;
            };
            let is_bound = bound.contains_key(rel);
            let fresh = match self.looked.get(rel) {
                Some(seen) => {
                    touched.file(&seen.norm, seen.ino)
                        || counts.value().is_none()
                        || seen.counts != counts
                        || (is_bound && !self.page_map.contains_key(rel))
                }
                None => true,
            };
            let now = if fresh {
                let snap = probe::snapshot(&path);
                if is_bound {
                    self.page_map.insert(rel, snap.page_map.clone());
                }
                let seen = Seen {
                    counts,
                    ino: inode(&path),
                    norm: norm(rel),
                };
                self.looked.insert(rel.to_string(), seen);
                let pages = snap.pages.clone();
                out.snaps.insert(rel.to_string(), snap);
                pages
            } else {
                counts
            };
            match self.counts.get_mut(rel) {
                Some(slot) => *slot = now,
                None => {
                    self.counts.insert(rel.to_string(), now);
                }
            }
            present += 1;
            if !is_bound {
                self.page_map.remove(rel);
            } else if self.page_map.contains_key(rel) {
                mapped += 1;
            }
        }
        // A file neither mapped nor the step's own is not looked at again: its counts go.
        if self.counts.len() > present {
            self.counts
                .retain(|k, _| bound.contains_key(k) || Some(k.as_str()) == extra);
        }
        // A file no variable maps any more (its variable was opened on another file) leaves the page maps.
        if self.page_map.len() > mapped {
            let stale: Vec<String> = self
                .page_map
                .keys()
                .filter(|k| !bound.contains_key(*k))
                .map(str::to_string)
                .collect();
            for k in stale {
                self.page_map.remove(&k);
            }
        }
        out
    }

    /// The variables whose records the step can have changed (those to read again).
    pub(super) fn changed_vars(
        &self,
        touched: &Touched,
        bound: &BTreeMap<String, String>,
    ) -> BTreeSet<String> {
        if touched.all {
            return bound
                .keys()
                .map(String::clone)
                .chain(self.arrays.keys().map(str::to_string))
                .chain(self.files.keys().map(str::to_string))
                .collect();
        }
        let mut out = touched.vars.clone();
        for n in &touched.names {
            out.extend(self.by_name.get(n).into_iter().flatten().cloned());
        }
        for i in &touched.inodes {
            out.extend(self.by_inode.get(i).into_iter().flatten().cloned());
        }
        out
    }

    /// Read variable `name` again (its array and, with probes, its file), or drop it when it is not bound.
    pub(super) fn observe(
        &mut self,
        engine: &Engine,
        name: &str,
        bound: &BTreeMap<String, String>,
        last_seen: &BTreeMap<String, String>,
        readers: &observe::Readers,
        probes: bool,
    ) {
        let rel = bound.get(name);
        match (rel, engine.variable(name)) {
            (Some(_), Some(v)) => {
                let mut state = observe::array_state(v, readers);
                if !v.is_open() {
                    state.last_str = last_seen.get(name).cloned();
                }
                self.arrays.insert(name, state);
            }
            _ => {
                self.arrays.remove(name);
            }
        }
        match rel.filter(|_| probes) {
            Some(rel) => match observe::file(engine, name, rel, readers) {
                Some(f) => self.files.insert(name, f),
                None => {
                    self.files.remove(name);
                }
            },
            None => {
                self.files.remove(name);
            }
        }
        self.index(
            name,
            rel.map(|r| (norm(r), inode(&engine.workdir().join(r)))),
        );
    }

    /// Remember which file `var` shows, to find it when that file changes.
    fn index(&mut self, var: &str, file: Option<(String, Option<Inode>)>) {
        if let Some((name, ino)) = self.var_file.remove(var) {
            if let Some(set) = self.by_name.get_mut(&name) {
                set.remove(var);
            }
            if let Some(set) = ino.and_then(|i| self.by_inode.get_mut(&i)) {
                set.remove(var);
            }
        }
        if let Some((name, ino)) = file {
            self.by_name
                .entry(name.clone())
                .or_default()
                .insert(var.to_string());
            if let Some(i) = ino {
                self.by_inode.entry(i).or_default().insert(var.to_string());
            }
            self.var_file.insert(var.to_string(), (name, ino));
        }
    }
}

//! What the trace shows of every variable and file, observed again only where a step could have changed it.
//!
//! A step changes the data of the files it acts on, so every variable mapping one of them (by name or, for
//! a hard link, by inode) is read again; any other variable's record is shared with the step before. The
//! kernel can change a file's page cache on its own: a file with dirty or writeback pages may change at any
//! step, and every file when reclaim may have acted (`freshness`). The files a step touched (or another
//! process acted on) are always asked again; of the files that only *may* have changed, at most
//! [`LOOK_BUDGET`] are asked per step, the longest unasked first, so a lesson leaving thousands of files dirty
//! costs a bounded number of looks per step and every such file is asked again within a bounded number of
//! steps. Any other page map is carried from the step that last probed it, and says so
//! (`PageMap::probed_at_step`; the step's `probed.deferred` counts the files the budget left unasked).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::confine::normal_name;
use crate::engine::Engine;
use crate::lesson::Action;
use crate::probe;
use crate::trace::{ArrayState, FileState, Measured, PageMap, PageState, Probed, Records};

use super::by_age::{choose, ByAge, LOOK_BUDGET};
use super::observe;

/// Which files one step's look asks about.
struct Plan {
    /// The files it must ask about (touched, new, the step's own; every file where everything may have
    /// changed through the step itself).
    must: BTreeSet<String>,
    /// The files that may have changed, chosen within the budget (oldest look first).
    chosen: Vec<String>,
    /// Files that may have changed but were left for a later step (over the budget).
    deferred: usize,
}

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

    /// Add files some process acted on (names beneath `workdir`): they count as touched by the step.
    pub(super) fn add_names(&mut self, names: &[String], workdir: &Path) {
        for n in names {
            if let Some(i) = inode(&workdir.join(n)) {
                self.inodes.insert(i);
            }
            self.names.insert(norm(n));
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

    /// Whether the step may have changed anything (an op not listed in [`Touched::by`]).
    pub(super) fn is_everything(&self) -> bool {
        self.all
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
    /// Per file (as the lesson spells it): the whole-file counts of its last look.
    pub counts: BTreeMap<String, Measured<PageState>>,
    /// Per file: what it was like when its snapshot was last taken.
    looked: BTreeMap<String, Seen>,
    /// Files that may change at any step: their last look found dirty or writeback pages (writeback moves on
    /// its own), or could not measure them; by the step of that look.
    unsettled: ByAge<String>,
    /// Every file looked at, by the step of its last look (after reclaim every file may have changed).
    asked: ByAge<String>,
    /// Files looked at, by normal name and by inode (to find the files a step touched).
    rel_by_norm: BTreeMap<String, BTreeSet<String>>,
    rel_by_ino: BTreeMap<Inode, BTreeSet<String>>,
    /// The step's own unmapped file at the last look (its counts go when the next step names another).
    extra_prev: Option<String>,
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

/// The snapshots one step's look took again, and the counts of every file it asked about.
#[derive(Default)]
pub(super) struct Looked {
    pub snaps: BTreeMap<String, probe::FileSnapshot>,
    /// Every file probed at this step with its counts (the others are carried).
    pub probed: Vec<(String, Measured<PageState>)>,
    /// What the step's record says about it.
    pub summary: Probed,
}

/// What one step's look is about.
pub(super) struct LookAt<'a> {
    /// The files some variable maps (the page maps shown), with how many variables map each.
    pub bound: &'a BTreeMap<String, usize>,
    /// The step's own file (mapped or not).
    pub file: Option<&'a str>,
    /// Files bound since the last look, and files no longer bound.
    pub bound_new: &'a [String],
    pub unbound: &'a [String],
    pub touched: &'a Touched,
    /// Why every file must be probed, if so (see `freshness`).
    pub all_because: Option<String>,
    pub step: usize,
}

impl Shown {
    /// Ask the kernel, before any display read, about every file whose page cache can have changed since its
    /// last look: the files the step touched (or some process acted on), new files and the step's own file —
    /// and, within [`LOOK_BUDGET`] and longest unasked first, the files last seen dirty or in writeback, or
    /// every file when `all_because` says why. A file whose counts moved or that was touched gets a new
    /// snapshot. Every other page map is carried: it keeps the step it was probed at.
    pub(super) fn look(
        &mut self,
        engine: &Engine,
        at: LookAt<'_>,
        watch: &mut dyn FnMut(&str),
    ) -> Looked {
        let mut out = Looked::default();
        let workdir = engine.workdir();
        let bound = at.bound;
        let extra = at.file.filter(|e| !bound.contains_key(*e));
        for rel in at.unbound.iter().chain(&self.extra_prev.take()) {
            if !bound.contains_key(rel) && Some(rel.as_str()) != extra {
                self.forget(rel);
            }
        }
        self.extra_prev = extra.map(str::to_string);
        let plan = self.plan(&at, extra);
        let mut mapped = 0;
        let mut touched = 0;
        for rel in plan.must.iter().chain(&plan.chosen) {
            let path = workdir.join(rel);
            if !self.looked.contains_key(rel) {
                // Watched before the first probe: nothing between the two can go unseen.
                watch(rel);
            }
            // Counts first: a change between them and the snapshot makes the next step look again.
            let counts = match engine.workdir_fd() {
                Some(dir) => probe::page_state_beneath(dir, rel, &path),
                None => path.exists().then(|| probe::page_state(&path)),
            };
            let Some(counts) = counts else {
                self.forget(rel);
                continue;
            };
            touched += usize::from(plan.must.contains(rel));
            self.asked.set(rel, at.step);
            let is_bound = bound.contains_key(rel.as_str());
            let fresh = match self.looked.get(rel) {
                Some(seen) => {
                    at.touched.file(&seen.norm, seen.ino)
                        || counts.value().is_none()
                        || seen.counts != counts
                        || (is_bound && !self.page_map.contains_key(rel))
                }
                None => true,
            };
            let now = if fresh {
                let mut snap = probe::snapshot(&path);
                if let Measured::Value(m) = &mut snap.page_map {
                    m.probed_at_step = at.step;
                }
                if is_bound {
                    self.page_map.insert(rel, snap.page_map.clone());
                }
                self.remember(rel, counts, inode(&path));
                let pages = snap.pages.clone();
                out.snaps.insert(rel.to_string(), snap);
                pages
            } else {
                // Asked again and unchanged: the map from its step stands (no record is copied: a lesson
                // with many dirty files would otherwise copy every one of them at every step).
                counts
            };
            let settled = now.value().is_some_and(|p| p.dirty + p.writeback == 0)
                && (!is_bound || self.page_map.get(rel).is_some_and(|m| m.value().is_some()));
            if settled {
                self.unsettled.remove(rel);
            } else {
                self.unsettled.set(rel, at.step);
            }
            match self.counts.get_mut(rel) {
                Some(slot) => *slot = now.clone(),
                None => {
                    self.counts.insert(rel.to_string(), now.clone());
                }
            }
            if !is_bound {
                self.page_map.remove(rel);
            } else if self
                .page_map
                .get(rel)
                .is_some_and(|m| m.value().is_some_and(|m| m.probed_at_step == at.step))
            {
                mapped += 1;
            }
            out.probed.push((rel.clone(), now));
        }
        out.summary = Probed {
            all_because: at.all_because,
            files: out.probed.len(),
            touched,
            carried: self.page_map.len().saturating_sub(mapped),
            deferred: plan.deferred,
            budget: LOOK_BUDGET,
        };
        out
    }

    /// The files this look asks about (see [`Shown::look`]).
    fn plan(&mut self, at: &LookAt<'_>, extra: Option<&str>) -> Plan {
        let bound = at.bound;
        let shown = |r: &str| bound.contains_key(r) || Some(r) == extra;
        let mut must: BTreeSet<String> = BTreeSet::new();
        if at.touched.all {
            // The step itself may have changed anything: every file, beyond any budget.
            must.extend(
                bound
                    .keys()
                    .map(String::as_str)
                    .chain(extra)
                    .map(str::to_string),
            );
            return Plan {
                must,
                chosen: Vec::new(),
                deferred: 0,
            };
        }
        must.extend(at.file.map(str::to_string));
        must.extend(at.bound_new.iter().cloned());
        for n in &at.touched.names {
            if bound.contains_key(n) {
                must.insert(n.clone());
            }
            must.extend(self.rel_by_norm.get(n).into_iter().flatten().cloned());
        }
        for i in &at.touched.inodes {
            must.extend(self.rel_by_ino.get(i).into_iter().flatten().cloned());
        }
        must.retain(|r| shown(r));
        // What may have changed without the step: every file after reclaim, else the unsettled ones.
        let pool = if at.all_because.is_some() {
            &self.asked
        } else {
            &self.unsettled
        };
        let (chosen, stale, left) = choose(pool, &must, |r| shown(r));
        for rel in stale {
            self.forget(&rel);
        }
        Plan {
            must,
            chosen,
            deferred: left,
        }
    }

    /// Keep what file `rel` was like at its snapshot, findable by normal name and inode.
    fn remember(&mut self, rel: &str, counts: Measured<PageState>, ino: Option<Inode>) {
        self.unindex_file(rel);
        let norm = norm(rel);
        self.rel_by_norm
            .entry(norm.clone())
            .or_default()
            .insert(rel.to_string());
        if let Some(i) = ino {
            self.rel_by_ino
                .entry(i)
                .or_default()
                .insert(rel.to_string());
        }
        self.looked
            .insert(rel.to_string(), Seen { counts, ino, norm });
    }

    fn unindex_file(&mut self, rel: &str) {
        if let Some(seen) = self.looked.remove(rel) {
            if let Some(set) = self.rel_by_norm.get_mut(&seen.norm) {
                set.remove(rel);
            }
            if let Some(set) = seen.ino.and_then(|i| self.rel_by_ino.get_mut(&i)) {
                set.remove(rel);
            }
        }
    }

    /// Forget a file that is gone or no longer shown.
    fn forget(&mut self, rel: &str) {
        self.unindex_file(rel);
        self.counts.remove(rel);
        let rel = rel.to_string();
        self.unsettled.remove(&rel);
        self.asked.remove(&rel);
        self.page_map.remove(&rel);
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

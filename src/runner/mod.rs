//! Runs a lesson: performs each step with the engine, probes the system around it, and records the trace.

mod by_age;
#[cfg(test)]
mod carry_tests;
mod disk;
mod environment;
mod freshness;
mod observe;
mod readers;
pub(crate) mod script;
mod script_looks;
mod shown;

use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::Engine;
use crate::lesson::model::AboutKind;
use crate::lesson::{Action, LoadedLesson, ResolvedStep};
use crate::probe;
use crate::trace::{Environment, LessonInfo, Measured, StepRecord, Trace};

/// What performing one step gave, with its timing: the engine's outcome, the value a `read` printed, when it
/// started and ended, its page faults, and when the probing after it began.
struct Performed {
    outcome: crate::engine::StepOutcome,
    read: Option<crate::trace::ReadValue>,
    started: std::time::Instant,
    performed: std::time::Instant,
    elapsed_ms: f64,
    faults: Measured<crate::trace::Faults>,
    probe_started: std::time::Instant,
}

/// Whether the step may shrink or empty its file (`w+`, `truncate`): the Disk Write verdict allows for it.
fn truncates(step: &ResolvedStep) -> bool {
    matches!(&step.action, Action::Open(s) | Action::Reopen(s) if s.mode == crate::lesson::Mode::Write)
        || matches!(&step.action, Action::Truncate { .. })
}

/// Whether the step raised the error the lesson expects of it.
fn expected_error(step: &ResolvedStep, error: Option<&str>) -> bool {
    match (error, &step.expect_error) {
        (Some(e), Some(want)) => e.contains(want.as_str()),
        _ => false,
    }
}

/// Performs a lesson's steps one at a time, recording a [`StepRecord`] for each.
pub struct Runner<'a> {
    lesson: &'a LoadedLesson,
    engine: Engine,
    environment: Environment,
    next: usize,
    /// The file each variable was last opened on, so closed variables still show their file.
    files: BTreeMap<String, String>,
    /// How many variables map each file (the files whose page maps are shown).
    bound: BTreeMap<String, usize>,
    /// What each closed variable printed just before it was unmapped.
    last_seen: BTreeMap<String, String>,
    /// The records of the last step, shared with the next one where it changes nothing.
    shown: shown::Shown,
    /// Files with dirty (or writeback) pages: the step whose store dirtied them first, and when it started.
    dirty_since: BTreeMap<String, (usize, std::time::Instant)>,
    /// False when `MEMMAP_TUTOR_NO_PROBES` is set (benchmarks measure the tracer's overhead).
    probes: bool,
    /// What tells which untouched files the kernel or another process may have changed.
    freshness: freshness::Freshness,
    /// Files bound, and files no longer bound, since the last look.
    bound_new: Vec<String>,
    unbound: Vec<String>,
    /// True when `MEMMAP_TUTOR_OBSERVE_ALL` is set: every step observes every variable again (the test that
    /// sharing unchanged records changes nothing compares the two).
    observe_all: bool,
}

/// Environment variable that turns the system probes off (for the tracer-overhead benchmark).
pub(crate) const NO_PROBES_ENV: &str = "MEMMAP_TUTOR_NO_PROBES";
/// Environment variable that makes every step observe every variable again (for the sharing test).
pub(crate) const OBSERVE_ALL_ENV: &str = "MEMMAP_TUTOR_OBSERVE_ALL";

impl<'a> Runner<'a> {
    /// Prepare to run `lesson` inside `workdir` (which must exist).
    pub fn new(lesson: &'a LoadedLesson, workdir: &Path) -> Runner<'a> {
        Runner {
            lesson,
            engine: Engine::new(workdir),
            environment: environment::measure(workdir),
            next: 0,
            files: BTreeMap::new(),
            bound: BTreeMap::new(),
            last_seen: BTreeMap::new(),
            shown: shown::Shown::default(),
            dirty_since: BTreeMap::new(),
            freshness: freshness::Freshness::default(),
            bound_new: Vec::new(),
            unbound: Vec::new(),
            probes: std::env::var_os(NO_PROBES_ENV).is_none_or(|v| v.is_empty() || v == "0"),
            observe_all: std::env::var_os(OBSERVE_ALL_ENV)
                .is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }

    /// Tell `observer` how each `wait_writeback` step is getting on (see [`crate::engine::WaitProgress`]).
    pub fn with_wait_observer(mut self, observer: Option<crate::engine::WaitObserver>) -> Self {
        self.engine.set_wait_observer(observer);
        self
    }

    /// Tell `hook(bytes_done, bytes_total)` how each long fill (≥ 100 MB) is getting on.
    pub fn with_fill_progress(mut self, hook: Option<crate::engine::assign::ProgressHook>) -> Self {
        self.engine.set_fill_progress(hook);
        self
    }

    /// Let the lesson change files it did not create (`--overwrite`).
    pub fn allow_overwrite(&mut self, yes: bool) {
        self.engine.allow_overwrite(yes);
    }

    /// Where and on what the run happens.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The engine (for live views such as `step` showing file paths).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The step that `step()` performs next, if any.
    pub(crate) fn peek(&self) -> Option<&'a ResolvedStep> {
        self.lesson.steps.get(self.next)
    }

    /// Perform the next step and record what is true afterwards; None when all steps are done.
    pub fn step(&mut self) -> Option<StepRecord> {
        let step = self.lesson.steps.get(self.next)?;
        self.next += 1;
        let var = self.step_var(step);
        let rebound = self.bind_opened(step);
        // Outside-process steps may name a file that no variable maps.
        let file = self
            .files
            .get(&var)
            .cloned()
            .or_else(|| step.action.named_file().map(str::to_string));
        let path = file.as_ref().map(|f| self.engine.workdir().join(f));
        self.remember_last_seen(step);
        let before = if self.probes {
            disk::Sample::take(path.as_deref())
        } else {
            disk::Sample::off()
        };
        let mut run = self.perform_timed(step);

        // A failed open leaves the old binding (as in Python).
        let error = run.outcome.error.clone();
        if let (Some((v, previous)), Some(_)) = (rebound, &error) {
            self.bind(&v, previous.as_deref());
        }
        // What the step can have changed: only that is observed again (the rest is shared).
        let (mut touched, mut all_because) = if self.next == 1 {
            (
                shown::Touched::everything(),
                Some("the first step".to_string()),
            )
        } else if self.observe_all {
            let why = format!("{OBSERVE_ALL_ENV} is set");
            (shown::Touched::everything(), Some(why))
        } else {
            let t = shown::Touched::by(&step.action, &var, file.as_deref(), self.engine.workdir());
            let why = t
                .is_everything()
                .then(|| "the step's op may change any file".to_string());
            (t, why)
        };
        if self.probes {
            // What some other process, reclaim or drop_caches can have changed since the last look.
            let since = self.freshness.since_last_look();
            touched.add_names(&since.names, self.engine.workdir());
            all_because = all_because.or(since.all_because);
        }

        // 1. One snapshot of every kernel probe, before anything is read for display.
        let looked = self.look(step.number, &file, &touched, all_because);
        let snaps = &looked.snaps;
        self.track_dirty_age(
            step,
            &file,
            run.started,
            run.performed,
            &mut run.outcome.report,
            &looked.probed,
        );
        let mapping = if self.probes {
            observe::mapping(&self.engine, &var)
        } else {
            Measured::unavailable("probes off")
        };
        let after = self.sample_after(&path, &file, snaps);
        let verdict = disk::decide(&self.environment, &before, &after, truncates(step));

        // 2. Display reads, which change nothing the snapshot measured (see observe).
        let readers = observe::Readers::default();
        let (arrays, files) = self.display(step, &var, &touched, &readers);
        let file_state = files.get(&var).cloned();
        let watches = self.watch(step.number, &readers);

        // 3. Check that the display reads left nothing behind; record what they did separately.
        let observer = self.footprint(snaps, &var, &mapping, &readers);
        if self.probes {
            // The events of the display reads are set aside; any other process's are kept for the next look.
            self.freshness
                .after_display(self.engine.workdir(), &readers.paths());
        }
        // One map per file (several variables may map the same file), taken again where it changed.
        let page_map = self.shown.page_map.clone();
        let probe_ms = run.probe_started.elapsed().as_secs_f64() * 1e3;
        let pages = after
            .pages
            .clone()
            .unwrap_or_else(|| Measured::unavailable("the step's variable has no file"));
        Some(StepRecord {
            step: step.number,
            action: step.action_text.clone(),
            op: step.action.op(),
            code: step.code.clone(),
            ok: error.is_none(),
            expected_error: expected_error(step, error.as_deref()),
            error,
            var,
            arrays,
            file: file_state,
            files,
            pages,
            disk_write: verdict,
            allocation: after
                .allocation
                .unwrap_or_else(|| Measured::unavailable("no file")),
            faults: run.faults,
            mapping,
            read: run.read,
            watches,
            note: step.note.clone(),
            report: run.outcome.report,
            page_map,
            probed: looked.summary,
            observer,
            elapsed_ms: run.elapsed_ms,
            probe_ms,
            script: None,
        })
    }

    /// The variable a step is shown through: its own, or for a file named directly, a variable that maps it.
    fn step_var(&self, step: &ResolvedStep) -> String {
        let var = step.action.var().to_string();
        if !var.is_empty() {
            return var;
        }
        let Some(f) = step.action.named_file() else {
            return var;
        };
        let mapped = self.files.iter().find(|(v, vf)| {
            vf.as_str() == f && self.engine.variable(v).is_some_and(|x| x.is_open())
        });
        mapped.map_or(var, |(v, _)| v.clone())
    }

    /// The file being opened is sampled around the step, so its name is bound before the step; the variable
    /// and its previous file, to bind back if the open fails (a failed `np.memmap(...)` leaves the old
    /// binding, as in Python).
    fn bind_opened(&mut self, step: &ResolvedStep) -> Option<(String, Option<String>)> {
        if let Action::Open(spec) | Action::Reopen(spec) = &step.action {
            return Some((spec.var.clone(), self.bind(&spec.var, Some(&spec.file))));
        }
        None
    }

    /// Before a `close`: keep what the variable printed at the end of the previous step (nothing touched it
    /// since), for the views of closed variables.
    fn remember_last_seen(&mut self, step: &ResolvedStep) {
        if let Action::Close { var } = &step.action {
            if let Some(a) = self.shown.arrays.get(var) {
                if a.state == crate::trace::ArrayLife::Open {
                    self.last_seen.insert(var.clone(), a.str.clone());
                }
            }
        }
    }

    /// Perform the step with the engine, timing it and counting its page faults.
    fn perform_timed(&mut self, step: &ResolvedStep) -> Performed {
        let faults_before = probe::faults_now();
        let started = std::time::Instant::now();
        let outcome = self.engine.perform(&step.action);
        let performed = std::time::Instant::now();
        // A `read` step prints what it read: NumPy touches those elements inside the statement, so the
        // printing belongs to the step (its faults, its pages).
        let read = outcome.read.as_ref().map(|r| observe::read_value(step, r));
        let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
        let faults_after = probe::faults_now();
        Performed {
            outcome,
            read,
            started,
            performed,
            elapsed_ms,
            faults: probe::faults_between(&faults_before, &faults_after),
            probe_started: std::time::Instant::now(),
        }
    }

    /// The kernel's look at the mapped files and the step's `file` that can have changed (see `shown`).
    fn look(
        &mut self,
        step: usize,
        file: &Option<String>,
        touched: &shown::Touched,
        all_because: Option<String>,
    ) -> shown::Looked {
        let bound_new = std::mem::take(&mut self.bound_new);
        let unbound = std::mem::take(&mut self.unbound);
        if !self.probes {
            return shown::Looked::default();
        }
        let at = shown::LookAt {
            bound: &self.bound,
            file: file.as_deref(),
            bound_new: &bound_new,
            unbound: &unbound,
            touched,
            all_because,
            step,
        };
        let workdir = self.engine.workdir().to_path_buf();
        let freshness = &mut self.freshness;
        self.shown
            .look(&self.engine, at, &mut |rel| freshness.watch(&workdir, rel))
    }

    /// The step's file after the step: from this step's snapshot where there is one.
    fn sample_after(
        &self,
        path: &Option<std::path::PathBuf>,
        file: &Option<String>,
        snaps: &BTreeMap<String, probe::FileSnapshot>,
    ) -> disk::Sample {
        match (path, file) {
            _ if !self.probes => disk::Sample::off(),
            (Some(_), Some(f)) => match snaps.get(f) {
                Some(s) => disk::Sample::of(s),
                None => disk::Sample::take(path.as_deref()),
            },
            _ => disk::Sample::take(None),
        }
    }

    /// Observe again the variables the step changed (display reads) and return every array and file shown;
    /// a file the step names directly (no variable) is shown under its own name, in this step only.
    fn display(
        &mut self,
        step: &ResolvedStep,
        var: &str,
        touched: &shown::Touched,
        readers: &observe::Readers,
    ) -> (
        crate::trace::Records<crate::trace::ArrayState>,
        crate::trace::Records<crate::trace::FileState>,
    ) {
        for name in self.shown.changed_vars(touched, &self.files) {
            self.shown.observe(
                &self.engine,
                &name,
                &self.files,
                &self.last_seen,
                readers,
                self.probes,
            );
        }
        let arrays = self.shown.arrays.clone();
        let mut files = self.shown.files.clone();
        if let (Some(f), true) = (step.action.named_file(), var.is_empty()) {
            if let Some(state) = observe::file(&self.engine, "", f, readers) {
                files.insert("", state);
            }
        }
        (arrays, files)
    }

    /// Read the elements the quiz asks about after step `number`, quietly (a display read).
    fn watch(&self, number: usize, readers: &observe::Readers) -> Vec<crate::trace::ReadValue> {
        let mut out: Vec<crate::trace::ReadValue> = Vec::new();
        // Elements asked about (`about: {kind: value}`) and compared (`derive: … measure: value`) at this step.
        let asked = self.lesson.lesson.quiz.iter().filter_map(|q| {
            let about = q.about.as_ref()?;
            (about.kind() == Some(AboutKind::Value) && about.step == Some(number))
                .then(|| (about.var.clone(), about.index.clone()))
        });
        let compared = crate::lesson::compare::compared_values(&self.lesson.lesson, number)
            .into_iter()
            .map(|(var, index)| (var, Some(index)));
        for (var, text) in asked.chain(compared) {
            let Some(text) = text else { continue };
            if out.iter().any(|w| w.expr == text) {
                continue;
            }
            let Ok(index) = crate::expr::index::parse_index(&text) else {
                continue;
            };
            let var = var
                .or_else(|| index.var.clone())
                .unwrap_or_else(|| "arr".to_string());
            let Some(v) = self.engine.variable(&var).filter(|v| v.is_open()) else {
                continue;
            };
            let (str, repr) = observe::watched(v, &index, readers);
            out.push(crate::trace::ReadValue {
                expr: text,
                str,
                repr,
            });
        }
        out
    }

    /// Keep, per file, when its pages became dirty; a wait for writeback reports that age (what the kernel's
    /// flusher goes by) beside the wait itself.
    fn track_dirty_age(
        &mut self,
        step: &ResolvedStep,
        file: &Option<String>,
        started: std::time::Instant,
        performed: std::time::Instant,
        report: &mut crate::trace::OpReport,
        probed: &[(String, Measured<crate::trace::PageState>)],
    ) {
        if let (Action::WaitWriteback { .. }, Some(f)) = (&step.action, file) {
            if let Some(&(n, since)) = self.dirty_since.get(f) {
                report.dirty_for_ms = Some(performed.duration_since(since).as_millis() as u64);
                report.dirtied_at_step = Some(n);
            }
        }
        // Only the files probed at this step can have changed (a carried file is clean).
        for (rel, pages) in probed {
            match pages.value() {
                // Only a file newly dirty is inserted (no String copy per dirty file per step).
                Some(p) if p.dirty + p.writeback > 0 && !self.dirty_since.contains_key(rel) => {
                    self.dirty_since.insert(rel.clone(), (step.number, started));
                }
                Some(p) if p.dirty + p.writeback > 0 => {}
                Some(_) => {
                    self.dirty_since.remove(rel);
                }
                None => {}
            }
        }
    }

    /// What the display reads left behind: the page cache of every file and the step's mapping, probed again
    /// and compared with the snapshot.
    fn footprint(
        &self,
        snaps: &BTreeMap<String, probe::FileSnapshot>,
        var: &str,
        mapping: &Measured<crate::trace::MappingState>,
        readers: &observe::Readers,
    ) -> crate::trace::ObserverFootprint {
        if !self.probes {
            return crate::trace::ObserverFootprint::default();
        }
        let mut notes = readers.notes();
        let mut cached_pages = 0;
        for (rel, snap) in snaps {
            let Some(then) = snap.pages.value() else {
                continue;
            };
            let path = self.engine.workdir().join(rel);
            match probe::page_state(&path) {
                Measured::Value(now) => cached_pages += now.cached.saturating_sub(then.cached),
                Measured::Unavailable { unavailable } => notes.push(format!(
                    "{rel}: not checked after the display reads ({unavailable})"
                )),
            }
        }
        let mut resident_kb = 0;
        if let Some(then) = mapping.value() {
            if let Measured::Value(now) = observe::mapping(&self.engine, var) {
                resident_kb = now.rss_kb.saturating_sub(then.rss_kb);
            }
        }
        if readers.swapped_touches() > 0 && resident_kb == 0 {
            resident_kb = readers.swapped_touches() * self.environment.page_size as u64 / 1024;
        }
        crate::trace::ObserverFootprint {
            cached_pages: cached_pages.max(readers.pages_added()),
            resident_kb,
            notes,
        }
    }

    /// Bind `var` to `file` (None: unbind it), keeping the count of variables per file; the previous file.
    fn bind(&mut self, var: &str, file: Option<&str>) -> Option<String> {
        let previous = match file {
            Some(f) => {
                let n = self.bound.entry(f.to_string()).or_default();
                if *n == 0 {
                    self.bound_new.push(f.to_string());
                }
                *n += 1;
                self.files.insert(var.to_string(), f.to_string())
            }
            None => self.files.remove(var),
        };
        if let Some(p) = &previous {
            if let Some(n) = self.bound.get_mut(p) {
                *n -= 1;
                if *n == 0 {
                    self.bound.remove(p);
                    self.unbound.push(p.clone());
                }
            }
        }
        previous
    }

    /// Perform every remaining step and return the whole trace.
    pub fn run_all(mut self) -> Trace {
        let mut steps = Vec::with_capacity(self.lesson.steps.len());
        while let Some(record) = self.step() {
            steps.push(record);
        }
        Trace {
            lesson: LessonInfo {
                source: self.lesson.source.clone(),
                title: self.lesson.lesson.title.clone(),
                workdir: self.engine.workdir().display().to_string(),
            },
            environment: self.environment.clone(),
            steps,
            script: None,
        }
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        // The probes hold one fd per file so that their own closes never start ext4's
        // auto_da_alloc writeback mid-lesson; closing them is safe once nothing more is measured.
        probe::release_files();
    }
}

//! Traces a Python script: one step per line the shim reports, every measurement taken from outside the
//! child (/proc/PID, cachestat, FIEMAP) before any display read, and the display reads made without
//! touching the child's pages (see `ProgramElements`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::disk::{self, Sample};
use super::readers::{self, Readers};
use super::script_looks::{LookFor, ScriptLooks};
use crate::numpy::dtype::{DType, Scalar};
use crate::numpy::print::{array_repr, array_str, scalar_repr, scalar_str, ElementSource};
use crate::probe::{self, FileElements, ProcMapping, ProcStat, ProcessPages, VmaQuery};
use crate::script::{
    read_source, ArrayMeta, Event, Message, ScriptChild, ScriptError, ScriptOptions,
};
use crate::trace::{
    Allocation, ArrayLife, ArrayState, DiskWrite, Environment, Faults, FileState, HexLine,
    LessonInfo, MappingState, Measured, ObserverFootprint, Op, OpReport, PageState, ReadValue,
    Records, ScriptInfo, ScriptStep, StepRecord, Trace,
};

/// Steps recorded by default before the script runs on untraced (as Python Tutor does).
pub const DEFAULT_MAX_STEPS: usize = 1000;
/// Hex dump lines per file: enough for a `.npy` header (128 bytes) and the first data bytes.
const HEX_LINES: usize = 12;
/// Characters of a step's printed output kept in the trace.
const STDOUT_KEEP: usize = 4096;

/// Run the script under the tracer and return its trace (at most `max_steps` steps).
pub fn trace_script(opts: &ScriptOptions, max_steps: usize) -> Result<Trace, ScriptError> {
    let source = read_source(&opts.script)?;
    let cwd = work_dir(opts)?;
    let mut child = ScriptChild::spawn(opts)?;
    crate::signals::set_traced_child(child.pid());
    let hello = greet(&mut child, opts).inspect_err(|_| crate::signals::set_traced_child(0))?;
    let mut stepper = Stepper::new(hello.pid, &cwd, source);
    let mut info = script_info(opts, &hello, max_steps);
    let steps = run_steps(&mut child, &mut stepper, &mut info)
        .and_then(|steps| finish(&mut child, &mut info).map(|()| steps));
    crate::signals::set_traced_child(0);
    probe::release_files();
    Ok(Trace {
        lesson: LessonInfo {
            source: opts.script.display().to_string(),
            title: format!("Trace of {}", opts.script.display()),
            workdir: cwd.display().to_string(),
        },
        environment: stepper.environment.clone(),
        steps: steps?,
        script: Some(info),
    })
}

/// The directory the script runs in.
fn work_dir(opts: &ScriptOptions) -> Result<PathBuf, ScriptError> {
    match &opts.cwd {
        Some(d) => Ok(d.clone()),
        None => std::env::current_dir()
            .map_err(|e| ScriptError::Io(format!("cannot tell the current directory: {e}"))),
    }
}

/// What the shim said when it started.
struct Hello {
    pid: u32,
    python: String,
    numpy: String,
}

/// The shim's first message: it runs, with NumPy; or why the script cannot be traced.
fn greet(child: &mut ScriptChild, opts: &ScriptOptions) -> Result<Hello, ScriptError> {
    match child.receive()? {
        Some(Message::Hello { pid, python, numpy }) => Ok(Hello { pid, python, numpy }),
        Some(Message::NoNumpy { error }) => {
            let _ = child.wait();
            Err(ScriptError::Missing(format!(
                "NumPy cannot be imported by `{}` ({error}): `trace` runs your script with the real NumPy \
                 (install it with `{} -m pip install numpy`)",
                opts.python, opts.python
            )))
        }
        other => {
            let code = child.wait()?;
            Err(ScriptError::Missing(format!(
                "`{}` did not start the tracer (exit {code}; first message {other:?}); is it Python 3?",
                opts.python
            )))
        }
    }
}

fn script_info(opts: &ScriptOptions, hello: &Hello, max_steps: usize) -> ScriptInfo {
    ScriptInfo {
        script: opts.script.display().to_string(),
        args: opts.args.clone(),
        python: hello.python.clone(),
        numpy: hello.numpy.clone(),
        pid: hello.pid,
        every: opts.every.max(1),
        top_level: opts.top_level,
        max_steps,
        stopped_after: None,
        exit_code: None,
        error: None,
        stdout_after: String::new(),
    }
}

/// One pause of the child: the line that finished and what the shim saw.
struct Pause<'a> {
    line: usize,
    func: &'a str,
    metas: &'a [ArrayMeta],
    events: &'a [Event],
    printed: &'a str,
    error: Option<String>,
}

/// Record a step per pause until the script ends (or the step limit lets it run on untraced).
fn run_steps(
    child: &mut ScriptChild,
    stepper: &mut Stepper,
    info: &mut ScriptInfo,
) -> Result<Vec<StepRecord>, ScriptError> {
    let mut steps: Vec<StepRecord> = Vec::new();
    while !crate::signals::interrupted() {
        let Some(message) = child.receive()? else {
            break;
        };
        let printed = child.take_output();
        match message {
            Message::Line {
                line,
                func,
                arrays,
                events,
                ..
            } => {
                let pause = Pause {
                    line,
                    func: &func,
                    metas: &arrays,
                    events: &events,
                    printed: &printed,
                    error: None,
                };
                steps.push(stepper.record(steps.len() + 1, &pause));
                let go_on = steps.len() < info.max_steps;
                if !go_on {
                    info.stopped_after = Some(line);
                }
                stepper.before_resume();
                child.resume(go_on)?;
            }
            Message::Error {
                line,
                func,
                error,
                arrays,
                events,
            } => {
                let func = func.unwrap_or_default();
                let pause = Pause {
                    line: line.unwrap_or(0),
                    func: &func,
                    metas: &arrays,
                    events: &events,
                    printed: &printed,
                    error: Some(error),
                };
                steps.push(stepper.record(steps.len() + 1, &pause));
                child.resume(false)?;
            }
            Message::End { exit, error, line } => {
                info.exit_code = Some(exit);
                info.error = error.map(|e| match line {
                    Some(l) => format!("line {l}: {e}"),
                    None => e,
                });
                // Printed after the last step (untraced lines included): kept for the end.
                info.stdout_after = printed;
                break;
            }
            other => {
                return Err(ScriptError::Io(format!(
                    "the tracer sent an unexpected message: {other:?}"
                )))
            }
        }
    }
    Ok(steps)
}

/// Wait for the child; how it ended, and what it printed at exit.
fn finish(child: &mut ScriptChild, info: &mut ScriptInfo) -> Result<(), ScriptError> {
    let code = child.wait()?;
    info.stdout_after.push_str(&child.take_output());
    info.stdout_after = keep(&info.stdout_after);
    if info.exit_code.is_none() {
        info.exit_code = Some(code);
        if code < 0 {
            info.error = Some(format!("the script was killed by signal {}", -code));
        }
    }
    Ok(())
}

/// The first [`STDOUT_KEEP`] characters of printed output, saying how much was left out.
fn keep(out: &str) -> String {
    match out.char_indices().nth(STDOUT_KEEP) {
        None => out.to_string(),
        Some((cut, _)) => format!(
            "{}… ({} more characters)",
            &out[..cut],
            out[cut..].chars().count()
        ),
    }
}

/// The step's note: what the line printed.
fn printed_note(printed: &str) -> String {
    if printed.is_empty() {
        String::new()
    } else {
        format!("printed: {}", keep(printed).trim_end())
    }
}

/// One mapped array resolved against the child's mappings.
struct Resolved<'a> {
    meta: &'a ArrayMeta,
    dtype: Result<DType, String>,
    /// The mapping holding its first element.
    mapping: Option<ProcMapping>,
}

impl Resolved<'_> {
    fn path(&self) -> Option<&Path> {
        self.mapping.as_ref().and_then(|m| m.path.as_deref())
    }
    fn file_offset(&self) -> Option<u64> {
        self.mapping.as_ref().map(|m| m.file_offset(self.meta.addr))
    }
}

/// The step variable's file: page cache, Disk Write and allocation, and whether its dirty pages rose.
struct FileMeasure {
    pages: Measured<PageState>,
    disk_write: Measured<DiskWrite>,
    allocation: Measured<Allocation>,
    dirtied: bool,
}

/// Turns pauses into steps, remembering what the previous step measured.
struct Stepper {
    pid: u32,
    cwd: PathBuf,
    source: Vec<String>,
    environment: Environment,
    pages: ProcessPages,
    /// The child's /proc/PID/stat, kept open (its fault counters, one pread per step).
    stat: ProcStat,
    /// The child's VMAs, looked up one at a time (no full /proc/PID/maps or smaps per step).
    vmas: VmaQuery,
    /// This step's display readers of the files (observer-free reads).
    readers: Readers,
    /// Every file the script has mapped so far -> its sample at the end of the last step, right before the
    /// child resumed (the "before" of the line now running).
    files: BTreeMap<PathBuf, Option<Sample>>,
    /// Filesystem facts per file (a script may map files on several filesystems).
    fs: HashMap<PathBuf, Environment>,
    faults: Measured<Faults>,
    /// Arrays seen so far, to show those that left the scope (`del`, return) as closed.
    seen: BTreeMap<String, ArrayState>,
    last_var: String,
    /// The file each array variable last mapped.
    var_files: BTreeMap<String, PathBuf>,
    /// The mappings that held arrays at the previous step: one gone from the process is a munmap.
    held: Vec<ProcMapping>,
    resumed: Instant,
    /// Which files to ask the kernel about at each step, and the page maps carried for the others.
    looks: ScriptLooks,
    /// The step after which each file's "before" sample in `files` was taken.
    sampled_at: BTreeMap<PathBuf, usize>,
    /// `MEMMAP_TUTOR_OBSERVE_ALL` is set: every file is asked about at every step.
    observe_all: bool,
    /// The records of the last step, shared with the next where equal (see [`share`]).
    shown_arrays: Records<ArrayState>,
    shown_files: Records<FileState>,
}

/// `now` as this step's records, sharing every record equal to the previous step's: the trace holds one
/// record per change, not one per step and array in scope.
fn share<T: PartialEq>(prev: &mut Records<T>, now: BTreeMap<String, T>) -> Records<T> {
    let gone: Vec<String> = prev
        .keys()
        .filter(|k| !now.contains_key(*k))
        .map(str::to_string)
        .collect();
    for k in gone {
        prev.remove(&k);
    }
    for (k, v) in now {
        if prev.get(&k) != Some(&v) {
            prev.insert(&k, v);
        }
    }
    prev.clone()
}

impl Stepper {
    fn new(pid: u32, cwd: &Path, source: Vec<String>) -> Stepper {
        let mut stat = ProcStat::open(pid);
        Stepper {
            pid,
            cwd: cwd.to_path_buf(),
            source,
            environment: super::environment::measure(cwd),
            pages: ProcessPages::open(pid),
            vmas: VmaQuery::open(pid),
            readers: Readers::default(),
            files: BTreeMap::new(),
            fs: HashMap::new(),
            faults: stat.faults(),
            stat,
            seen: BTreeMap::new(),
            last_var: String::new(),
            var_files: BTreeMap::new(),
            held: Vec::new(),
            resumed: Instant::now(),
            looks: ScriptLooks::default(),
            sampled_at: BTreeMap::new(),
            observe_all: std::env::var_os(super::OBSERVE_ALL_ENV)
                .is_some_and(|v| !v.is_empty() && v != "0"),
            shown_arrays: Records::new(),
            shown_files: Records::new(),
        }
    }

    /// A path as the trace names it: relative to the current directory when inside it.
    fn name(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }

    /// The environment for a file's Disk Write verdict (its own filesystem).
    fn env_for(&mut self, path: &Path) -> Environment {
        if let Some(e) = self.fs.get(path) {
            return e.clone();
        }
        let mut env = self.environment.clone();
        if let Measured::Value(fs) = probe::fs_info(path) {
            env.filesystem = fs.name;
            env.has_disk = fs.has_disk;
        }
        self.fs.insert(path.to_path_buf(), env.clone());
        env
    }

    /// The child runs again now (the "before" samples were taken at the end of [`record`](Self::record)).
    fn before_resume(&mut self) {
        self.resumed = Instant::now();
    }

    /// Record the step for a pause: first everything the kernel says, then the display reads.
    fn record(&mut self, number: usize, p: &Pause) -> StepRecord {
        let elapsed_ms = self.resumed.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        self.pages.clear();
        self.readers.clear();
        self.vmas.new_step();
        // 1. Everything the kernel says, before any display read.
        let faults = self.step_faults();
        // Listed first: the arrays' lookups below are answered from it where they lie in a shared map.
        let shared = self.vmas.shared_files().unwrap_or_default();
        let resolved = self.resolve(p.metas);
        let gone = self.mappings_gone(&resolved);
        self.note_files(&resolved, shared);
        let text = self.line_text(p.line);
        let var = self.choose_var(&text, p.metas);
        let target = resolved.iter().find(|r| r.meta.name == var);
        let var_path = target
            .and_then(|r| r.path().map(Path::to_path_buf))
            .or_else(|| self.var_files.get(&var).cloned());
        let look = self.look(
            number,
            &text,
            &resolved,
            var_path.as_deref(),
            &faults,
            p.events,
        );
        let snaps = &look.snaps;
        let mapping = self.mapping_memory(target);
        let observed = self.observed_op(p.events, &gone);
        let truncates = matches!(observed, Some((Op::Open, _)))
            && target.is_some_and(|r| r.meta.mode.as_deref() == Some("w+"));
        let measure = self.measure(var_path.as_deref(), snaps, truncates, number);
        // 2. Display reads: never a page of the child that is not present, never a fault in its mapping.
        let (arrays, files) = self.display(&resolved);
        let (op, op_from) = observed
            .unwrap_or_else(|| self.unobserved_op(&text, p.metas, &var, &arrays, measure.dirtied));
        self.seen.clone_from(&arrays);
        let watches = match (op, target) {
            (Op::Assign, Some(r)) => self.watch(r, &text).into_iter().collect(),
            _ => Vec::new(),
        };
        // 3. What the display reads left behind (nothing, unless O_DIRECT was refused), kept apart.
        self.looks.after_display(&self.readers.paths());
        let observer = self.footprint_and_resample(snaps, &look.asked, number);
        let file = files.get(&var).cloned();
        let files = share(&mut self.shown_files, files);
        let arrays = share(&mut self.shown_arrays, arrays);
        StepRecord {
            step: number,
            action: format!("line {}: {text}", p.line),
            op,
            code: text.clone(),
            ok: p.error.is_none(),
            error: p.error.clone(),
            expected_error: false,
            file,
            files,
            var,
            arrays,
            pages: measure.pages,
            disk_write: measure.disk_write,
            allocation: measure.allocation,
            faults,
            mapping,
            read: None,
            watches,
            note: printed_note(p.printed),
            report: OpReport::default(),
            probed: look.summary,
            page_map: look.page_map,
            observer,
            elapsed_ms,
            probe_ms: started.elapsed().as_secs_f64() * 1e3,
            script: Some(ScriptStep {
                line: p.line,
                function: p.func.to_string(),
                stdout: keep(p.printed),
                op_from,
            }),
        }
    }

    /// The child's page faults since the previous step (/proc/PID/stat).
    fn step_faults(&mut self) -> Measured<Faults> {
        let now = self.stat.faults();
        let faults = probe::faults_between(&self.faults, &now);
        self.faults = now;
        faults
    }

    /// Each array with its dtype and the VMA holding its first element.
    fn resolve<'a>(&mut self, metas: &'a [ArrayMeta]) -> Vec<Resolved<'a>> {
        let resolved: Vec<Resolved> = metas
            .iter()
            .map(|m| Resolved {
                meta: m,
                dtype: DType::parse(&m.dtype).map_err(|e| e.to_string()),
                mapping: self.vmas.at(m.addr).ok().flatten(),
            })
            .collect();
        for r in &resolved {
            if let Some(p) = r.path() {
                self.var_files.insert(r.meta.name.clone(), p.to_path_buf());
            }
        }
        resolved
    }

    /// The mappings that held arrays at the previous step and are no longer in the process (munmap).
    fn mappings_gone(&mut self, resolved: &[Resolved]) -> Vec<ProcMapping> {
        let held = std::mem::take(&mut self.held);
        let gone = held
            .into_iter()
            .filter(|old| match self.vmas.at(old.start) {
                Ok(Some(now)) => now.path != old.path || now.file_offset(old.start) != old.offset,
                Ok(None) => true,
                // Cannot tell (the process is going away): not claimed as gone.
                Err(_) => false,
            })
            .collect();
        for m in resolved.iter().filter_map(|r| r.mapping.as_ref()) {
            if !self.held.contains(m) {
                self.held.push(m.clone());
            }
        }
        gone
    }

    /// Add the files of this step's arrays and every file the child maps shared to the files measured.
    fn note_files(&mut self, resolved: &[Resolved], shared: Vec<ProcMapping>) {
        for r in resolved {
            if let Some(p) = r.path() {
                self.files.entry(p.to_path_buf()).or_insert(None);
            }
        }
        for m in shared {
            if let Some(p) = m.path {
                if !p.starts_with("/dev") && !p.starts_with("/proc") && !p.starts_with("/sys") {
                    self.files.entry(p).or_insert(None);
                }
            }
        }
    }

    /// The source line, trimmed (the Action column).
    fn line_text(&self, line: usize) -> String {
        self.source
            .get(line.wrapping_sub(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The variable the step is about (see [`step_var`]).
    fn choose_var(&mut self, text: &str, metas: &[ArrayMeta]) -> String {
        let var = step_var(text, metas, &self.last_var, &self.var_files);
        self.last_var.clone_from(&var);
        var
    }

    /// Ask the kernel about the files the line touched and, within the budget, those that may have changed
    /// (see `script_looks`); every other page map is carried.
    fn look(
        &mut self,
        number: usize,
        text: &str,
        resolved: &[Resolved],
        var_path: Option<&Path>,
        faults: &Measured<Faults>,
        events: &[Event],
    ) -> super::script_looks::ScriptLook {
        // The step variable's file and those of the arrays the line names.
        let names = identifiers(text.split('#').next().unwrap_or(""));
        let mut touched: std::collections::BTreeSet<PathBuf> =
            var_path.map(Path::to_path_buf).into_iter().collect();
        for r in resolved {
            if names.contains(&r.meta.name) {
                touched.extend(r.path().map(Path::to_path_buf));
            }
        }
        let everything = if number == 1 {
            Some("the first step".to_string())
        } else if self.observe_all {
            Some(format!("{} is set", super::OBSERVE_ALL_ENV))
        } else {
            None
        };
        let may_all = match faults {
            Measured::Value(f) if f.minor + f.major > 0 => Some(format!(
                "the program took {} page fault(s) on this line: any mapped file may have changed",
                f.minor + f.major
            )),
            Measured::Value(_) if events.contains(&Event::Flush) => {
                Some("np.memmap.flush() ran on this line".to_string())
            }
            Measured::Value(_) => None,
            Measured::Unavailable { unavailable } => Some(format!(
                "the program's page faults cannot be counted ({unavailable})"
            )),
        };
        let at = LookFor {
            step: number,
            files: &self.files,
            touched,
            everything,
            may_all,
        };
        let cwd = self.cwd.clone();
        let name = move |p: &Path| {
            p.strip_prefix(&cwd)
                .map(|q| q.display().to_string())
                .unwrap_or_else(|_| p.display().to_string())
        };
        self.looks.look(at, &name)
    }

    /// Resident, dirty and anonymous memory of the step variable's mapping (one VMA, not all of smaps).
    fn mapping_memory(&mut self, target: Option<&Resolved>) -> Measured<MappingState> {
        let Some(vma) = target.and_then(|r| r.mapping.as_ref()) else {
            return match target {
                Some(r) => Measured::unavailable(format!(
                    "no mapping of process {} contains 0x{:x}",
                    self.pid, r.meta.addr
                )),
                None => Measured::unavailable("no mapped array on this line"),
            };
        };
        let accounted = match &vma.path {
            Some(p) => self.env_for(p).has_disk,
            None => false,
        };
        probe::mapping_memory(self.pid, &self.pages, vma, accounted)
    }

    /// The op as observed: an mmap() call (open), a call of np.memmap.flush (flush), a mapping gone from
    /// the process (close). None when nothing was observed.
    fn observed_op(&self, events: &[Event], gone: &[ProcMapping]) -> Option<(Op, String)> {
        if events.contains(&Event::Mmap) {
            return Some((
                Op::Open,
                "observed: mmap() ran on this line (Python's audit event mmap.__new__)".to_string(),
            ));
        }
        if events.contains(&Event::Flush) {
            return Some((
                Op::Flush,
                "observed: np.memmap.flush() was called on this line".to_string(),
            ));
        }
        let first = gone.first()?;
        let what = first
            .path
            .as_deref()
            .map(|p| self.name(p))
            .unwrap_or_else(|| format!("0x{:x}", first.start));
        Some((
            Op::Close,
            format!(
                "observed: the mapping of {what} left /proc/{}/maps (munmap)",
                self.pid
            ),
        ))
    }

    /// With no call observed: a store when the data changed (the variable's values, or new dirty pages of
    /// its file); else what the source text says, and the trace says so.
    fn unobserved_op(
        &self,
        text: &str,
        metas: &[ArrayMeta],
        var: &str,
        arrays: &BTreeMap<String, ArrayState>,
        dirtied: bool,
    ) -> (Op, String) {
        let changed = match (self.seen.get(var), arrays.get(var)) {
            (Some(old), Some(new)) => {
                old.state == ArrayLife::Open
                    && new.state == ArrayLife::Open
                    && (old.file.as_str(), old.offset, &old.shape)
                        == (new.file.as_str(), new.offset, &new.shape)
                    && old.str != new.str
            }
            _ => false,
        };
        if changed {
            return (
                Op::Assign,
                format!("observed: the values of `{var}` changed on this line"),
            );
        }
        if dirtied {
            return (
                Op::Assign,
                "observed: the file's dirty pages rose on this line".to_string(),
            );
        }
        (
            classify(text, metas),
            "from the source text (no mmap, flush, munmap or change of the data was seen)"
                .to_string(),
        )
    }

    /// The step variable's file before and after the line: its pages, Disk Write and allocation.
    fn measure(
        &mut self,
        path: Option<&Path>,
        snaps: &BTreeMap<PathBuf, probe::FileSnapshot>,
        truncates: bool,
        number: usize,
    ) -> FileMeasure {
        let Some(p) = path else {
            let why = "no mapped file on this line";
            return FileMeasure {
                pages: Measured::unavailable(why),
                disk_write: Measured::unavailable(why),
                allocation: Measured::unavailable(why),
                dirtied: false,
            };
        };
        let env = self.env_for(p);
        let after = match snaps.get(p) {
            Some(s) => Sample::of(s),
            None => Sample::take(None),
        };
        // A file first mapped on this line: measured from nothing (no pages before).
        let nothing = Sample {
            pages: Some(Measured::Value(PageState::default())),
            allocation: Some(Measured::Value(Allocation::default())),
        };
        let before = match self.files.get(p) {
            Some(Some(s)) => s,
            _ => &nothing,
        };
        let dirty = |s: &Sample| s.pages.as_ref().and_then(|m| m.value()).map(|v| v.dirty);
        let dirtied = matches!((dirty(before), dirty(&after)), (Some(b), Some(a)) if a > b);
        let gone = "the file is gone";
        // The "before" is from the end of the previous step unless the budget left the file unasked then.
        let stale = self
            .sampled_at
            .get(p)
            .filter(|&&k| k + 1 < number && self.looks.may_have_moved_since(p, k));
        let disk_write = match stale {
            Some(k) => Measured::unavailable(format!(
                "{} was last sampled after step {k} and may have changed since (more files may have \
                 changed per step than the {} asked: see probed.deferred), so what this line wrote back \
                 cannot be told",
                self.name(p),
                super::by_age::LOOK_BUDGET
            )),
            None => disk::decide(&env, before, &after, truncates),
        };
        FileMeasure {
            disk_write,
            pages: after
                .pages
                .clone()
                .unwrap_or_else(|| Measured::unavailable(gone)),
            allocation: after
                .allocation
                .clone()
                .unwrap_or_else(|| Measured::unavailable(gone)),
            dirtied,
        }
    }

    /// Every array as the program sees it and its file as read(2) sees it; arrays that left the scope
    /// are shown closed.
    fn display(
        &mut self,
        resolved: &[Resolved],
    ) -> (BTreeMap<String, ArrayState>, BTreeMap<String, FileState>) {
        let mut arrays = BTreeMap::new();
        let mut files = BTreeMap::new();
        for r in resolved {
            let state = self.array_state(r);
            if let Some(f) = self.file_state(r) {
                files.insert(r.meta.name.clone(), f);
            }
            arrays.insert(r.meta.name.clone(), state);
        }
        for (name, old) in &self.seen {
            if !arrays.contains_key(name) {
                let mut closed = old.clone();
                if closed.state != ArrayLife::Closed {
                    closed.last_str = Some(std::mem::take(&mut closed.str));
                    closed.repr.clear();
                    closed.state = ArrayLife::Closed;
                }
                arrays.insert(name.clone(), closed);
            }
        }
        (arrays, files)
    }

    /// What this step's display reads left behind — page-cache pages of every file (probed again and
    /// compared with the snapshot) and pages of the child made present (its page table, looked up again for
    /// every page the reads consulted) — and, from the same probe of each file, the "before" sample of the
    /// next line (taken last, right before the child resumes: one cachestat walk per file serves both).
    fn footprint_and_resample(
        &mut self,
        snaps: &BTreeMap<PathBuf, probe::FileSnapshot>,
        asked: &[PathBuf],
        number: usize,
    ) -> ObserverFootprint {
        let mut notes = self.readers.notes();
        let mut cached_pages = 0;
        // The files asked about at this step: the others were not measured, so there is nothing to compare
        // (and their "before" stays from their last look; see `measure`).
        for path in asked.iter().cloned() {
            let now = Sample::take(Some(&path));
            if let Some(then) = snaps.get(&path).and_then(|s| s.pages.value()) {
                match &now.pages {
                    Some(Measured::Value(n)) => {
                        cached_pages += n.cached.saturating_sub(then.cached)
                    }
                    Some(Measured::Unavailable { unavailable }) => notes.push(format!(
                        "{}: not checked after the display reads ({unavailable})",
                        self.name(&path)
                    )),
                    None => {}
                }
            }
            self.sampled_at.insert(path.clone(), number);
            self.files.insert(path, Some(now));
        }
        let resident_kb = match self.pages.newly_present() {
            Ok(n) => n * (self.pages.page_bytes() / 1024) as u64,
            Err(e) => {
                notes.push(format!(
                    "the program's page table was not checked after the display reads ({e})"
                ));
                0
            }
        };
        ObserverFootprint {
            cached_pages: cached_pages.max(self.readers.pages_added()),
            resident_kb,
            notes,
        }
    }

    /// The array as the program sees it, read from its mapping without touching absent pages.
    fn array_state(&mut self, r: &Resolved) -> ArrayState {
        let m = r.meta;
        let (state, str, repr) = match (&r.dtype, &r.mapping) {
            (Err(why), _) => (ArrayLife::Open, why.clone(), why.clone()),
            (Ok(_), None) => {
                let why = format!("no mapping of the process holds 0x{:x}", m.addr);
                (ArrayLife::Unreadable, why.clone(), why)
            }
            (Ok(dtype), Some(mapping)) => {
                let elements =
                    ProgramElements::new(m, *dtype, mapping, &mut self.pages, &self.readers);
                let s = array_str(&elements);
                let class = if m.cls == "memmap" { "memmap" } else { "array" };
                let rp = array_repr(&elements, class);
                match elements.error.into_inner() {
                    Some(why) => (ArrayLife::Unreadable, why.clone(), why),
                    None => (ArrayLife::Open, s, rp),
                }
            }
        };
        ArrayState {
            dtype: match &r.dtype {
                Ok(d) => d.to_string(),
                Err(_) => m.dtype_name.clone(),
            },
            shape: m.shape.clone(),
            mode: m.mode.clone().unwrap_or_default(),
            state,
            str,
            repr,
            last_str: None,
            file: r.path().map(|p| self.name(p)).unwrap_or_default(),
            offset: r.file_offset().unwrap_or(0),
            order: m.order.clone(),
        }
    }

    /// The element a store line wrote (`arr[1, 2] = …` with integer indexes; else the first element), read
    /// like the array itself, so a quiz can ask for its value after the line.
    fn watch(&mut self, r: &Resolved, text: &str) -> Option<ReadValue> {
        let m = r.meta;
        let (Ok(dtype), Some(mapping)) = (&r.dtype, &r.mapping) else {
            return None;
        };
        if m.shape.contains(&0) {
            return None;
        }
        let index = stored_index(text, &m.name, &m.shape).unwrap_or_else(|| vec![0; m.shape.len()]);
        let elements = ProgramElements::new(m, *dtype, mapping, &mut self.pages, &self.readers);
        let value = elements.get(&index);
        if elements.error.into_inner().is_some() {
            return None;
        }
        let expr = if index.is_empty() {
            format!("{}[()]", m.name)
        } else {
            let parts: Vec<String> = index.iter().map(usize::to_string).collect();
            format!("{}[{}]", m.name, parts.join(", "))
        };
        Some(ReadValue {
            expr,
            str: scalar_str(value.clone(), *dtype),
            repr: scalar_repr(value, *dtype),
        })
    }

    /// The array's bytes in its file as read(2) sees them, and a hex dump from the start of the file
    /// when the data begins near it (a `.npy` header is shown before the data).
    fn file_state(&self, r: &Resolved) -> Option<FileState> {
        let path = r.path()?;
        let size = std::fs::metadata(path).ok()?.len();
        let offset = r.file_offset()?;
        let str = match &r.dtype {
            Err(why) => why.clone(),
            Ok(dtype) => {
                match self
                    .readers
                    .get(path)
                    .map_err(|e| e.to_string())
                    .and_then(|q| {
                        FileElements::on(q, path, *dtype, &r.meta.shape, &r.meta.strides, offset)
                    }) {
                    Ok(e) => array_str(&e),
                    Err(why) => why,
                }
            }
        };
        let start = if offset <= 256 { 0 } else { offset };
        let len = (offset - start) + r.meta.nbytes.min(64);
        let (hex, hex_truncated) = match self.readers.get(path) {
            Ok(q) => readers::hex_dump(&q, start, len, HEX_LINES),
            Err(e) => (
                vec![HexLine::unavailable(start, &format!("pread failed: {e}"))],
                false,
            ),
        };
        Some(FileState {
            header: Vec::new(),
            path: self.name(path),
            abs_path: path.display().to_string(),
            size,
            str,
            hex,
            hex_truncated,
        })
    }
}

/// `[1, 2]` for a line `name[1, 2] = …` whose index is non-negative integer literals within `shape`.
fn stored_index(text: &str, name: &str, shape: &[usize]) -> Option<Vec<usize>> {
    let rest = text
        .trim()
        .strip_prefix(name)?
        .trim_start()
        .strip_prefix('[')?;
    let (inside, after) = rest.split_once(']')?;
    if !after.trim_start().starts_with('=') || after.trim_start().starts_with("==") {
        return None;
    }
    let index: Vec<usize> = inside
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    (index.len() == shape.len() && index.iter().zip(shape).all(|(i, n)| i < n)).then_some(index)
}

/// The variable a line is about: the first mapped array the line names, else the previous step's, else the
/// first in scope.
fn step_var(
    text: &str,
    metas: &[ArrayMeta],
    last: &str,
    known: &BTreeMap<String, PathBuf>,
) -> String {
    let code = text.split('#').next().unwrap_or("");
    let named = identifiers(code)
        .into_iter()
        .find(|id| metas.iter().any(|m| &m.name == id) || known.contains_key(id));
    if let Some(n) = named {
        return n;
    }
    if !last.is_empty()
        && (metas.iter().any(|m| m.name == last) || identifiers(code).contains(&last.to_string()))
    {
        return last.to_string();
    }
    metas.first().map(|m| m.name.clone()).unwrap_or_default()
}

/// Python identifiers in a line of code, in order.
fn identifiers(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_str: Option<char> = None;
    for c in code.chars() {
        if let Some(q) = in_str {
            if c == q {
                in_str = None;
            }
            continue;
        }
        if c == '\'' || c == '"' {
            in_str = Some(c);
        }
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c == '.' {
            // An attribute (`np.memmap`, `arr.flush`) is not a variable: skip the next identifier.
            out.push(".".to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    let mut vars = Vec::new();
    let mut after_dot = false;
    for t in out {
        if t == "." {
            after_dot = true;
            continue;
        }
        if !after_dot && !t.starts_with(|c: char| c.is_ascii_digit()) {
            vars.push(t);
        }
        after_dot = false;
    }
    vars
}

/// What a source line does to the mapped arrays, read from the line's text (the Op column of the table).
fn classify(text: &str, metas: &[ArrayMeta]) -> Op {
    let code = without_strings(text);
    let code = code.split('#').next().unwrap_or("").trim();
    let ids = identifiers(code);
    let names_array = |s: &str| metas.iter().any(|m| m.name == s);
    if code.contains(".flush(") {
        return Op::Flush;
    }
    if code.starts_with("del ") {
        return Op::Close;
    }
    if code.contains("memmap(") || code.contains("np.load(") || code.contains("open_memmap(") {
        return Op::Open;
    }
    // `arr[...] = v`, `arr += v`: a store through an array the line names on the left.
    if let Some((lhs, _)) = split_assignment(code) {
        let lhs_ids = identifiers(lhs);
        if lhs.contains('[') && lhs_ids.iter().any(|i| names_array(i)) {
            return Op::Assign;
        }
        if ["+=", "-=", "*=", "/=", "//=", "%=", "|=", "&=", "^=", "**="]
            .iter()
            .any(|o| code.contains(o))
            && lhs_ids.iter().any(|i| names_array(i))
        {
            return Op::Assign;
        }
    }
    if ids.iter().any(|i| names_array(i)) {
        return Op::Read;
    }
    Op::Read
}

/// The line with the insides of its string literals removed (`'a.flush()'` is no flush).
fn without_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {}
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// `(left, right)` of the first `=` that is an assignment (not `==`, `<=`, `>=`, `!=`).
fn split_assignment(code: &str) -> Option<(&str, &str)> {
    let b = code.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c != b'=' {
            continue;
        }
        let prev = if i > 0 { b[i - 1] } else { b' ' };
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        if next == b'=' || matches!(prev, b'=' | b'<' | b'>' | b'!') {
            continue;
        }
        return Some((&code[..i], &code[i + 1..]));
    }
    None
}

/// The array as the child sees it: each element from the child's own memory where its page is a private
/// copy (copy-on-write, anonymous), otherwise from the file it maps, read as read(2) sees it — so no page of
/// the child is touched that was not already present.
struct ProgramElements<'a> {
    dtype: DType,
    shape: &'a [usize],
    strides: &'a [isize],
    addr: usize,
    mapping: &'a ProcMapping,
    pages: RefCell<&'a mut ProcessPages>,
    readers: &'a Readers,
    /// File pages read so far (page index -> its bytes, shorter at EOF).
    file_pages: RefCell<HashMap<u64, Vec<u8>>>,
    error: RefCell<Option<String>>,
}

impl<'a> ProgramElements<'a> {
    /// The elements of array `m` (of type `dtype`, its first element in `mapping`) as the program sees them.
    fn new(
        m: &'a ArrayMeta,
        dtype: DType,
        mapping: &'a ProcMapping,
        pages: &'a mut ProcessPages,
        readers: &'a Readers,
    ) -> ProgramElements<'a> {
        ProgramElements {
            dtype,
            shape: &m.shape,
            strides: &m.strides,
            addr: m.addr,
            mapping,
            pages: RefCell::new(pages),
            readers,
            file_pages: RefCell::new(HashMap::new()),
            error: RefCell::new(None),
        }
    }

    /// `n` bytes of the file at `off` (fewer at EOF), read a whole page at a time: printing an array reads
    /// the same few elements for `str` and for `repr`, and neighbours share a page.
    fn file_bytes(&self, path: &Path, off: u64, n: usize) -> std::io::Result<Vec<u8>> {
        let page = probe::page_size().max(1);
        let mut out = Vec::with_capacity(n);
        let mut pos = off;
        while out.len() < n {
            let index = pos / page;
            let mut cache = self.file_pages.borrow_mut();
            let bytes = match cache.get(&index) {
                Some(b) => b,
                None => {
                    let b = self
                        .readers
                        .get(path)?
                        .read_at(index * page, page as usize)?;
                    cache.entry(index).or_insert(b)
                }
            };
            let from = (pos - index * page) as usize;
            let want = (n - out.len()).min(page as usize - from);
            let got = bytes
                .get(from..(from + want).min(bytes.len()))
                .unwrap_or_default();
            out.extend_from_slice(got);
            if got.len() < want {
                break;
            }
            pos += want as u64;
        }
        Ok(out)
    }

    fn fail(&self, why: String) {
        let mut e = self.error.borrow_mut();
        if e.is_none() {
            *e = Some(why);
        }
    }

    fn bytes_at(&self, addr: usize) -> Result<Vec<u8>, String> {
        let n = self.dtype.size;
        let mut pages = self.pages.borrow_mut();
        let pid = pages.pid();
        let entry = pages
            .page(addr)
            .map_err(|e| format!("cannot read /proc/{pid}/pagemap: {e}"))?;
        if entry.private_copy() || (self.mapping.path.is_none() && entry.present) {
            return pages
                .read_present(addr, n)
                .map_err(|e| format!("cannot read the program's memory: {e}"));
        }
        match &self.mapping.path {
            None => Ok(vec![0u8; n]),
            Some(path) => {
                let off = self.mapping.file_offset(addr);
                let b = self
                    .file_bytes(path, off, n)
                    .map_err(|e| format!("reading {} failed: {e}", path.display()))?;
                if b.len() < n {
                    return Err(format!(
                        "the file is shorter than the mapping: byte {off} is past its end (touching it would raise SIGBUS)"
                    ));
                }
                Ok(b)
            }
        }
    }
}

impl ElementSource for ProgramElements<'_> {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        self.shape
    }
    fn get(&self, index: &[usize]) -> Scalar {
        let mut addr = self.addr as i128;
        for (&i, &s) in index.iter().zip(self.strides) {
            addr += i as i128 * s as i128;
        }
        let zero = [0u8; 32];
        let Ok(addr) = usize::try_from(addr) else {
            self.fail("an element lies below address 0".to_string());
            return self.dtype.decode(&zero);
        };
        if !self.mapping.contains(addr) || !self.mapping.contains(addr + self.dtype.size - 1) {
            self.fail(format!("element {index:?} lies outside the mapping"));
            return self.dtype.decode(&zero);
        }
        match self.bytes_at(addr) {
            Ok(b) => self.dtype.decode(&b),
            Err(why) => {
                self.fail(why);
                self.dtype.decode(&zero)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> ArrayMeta {
        ArrayMeta {
            name: name.into(),
            cls: "memmap".into(),
            dtype: "<f4".into(),
            dtype_name: "float32".into(),
            shape: vec![3],
            strides: vec![4],
            addr: 0,
            nbytes: 12,
            mode: Some("r+".into()),
            filename: None,
            order: "C".into(),
            writeable: true,
        }
    }

    #[test]
    fn lines_are_classified_by_what_they_do_to_mapped_arrays() {
        let m = [meta("arr"), meta("view")];
        assert_eq!(classify("arr = np.memmap('f', mode='w+')", &m), Op::Open);
        assert_eq!(classify("arr[:] = np.arange(9)", &m), Op::Assign);
        assert_eq!(classify("view[1, 2] = 5  # store", &m), Op::Assign);
        assert_eq!(classify("arr += 1", &m), Op::Assign);
        assert_eq!(classify("arr.flush()", &m), Op::Flush);
        assert_eq!(classify("del arr", &m), Op::Close);
        assert_eq!(classify("x = arr[0] == 1", &m), Op::Read);
        assert_eq!(classify("other[0] = 1", &m), Op::Read);
        assert_eq!(classify("note = 'arr.flush()'", &m), Op::Read);
        assert_eq!(classify("arr[0] = len(\"x.flush()\")", &m), Op::Assign);
    }

    #[test]
    fn the_step_variable_is_the_first_array_the_line_names() {
        let m = [meta("arr"), meta("view")];
        assert_eq!(step_var("view = arr[1:]", &m, "", &BTreeMap::new()), "view");
        assert_eq!(
            step_var("print('arr')", &m, "view", &BTreeMap::new()),
            "view"
        );
        assert_eq!(step_var("np.arr = 3", &m, "", &BTreeMap::new()), "arr");
        assert_eq!(step_var("x = 1", &[], "", &BTreeMap::new()), "");
        assert_eq!(identifiers("a.b(c, 'd e')[f]"), vec!["a", "c", "f"]);
        let gone = BTreeMap::from([("old".to_string(), PathBuf::from("/f"))]);
        assert_eq!(step_var("del old", &m, "arr", &gone), "old");
    }

    #[test]
    fn stored_index_reads_integer_stores_only() {
        assert_eq!(stored_index("a[1, 2] = 5", "a", &[3, 3]), Some(vec![1, 2]));
        assert_eq!(stored_index("a[3] = 5", "a", &[3]), None);
        assert_eq!(stored_index("a[i] = 5", "a", &[3]), None);
        assert_eq!(stored_index("a[1] == 5", "a", &[3]), None);
        assert_eq!(stored_index("ab[1] = 5", "a", &[3]), None);
    }

    #[test]
    fn equal_records_are_shared_with_the_step_before() {
        let mut prev: Records<String> = Records::new();
        let one = share(
            &mut prev,
            BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
        );
        let two = share(
            &mut prev,
            BTreeMap::from([("a".into(), "1".into()), ("c".into(), "3".into())]),
        );
        let a = |r: &Records<String>| r.get_shared("a").cloned().expect("a");
        assert!(
            std::sync::Arc::ptr_eq(&a(&one), &a(&two)),
            "a unchanged: one record"
        );
        assert_eq!(two.keys().collect::<Vec<_>>(), vec!["a", "c"]);
        assert_eq!(one.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn long_output_is_cut_with_a_count() {
        let s = "x".repeat(STDOUT_KEEP + 5);
        assert!(keep(&s).ends_with("… (5 more characters)"));
        assert_eq!(keep("hi"), "hi");
    }
}

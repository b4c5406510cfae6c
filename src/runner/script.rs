//! Traces a Python script: one step per line the shim reports, every measurement taken from outside the
//! child (/proc/PID, cachestat, FIEMAP) before any display read, and the display reads made without
//! touching the child's pages (see `ProgramElements`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use super::disk::{self, Sample};
use crate::numpy::dtype::{DType, Scalar};
use crate::numpy::print::{array_repr, array_str, scalar_repr, scalar_str, ElementSource};
use crate::probe::{self, FileElements, ProcMapping, ProcessPages, QuietFile};
use crate::script::{read_source, ArrayMeta, Message, ScriptChild, ScriptError, ScriptOptions};
use crate::trace::{
    ArrayLife, ArrayState, Environment, Faults, FileState, HexLine, LessonInfo, MappingState,
    Measured, ObserverFootprint, Op, OpReport, ReadValue, ScriptInfo, ScriptStep, StepRecord,
    Trace,
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
    let cwd = match &opts.cwd {
        Some(d) => d.clone(),
        None => std::env::current_dir()
            .map_err(|e| ScriptError::Io(format!("cannot tell the current directory: {e}")))?,
    };
    let mut child = ScriptChild::spawn(opts)?;
    let (pid, python, numpy) = match child.receive()? {
        Some(Message::Hello { pid, python, numpy }) => (pid, python, numpy),
        Some(Message::NoNumpy { error }) => {
            let _ = child.wait();
            return Err(ScriptError::Missing(format!(
                "NumPy cannot be imported by `{}` ({error}): `trace` runs your script with the real NumPy \
                 (install it with `{} -m pip install numpy`)",
                opts.python, opts.python
            )));
        }
        other => {
            let code = child.wait()?;
            return Err(ScriptError::Missing(format!(
                "`{}` did not start the tracer (exit {code}; first message {other:?}); is it Python 3?",
                opts.python
            )));
        }
    };
    let mut stepper = Stepper::new(pid, &cwd, source);
    let mut info = ScriptInfo {
        script: opts.script.display().to_string(),
        args: opts.args.clone(),
        python,
        numpy,
        pid,
        every: opts.every.max(1),
        top_level: opts.top_level,
        max_steps,
        stopped_after: None,
        exit_code: None,
        error: None,
        stdout_after: String::new(),
    };
    let mut steps: Vec<StepRecord> = Vec::new();
    loop {
        if crate::signals::interrupted() {
            break;
        }
        match child.receive()? {
            Some(Message::Line {
                line,
                func,
                arrays,
                out,
                ..
            }) => {
                steps.push(stepper.record(steps.len() + 1, line, &func, &arrays, &out, None));
                let go_on = steps.len() < max_steps;
                if !go_on {
                    info.stopped_after = Some(line);
                }
                stepper.before_resume();
                child.resume(go_on)?;
            }
            Some(Message::Error {
                line,
                func,
                error,
                arrays,
                out,
            }) => {
                let func = func.unwrap_or_default();
                steps.push(stepper.record(
                    steps.len() + 1,
                    line.unwrap_or(0),
                    &func,
                    &arrays,
                    &out,
                    Some(error),
                ));
                child.resume(false)?;
            }
            Some(Message::End {
                exit,
                out,
                error,
                line,
            }) => {
                info.exit_code = Some(exit);
                info.error = error.map(|e| match line {
                    Some(l) => format!("line {l}: {e}"),
                    None => e,
                });
                info.stdout_after = keep(&out);
                break;
            }
            Some(other) => {
                return Err(ScriptError::Io(format!(
                    "the tracer sent an unexpected message: {other:?}"
                )))
            }
            None => break,
        }
    }
    let code = child.wait()?;
    if info.exit_code.is_none() {
        info.exit_code = Some(code);
        if code < 0 {
            info.error = Some(format!("the script was killed by signal {}", -code));
        }
    }
    probe::release_files();
    Ok(Trace {
        lesson: LessonInfo {
            source: opts.script.display().to_string(),
            title: format!("Trace of {}", opts.script.display()),
            workdir: cwd.display().to_string(),
        },
        environment: stepper.environment.clone(),
        steps,
        script: Some(info),
    })
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

/// Turns pauses into steps, remembering what the previous step measured.
struct Stepper {
    pid: u32,
    cwd: PathBuf,
    source: Vec<String>,
    environment: Environment,
    pages: ProcessPages,
    /// This step's display readers of the files (observer-free reads).
    readers: Readers,
    /// Every file the script has mapped so far -> its sample just before the child last resumed.
    files: BTreeMap<PathBuf, Option<Sample>>,
    /// Filesystem facts per file (a script may map files on several filesystems).
    fs: HashMap<PathBuf, Environment>,
    faults: Measured<Faults>,
    /// Arrays seen so far, to show those that left the scope (`del`, return) as closed.
    seen: BTreeMap<String, ArrayState>,
    last_var: String,
    /// The file each array variable last mapped.
    var_files: BTreeMap<String, PathBuf>,
    resumed: Instant,
}

impl Stepper {
    fn new(pid: u32, cwd: &Path, source: Vec<String>) -> Stepper {
        let (filesystem, has_disk) = match probe::fs_info(cwd) {
            Measured::Value(fs) => (fs.name, fs.has_disk),
            Measured::Unavailable { unavailable } => (format!("unknown ({unavailable})"), true),
        };
        Stepper {
            pid,
            cwd: cwd.to_path_buf(),
            source,
            environment: Environment {
                kernel: probe::kernel_release(),
                page_size: probe::page_size() as usize,
                filesystem,
                has_disk,
                dirty_expire_centisecs: probe::dirty_expire_centisecs(),
                dirty_writeback_centisecs: probe::dirty_writeback_centisecs(),
            },
            pages: ProcessPages::open(pid),
            readers: Readers::default(),
            files: BTreeMap::new(),
            fs: HashMap::new(),
            faults: probe::proc_faults(pid),
            seen: BTreeMap::new(),
            last_var: String::new(),
            var_files: BTreeMap::new(),
            resumed: Instant::now(),
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

    /// Sample every known file right before the child runs again: the "before" of the next step.
    fn before_resume(&mut self) {
        let paths: Vec<PathBuf> = self.files.keys().cloned().collect();
        for p in paths {
            self.files.insert(p.clone(), Some(Sample::take(Some(&p))));
        }
        self.resumed = Instant::now();
    }

    /// Record the step for a pause after `line`.
    fn record(
        &mut self,
        number: usize,
        line: usize,
        func: &str,
        metas: &[ArrayMeta],
        out: &str,
        error: Option<String>,
    ) -> StepRecord {
        let elapsed_ms = self.resumed.elapsed().as_secs_f64() * 1e3;
        let probe_started = Instant::now();
        // 1. Everything the kernel says, before any display read.
        let faults_now = probe::proc_faults(self.pid);
        let faults = probe::faults_between(&self.faults, &faults_now);
        self.faults = faults_now;
        let maps = probe::proc_maps(self.pid).unwrap_or_default();
        let resolved: Vec<Resolved> = metas
            .iter()
            .map(|m| Resolved {
                meta: m,
                dtype: DType::parse(&m.dtype).map_err(|e| e.to_string()),
                mapping: maps.iter().find(|p| p.contains(m.addr)).cloned(),
            })
            .collect();
        for r in &resolved {
            if let Some(p) = r.path() {
                self.files.entry(p.to_path_buf()).or_insert(None);
            }
        }
        for m in &maps {
            if let (Some(p), true) = (&m.path, m.shared()) {
                if !p.starts_with("/dev") && !p.starts_with("/proc") && !p.starts_with("/sys") {
                    self.files.entry(p.clone()).or_insert(None);
                }
            }
        }
        let text = self
            .source
            .get(line.wrapping_sub(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let var = step_var(&text, metas, &self.last_var, &self.var_files);
        self.last_var.clone_from(&var);
        for r in &resolved {
            if let Some(p) = r.path() {
                self.var_files.insert(r.meta.name.clone(), p.to_path_buf());
            }
        }
        // A variable that left the scope on this line (`del arr`) still names its file.
        let var_path = resolved
            .iter()
            .find(|r| r.meta.name == var)
            .and_then(|r| r.path().map(Path::to_path_buf))
            .or_else(|| self.var_files.get(&var).cloned());
        let mut afters: BTreeMap<PathBuf, Sample> = BTreeMap::new();
        let mut page_map = BTreeMap::new();
        let mut snaps: BTreeMap<PathBuf, probe::FileSnapshot> = BTreeMap::new();
        for p in self.files.keys() {
            if !p.exists() {
                continue;
            }
            // One snapshot per file: the page map, the counts and FIEMAP agree by construction.
            let snap = probe::snapshot(p);
            afters.insert(p.clone(), Sample::of(&snap));
            page_map.insert(self.name(p), snap.page_map.clone());
            snaps.insert(p.clone(), snap);
        }
        let mapping = match resolved.iter().find(|r| r.meta.name == var) {
            Some(r) => probe::proc_mapping_state(self.pid, r.meta.addr),
            None => Measured::unavailable("no mapped array on this line"),
        };
        let op = classify(&text, metas);
        let (pages, disk_write, allocation) = match &var_path {
            Some(p) => {
                let env = self.env_for(p);
                let zero = Sample::take(None);
                let before = match self.files.get(p) {
                    Some(Some(s)) => s,
                    // A file first mapped on this line: measured from nothing (no pages before).
                    _ => &Sample {
                        pages: Some(Measured::Value(Default::default())),
                        allocation: Some(Measured::Value(Default::default())),
                    },
                };
                let after = afters.get(p).unwrap_or(&zero);
                let truncates = op == Op::Open
                    && resolved
                        .iter()
                        .any(|r| r.meta.name == var && r.meta.mode.as_deref() == Some("w+"));
                let verdict = disk::decide(&env, before, after, truncates);
                (
                    after
                        .pages
                        .clone()
                        .unwrap_or_else(|| Measured::unavailable("the file is gone")),
                    verdict,
                    after
                        .allocation
                        .clone()
                        .unwrap_or_else(|| Measured::unavailable("the file is gone")),
                )
            }
            None => {
                let why = "no mapped file on this line";
                (
                    Measured::unavailable(why),
                    Measured::unavailable(why),
                    Measured::unavailable(why),
                )
            }
        };
        // 2. Display reads: never a page of the child that is not present, never a fault in its mapping.
        self.pages.clear();
        self.readers.clear();
        let mut arrays = BTreeMap::new();
        let mut files = BTreeMap::new();
        for r in &resolved {
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
        self.seen.clone_from(&arrays);
        let watches = match (op, resolved.iter().find(|r| r.meta.name == var)) {
            (Op::Assign, Some(r)) => self.watch(r, &text).into_iter().collect(),
            _ => Vec::new(),
        };
        // 3. What the display reads left behind (nothing, unless O_DIRECT was refused), kept apart.
        let observer = self.footprint(&snaps, &var_addr(&resolved, &var), &mapping);
        let mut note = String::new();
        if !out.is_empty() {
            note = format!("printed: {}", keep(out).trim_end());
        }
        let probe_ms = probe_started.elapsed().as_secs_f64() * 1e3;
        StepRecord {
            step: number,
            action: format!("line {line}: {text}"),
            op,
            code: text.clone(),
            ok: error.is_none(),
            error,
            expected_error: false,
            file: files.get(&var).cloned(),
            files,
            var,
            arrays,
            pages,
            disk_write,
            allocation,
            faults,
            mapping,
            read: None,
            watches,
            note,
            report: OpReport::default(),
            page_map,
            observer,
            elapsed_ms,
            probe_ms,
            script: Some(ScriptStep {
                line,
                function: func.to_string(),
                stdout: keep(out),
            }),
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
                let elements = ProgramElements {
                    dtype: *dtype,
                    shape: &m.shape,
                    strides: &m.strides,
                    addr: m.addr,
                    mapping,
                    pages: RefCell::new(&mut self.pages),
                    readers: &self.readers,
                    error: RefCell::new(None),
                };
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

    /// What this step's display reads left behind: page-cache pages of every file (probed again and compared
    /// with the snapshot) and residency of the step's mapping in the child (smaps again).
    fn footprint(
        &self,
        snaps: &BTreeMap<PathBuf, probe::FileSnapshot>,
        addr: &Option<usize>,
        mapping: &Measured<MappingState>,
    ) -> ObserverFootprint {
        let mut notes = Vec::new();
        let mut added = 0;
        for f in self.readers.files.borrow().values() {
            added += f.footprint();
            if let Some(why) = f.footprint_why() {
                if !notes.contains(&why) {
                    notes.push(why);
                }
            }
        }
        let mut cached_pages = 0;
        for (path, snap) in snaps {
            let Some(then) = snap.pages.value() else {
                continue;
            };
            match probe::page_state(path) {
                Measured::Value(now) => cached_pages += now.cached.saturating_sub(then.cached),
                Measured::Unavailable { unavailable } => notes.push(format!(
                    "{}: not checked after the display reads ({unavailable})",
                    self.name(path)
                )),
            }
        }
        let mut resident_kb = 0;
        if let (Some(then), Some(addr)) = (mapping.value(), addr) {
            if let Measured::Value(now) = probe::proc_mapping_state(self.pid, *addr) {
                resident_kb = now.rss_kb.saturating_sub(then.rss_kb);
            }
        }
        ObserverFootprint {
            cached_pages: cached_pages.max(added),
            resident_kb,
            notes,
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
        let elements = ProgramElements {
            dtype: *dtype,
            shape: &m.shape,
            strides: &m.strides,
            addr: m.addr,
            mapping,
            pages: RefCell::new(&mut self.pages),
            readers: &self.readers,
            error: RefCell::new(None),
        };
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
            str: scalar_str(value, *dtype),
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
        let dump = self
            .readers
            .get(path)
            .and_then(|q| probe::hex_dump_quiet(&q, start, len, HEX_LINES));
        let (hex, hex_truncated) = match dump {
            Ok(d) => (d.lines, d.truncated),
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

/// One [`QuietFile`] per file for a step's display reads (no page enters the page cache).
#[derive(Default)]
struct Readers {
    files: RefCell<HashMap<PathBuf, Rc<QuietFile>>>,
}

impl Readers {
    fn get(&self, path: &Path) -> std::io::Result<Rc<QuietFile>> {
        if let Some(f) = self.files.borrow().get(path) {
            return Ok(f.clone());
        }
        let f = Rc::new(QuietFile::open(path)?);
        self.files
            .borrow_mut()
            .insert(path.to_path_buf(), f.clone());
        Ok(f)
    }
    fn clear(&self) {
        self.files.borrow_mut().clear();
    }
}

/// The address of the step variable's data, if it has one.
fn var_addr(resolved: &[Resolved], var: &str) -> Option<usize> {
    resolved
        .iter()
        .find(|r| r.meta.name == var)
        .map(|r| r.meta.addr)
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
    let code = text.split('#').next().unwrap_or("").trim();
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
    error: RefCell<Option<String>>,
}

impl ProgramElements<'_> {
    fn fail(&self, why: String) {
        let mut e = self.error.borrow_mut();
        if e.is_none() {
            *e = Some(why);
        }
    }

    fn bytes_at(&self, addr: usize) -> Result<Vec<u8>, String> {
        let n = self.dtype.size;
        let mut pages = self.pages.borrow_mut();
        let entry = pages
            .page(addr)
            .map_err(|e| format!("cannot read /proc/{{pid}}/pagemap: {e}"))?;
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
                    .readers
                    .get(path)
                    .and_then(|q| q.read_at(off, n))
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
        let zero = [0u8; 16];
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
    fn long_output_is_cut_with_a_count() {
        let s = "x".repeat(STDOUT_KEEP + 5);
        assert!(keep(&s).ends_with("… (5 more characters)"));
        assert_eq!(keep("hi"), "hi");
    }
}

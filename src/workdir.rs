//! The directory a lesson runs in: a fresh temporary one (removed afterwards) or the user's `--workdir`.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::confine::{normal_name, DirFd};
use crate::lesson::{Action, LessonError, LoadedLesson, Mode, OpenSpec, Target};

/// Name of the file inside a temporary work directory that says which process owns it.
pub const PID_FILE: &str = ".memmap-tutor.pid";
/// Prefix of temporary work directories.
pub const TEMP_PREFIX: &str = "memmap-tutor-";

/// A lesson's work directory; a temporary one is removed when this is dropped.
pub struct WorkDir {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// The directory's descriptor, holding an exclusive `flock` for the whole run.
    lock: DirFd,
    overwrite: bool,
}

impl WorkDir {
    /// Use `dir` (created if missing, kept afterwards), or a fresh temporary directory (mode
    /// 0700, with a pid file inside). Either is locked (`flock`) against a second tutor.
    /// Prefer [`WorkDir::prepare`], which first checks the lesson against the directory.
    pub fn new(dir: Option<&Path>) -> Result<WorkDir, PrepareError> {
        WorkDir::create(dir, &std::env::temp_dir())
    }

    /// A fresh temporary directory inside `base` (created if missing), checked for free space
    /// first; removed afterwards like the default one (`verify --workdir DIR`).
    pub fn prepare_temp_in(base: &Path, lesson: &LoadedLesson) -> Result<WorkDir, PrepareError> {
        check_place(base)?;
        check_free_space(base, lesson)?;
        make_dir(base)?;
        remove_stale_temp_dirs(base);
        WorkDir::create(None, base)
    }

    /// `dir`, or a temporary directory made in `temp_base`; its locked descriptor is the one the
    /// engine will use (see `confine::register_prepared`).
    fn create(dir: Option<&Path>, temp_base: &Path) -> Result<WorkDir, PrepareError> {
        let w = WorkDir::create_unregistered(dir, temp_base)?;
        crate::confine::register_prepared(&w.path, w.lock.file());
        Ok(w)
    }

    fn create_unregistered(dir: Option<&Path>, temp_base: &Path) -> Result<WorkDir, PrepareError> {
        match dir {
            Some(d) => {
                check_place(d)?;
                make_dir(d)?;
                let path = d.canonicalize().map_err(|e| io_at(d, e))?;
                let lock = lock(&path)?;
                Ok(WorkDir {
                    path,
                    temp: None,
                    lock,
                    overwrite: false,
                })
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix(TEMP_PREFIX)
                    .permissions(std::fs::Permissions::from_mode(0o700))
                    .tempdir_in(temp_base)
                    .map_err(|e| io_at(temp_base, e))?;
                // Registered so Ctrl-C, SIGBUS or a panic removes it too (Drop does not run on exit()).
                crate::signals::register_temp_dir(temp.path().to_path_buf());
                crate::signals::test_panic_point();
                let path = temp
                    .path()
                    .canonicalize()
                    .map_err(|e| io_at(temp.path(), e))?;
                let lock = lock(&path)?;
                // Written after the lock: a directory with a pid file and no lock holder is stale.
                std::fs::write(path.join(PID_FILE), format!("{}\n", std::process::id()))
                    .map_err(|e| io_at(&path, e))?;
                Ok(WorkDir {
                    path,
                    temp: Some(temp),
                    lock,
                    overwrite: false,
                })
            }
        }
    }

    /// Check `lesson` against the directory it is about to run in ([`preflight`]), then create it.
    /// A refusal is a [`LessonError`] (exit 2) and nothing has been created or touched. Stale
    /// temporary directories of tutors that are gone are removed first.
    pub fn prepare(
        dir: Option<&Path>,
        lesson: &LoadedLesson,
        overwrite: bool,
    ) -> Result<WorkDir, PrepareError> {
        remove_stale_temp_dirs(&std::env::temp_dir());
        if let Some(d) = dir {
            check_place(d)?;
        }
        let mut w = match dir {
            Some(d) if d.is_dir() => {
                // Lock before checking, so the check holds for the whole run.
                let w = WorkDir::new(Some(d))?;
                preflight(&w.path, lesson, overwrite)?;
                w
            }
            Some(d) => {
                check_free_space(d, lesson)?;
                WorkDir::new(Some(d))?
            }
            // A fresh temporary directory holds nothing to escape through or overwrite: only
            // the free space of the filesystem it will be made on matters.
            None => {
                check_free_space(&std::env::temp_dir(), lesson)?;
                WorkDir::new(None)?
            }
        };
        w.overwrite = overwrite;
        Ok(w)
    }

    /// Absolute path of the directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the directory is removed at the end of the run.
    pub(crate) fn is_temporary(&self) -> bool {
        self.temp.is_some()
    }

    /// True when `--overwrite` lets the lesson change files it did not create.
    pub fn overwrite(&self) -> bool {
        self.overwrite
    }

    /// The directory's descriptor (locked for the run).
    pub fn dir_fd(&self) -> &DirFd {
        &self.lock
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        crate::confine::unregister_prepared(&self.path);
        if let Some(t) = &self.temp {
            crate::signals::unregister_temp_dir(t.path());
        }
        // The TempDir field removes the directory itself; the lock goes with the descriptor.
    }
}

/// Create the work directory `dir` if it is missing — only its last component, as `mkdir` does
/// ([`check_place`] has refused a missing parent); an existing directory is used as it is.
fn make_dir(dir: &Path) -> Result<(), PrepareError> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(io_at(dir, e)),
    }
}

/// Refuse (exit 2, nothing created) a `--workdir` that cannot be what the user meant:
/// - a missing parent: the tutor creates only the last component, like `mkdir` (not `mkdir -p`),
///   so a typo such as `/nonexistent/deep/x` never leaves a tree of directories behind;
/// - a directory on a kernel pseudo-filesystem (proc, sysfs, cgroup, debugfs, …), which holds no
///   files a lesson could create (its "free space" of 0 bytes would be a misleading reason).
fn check_place(dir: &Path) -> Result<(), PrepareError> {
    let shown = shell_quote(&dir.to_string_lossy());
    let existing = if dir.exists() {
        dir.to_path_buf()
    } else {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            return Err(PrepareError::Usage(format!(
                "work directory {shown}: its parent {} does not exist (or is not a directory); \
                 memmap-tutor creates only the last component of the path, as mkdir does: create the \
                 parent first or fix the path",
                shell_quote(&parent.to_string_lossy())
            )));
        }
        parent.to_path_buf()
    };
    if let Some(kind) = pseudo_filesystem(&existing) {
        return Err(PrepareError::Usage(format!(
            "work directory {shown}: it is on {kind}, a kernel pseudo-filesystem that cannot hold a \
             lesson's files; choose a directory on a real filesystem (or tmpfs)"
        )));
    }
    Ok(())
}

/// The name of the kernel pseudo-filesystem holding `path`, if it is one (statfs `f_type`).
fn pseudo_filesystem(path: &Path) -> Option<&'static str> {
    let st = statfs(path)?;
    // The magic numbers of linux/magic.h.
    const KINDS: [(i64, &str); 12] = [
        (0x9fa0, "procfs"),
        (0x6265_6572, "sysfs"),
        (0x27e0eb, "cgroup"),
        (0x6367_7270, "cgroup2"),
        (0x6462_6720, "debugfs"),
        (0x7363_6673, "securityfs"),
        (0x7472_6163, "tracefs"),
        (0x6165_676c, "pstore"),
        (0xcafe4a11, "bpf"),
        (0x6265_6570, "configfs"),
        (0x6573_5546, "fusectl"),
        (0x1cd1, "devpts"),
    ];
    // f_type is i64 on x86_64 but u32/i32 elsewhere: the cast is needed there.
    #[allow(clippy::unnecessary_cast)]
    let t = st.f_type as i64;
    KINDS.iter().find(|(m, _)| *m == t).map(|(_, k)| *k)
}

/// statfs(2) of `path`; None when it fails.
fn statfs(path: &Path) -> Option<libc::statfs> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: `c` is a valid NUL-terminated path and `st` points to writable statfs storage.
    if unsafe { libc::statfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statfs returned 0, so it filled the struct.
    Some(unsafe { st.assume_init() })
}

/// Open `path` and take an exclusive flock on it, or say that another tutor runs there.
/// An I/O error that names the directory (and says "not a directory" where the OS says "exists").
fn io_at(path: &Path, e: io::Error) -> PrepareError {
    let why = if e.kind() == io::ErrorKind::AlreadyExists && !path.is_dir() {
        "it exists and is not a directory".to_string()
    } else {
        e.to_string()
    };
    PrepareError::Io(io::Error::new(
        e.kind(),
        format!("{}: {why}", shell_quote(&path.to_string_lossy())),
    ))
}

fn lock(path: &Path) -> Result<DirFd, PrepareError> {
    use std::os::fd::AsRawFd;
    let d = DirFd::open_new(path).map_err(|e| io_at(path, e))?;
    // SAFETY: plain flock(2) on a descriptor we own.
    if unsafe { libc::flock(d.file().as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(PrepareError::Busy(path.to_path_buf()));
        }
        return Err(io_at(path, e));
    }
    Ok(d)
}

/// Remove `memmap-tutor-*` directories in `base` left by tutors that are gone (SIGKILL, power
/// loss): real directories (not symlinks) owned by this user, holding a [`PID_FILE`], and not
/// locked by anyone. A tutor writes its pid file only once it holds the directory's `flock`, and
/// keeps the lock until the directory is removed, so "pid file and no lock holder" means the
/// owner is gone — also when its pid has since been reused by an unrelated process (a pid check
/// alone would keep such a directory forever). Anything else is left alone.
pub fn remove_stale_temp_dirs(base: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(base) else {
        return removed;
    };
    // SAFETY: getuid has no failure mode and touches no memory.
    let uid = unsafe { libc::getuid() };
    for e in entries.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != uid {
            continue;
        }
        let Some(pid) = std::fs::read_to_string(path.join(PID_FILE))
            .ok()
            .and_then(|t| t.trim().parse::<libc::pid_t>().ok())
            .filter(|&p| p > 0)
        else {
            continue;
        };
        if pid == std::process::id() as libc::pid_t {
            continue;
        }
        // Held while removing, so a tutor cannot start using it meanwhile (none would: the name is random).
        let Ok(held) = lock(&path) else {
            continue;
        };
        if std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
        drop(held);
    }
    removed
}

/// Why a work directory was not prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The lesson may not run here (exit 2): nothing was created.
    #[error("{0}")]
    Refused(#[from] LessonError),
    /// Another tutor holds the directory's lock (exit 2).
    #[error("another memmap-tutor is running in {} (it holds the directory's lock); wait for it to finish or choose another --workdir", crate::workdir::shell_quote(&.0.to_string_lossy()))]
    Busy(PathBuf),
    /// The directory could not be created (exit 1).
    #[error("cannot prepare the work directory: {0}")]
    Io(io::Error),
    /// The directory given cannot be meant (a missing parent, a pseudo-filesystem): exit 2.
    #[error("{0}")]
    Usage(String),
}

/// A path (or any text) quoted for the shell so it can be pasted as one word: as is when it is
/// plain, in single quotes otherwise, and as bash's `$'...'` with escapes when it holds control
/// characters (which must never reach the terminal raw).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c))
    {
        return s.to_string();
    }
    if s.chars().any(crate::term_safe::is_unsafe) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                c if crate::term_safe::is_unsafe(c) && (c as u32) <= 0xff => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if crate::term_safe::is_unsafe(c) => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Checks made before the first step, so a refused lesson touches nothing:
/// - every file a step names is reached without a symlink (the engine opens files by
///   descriptor without following symlinks; a symlink here would only fail later);
/// - a file that exists before the run is the user's: an `r+`/`w+` open, `truncate`,
///   `external_write` or a shared `crash` store on it is refused unless `overwrite`;
/// - everything the lesson can grow or dirty, across all files, fits the free space.
///
/// `dir` need not exist (a new `--workdir`): then only the free space is checked, on the
/// nearest existing ancestor.
pub(crate) fn preflight(
    dir: &Path,
    lesson: &LoadedLesson,
    overwrite: bool,
) -> Result<(), LessonError> {
    if dir.is_dir() {
        let d = DirFd::open(dir).map_err(|e| LessonError::Unreadable {
            source_name: lesson.source.clone(),
            message: format!("cannot open the work directory {}: {e}", dir.display()),
        })?;
        // var -> (file, mode) of its latest open, for crash.
        let mut vars: BTreeMap<&str, (&str, Mode)> = BTreeMap::new();
        for step in &lesson.steps {
            let (file, field, writes) = match &step.action {
                Action::Open(spec) | Action::Reopen(spec) => {
                    vars.insert(&spec.var, (&spec.file, spec.mode));
                    let field = if matches!(step.action, Action::Open(_)) {
                        "file"
                    } else {
                        "var"
                    };
                    (
                        spec.file.as_str(),
                        field,
                        matches!(spec.mode, Mode::ReadWrite | Mode::Write),
                    )
                }
                Action::ExternalWrite { target, .. } | Action::Truncate { target, .. } => {
                    (target.file(), target_field(target), true)
                }
                Action::ExternalRead { target, .. } => (target.file(), target_field(target), false),
                // After `close` a crash maps the file read-write (the name has no mapping left).
                Action::Close { var } => {
                    if let Some(entry) = vars.get_mut(var.as_str()) {
                        entry.1 = Mode::ReadWrite;
                    }
                    continue;
                }
                Action::Crash { var, .. } => match vars.get(var.as_str()) {
                    Some((file, mode)) => {
                        (*file, "var", matches!(mode, Mode::ReadWrite | Mode::Write))
                    }
                    None => continue,
                },
                _ => continue,
            };
            let existing = d.inspect(file).map_err(|why| {
                refuse(
                    lesson,
                    step.number,
                    field,
                    format!(
                        "`{file}` cannot be reached inside the work directory {}: {why}",
                        dir.display()
                    ),
                )
            })?;
            if writes && !overwrite && existing.is_some() {
                let (field, what) = match &step.action {
                    Action::Open(s) | Action::Reopen(s) if s.mode == Mode::Write => {
                        ("mode", "mode w+ would truncate it (NumPy empties the file)")
                    }
                    Action::Open(_) | Action::Reopen(_) => (
                        "mode",
                        "mode r+ can change it (NumPy also grows it to the shape)",
                    ),
                    Action::Truncate { .. } => (field, "truncate would shorten it"),
                    Action::ExternalWrite { .. } => {
                        (field, "external_write would change its bytes")
                    }
                    _ => (field, "crash would store into it through a shared mapping"),
                };
                return Err(refuse(
                    lesson,
                    step.number,
                    field,
                    format!(
                        "`{file}` was already in {} before the run, and {what}; files that were there \
                         are read-only to a lesson: run with --overwrite to allow it, or name a new file",
                        dir.display()
                    ),
                ));
            }
        }
    }
    check_free_space(dir, lesson)
}

/// The field a target came from: `var` when the step named a variable, else `file`.
fn target_field(target: &Target) -> &'static str {
    match target {
        Target::Var { .. } => "var",
        Target::File(_) => "file",
    }
}

/// Refuse a lesson whose growth and stores could fill the filesystem holding `dir`.
///
/// A file NumPy grows is sparse (it writes one NUL at the end), so its apparent size alone costs
/// one page: the 64 GiB `bigger-than-ram` lesson needs only the pages it writes. What fills the
/// disk is the stores; a store to a page the filesystem cannot allocate kills NumPy with SIGBUS
/// (the tutor populates pages first and makes that an error step; this check refuses up front).
/// So the check adds up, across all files, a page per growth and the bytes every assignment,
/// crash store and external write can dirty, page rounded and capped at each file's size, and
/// refuses at the step where the total passes the free space.
fn check_free_space(dir: &Path, lesson: &LoadedLesson) -> Result<(), LessonError> {
    let Some(free) = free_bytes(dir) else {
        return Ok(());
    };
    let plan = planned_writes(dir, lesson);
    if let Some(over) = plan.first_over(free as u128) {
        return Err(refuse(
            lesson,
            over.step,
            over.field,
            format!(
                "the lesson can grow and write up to {} bytes across its files by this step (`{}` alone up to {} \
                 of its {} bytes), more than the {free} bytes free on the work directory's filesystem; a store to \
                 a page the full disk cannot hold kills NumPy (SIGBUS), so the tutor refuses: use a smaller \
                 shape or write less",
                over.total, over.file, over.file_bytes, over.file_size
            ),
        ));
    }
    Ok(())
}

/// Where the planned bytes first pass the free space.
struct Over {
    step: usize,
    field: &'static str,
    file: String,
    total: u128,
    file_bytes: u128,
    file_size: u128,
}

/// Per file: its largest size and the bytes the lesson can dirty; per step, the running total.
struct Plan {
    /// (step, field, file, running total) after each step that adds bytes.
    steps: Vec<(usize, &'static str, String, u128)>,
    files: BTreeMap<String, FilePlan>,
}

#[derive(Default, Clone)]
struct FilePlan {
    size: u128,
    bytes: u128,
}

impl Plan {
    fn first_over(&self, free: u128) -> Option<Over> {
        let (step, field, file, total) = self.steps.iter().find(|s| s.3 > free)?.clone();
        let fp = self.files.get(&file).cloned().unwrap_or_default();
        Some(Over {
            step,
            field,
            file,
            total,
            file_bytes: fp.bytes,
            file_size: fp.size,
        })
    }
}

const PAGE: u128 = 4096;

/// What the lesson can grow and dirty, file by file, in step order.
fn planned_writes(dir: &Path, lesson: &LoadedLesson) -> Plan {
    let mut planner = Planner {
        dir,
        vars: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    let mut steps = Vec::new();
    let mut total: u128 = 0;
    for step in &lesson.steps {
        // (file, field, bytes this step can dirty) before capping.
        let Some((name, field, want)) = planner.step(&step.action) else {
            continue;
        };
        let entry = planner.files.entry(name.clone()).or_default();
        let cap = entry.size.div_ceil(PAGE) * PAGE;
        let before = entry.bytes;
        entry.bytes = (entry.bytes + want).min(cap.max(PAGE));
        total += entry.bytes - before;
        steps.push((step.number, field, name, total));
    }
    Plan {
        steps,
        files: planner.files,
    }
}

/// A variable as the plan sees it: its file, shape, item size, and whether stores reach the file.
type PlannedVar = (String, Vec<usize>, usize, bool);

/// The state of [`planned_writes`] between steps: which variable maps which file, and each file's size.
struct Planner<'a> {
    dir: &'a Path,
    vars: BTreeMap<String, PlannedVar>,
    files: BTreeMap<String, FilePlan>,
}

impl Planner<'_> {
    /// The plan of a file, starting from its size on disk now.
    fn file(&mut self, name: &str) -> &mut FilePlan {
        let dir = self.dir;
        self.files
            .entry(name.to_string())
            .or_insert_with(|| FilePlan {
                size: std::fs::symlink_metadata(dir.join(name))
                    .map(|m| m.len() as u128)
                    .unwrap_or(0),
                bytes: 0,
            })
    }

    /// The file, field and bytes a step can dirty (before capping); None when it dirties nothing.
    fn step(&mut self, action: &Action) -> Option<(String, &'static str, u128)> {
        match action {
            Action::Open(spec) | Action::Reopen(spec) => self.open(spec),
            Action::Assign { var, index, .. }
            | Action::Crash { var, index, .. }
            | Action::ForkWrite { var, index, .. } => self.store(var, index),
            Action::ExternalWrite {
                target,
                offset,
                data,
                ..
            } => {
                let name = normal_name(target.file())?;
                let entry = self.file(&name);
                entry.size = entry.size.max(*offset as u128 + data.len() as u128);
                Some((
                    name,
                    "bytes",
                    (data.len() as u128).div_ceil(PAGE) * PAGE + PAGE,
                ))
            }
            Action::Truncate { target, size, .. } => {
                // Shrinking frees space; growing makes a sparse tail that later stores may fill.
                let name = normal_name(target.file())?;
                let entry = self.file(&name);
                entry.size = entry.size.max(*size as u128);
                None
            }
            _ => None,
        }
    }

    /// An open binds the variable; growing the file (r+/w+ with a larger shape) dirties one page.
    fn open(&mut self, spec: &OpenSpec) -> Option<(String, &'static str, u128)> {
        let name = normal_name(&spec.file)?;
        self.vars.remove(&spec.var);
        let shape: Option<Vec<usize>> = spec
            .shape
            .as_ref()
            .and_then(|s| s.iter().map(|&d| usize::try_from(d).ok()).collect());
        let shared = matches!(spec.mode, Mode::ReadWrite | Mode::Write);
        if let Some(shape) = &shape {
            self.vars.insert(
                spec.var.clone(),
                (name.clone(), shape.clone(), spec.dtype.size, shared),
            );
        }
        let entry = self.file(&name);
        match (shared, grow_size(spec)) {
            (true, Some(size)) if size > entry.size => {
                // NumPy writes one NUL at the new end: one page.
                entry.size = size;
                Some((name, "shape", PAGE))
            }
            _ => None,
        }
    }

    /// A store through a shared mapping dirties the pages of the indexed view (plus one for alignment).
    fn store(
        &self,
        var: &str,
        index: &crate::expr::index::IndexExpr,
    ) -> Option<(String, &'static str, u128)> {
        let (file, shape, itemsize, shared) = self.vars.get(var)?;
        if !*shared {
            return None;
        }
        // Only the view's shape matters here; an overflowing shape has no strides, and zeros do.
        let strides = crate::numpy::layout::contiguous_strides(shape, *itemsize, false)
            .unwrap_or_else(|| vec![0; shape.len()]);
        let view = crate::engine::view::apply_index(shape, &strides, 0, &index.items).ok()?;
        let count: u128 = view.shape.iter().map(|&d| d as u128).product();
        Some((
            file.clone(),
            "index",
            (count * *itemsize as u128).div_ceil(PAGE) * PAGE + PAGE,
        ))
    }
}

/// A refusal located at a step and field, like validation errors.
fn refuse(lesson: &LoadedLesson, step: usize, field: &str, message: String) -> LessonError {
    LessonError::Step {
        source_name: lesson.source.clone(),
        step,
        field: field.to_string(),
        message,
    }
}

/// The file size an `r+`/`w+` open grows the file to (offset + size * itemsize), when the shape is
/// known, non-negative and does not overflow (otherwise the engine raises NumPy's error at run time).
fn grow_size(spec: &OpenSpec) -> Option<u128> {
    if !matches!(spec.mode, Mode::ReadWrite | Mode::Write) {
        return None;
    }
    let mut n: u128 = 1;
    for &d in spec.shape.as_ref()? {
        n = n.checked_mul(u128::try_from(d).ok()?)?;
    }
    n.checked_mul(spec.dtype.size as u128)?
        .checked_add(spec.offset.max(0) as u128)
}

/// Bytes available to an unprivileged user on the filesystem holding `dir` (or its nearest
/// existing ancestor); None when statvfs fails or the filesystem states no capacity (then the
/// check is skipped, not guessed).
fn free_bytes(dir: &Path) -> Option<u64> {
    let mut p = dir;
    while !p.exists() {
        p = p.parent()?;
    }
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a valid NUL-terminated path and `st` points to writable statvfs storage.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let st = unsafe { st.assume_init() };
    // A filesystem that states no capacity at all (ramfs: it grows with memory) has no free
    // space to compare with: unknown, not 0 (which would refuse every lesson).
    if st.f_blocks == 0 {
        return None;
    }
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dir_is_removed_when_a_panic_unwinds() {
        let (tx, rx) = std::sync::mpsc::channel();
        let r = std::thread::spawn(move || {
            let w = WorkDir::new(None).map_err(|e| e.to_string()).unwrap();
            std::fs::write(w.path().join("a.dat"), b"x").unwrap();
            tx.send(w.path().to_path_buf()).unwrap();
            panic!("simulated bug mid-lesson");
        })
        .join();
        assert!(r.is_err());
        let path = rx.recv().unwrap();
        assert!(!path.exists(), "{} survived the panic", path.display());
    }

    #[test]
    fn shell_quoting_pastes_as_one_word() {
        assert_eq!(shell_quote("/tmp/a.dat"), "/tmp/a.dat");
        assert_eq!(shell_quote("/tmp/my file.dat"), "'/tmp/my file.dat'");
        assert_eq!(shell_quote("it's; rm -rf ~"), "'it'\\''s; rm -rf ~'");
        assert_eq!(shell_quote("a\x1b[2Jb"), "$'a\\x1b[2Jb'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn stale_dirs_of_dead_tutors_are_removed_and_live_ones_kept() {
        let base = tempfile::tempdir().unwrap();
        let dead = base.path().join("memmap-tutor-dead");
        let live = base.path().join("memmap-tutor-live");
        let nopid = base.path().join("memmap-tutor-nopid");
        let other = base.path().join("not-ours");
        for d in [&dead, &live, &nopid, &other] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("a.dat"), b"x").unwrap();
        }
        // A pid that cannot exist (above pid_max's largest possible value).
        std::fs::write(dead.join(PID_FILE), "4194305\n").unwrap();
        std::fs::write(other.join(PID_FILE), "4194305\n").unwrap();
        std::fs::write(live.join(PID_FILE), format!("{}\n", std::process::id())).unwrap();
        let removed = remove_stale_temp_dirs(base.path());
        assert_eq!(removed, vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && nopid.exists() && other.exists());
    }

    #[test]
    fn free_space_is_measured() {
        assert!(free_bytes(Path::new("/tmp/does/not/exist")).is_some());
    }
}

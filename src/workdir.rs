//! The directory a lesson runs in: a fresh temporary one (removed afterwards) or the user's `--workdir`.

use std::io;
use std::path::{Path, PathBuf};

use crate::engine::open::confine;
use crate::lesson::{Action, LessonError, LoadedLesson, Mode, OpenSpec};

/// A lesson's work directory; a temporary one is removed when this is dropped.
pub struct WorkDir {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
}

impl WorkDir {
    /// Use `dir` (created if missing, kept afterwards), or a fresh temporary directory.
    /// Prefer [`WorkDir::prepare`], which first checks the lesson against the directory.
    pub fn new(dir: Option<&Path>) -> io::Result<WorkDir> {
        match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                Ok(WorkDir {
                    path: d.canonicalize()?,
                    temp: None,
                })
            }
            None => {
                let temp = tempfile::Builder::new().prefix("memmap-tutor-").tempdir()?;
                // Registered so Ctrl-C or a panic removes it too (Drop does not run on exit()).
                crate::signals::register_temp_dir(temp.path().to_path_buf());
                crate::signals::test_panic_point();
                Ok(WorkDir {
                    path: temp.path().canonicalize()?,
                    temp: Some(temp),
                })
            }
        }
    }

    /// Check `lesson` against the directory it is about to run in ([`preflight`]), then create it.
    /// A refusal is a [`LessonError`] (exit 2) and nothing has been created or touched.
    pub(crate) fn prepare(
        dir: Option<&Path>,
        lesson: &LoadedLesson,
        overwrite: bool,
    ) -> Result<WorkDir, PrepareError> {
        match dir {
            Some(d) => preflight(d, lesson, overwrite)?,
            // A fresh temporary directory holds nothing to escape through or overwrite: only
            // the free space of the filesystem it will be made on matters.
            None => check_free_space(&std::env::temp_dir(), lesson)?,
        }
        WorkDir::new(dir).map_err(PrepareError::Io)
    }

    /// Absolute path of the directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the directory is removed at the end of the run.
    pub(crate) fn is_temporary(&self) -> bool {
        self.temp.is_some()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(t) = &self.temp {
            crate::signals::unregister_temp_dir(t.path());
        }
        // The TempDir field removes the directory itself.
    }
}

/// Why a work directory was not prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The lesson may not run here (exit 2): nothing was created.
    #[error("{0}")]
    Refused(#[from] LessonError),
    /// The directory could not be created (exit 1).
    #[error("cannot prepare the work directory: {0}")]
    Io(io::Error),
}

/// Checks made before the first step, so a refused lesson touches nothing:
/// - every `open` names a file that resolves inside `dir` — validation already refused `..` and
///   absolute paths; here symlinks already in a `--workdir` are followed (a lesson cannot create
///   symlinks, so every escape is visible now; the engine checks again when it opens);
/// - a `w+` on a file that exists before the run is refused unless `overwrite` (NumPy would
///   truncate it, and a teaching tool must not lose a user's file);
/// - a `w+` larger than the free space of `dir`'s filesystem is refused: NumPy would create a
///   sparse file, but writing its pages once the disk is full kills the process with SIGBUS.
///
/// `dir` need not exist (a new `--workdir`): then only the free space is checked, on the
/// nearest existing ancestor.
pub(crate) fn preflight(
    dir: &Path,
    lesson: &LoadedLesson,
    overwrite: bool,
) -> Result<(), LessonError> {
    if dir.is_dir() {
        for step in &lesson.steps {
            let Action::Open(spec) = &step.action else {
                continue;
            };
            let path = confine(dir, &spec.file).map_err(|_| {
                refuse(
                    lesson,
                    step.number,
                    "file",
                    format!(
                        "`{}` resolves outside the work directory {} (through a symlink); a lesson can only name files inside its work directory",
                        spec.file,
                        dir.display()
                    ),
                )
            })?;
            if spec.mode == Mode::Write && !overwrite && std::fs::symlink_metadata(&path).is_ok() {
                return Err(refuse(
                    lesson,
                    step.number,
                    "mode",
                    format!(
                        "`{}` already exists in {} and mode w+ would truncate it (NumPy empties the file); \
                         run with --overwrite to allow it, or use mode r+ to keep its contents",
                        spec.file,
                        dir.display()
                    ),
                ));
            }
        }
    }
    check_free_space(dir, lesson)
}

/// Refuse a lesson whose stores would fill the filesystem holding `dir`.
///
/// A `w+` file is created sparse (NumPy writes one NUL at the end), so its apparent size alone costs no
/// space: the 64 GiB `bigger-than-ram` lesson needs only the pages it writes. What fills the disk is the
/// stores; a store to a page the filesystem cannot allocate kills the process with SIGBUS. So the check
/// adds up, per file, the bytes the lesson's assignments (and a crash's stores) can dirty, page rounded,
/// and refuses when that exceeds the free space.
fn check_free_space(dir: &Path, lesson: &LoadedLesson) -> Result<(), LessonError> {
    let Some(free) = free_bytes(dir) else {
        return Ok(());
    };
    for (file, w) in planned_writes(lesson) {
        if w.bytes > free as u128 {
            return Err(refuse(
                lesson,
                w.open_step,
                "shape",
                format!(
                    "mode w+ makes `{file}` {} bytes and the lesson's assignments write up to {} bytes of it, \
                     more than the {free} bytes free on the work directory's filesystem; NumPy would create the \
                     file sparse, but a store to a page the full disk cannot hold kills the process (SIGBUS), \
                     so the tutor refuses: use a smaller shape or write less",
                    w.size, w.bytes
                ),
            ));
        }
    }
    Ok(())
}

/// What a lesson will write to one `w+` file at most.
struct PlannedWrite {
    /// The step that created the file.
    open_step: usize,
    /// Its apparent size.
    size: u128,
    /// Bytes the lesson's stores can dirty, page rounded, at most `size` (plus the NUL NumPy writes).
    bytes: u128,
}

/// Per `w+` file: the bytes its shared maps' assignments and crash stores can dirty.
fn planned_writes(lesson: &LoadedLesson) -> std::collections::BTreeMap<String, PlannedWrite> {
    use std::collections::BTreeMap;
    const PAGE: u128 = 4096;
    // var -> (file, shape, itemsize, shared)
    let mut vars: BTreeMap<String, (String, Vec<usize>, usize, bool)> = BTreeMap::new();
    let mut files: BTreeMap<String, PlannedWrite> = BTreeMap::new();
    for step in &lesson.steps {
        match &step.action {
            Action::Open(spec) => {
                vars.remove(&spec.var);
                let shape: Option<Vec<usize>> = spec
                    .shape
                    .as_ref()
                    .and_then(|s| s.iter().map(|&d| usize::try_from(d).ok()).collect());
                let Some(shape) = shape else { continue };
                if let Some(size) = write_size(spec) {
                    files.insert(
                        spec.file.clone(),
                        PlannedWrite {
                            open_step: step.number,
                            size: size as u128,
                            bytes: PAGE.min(size as u128),
                        },
                    );
                    vars.insert(
                        spec.var.clone(),
                        (spec.file.clone(), shape, spec.dtype.size, true),
                    );
                } else {
                    let shared = matches!(spec.mode, Mode::ReadWrite | Mode::Write);
                    vars.insert(
                        spec.var.clone(),
                        (spec.file.clone(), shape, spec.dtype.size, shared),
                    );
                }
            }
            Action::Assign { var, index, .. } | Action::Crash { var, index, .. } => {
                let Some((file, shape, itemsize, shared)) = vars.get(var) else {
                    continue;
                };
                let Some(w) = files.get_mut(file) else {
                    continue;
                };
                // A crash's child maps the file shared whatever the variable's mode.
                if !*shared && matches!(step.action, Action::Assign { .. }) {
                    continue;
                }
                // Only the view's shape matters here; an overflowing shape has no strides, and zeros do.
                let strides = crate::numpy::layout::contiguous_strides(shape, *itemsize, false)
                    .unwrap_or_else(|| vec![0; shape.len()]);
                let Ok(view) = crate::engine::view::apply_index(shape, &strides, 0, &index.items)
                else {
                    continue;
                };
                let count: u128 = view.shape.iter().map(|&d| d as u128).product();
                let bytes = (count * *itemsize as u128).div_ceil(PAGE) * PAGE + PAGE;
                w.bytes = (w.bytes + bytes).min(w.size.div_ceil(PAGE) * PAGE);
            }
            _ => {}
        }
    }
    files
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

/// The file size a `w+` open asks for (offset + size * itemsize), when the shape is known,
/// non-negative and does not overflow (otherwise the engine raises NumPy's error at run time).
fn write_size(spec: &OpenSpec) -> Option<i128> {
    if spec.mode != Mode::Write {
        return None;
    }
    let mut n: i128 = 1;
    for &d in spec.shape.as_ref()? {
        if d < 0 {
            return None;
        }
        n = n.checked_mul(d as i128)?;
    }
    n.checked_mul(spec.dtype.size as i128)?
        .checked_add(spec.offset.max(0) as i128)
}

/// Bytes available to an unprivileged user on the filesystem holding `dir` (or its nearest
/// existing ancestor); None when statvfs fails (then the check is skipped, not guessed).
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
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dir_is_removed_when_a_panic_unwinds() {
        let (tx, rx) = std::sync::mpsc::channel();
        let r = std::thread::spawn(move || {
            let w = WorkDir::new(None).unwrap();
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
    fn free_space_is_measured() {
        assert!(free_bytes(Path::new("/tmp/does/not/exist")).is_some());
    }
}

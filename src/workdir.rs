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
    pub fn prepare(
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
    pub fn is_temporary(&self) -> bool {
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

impl From<PrepareError> for crate::commands::CommandError {
    fn from(e: PrepareError) -> Self {
        match e {
            PrepareError::Refused(l) => crate::commands::CommandError::Lesson(l),
            PrepareError::Io(_) => crate::commands::CommandError::Io(e.to_string()),
        }
    }
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
pub fn preflight(dir: &Path, lesson: &LoadedLesson, overwrite: bool) -> Result<(), LessonError> {
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

/// Refuse a `w+` whose size exceeds the free space of the filesystem holding `dir`.
fn check_free_space(dir: &Path, lesson: &LoadedLesson) -> Result<(), LessonError> {
    let Some(free) = free_bytes(dir) else {
        return Ok(());
    };
    for step in &lesson.steps {
        let Action::Open(spec) = &step.action else {
            continue;
        };
        if let Some(need) = write_size(spec) {
            if need > free as i128 {
                return Err(refuse(
                    lesson,
                    step.number,
                    "shape",
                    format!(
                        "mode w+ would make `{}` {need} bytes, more than the {free} bytes free on the work directory's filesystem; \
                         NumPy would create it sparse, but writing to it once the disk is full kills the process (SIGBUS), \
                         so the tutor refuses: use a smaller shape",
                        spec.file
                    ),
                ));
            }
        }
    }
    Ok(())
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

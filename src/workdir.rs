//! The directory a lesson runs in: a fresh temporary one (removed afterwards) or the user's `--workdir`.

use std::io;
use std::path::{Path, PathBuf};

/// A lesson's work directory; a temporary one is removed when this is dropped.
pub struct WorkDir {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
}

impl WorkDir {
    /// Use `dir` (created if missing, kept afterwards), or a fresh temporary directory.
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
                Ok(WorkDir {
                    path: temp.path().canonicalize()?,
                    temp: Some(temp),
                })
            }
        }
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

//! Confinement by descriptor: the work directory opened once, files opened beneath it without following symlinks.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The work directory opened once: every lesson file is opened relative to this descriptor,
/// never by path, and no symlink is followed on the way (`openat2` with `RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS`, or `O_NOFOLLOW` per component where openat2 is missing). A file
/// swapped for a symlink mid-run cannot redirect a step outside.
pub struct DirFd {
    /// The directory as given (absolute when the work directory made it so); for display only.
    path: PathBuf,
    dir: File,
}

/// Work directories already opened (and locked) by `workdir`, by path: a later [`DirFd::open`] of
/// the same path (the engine's) gets a duplicate of that descriptor instead of walking the path
/// again, so a directory renamed or swapped for a symlink between preparing the run and its first
/// step cannot move the run elsewhere.
static PREPARED: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());

/// Remember `dir` as the descriptor of the prepared work directory `path` (see [`PREPARED`]).
pub fn register_prepared(path: &Path, dir: &File) {
    if let (Ok(dup), Ok(mut list)) = (dir.try_clone(), PREPARED.lock()) {
        list.retain(|(p, _)| p != path);
        list.push((path.to_path_buf(), dup));
    }
}

/// Forget the prepared work directory `path` (the run is over).
pub fn unregister_prepared(path: &Path) {
    if let Ok(mut list) = PREPARED.lock() {
        list.retain(|(p, _)| p != path);
    }
}

impl DirFd {
    /// Open `path` as the directory lessons are confined to: the prepared work directory's own
    /// descriptor (duplicated) when `path` is one, else a fresh open.
    pub fn open(path: &Path) -> std::io::Result<DirFd> {
        if let Ok(list) = PREPARED.lock() {
            if let Some((_, f)) = list.iter().find(|(p, _)| p == path) {
                return Ok(DirFd {
                    path: path.to_path_buf(),
                    dir: f.try_clone()?,
                });
            }
        }
        DirFd::open_new(path)
    }

    /// Open `path` afresh (its own open file description: a `flock` on it is its own).
    pub fn open_new(path: &Path) -> std::io::Result<DirFd> {
        let dir = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)?;
        Ok(DirFd {
            path: path.to_path_buf(),
            dir,
        })
    }

    /// Wrap an already open directory descriptor.
    pub fn from_file(path: &Path, dir: File) -> DirFd {
        DirFd {
            path: path.to_path_buf(),
            dir,
        }
    }

    /// The directory's path (for messages and probes keyed by path).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's own descriptor (for `flock`).
    pub fn file(&self) -> &File {
        &self.dir
    }

    /// Open `rel` beneath the directory with open(2) `flags` (`O_CLOEXEC` and `O_NOFOLLOW` are
    /// added); `mode` is used when `O_CREAT` creates the file. A symlink anywhere on the way, an
    /// absolute path or `..` fails with ELOOP/EXDEV/EPERM.
    pub fn open_file(&self, rel: &str, flags: libc::c_int, mode: u32) -> std::io::Result<File> {
        let parts = components(rel)?;
        let c = std::ffi::CString::new(parts.join("/"))
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        let how = OpenHow {
            flags: (flags | libc::O_CLOEXEC | libc::O_NOFOLLOW) as u64,
            mode: if flags & libc::O_CREAT != 0 {
                mode as u64
            } else {
                0
            },
            resolve: libc::RESOLVE_BENEATH
                | libc::RESOLVE_NO_SYMLINKS
                | libc::RESOLVE_NO_MAGICLINKS,
        };
        // SAFETY: openat2(dirfd, path, &how, size): `c` is NUL-terminated and `how` is a valid
        // open_how of the size passed; the returned fd (if any) is owned by the File below.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                self.dir.as_raw_fd(),
                c.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        if fd >= 0 {
            // SAFETY: openat2 returned a new descriptor that nothing else owns.
            return Ok(unsafe { File::from_raw_fd(fd as RawFd) });
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            // No openat2 (kernel < 5.6) or a seccomp filter refusing it: walk the components.
            Some(libc::ENOSYS) | Some(libc::EPERM) => self.open_by_components(&parts, flags, mode),
            _ => Err(err),
        }
    }

    /// The fallback: `openat(O_NOFOLLOW)` one component at a time, directories with O_PATH.
    fn open_by_components(
        &self,
        parts: &[&str],
        flags: libc::c_int,
        mode: u32,
    ) -> std::io::Result<File> {
        let mut cur: Option<File> = None;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let c = std::ffi::CString::new(*part)
                .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
            let f = if last {
                flags | libc::O_CLOEXEC | libc::O_NOFOLLOW
            } else {
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW
            };
            let at = cur.as_ref().unwrap_or(&self.dir).as_raw_fd();
            // SAFETY: plain openat on a descriptor we own with a NUL-terminated name.
            let fd = unsafe { libc::openat(at, c.as_ptr(), f, mode as libc::c_uint) };
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: openat returned a new descriptor that nothing else owns.
            cur = Some(unsafe { File::from_raw_fd(fd) });
        }
        cur.ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))
    }

    /// What is at `rel` now, without following symlinks: `Ok(None)` when nothing is there,
    /// `Err` naming the component when a symlink (or a non-directory) is on the way.
    pub fn inspect(&self, rel: &str) -> Result<Option<std::fs::Metadata>, String> {
        let parts = components(rel).map_err(|e| e.to_string())?;
        let mut prefix = PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            prefix.push(part);
            match std::fs::symlink_metadata(self.path.join(&prefix)) {
                Err(_) => return Ok(None),
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(format!(
                        "`{}` is a symlink; lessons open files by descriptor without following symlinks",
                        prefix.display()
                    ))
                }
                Ok(m) if i + 1 == parts.len() => return Ok(Some(m)),
                Ok(m) if !m.is_dir() => {
                    return Err(format!("`{}` is not a directory", prefix.display()))
                }
                Ok(_) => {}
            }
        }
        Ok(None)
    }
}

/// `struct open_how` of openat2(2) (libc's is non-exhaustive, so it cannot be built here).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// The normal components of a lesson's relative file name (`.` and empty ones dropped); `..`
/// and absolute names are refused (validation already refused them; this is the last line).
fn components(rel: &str) -> std::io::Result<Vec<&str>> {
    let mut parts = Vec::new();
    for comp in Path::new(rel).components() {
        match comp {
            Component::CurDir => {}
            Component::Normal(c) => parts.push(
                c.to_str()
                    .ok_or_else(|| std::io::Error::from_raw_os_error(libc::EINVAL))?,
            ),
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(std::io::Error::from_raw_os_error(libc::EXDEV))
            }
        }
    }
    if parts.is_empty() {
        return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
    }
    Ok(parts)
}

/// A lesson's file name in one spelling (`./a//b.dat` is `a/b.dat`), so two steps naming the
/// same file agree; None for names `components` refuses.
pub fn normal_name(rel: &str) -> Option<String> {
    components(rel).ok().map(|p| p.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_open_beneath_the_directory_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.dat"), b"x").unwrap();
        let d = DirFd::open(dir.path()).unwrap();
        assert!(d.open_file("sub/a.dat", libc::O_RDONLY, 0).is_ok());
        assert!(d.open_file("./sub//a.dat", libc::O_RDONLY, 0).is_ok());
        assert!(d.open_file("../a.dat", libc::O_RDONLY, 0).is_err());
        assert!(d.open_file("/etc/passwd", libc::O_RDONLY, 0).is_err());
        std::os::unix::fs::symlink("/etc", dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink("sub", dir.path().join("in")).unwrap();
        std::os::unix::fs::symlink("sub/a.dat", dir.path().join("b.dat")).unwrap();
        for name in ["out/passwd", "in/a.dat", "b.dat"] {
            let e = d.open_file(name, libc::O_RDONLY, 0).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{name}");
            assert!(d.inspect(name).unwrap_err().contains("symlink"), "{name}");
            // The fallback walk refuses them too.
            let parts = components(name).unwrap();
            assert!(
                d.open_by_components(&parts, libc::O_RDONLY, 0).is_err(),
                "{name}"
            );
        }
        assert!(d.inspect("sub/a.dat").unwrap().is_some());
        assert!(d.inspect("sub/none.dat").unwrap().is_none());
        assert_eq!(normal_name("./sub//a.dat").as_deref(), Some("sub/a.dat"));
        assert_eq!(normal_name("../a"), None);
    }

    #[test]
    fn a_prepared_work_directory_is_reused_by_descriptor_not_reopened_by_path() {
        use std::os::unix::fs::MetadataExt;
        let base = tempfile::tempdir().unwrap();
        let w = base.path().join("w");
        std::fs::create_dir(&w).unwrap();
        let prepared = DirFd::open_new(&w).unwrap();
        let ino = prepared.file().metadata().unwrap().ino();
        register_prepared(&w, prepared.file());
        // Swapped after preparing: renamed away, a symlink to another directory in its place.
        std::fs::rename(&w, base.path().join("moved")).unwrap();
        std::fs::create_dir(base.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(base.path().join("elsewhere"), &w).unwrap();
        let again = DirFd::open(&w).unwrap();
        assert_eq!(again.file().metadata().unwrap().ino(), ino);
        again
            .open_file("new.dat", libc::O_CREAT | libc::O_WRONLY, 0o600)
            .unwrap();
        assert!(base.path().join("moved/new.dat").exists());
        assert!(!base.path().join("elsewhere/new.dat").exists());
        unregister_prepared(&w);
        assert_ne!(
            DirFd::open(&w).unwrap().file().metadata().unwrap().ino(),
            ino
        );
    }
}

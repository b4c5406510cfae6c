//! Long-lived file handles for the probes, so that probing never closes the first fd of a file.
//!
//! Why: ext4 (`auto_da_alloc`, on by default) marks a file that was truncated to size 0 — NumPy's
//! `w+` over an existing file does that — and the next close of *any* fd of it starts writeback
//! of its delayed-allocation pages. Measured on this kernel: a probe that opened and closed its
//! own fd right after such a create turned `dirty 1` into `writeback 1` and gave the file a disk
//! block. A probe must not cause the disk write it reports, so each file's probe fd stays open
//! (keyed by path and checked against the inode) until [`release_files`] is called.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// An open probe fd for one file.
#[derive(Clone)]
pub(crate) struct Handle {
    pub file: Arc<File>,
}

struct Entry {
    dev: u64,
    ino: u64,
    handle: Handle,
    /// The engine's own descriptor of the file: used whatever the path names now.
    pinned: bool,
    /// The O_DIRECT fd of the same file (opened on first use, kept open for the same reason).
    direct: Option<Arc<File>>,
}

static HANDLES: Mutex<Option<HashMap<PathBuf, Entry>>> = Mutex::new(None);

/// The work directory and its descriptor: files under it are opened beneath the descriptor
/// without following symlinks (a file swapped for a symlink mid-run is unavailable, not followed).
static CONFINED: Mutex<Option<(PathBuf, Arc<File>)>> = Mutex::new(None);

/// Measure files under `dir` only through `dir_fd` (the engine's work-directory descriptor).
pub fn confine_to(dir: &Path, dir_fd: &File) {
    if let Ok(fd) = dir_fd.try_clone() {
        *CONFINED.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((dir.to_path_buf(), Arc::new(fd)));
    }
}

/// Probe `path` through (a duplicate of) the engine's own descriptor `file` from now on: the
/// probes never resolve that path again.
pub fn pin_file(path: &Path, file: &File) {
    let (Ok(dup), Ok(meta)) = (file.try_clone(), file.metadata()) else {
        return;
    };
    let mut guard = table();
    guard.get_or_insert_with(HashMap::new).insert(
        path.to_path_buf(),
        Entry {
            dev: meta.dev(),
            ino: meta.ino(),
            handle: Handle {
                file: Arc::new(dup),
            },
            pinned: true,
            direct: None,
        },
    );
}

/// Open `path` read-only: beneath the confined work directory without following
/// symlinks when it lies there, else by path (tests, files outside any lesson).
fn open_confined(path: &Path) -> io::Result<File> {
    let confined = CONFINED.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some((dir, fd)) = confined {
        if let Ok(rel) = path.strip_prefix(&dir) {
            let rel = rel
                .to_str()
                .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
            let d = crate::confine::DirFd::from_file(&dir, fd.try_clone()?);
            return d.open_file(rel, libc::O_RDONLY | libc::O_NONBLOCK, 0);
        }
    }
    File::open(path)
}

fn table() -> MutexGuard<'static, Option<HashMap<PathBuf, Entry>>> {
    // A panic while holding the lock cannot leave the map half-updated in a harmful way.
    HANDLES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The probe fd of the file now at `path` (opened on first use; reopened if the path now names
/// another inode).
///
/// Opened read-only: the probes never write. cachestat(2) accepts a read-only descriptor from the
/// file's owner, root (CAP_FOWNER) or a user allowed to write the file; anyone else is refused, and
/// the probe says so (see `cachestat::explain_error`).
pub(crate) fn handle(path: &Path) -> io::Result<Handle> {
    handle_id(path).map(|(h, _)| h)
}

/// [`handle`] and the (device, inode) of the file its fd holds.
pub(crate) fn handle_id(path: &Path) -> io::Result<(Handle, (u64, u64))> {
    let mut guard = table();
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(e) = map.get(path).filter(|e| e.pinned) {
        return Ok((e.handle.clone(), (e.dev, e.ino)));
    }
    // lstat: a symlink now at the path is a different inode, and is then refused by the open.
    let meta = std::fs::symlink_metadata(path)?;
    if let Some(e) = map.get(path) {
        if e.dev == meta.dev() && e.ino == meta.ino() {
            return Ok((e.handle.clone(), (e.dev, e.ino)));
        }
    }
    let handle = Handle {
        file: Arc::new(open_confined(path)?),
    };
    // Check the inode of the fd itself: the path may have been replaced between stat and open.
    let fmeta = handle.file.metadata()?;
    // The probes read only what they show: no read-ahead on this fd (it is ours alone; the
    // program's own fds and mappings keep the kernel's default read-ahead).
    // SAFETY: plain syscall on a valid open fd; no memory is passed.
    unsafe { libc::posix_fadvise(handle.file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
    map.insert(
        path.to_path_buf(),
        Entry {
            dev: fmeta.dev(),
            ino: fmeta.ino(),
            handle: handle.clone(),
            pinned: false,
            direct: None,
        },
    );
    Ok((handle, (fmeta.dev(), fmeta.ino())))
}

/// An `O_RDONLY | O_DIRECT` fd of the file now at `path`, kept open like [`handle`]'s.
///
/// An O_DIRECT read goes around the page cache: it leaves no page behind. Some filesystems refuse
/// O_DIRECT (EINVAL); the error says so and the caller falls back.
pub(crate) fn direct_handle(path: &Path) -> io::Result<Arc<File>> {
    let buffered = handle(path)?;
    let mut guard = table();
    let map = guard.get_or_insert_with(HashMap::new);
    let entry = map
        .get_mut(path)
        .filter(|e| Arc::ptr_eq(&e.handle.file, &buffered.file))
        .ok_or_else(|| io::Error::other("the file was replaced while it was probed"))?;
    if let Some(f) = &entry.direct {
        return Ok(f.clone());
    }
    // Reopened through /proc/self/fd: the same inode as the buffered fd, without resolving the
    // path again (a file swapped for a symlink is never followed).
    use std::os::fd::AsRawFd;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT | libc::O_NONBLOCK)
        .open(format!("/proc/self/fd/{}", buffered.file.as_raw_fd()))?;
    let fmeta = f.metadata()?;
    if fmeta.dev() != entry.dev || fmeta.ino() != entry.ino {
        return Err(io::Error::other(
            "the file was replaced while it was probed",
        ));
    }
    let f = Arc::new(f);
    entry.direct = Some(f.clone());
    Ok(f)
}

/// Close the probe fd of `path`, if any (e.g. before deleting a big file, to free its space now).
///
/// Closing may itself start ext4's auto_da_alloc writeback (see the module docs), so call it
/// after the last measurement of the file. (Tests use it to clean up between measurements.)
#[cfg(test)]
pub(crate) fn release_file(path: &Path) {
    if let Some(map) = table().as_mut() {
        map.remove(path);
    }
}

/// Close every probe fd (end of a run). Same caveat as `release_file`.
pub fn release_files() {
    *table() = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inode_reuses_fd_and_replaced_file_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.bin");
        std::fs::write(&path, b"one").expect("write");
        let a = handle(&path).expect("handle");
        let b = handle(&path).expect("handle");
        assert!(Arc::ptr_eq(&a.file, &b.file));
        assert_eq!(
            a.file.metadata().map(|_| ()).ok(),
            Some(()),
            "the fd is open"
        );
        // SAFETY: fcntl(F_GETFL) on an open fd.
        let flags = unsafe { libc::fcntl(a.file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(
            flags & libc::O_ACCMODE,
            libc::O_RDONLY,
            "probe fds are read-only"
        );
        // Replace the file with a new inode at the same path.
        std::fs::remove_file(&path).expect("rm");
        std::fs::write(&path, b"two!").expect("write");
        let c = handle(&path).expect("handle");
        assert!(!Arc::ptr_eq(&a.file, &c.file));
        assert_eq!(c.file.metadata().expect("fstat").len(), 4);
        release_file(&path);
        let d = handle(&path).expect("handle");
        assert!(!Arc::ptr_eq(&c.file, &d.file));
        release_file(&path);
        assert!(handle(&dir.path().join("missing")).is_err());
    }
}

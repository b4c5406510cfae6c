//! Which files of the work directory some process opened, read, wrote, truncated, renamed or deleted since
//! the last look (inotify on the directories that hold the lesson's files).
//!
//! inotify reports syscalls on a file (open, read, write, truncate, fallocate, rename, unlink), by any
//! process; it does not report stores through a mapping nor `posix_fadvise`/`madvise` — but those need an
//! fd or a mapping opened first, and that open is reported. What it cannot see is a process that opened the
//! file before the watch began (or before the look that last probed the file) and acts through that old fd or
//! mapping without another syscall on the file.

use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Every event that can come with a change of a file's data, size, name or page cache.
const MASK: u32 = libc::IN_OPEN
    | libc::IN_ACCESS
    | libc::IN_MODIFY
    | libc::IN_ATTRIB
    | libc::IN_CLOSE_WRITE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF;

/// Events a read-only open and read produce.
pub const READ_ONLY_EVENTS: u32 = libc::IN_OPEN | libc::IN_ACCESS | libc::IN_CLOSE_NOWRITE;

/// The only event the tutor's display reads produce: they pread through the probes' long-lived fds (see
/// `QuietFile`), which were opened when the file was first probed — so no open of theirs is reported.
pub const DISPLAY_READ_EVENTS: u32 = libc::IN_ACCESS;

/// One file's events since the last drain: its name relative to the work directory and the event bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEvent {
    pub name: String,
    pub mask: u32,
}

/// An inotify instance watching directories of one work directory.
pub struct DirEvents {
    fd: Result<OwnedFd, String>,
    /// Watch descriptor -> directory relative to the work directory ("" for itself).
    dirs: HashMap<i32, String>,
    watched: HashMap<String, i32>,
}

impl Default for DirEvents {
    fn default() -> Self {
        // SAFETY: inotify_init1 takes flags only and returns a new fd or -1.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        let fd = if fd < 0 {
            Err(format!(
                "inotify unavailable: {}",
                std::io::Error::last_os_error()
            ))
        } else {
            // SAFETY: fd is a new descriptor this process owns and nothing else closes.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        };
        DirEvents {
            fd,
            dirs: HashMap::new(),
            watched: HashMap::new(),
        }
    }
}

impl DirEvents {
    /// Watch the directory `rel_dir` of `workdir` (idempotent); why not, when it cannot.
    pub fn watch(&mut self, workdir: &Path, rel_dir: &str) -> Result<(), String> {
        if self.watched.contains_key(rel_dir) {
            return Ok(());
        }
        let fd = self.fd.as_ref().map_err(String::clone)?;
        let path = workdir.join(rel_dir);
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("{} holds a NUL byte", path.display()))?;
        // IN_DONT_FOLLOW: a symlink put where the directory was is not followed (confinement).
        let flags = MASK | libc::IN_DONT_FOLLOW | libc::IN_ONLYDIR;
        // SAFETY: a valid inotify fd and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), flags) };
        if wd < 0 {
            return Err(format!(
                "cannot watch {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        self.dirs.insert(wd, rel_dir.to_string());
        self.watched.insert(rel_dir.to_string(), wd);
        Ok(())
    }

    /// Every event since the last drain, merged per file; Err when some may be lost (queue overflow, a
    /// watched directory gone) or inotify is unavailable: then any file may have changed.
    pub fn drain(&mut self) -> Result<Vec<DirEvent>, String> {
        let fd = self.fd.as_ref().map_err(String::clone)?.as_raw_fd();
        let mut merged: Vec<DirEvent> = Vec::new();
        let mut lost = None;
        let mut buf = [0u8; 16 * 1024];
        loop {
            // SAFETY: reading into a buffer we own, of the length given.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                match e.kind() {
                    std::io::ErrorKind::WouldBlock => break,
                    std::io::ErrorKind::Interrupted => continue,
                    _ => return Err(format!("reading inotify events failed: {e}")),
                }
            }
            if n == 0 {
                break;
            }
            for (wd, mask, name) in parse(&buf[..n as usize]) {
                if mask & libc::IN_Q_OVERFLOW != 0 {
                    lost = Some("inotify's queue overflowed".to_string());
                    continue;
                }
                let Some(dir) = self.dirs.get(&wd) else {
                    continue;
                };
                if mask & (libc::IN_IGNORED | libc::IN_DELETE_SELF | libc::IN_MOVE_SELF) != 0 {
                    lost = Some(format!(
                        "the watched directory {dir:?} was removed or moved"
                    ));
                    if mask & libc::IN_IGNORED != 0 {
                        // The watch is gone: watched again when the directory is next named.
                        let dir = dir.clone();
                        self.dirs.remove(&wd);
                        self.watched.remove(&dir);
                    }
                    continue;
                }
                let name = match (dir.as_str(), name) {
                    (_, "") => continue,
                    ("", n) => n.to_string(),
                    (d, n) => format!("{d}/{n}"),
                };
                match merged.iter_mut().find(|e| e.name == name) {
                    Some(e) => e.mask |= mask,
                    None => merged.push(DirEvent { name, mask }),
                }
            }
        }
        match lost {
            Some(why) => Err(why),
            None => Ok(merged),
        }
    }
}

/// (watch descriptor, mask, name) of each `struct inotify_event` in `buf`.
fn parse(buf: &[u8]) -> Vec<(i32, u32, &str)> {
    const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER <= buf.len() {
        let word = |k: usize| {
            let b = &buf[at + 4 * k..at + 4 * k + 4];
            u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
        };
        let (wd, mask, len) = (word(0) as i32, word(1), word(3) as usize);
        let end = (at + HEADER + len).min(buf.len());
        let raw = &buf[at + HEADER..end];
        let name = raw.split(|&b| b == 0).next().unwrap_or_default();
        out.push((wd, mask, std::str::from_utf8(name).unwrap_or("")));
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_another_process_opening_a_file_and_nothing_when_idle() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("a.dat"), b"x").expect("write");
        std::fs::write(dir.path().join("sub/b.dat"), b"x").expect("write");
        let mut ev = DirEvents::default();
        if let Err(why) = ev
            .watch(dir.path(), "")
            .and_then(|()| ev.watch(dir.path(), "sub"))
        {
            eprintln!("skip: {why}");
            return;
        }
        assert_eq!(ev.drain(), Ok(Vec::new()), "nothing happened yet");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("cat a.dat > /dev/null; printf y >> sub/b.dat")
            .current_dir(dir.path())
            .status()
            .expect("sh");
        assert!(status.success());
        let got = ev.drain().expect("drain");
        let a = got.iter().find(|e| e.name == "a.dat").expect("a.dat seen");
        assert_eq!(a.mask & libc::IN_OPEN, libc::IN_OPEN, "{got:?}");
        assert_eq!(a.mask & !READ_ONLY_EVENTS, 0, "only read: {got:?}");
        let b = got
            .iter()
            .find(|e| e.name == "sub/b.dat")
            .expect("sub/b.dat seen");
        assert_ne!(b.mask & libc::IN_MODIFY, 0, "{got:?}");
        assert_eq!(ev.drain(), Ok(Vec::new()), "drained");
    }
}

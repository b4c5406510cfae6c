//! Page-cache counts of a file or byte range with cachestat(2) (Linux ≥ 6.5).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use linux_raw_sys::general::{__NR_cachestat, cachestat, cachestat_range};

use crate::trace::{Measured, PageState};

use super::handles::{handle, handle_id};
use super::system::{kernel_release, page_size};

/// Page-cache state of the whole file (cachestat over [0, EOF)).
pub fn page_state(path: &Path) -> Measured<PageState> {
    // len 0 asks the kernel for everything up to EOF.
    page_state_range(path, 0, 0)
}

/// Page-cache state of the pages covering bytes `[offset, offset + len)`; `len == 0` means to EOF.
///
/// `total` is the number of pages of the file the range covers (clipped to the file size),
/// so `cached <= total` holds unless the file shrank between the two calls.
pub fn page_state_range(path: &Path, offset: u64, len: u64) -> Measured<PageState> {
    let h = match handle(path) {
        Ok(h) => h,
        Err(e) => return Measured::unavailable(format!("cannot open {}: {e}", path.display())),
    };
    let size = match h.file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return Measured::unavailable(format!("fstat({}) failed: {e}", path.display())),
    };
    page_state_on(&h.file, size, offset, len)
}

/// Whole-file counts of the file named `rel` beneath the open directory `dir` (`path` is the same file
/// by its full name, the probes' key), or None when nothing is there (as `Path::exists`: a symlink is
/// followed). Asked at every step of every file, so it costs one fstatat beneath the directory (not a walk
/// of the work directory's whole path) and one cachestat on the probes' fd, whose size needs no fstat of
/// its own while the name still holds the probed inode.
pub(crate) fn page_state_beneath(
    dir: &File,
    rel: &str,
    path: &Path,
) -> Option<Measured<PageState>> {
    let name = std::ffi::CString::new(rel).ok()?;
    super::work::count_look(path);
    // SAFETY: an all-zero stat is a valid value of this plain C struct; the kernel overwrites it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstatat on a directory fd open for the call, a NUL-terminated name and a writable stat.
    if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, 0) } != 0 {
        return None;
    }
    let (h, id) = match handle_id(path) {
        Ok(x) => x,
        Err(e) => {
            return Some(Measured::unavailable(format!(
                "cannot open {}: {e}",
                path.display()
            )))
        }
    };
    let size = if id == (st.st_dev, st.st_ino) {
        st.st_size as u64
    } else {
        match h.file.metadata() {
            Ok(m) => m.len(),
            Err(e) => {
                return Some(Measured::unavailable(format!(
                    "fstat({}) failed: {e}",
                    path.display()
                )))
            }
        }
    };
    Some(page_state_on(&h.file, size, 0, 0))
}

/// [`page_state_range`] on an open probe fd of a file whose size is `size` (a caller asking for many
/// ranges of one file opens and measures it once).
pub(crate) fn page_state_on(file: &File, size: u64, offset: u64, len: u64) -> Measured<PageState> {
    let total = pages_covered(size, offset, len, page_size());
    match cachestat_fd(file, offset, len) {
        Ok(cs) => Measured::Value(PageState {
            total,
            cached: cs.nr_cache,
            dirty: cs.nr_dirty,
            writeback: cs.nr_writeback,
            evicted: cs.nr_evicted,
        }),
        Err(e) => Measured::unavailable(explain_error(&e)),
    }
}

/// The raw syscall on an open file.
fn cachestat_fd(file: &File, offset: u64, len: u64) -> io::Result<cachestat> {
    let range = cachestat_range { off: offset, len };
    let mut out = cachestat {
        nr_cache: 0,
        nr_dirty: 0,
        nr_writeback: 0,
        nr_evicted: 0,
        nr_recently_evicted: 0,
    };
    let flags: libc::c_uint = 0;
    super::work::count_cachestat();
    // SAFETY: cachestat(fd, const struct cachestat_range *, struct cachestat *, unsigned int flags):
    // the fd is open for the whole call, `range` is a valid readable struct of the kernel's layout,
    // `out` a valid writable one (both from linux-raw-sys), and flags must be 0.
    let rc = unsafe {
        libc::syscall(
            __NR_cachestat as libc::c_long,
            file.as_raw_fd(),
            &range as *const cachestat_range,
            &mut out as *mut cachestat,
            flags,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(out)
}

fn explain_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => format!(
            "cachestat refused the probe's read-only descriptor ({e}): this kernel answers only the \
             file's owner, root, or a user who may write the file"
        ),
        Some(libc::ENOSYS) => format!(
            "cachestat(2) needs Linux ≥ 6.5; this kernel is {}",
            kernel_release()
        ),
        Some(libc::EOPNOTSUPP) => {
            format!("cachestat is not supported on this file (e.g. hugetlbfs): {e}")
        }
        _ => format!("cachestat failed: {e}"),
    }
}

/// Number of pages of a file of `size` bytes that `[offset, offset+len)` touches (len 0 = to EOF).
pub(crate) fn pages_covered(size: u64, offset: u64, len: u64, page: u64) -> u64 {
    let end = if len == 0 {
        size
    } else {
        offset.saturating_add(len).min(size)
    };
    if offset >= end || page == 0 {
        return 0;
    }
    let first = offset / page;
    let last = end.div_ceil(page);
    last - first
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pages_covered_counts_partial_pages() {
        assert_eq!(pages_covered(0, 0, 0, 4096), 0);
        assert_eq!(pages_covered(36, 0, 0, 4096), 1);
        assert_eq!(pages_covered(4096, 0, 0, 4096), 1);
        assert_eq!(pages_covered(4097, 0, 0, 4096), 2);
        assert_eq!(pages_covered(3 * 4096, 4095, 2, 4096), 2);
        assert_eq!(pages_covered(3 * 4096, 4096, 10_000_000, 4096), 2);
        assert_eq!(pages_covered(100, 200, 10, 4096), 0);
    }

    #[test]
    fn written_file_is_cached() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.bin");
        let mut f = File::create(&path).expect("create");
        f.write_all(&[7u8; 5000]).expect("write");
        drop(f);
        let st = page_state(&path);
        let st = match st {
            Measured::Value(v) => v,
            Measured::Unavailable { unavailable } => {
                eprintln!("skip: cachestat unavailable here: {unavailable}");
                return;
            }
        };
        assert_eq!(st.total, 2);
        // Just-written data is in the page cache (nothing evicts 2 pages this fast in a test).
        assert_eq!(st.cached, 2, "{st:?}");
        let first = page_state_range(&path, 0, 10);
        assert_eq!(first.value().map(|p| p.total), Some(1));
    }

    #[test]
    fn errors_are_explained() {
        let enosys = io::Error::from_raw_os_error(libc::ENOSYS);
        let why = explain_error(&enosys);
        assert!(
            why.starts_with("cachestat(2) needs Linux ≥ 6.5; this kernel is "),
            "{why}"
        );
        let eperm = io::Error::from_raw_os_error(libc::EPERM);
        let why = explain_error(&eperm);
        assert!(
            why.starts_with(
                "cachestat refused the probe's read-only descriptor (Operation not permitted"
            ),
            "{why}"
        );
    }

    #[test]
    fn missing_file_is_unavailable() {
        let m = page_state(Path::new("/definitely/not/here.bin"));
        assert!(m.why().expect("unavailable").contains("cannot open"));
    }
}

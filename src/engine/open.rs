//! `np.memmap(...)`: NumPy 2.4.6's constructor, step by step with the same side effects (§1.1).

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use memmap2::MmapOptions;

use super::array::{contiguous_strides, Mapping};
use super::Variable;
use crate::lesson::{Mode, OpenSpec};

pub(crate) use crate::python::{os_error, py_repr};

/// The work directory opened once: every lesson file is opened relative to this descriptor,
/// never by path, and no symlink is followed on the way (`openat2` with `RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS`, or `O_NOFOLLOW` per component where openat2 is missing). A file
/// swapped for a symlink mid-run cannot redirect a step outside.
pub struct DirFd {
    /// The directory as given (absolute when the work directory made it so); for display only.
    path: PathBuf,
    dir: File,
}

impl DirFd {
    /// Open `path` as the directory lessons are confined to.
    pub fn open(path: &Path) -> std::io::Result<DirFd> {
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
/// same file agree; None for names [`components`] refuses.
pub fn normal_name(rel: &str) -> Option<String> {
    components(rel).ok().map(|p| p.join("/"))
}

/// The error a step gets when its file cannot be opened beneath the work directory.
pub fn open_error(err: &std::io::Error, file: &str) -> String {
    match err.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::EXDEV) => format!(
            "PermissionError: refusing to open {}: it resolves outside the work directory or through a symlink \
             (lessons open files by descriptor without following symlinks)",
            py_repr(file)
        ),
        _ => os_error(err, Some(file)),
    }
}

/// The system page size (NumPy uses `mmap.ALLOCATIONGRANULARITY`, the page size on Linux).
pub(crate) fn page_size() -> i128 {
    crate::probe::page_size() as i128
}

const TOO_BIG: &str = "ValueError: array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.";

/// Which files a lesson may write: those it created itself in this run, and any with `--overwrite`.
/// Files that were in the work directory before (or that another process put there) are the
/// user's: `r+`/`w+`, `truncate`, `external_write` and a shared `crash` store are refused on them.
#[derive(Debug, Default)]
pub struct WriteGuard {
    /// `--overwrite` was given.
    pub overwrite: bool,
    /// Normalised names of the files this run created (`w+` of an absent file).
    pub created: std::collections::HashSet<String>,
}

impl WriteGuard {
    /// True when the lesson may change `name` (normalised).
    pub fn may_write(&self, name: &str) -> bool {
        self.overwrite || self.created.contains(name)
    }

    /// The refusal for a file the lesson did not create.
    pub fn refusal(file: &str, what: &str) -> String {
        format!(
            "PermissionError: refusing to {what} {}: it was not created by this lesson, so it is the user's \
             (run with --overwrite to allow it)",
            py_repr(file)
        )
    }
}

/// Run `np.memmap(spec.file, dtype, mode, offset, shape, order)`; the error is NumPy's.
/// Side effects before the error (truncation, growth) happen exactly as NumPy does them.
/// The file is opened beneath `dir` without following symlinks; `guard` says which files the
/// lesson may open for writing.
pub fn open(dir: &DirFd, spec: &OpenSpec, guard: &mut WriteGuard) -> Result<Variable, String> {
    let mode = spec.mode;
    // Step 2: w+ without a shape fails before the file is opened.
    if mode == Mode::Write && spec.shape.is_none() {
        return Err("ValueError: shape must be given if mode == 'w+'".to_string());
    }
    let name = normal_name(&spec.file)
        .ok_or_else(|| open_error(&std::io::Error::from_raw_os_error(libc::EXDEV), &spec.file))?;
    let path = dir.path().join(&name);
    // Step 3: open(path, mode + 'b'); c opens 'rb'. A w+ of an absent file creates it with O_EXCL,
    // so a file that appears meanwhile is never truncated.
    let flags = match mode {
        // O_NONBLOCK: a FIFO in a user's --workdir must not hang the tutor (no effect on files).
        Mode::ReadOnly | Mode::CopyOnWrite => libc::O_RDONLY | libc::O_NONBLOCK,
        // Opened first even when refused, so a missing file is NumPy's FileNotFoundError.
        Mode::ReadWrite => libc::O_RDWR,
        Mode::Write if guard.may_write(&name) => libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC,
        Mode::Write => libc::O_RDWR | libc::O_CREAT | libc::O_EXCL,
    };
    let mut file = match dir.open_file(&name, flags, 0o666) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
            return Err(WriteGuard::refusal(&spec.file, "truncate"))
        }
        Err(e) => return Err(open_error(&e, &spec.file)),
    };
    if mode == Mode::ReadWrite && !guard.may_write(&name) {
        // Nothing was changed yet: open(2) without O_CREAT/O_TRUNC changes no file.
        return Err(WriteGuard::refusal(&spec.file, "open read-write"));
    }
    if mode == Mode::Write {
        guard.created.insert(name.clone());
    }
    // Python's FileIO refuses directories even where open(2) allows O_RDONLY on them; a FIFO or
    // device (possible only in a user's --workdir) cannot be mapped like a file (mmap: ENODEV).
    match file.metadata() {
        Ok(m) if m.is_dir() => {
            return Err(os_error(
                &std::io::Error::from_raw_os_error(libc::EISDIR),
                Some(&spec.file),
            ))
        }
        Ok(m) if !m.is_file() => {
            return Err(os_error(
                &std::io::Error::from_raw_os_error(libc::ENODEV),
                Some(&spec.file),
            ))
        }
        _ => {}
    }
    // The probes measure this descriptor, never the path again.
    crate::probe::pin_file(&path, &file);
    // Step 4: seek(0, 2); tell().
    let flen = file
        .seek(SeekFrom::End(0))
        .map_err(|e| os_error(&e, None))? as i128;
    let itemsize = spec.dtype.size as i128;
    let offset = spec.offset as i128;
    // Step 6: shape (and size as an intp).
    let (shape, size): (Vec<i128>, i128) = match &spec.shape {
        None => {
            let bytes = flen - offset;
            if bytes.rem_euclid(itemsize) != 0 {
                return Err(
                    "ValueError: Size of available data is not a multiple of the data-type size."
                        .to_string(),
                );
            }
            let n = bytes.div_euclid(itemsize);
            (vec![n], n)
        }
        Some(s) => {
            let mut size: i128 = 1;
            for &d in s {
                size = size
                    .checked_mul(d as i128)
                    .filter(|v| v.abs() <= i64::MAX as i128)
                    .ok_or_else(|| TOO_BIG.to_string())?;
            }
            (s.iter().map(|&d| d as i128).collect(), size)
        }
    };
    // Step 7.
    let mut bytes = size
        .checked_mul(itemsize)
        .and_then(|b| b.checked_add(offset))
        .ok_or_else(|| TOO_BIG.to_string())?;
    // Step 8: growth (r+/w+ only): write one NUL at bytes-1; never ftruncate, never shrink.
    if matches!(mode, Mode::ReadWrite | Mode::Write) {
        bytes = bytes.max(1);
        if flen < bytes {
            let last = u64::try_from(bytes - 1)
                .ok()
                .filter(|&v| v <= i64::MAX as u64)
                .ok_or_else(|| {
                    "OverflowError: Python int too large to convert to C long".to_string()
                })?;
            file.seek(SeekFrom::Start(last))
                .map_err(|e| os_error(&e, None))?;
            file.write_all(b"\0").map_err(|e| os_error(&e, None))?;
        }
    }
    // Step 10: align the mapping start down to the allocation granularity.
    let g = page_size();
    let mut start = offset - offset.rem_euclid(g);
    bytes -= start;
    if bytes == 0 && start > 0 {
        // A length of 0 would map the whole file.
        bytes += g;
        start -= g;
    }
    let array_offset = offset - start;
    // Step 11: CPython's mmap checks, in its order.
    if bytes < 0 {
        return Err("OverflowError: memory mapped length must be positive".to_string());
    }
    if start < 0 {
        return Err("OverflowError: memory mapped offset must be positive".to_string());
    }
    let meta = file.metadata().map_err(|e| os_error(&e, None))?;
    if meta.is_file() {
        let st = meta.len() as i128;
        if bytes == 0 {
            if st == 0 {
                return Err("ValueError: cannot mmap an empty file".to_string());
            }
            if start >= st {
                return Err("ValueError: mmap offset is greater than file size".to_string());
            }
            bytes = st - start;
        } else if start > st || st - start < bytes {
            return Err("ValueError: mmap length is greater than file size".to_string());
        }
    }
    let map_len = usize::try_from(bytes)
        .ok()
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| os_error(&std::io::Error::from_raw_os_error(libc::ENOMEM), None))?;
    let map_start = start as u64;
    let mut mo = MmapOptions::new();
    mo.offset(map_start).len(map_len);
    let mapping = match mode {
        // SAFETY: the file stays open beside the mapping, and every access first checks with
        // fstat that the file still covers the mapped range, so no access can hit SIGBUS unless
        // another process shrinks the file between that check and the access.
        Mode::ReadOnly => unsafe { mo.map(&file) }.map(Mapping::ReadOnly),
        // SAFETY: as above; the file was opened read-write.
        Mode::ReadWrite | Mode::Write => unsafe { mo.map_mut(&file) }.map(Mapping::Shared),
        // SAFETY: as above; MAP_PRIVATE, so writes never reach the file.
        Mode::CopyOnWrite => unsafe { mo.map_copy(&file) }.map(Mapping::Private),
    }
    .map_err(|e| os_error(&e, None))?;
    // Step 12: ndarray.__new__(shape, dtype, buffer=mm, offset=array_offset, order=order).
    // Its argument converters run in order: the shape's (ndim limit) before the order's.
    if shape.len() > 64 {
        return Err(format!(
            "ValueError: maximum supported dimension for an ndarray is currently 64, found {}",
            shape.len()
        ));
    }
    let fortran = match spec.order.as_str() {
        "C" | "A" | "K" => false,
        "F" => true,
        other => {
            return Err(format!(
                "ValueError: order must be one of 'C', 'F', 'A', or 'K' (got {})",
                py_repr(other)
            ))
        }
    };
    let mut shape = shape;
    if shape.len() == 1 && shape[0] == -1 {
        // ndarray with a buffer treats a 1-D -1 as "whatever fits" (C division truncates).
        shape[0] = (map_len as i128 - array_offset) / itemsize;
    } else if !shape.iter().any(|&d| d < 0) && array_offset + size * itemsize > map_len as i128 {
        return Err("TypeError: buffer is too small for requested array".to_string());
    }
    if shape.iter().any(|&d| d < 0) {
        return Err("ValueError: negative dimensions are not allowed".to_string());
    }
    let shape: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| TOO_BIG.to_string())?;
    let strides =
        contiguous_strides(&shape, spec.dtype.size, fortran).ok_or_else(|| TOO_BIG.to_string())?;
    Ok(Variable {
        name: spec.var.clone(),
        file: spec.file.clone(),
        path,
        dtype: spec.dtype,
        shape,
        strides,
        offset: spec.offset as u64,
        mode,
        order: if fortran { 'F' } else { 'C' },
        closed: false,
        map: Some(Rc::new(RefCell::new(mapping))),
        handle: Some(file),
        map_start,
        map_len,
        array_offset: array_offset as usize,
    })
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
    fn os_error_text() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            os_error(&e, Some("missing.dat")),
            "FileNotFoundError: [Errno 2] No such file or directory: 'missing.dat'"
        );
    }
}

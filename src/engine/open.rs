//! `np.memmap(...)`: NumPy 2.4.6's constructor, step by step with the same side effects (§1.1).

use std::cell::RefCell;
use std::io::{Seek, SeekFrom, Write};
use std::rc::Rc;

use memmap2::MmapOptions;

use super::array::{contiguous_strides, Mapping};
use super::Variable;
use crate::lesson::{Mode, OpenSpec};
use crate::numpy::dtype::{DType, DTypeError};

pub(crate) use crate::python::{os_error, py_repr};
// Confinement by descriptor lives below engine and probe, which both open files through it.
pub use crate::confine::{normal_name, DirFd};

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
/// A created file is known by its identity (device, inode), not its name: one that another
/// process swapped for another file (a hard link to a file outside, say) is not the lesson's.
#[derive(Debug, Default)]
pub struct WriteGuard {
    /// `--overwrite` was given.
    pub overwrite: bool,
    /// Normalised names of the files this run created, with their (device, inode).
    pub created: std::collections::HashMap<String, (u64, u64)>,
}

impl WriteGuard {
    /// True when the lesson may change `name` (normalised), as far as the name tells.
    pub fn may_write(&self, name: &str) -> bool {
        self.overwrite || self.created.contains_key(name)
    }

    /// Remember that this run created `name` as `file`.
    pub fn record(&mut self, name: &str, file: &std::fs::File) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = file.metadata() {
            self.created.insert(name.to_string(), (m.dev(), m.ino()));
        }
    }

    /// Whether `file`, just opened by `name` to be changed, is still one the lesson may change:
    /// never a file with another name (a hard link, which may be outside the work directory),
    /// and without `--overwrite` only the very file this run created under that name.
    pub fn check_opened(
        &self,
        name: &str,
        file: &std::fs::File,
        shown: &str,
    ) -> Result<(), String> {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().map_err(|e| os_error(&e, Some(shown)))?;
        if m.is_file() && m.nlink() > 1 {
            return Err(format!(
                "PermissionError: refusing to change {}: it has {} names (hard links), and another \
                 may be outside the work directory",
                py_repr(shown),
                m.nlink()
            ));
        }
        match self.created.get(name) {
            _ if self.overwrite => Ok(()),
            Some(&id) if id == (m.dev(), m.ino()) => Ok(()),
            Some(_) => Err(format!(
                "PermissionError: refusing to change {}: another process replaced the file this lesson \
                 created, so it is not the lesson's (run with --overwrite to allow it)",
                py_repr(shown)
            )),
            None => Err(WriteGuard::refusal(shown, "change")),
        }
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

/// `open(name, 'w+b')` beneath `dir` as the lesson may: an absent file is created with `O_EXCL`
/// (so a file that appears meanwhile is never truncated) and remembered; an existing one is
/// truncated only if [`WriteGuard::check_opened`] says it is the lesson's (or `--overwrite`).
pub(crate) fn open_w_plus(
    dir: &DirFd,
    name: &str,
    shown: &str,
    guard: &mut WriteGuard,
) -> Result<std::fs::File, String> {
    use libc::{O_CREAT, O_EXCL, O_RDWR};
    match dir.open_file(name, O_RDWR | O_CREAT | O_EXCL, 0o666) {
        Ok(f) => {
            guard.record(name, &f);
            return Ok(f);
        }
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
        Err(e) => return Err(open_error(&e, shown)),
    }
    if !guard.may_write(name) {
        return Err(WriteGuard::refusal(shown, "truncate"));
    }
    let f = dir
        .open_file(name, O_RDWR | libc::O_NONBLOCK, 0)
        .map_err(|e| open_error(&e, shown))?;
    guard.check_opened(name, &f, shown)?;
    if f.metadata().map(|m| m.is_file()).unwrap_or(false) {
        f.set_len(0).map_err(|e| os_error(&e, Some(shown)))?;
    }
    guard.record(name, &f);
    Ok(f)
}

/// Run `np.memmap(spec.file, dtype, mode, offset, shape, order)`; the error is NumPy's.
/// Side effects before the error (truncation, growth) happen exactly as NumPy does them.
/// The file is opened beneath `dir` without following symlinks; `guard` says which files the
/// lesson may open for writing.
pub fn open(dir: &DirFd, spec: &OpenSpec, guard: &mut WriteGuard) -> Result<Variable, String> {
    // Step 1: the mode, before anything else is looked at.
    if let Some(m) = &spec.bad_mode {
        return Err(bad_mode_error(m));
    }
    let mode = spec.mode;
    // Step 2: w+ without a shape fails before the file is opened.
    if mode == Mode::Write && spec.shape.is_none() {
        return Err("ValueError: shape must be given if mode == 'w+'".to_string());
    }
    let (mut file, path) = open_file(dir, spec, guard)?;
    // Step 4: seek(0, 2); tell().
    let flen = file
        .seek(SeekFrom::End(0))
        .map_err(|e| os_error(&e, None))? as i128;
    // Step 5: dtypedescr(dtype), after the file was opened (and a w+ truncated it).
    if let Some(text) = &spec.bad_dtype {
        return Err(bad_dtype_error(text));
    }
    let itemsize = spec.dtype.size as i128;
    let offset = spec.offset as i128;
    // Step 6: shape (and size as an intp).
    let (shape, size) = requested_shape(spec.shape.as_deref(), flen, offset, itemsize)?;
    // Step 7.
    let mut bytes = size
        .checked_mul(itemsize)
        .and_then(|b| b.checked_add(offset))
        .ok_or_else(|| TOO_BIG.to_string())?;
    // Step 8: growth (r+/w+ only): write one NUL at bytes-1; never ftruncate, never shrink.
    if matches!(mode, Mode::ReadWrite | Mode::Write) {
        bytes = bytes.max(1);
        if flen < bytes {
            grow(&mut file, bytes)?;
        }
    }
    // Steps 10 and 11: the mapped range, checked as CPython's mmap checks it.
    let (start, bytes, array_offset) = mapped_range(offset, bytes);
    let map_len = check_mmap_range(&file, start, bytes)?;
    let map_start = start as u64;
    let mapping = map_file(&file, mode, map_start, map_len)?;
    // Step 12: ndarray.__new__(shape, dtype, buffer=mm, offset=array_offset, order=order).
    let (shape, fortran) = array_shape(
        shape,
        &spec.order,
        map_len as i128 - array_offset,
        size,
        itemsize,
    )?;
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
        npy_header: None,
    })
}

/// Step 3 of [`open`]: `open(path, mode + 'b')` beneath `dir` (c opens 'rb'), refused where `guard` says the
/// file is the user's, and refused for what Python cannot map as a file. The file and its path.
fn open_file(
    dir: &DirFd,
    spec: &OpenSpec,
    guard: &mut WriteGuard,
) -> Result<(std::fs::File, std::path::PathBuf), String> {
    let mode = spec.mode;
    let name = normal_name(&spec.file)
        .ok_or_else(|| open_error(&std::io::Error::from_raw_os_error(libc::EXDEV), &spec.file))?;
    let path = dir.path().join(&name);
    let flags = match mode {
        // O_NONBLOCK: a FIFO in a user's --workdir must not hang the tutor (no effect on files).
        Mode::ReadOnly | Mode::CopyOnWrite => libc::O_RDONLY | libc::O_NONBLOCK,
        // Opened first even when refused, so a missing file is NumPy's FileNotFoundError.
        Mode::ReadWrite => libc::O_RDWR,
        Mode::Write => 0,
    };
    let file = match mode {
        Mode::Write => open_w_plus(dir, &name, &spec.file, guard)?,
        _ => dir
            .open_file(&name, flags, 0o666)
            .map_err(|e| open_error(&e, &spec.file))?,
    };
    if mode == Mode::ReadWrite {
        // Nothing was changed yet: open(2) without O_CREAT/O_TRUNC changes no file.
        if !guard.may_write(&name) {
            return Err(WriteGuard::refusal(&spec.file, "open read-write"));
        }
        guard.check_opened(&name, &file, &spec.file)?;
    }
    // Python's FileIO refuses directories even where open(2) allows O_RDONLY on them; a FIFO or
    // device (possible only in a user's --workdir) cannot be mapped like a file (mmap: ENODEV).
    let not_a_file = |errno| os_error(&std::io::Error::from_raw_os_error(errno), Some(&spec.file));
    match file.metadata() {
        Ok(m) if m.is_dir() => return Err(not_a_file(libc::EISDIR)),
        Ok(m) if !m.is_file() => return Err(not_a_file(libc::ENODEV)),
        _ => {}
    }
    // The probes measure this descriptor, never the path again.
    crate::probe::pin_file(&path, &file);
    Ok((file, path))
}

/// Step 6 of [`open`]: the shape asked for (or what fits the file after `offset`) and its size as an intp.
fn requested_shape(
    shape: Option<&[i64]>,
    flen: i128,
    offset: i128,
    itemsize: i128,
) -> Result<(Vec<i128>, i128), String> {
    match shape {
        None => {
            let bytes = flen - offset;
            if bytes.rem_euclid(itemsize) != 0 {
                return Err(
                    "ValueError: Size of available data is not a multiple of the data-type size."
                        .to_string(),
                );
            }
            let n = bytes.div_euclid(itemsize);
            Ok((vec![n], n))
        }
        Some(s) => {
            let mut size: i128 = 1;
            for &d in s {
                size = size
                    .checked_mul(d as i128)
                    .filter(|v| v.abs() <= i64::MAX as i128)
                    .ok_or_else(|| TOO_BIG.to_string())?;
            }
            Ok((s.iter().map(|&d| d as i128).collect(), size))
        }
    }
}

/// Step 8 of [`open`]: grow the file to `bytes` as NumPy does, by writing one NUL at `bytes - 1`.
fn grow(file: &mut std::fs::File, bytes: i128) -> Result<(), String> {
    let last = u64::try_from(bytes - 1)
        .ok()
        .filter(|&v| v <= i64::MAX as u64)
        .ok_or_else(|| "OverflowError: Python int too large to convert to C long".to_string())?;
    file.seek(SeekFrom::Start(last))
        .map_err(|e| os_error(&e, None))?;
    file.write_all(b"\0").map_err(|e| os_error(&e, None))
}

/// Step 10 of [`open`]: the mapping's start (`offset` aligned down to the allocation granularity), its length
/// in bytes, and the array's offset inside it.
fn mapped_range(offset: i128, bytes: i128) -> (i128, i128, i128) {
    let g = page_size();
    let mut start = offset - offset.rem_euclid(g);
    let mut bytes = bytes - start;
    if bytes == 0 && start > 0 {
        // A length of 0 would map the whole file.
        bytes += g;
        start -= g;
    }
    (start, bytes, offset - start)
}

/// Step 11 of [`open`]: CPython's mmap checks of `[start, start + bytes)` against the file, in its order
/// (a length of 0 maps the whole file); the length to map.
fn check_mmap_range(file: &std::fs::File, start: i128, bytes: i128) -> Result<usize, String> {
    let mut bytes = bytes;
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
    usize::try_from(bytes)
        .ok()
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| os_error(&std::io::Error::from_raw_os_error(libc::ENOMEM), None))
}

/// `mmap(2)` of `map_len` bytes at `map_start` of `file`, shared, read-only or private as `mode` says.
fn map_file(
    file: &std::fs::File,
    mode: Mode,
    map_start: u64,
    map_len: usize,
) -> Result<Mapping, String> {
    let mut mo = MmapOptions::new();
    mo.offset(map_start).len(map_len);
    match mode {
        // SAFETY: the file stays open beside the mapping, and every access first checks with
        // fstat that the file still covers the mapped range, so no access can hit SIGBUS unless
        // another process shrinks the file between that check and the access.
        Mode::ReadOnly => unsafe { mo.map(file) }.map(Mapping::ReadOnly),
        // SAFETY: as above; the file was opened read-write.
        Mode::ReadWrite | Mode::Write => unsafe { mo.map_mut(file) }.map(Mapping::Shared),
        // SAFETY: as above; MAP_PRIVATE, so writes never reach the file.
        Mode::CopyOnWrite => unsafe { mo.map_copy(file) }.map(Mapping::Private),
    }
    .map_err(|e| os_error(&e, None))
}

/// Step 12 of [`open`]: `ndarray.__new__`'s checks of the shape against the `available` bytes of the buffer
/// after the array's offset; the shape and whether the order is Fortran's. Its argument converters run in
/// order: the shape's (ndim limit) before the order's.
fn array_shape(
    shape: Vec<i128>,
    order: &str,
    available: i128,
    size: i128,
    itemsize: i128,
) -> Result<(Vec<usize>, bool), String> {
    if shape.len() > 64 {
        return Err(format!(
            "ValueError: maximum supported dimension for an ndarray is currently 64, found {}",
            shape.len()
        ));
    }
    // NumPy's order converter takes one letter, either case.
    let fortran = match order {
        "C" | "A" | "K" | "c" | "a" | "k" => false,
        "F" | "f" => true,
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
        shape[0] = available / itemsize;
    } else if !shape.iter().any(|&d| d < 0) && size * itemsize > available {
        return Err("TypeError: buffer is too small for requested array".to_string());
    }
    if shape.iter().any(|&d| d < 0) {
        return Err("ValueError: negative dimensions are not allowed".to_string());
    }
    let shape = shape
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| TOO_BIG.to_string())?;
    Ok((shape, fortran))
}

/// NumPy's ValueError for a mode it does not know (the list in `np.memmap`'s order).
/// NumPy's TypeError for a dtype `np.dtype` does not understand (or a removed alias), in its words.
pub(crate) fn bad_dtype_error(text: &str) -> String {
    match DType::parse(text) {
        Err(e) => e.to_string(),
        Ok(_) => DTypeError::NotUnderstood(text.to_string()).to_string(),
    }
}

pub(crate) fn bad_mode_error(mode: &str) -> String {
    format!(
        "ValueError: mode must be one of {} (got {})",
        crate::python::word_list(Mode::NAMES),
        crate::lesson::mode_literal(mode)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_text() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            os_error(&e, Some("missing.dat")),
            "FileNotFoundError: [Errno 2] No such file or directory: 'missing.dat'"
        );
    }
}

//! `np.memmap(...)`: NumPy 2.4.6's constructor, step by step with the same side effects (§1.1).

use std::cell::RefCell;
use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use memmap2::MmapOptions;

use super::array::{contiguous_strides, Mapping};
use super::Variable;
use crate::lesson::{Mode, OpenSpec};

pub(crate) use crate::python::{os_error, py_repr};

/// Resolve `file` under `workdir`, following symlinks of the components that exist; refuse
/// anything that would leave the work directory.
pub(crate) fn confine(workdir: &Path, file: &str) -> Result<PathBuf, String> {
    let refuse = || {
        format!(
            "PermissionError: refusing to open {}: it resolves outside the work directory",
            py_repr(file)
        )
    };
    let root = workdir
        .canonicalize()
        .map_err(|e| os_error(&e, Some(&workdir.to_string_lossy())))?;
    let mut cur = root.clone();
    let mut exists = true;
    for comp in Path::new(file).components() {
        match comp {
            Component::CurDir => {}
            Component::Normal(c) => {
                let next = cur.join(c);
                if exists && std::fs::symlink_metadata(&next).is_ok() {
                    // Follows symlinks; a dangling one cannot be checked, so it is refused.
                    cur = next.canonicalize().map_err(|_| refuse())?;
                } else {
                    exists = false;
                    cur = next;
                }
            }
            Component::ParentDir => {
                if !exists {
                    return Err(refuse());
                }
                cur.pop();
            }
            Component::RootDir | Component::Prefix(_) => return Err(refuse()),
        }
        if exists && !cur.starts_with(&root) {
            return Err(refuse());
        }
    }
    if !cur.starts_with(&root) {
        return Err(refuse());
    }
    Ok(cur)
}

/// The system page size (NumPy uses `mmap.ALLOCATIONGRANULARITY`, the page size on Linux).
pub(crate) fn page_size() -> i128 {
    crate::probe::page_size() as i128
}

const TOO_BIG: &str = "ValueError: array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.";

/// Run `np.memmap(spec.file, dtype, mode, offset, shape, order)`; the error is NumPy's.
/// Side effects before the error (truncation, growth) happen exactly as NumPy does them.
pub fn open(workdir: &Path, spec: &OpenSpec) -> Result<Variable, String> {
    let mode = spec.mode;
    // Step 2: w+ without a shape fails before the file is opened.
    if mode == Mode::Write && spec.shape.is_none() {
        return Err("ValueError: shape must be given if mode == 'w+'".to_string());
    }
    let path = confine(workdir, &spec.file)?;
    // Step 3: open(path, mode + 'b'); c opens 'rb'.
    let mut opts = OpenOptions::new();
    match mode {
        Mode::ReadOnly | Mode::CopyOnWrite => opts.read(true),
        Mode::ReadWrite => opts.read(true).write(true),
        Mode::Write => opts.read(true).write(true).create(true).truncate(true),
    };
    let mut file = opts
        .open(&path)
        .map_err(|e| os_error(&e, Some(&spec.file)))?;
    // Python's FileIO refuses directories even where open(2) allows O_RDONLY on them.
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(os_error(
            &std::io::Error::from_raw_os_error(libc::EISDIR),
            Some(&spec.file),
        ));
    }
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
    fn confinement() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(confine(dir.path(), "a.dat").is_ok());
        assert!(confine(dir.path(), "sub/../a.dat").is_ok());
        assert!(confine(dir.path(), "../a.dat").is_err());
        assert!(confine(dir.path(), "/etc/passwd").is_err());
        assert!(confine(dir.path(), "nope/../../x").is_err());
        std::os::unix::fs::symlink("/tmp", dir.path().join("out")).unwrap();
        assert!(confine(dir.path(), "out/x.dat").is_err());
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

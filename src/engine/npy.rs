//! `np.load(file, mmap_mode=...)` and `np.lib.format.open_memmap(...)` on a `.npy` file: NumPy 2.4's checks
//! and side effects in its order (the header is read or written, then `np.memmap` maps the data after it).

use std::io::Write;
use std::os::unix::fs::FileExt;

use super::open::{self, open_error, os_error, DirFd, WriteGuard};
use super::Variable;
use crate::lesson::{Mode, NpyCall, OpenSpec};
use crate::numpy::dtype::DType;
use crate::numpy::npy::{self, ByteSource};
use crate::trace::StepEvent;

/// np.load's test for a pickle: neither an `.npy` magic nor a zip archive.
const PICKLE: &str =
    "ValueError: This file contains pickled (object) data. If you trust the file you can load it \
     unsafely using the `allow_pickle=` keyword argument or `pickle.load()`.";

struct FileBytes<'a>(&'a std::fs::File);

impl ByteSource for FileBytes<'_> {
    fn read_at(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let mut got = 0;
        while got < len {
            match self.0.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        Ok(buf)
    }
    fn size(&mut self) -> std::io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
}

/// Open `spec.file` for reading as Python's `open(file, 'rb')` does (a directory is refused).
fn open_rb(dir: &DirFd, spec: &OpenSpec) -> Result<std::fs::File, String> {
    let name = open::normal_name(&spec.file)
        .ok_or_else(|| open_error(&std::io::Error::from_raw_os_error(libc::EXDEV), &spec.file))?;
    let f = dir
        .open_file(&name, libc::O_RDONLY | libc::O_NONBLOCK, 0)
        .map_err(|e| open_error(&e, &spec.file))?;
    match f.metadata() {
        Ok(m) if m.is_dir() => Err(os_error(
            &std::io::Error::from_raw_os_error(libc::EISDIR),
            Some(&spec.file),
        )),
        _ => Ok(f),
    }
}

/// Perform the `.npy` open `call` of `spec`: the mapped variable and what its header said.
pub(super) fn open(
    dir: &DirFd,
    spec: &OpenSpec,
    call: &NpyCall,
    guard: &mut WriteGuard,
) -> Result<(Variable, StepEvent), String> {
    if call.load {
        // np.load: open 'rb', read six bytes and tell a .npy from a zip archive or a pickle.
        let f = open_rb(dir, spec)?;
        let magic = FileBytes(&f)
            .read_at(0, npy::MAGIC_PREFIX.len())
            .map_err(|e| os_error(&e, None))?;
        if magic.is_empty() {
            return Err("EOFError: No data left in file".to_string());
        }
        if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
            return Err(
                "NotImplementedError: this is a zip archive (.npz): np.load returns an NpzFile of arrays read \
                 into memory, not a memmap, so the tutor cannot map it"
                    .to_string(),
            );
        }
        if magic[..] != npy::MAGIC_PREFIX[..] {
            return Err(PICKLE.to_string());
        }
    }
    open_memmap(dir, spec, call, guard)
}

/// `open_memmap(file, mode, dtype, shape, fortran_order)`.
fn open_memmap(
    dir: &DirFd,
    spec: &OpenSpec,
    call: &NpyCall,
    guard: &mut WriteGuard,
) -> Result<(Variable, StepEvent), String> {
    let fortran = spec.order == "F";
    if call.mode.contains('w') {
        // "Creating the file": dtype (default float64), then open(file, mode + 'b'), then the header.
        let dtype = if call.dtype_given && !call.load {
            spec.dtype
        } else {
            DType::parse("float64").map_err(|e| e.to_string())?
        };
        if call.mode != "w+" {
            // Python's open() accepts no mode such as 'readwriteb': nothing is touched.
            return Err(format!(
                "ValueError: invalid mode: {}",
                crate::python::py_repr(&format!("{}b", call.mode))
            ));
        }
        let name = open::normal_name(&spec.file).ok_or_else(|| {
            open_error(&std::io::Error::from_raw_os_error(libc::EXDEV), &spec.file)
        })?;
        let mut f = open::open_w_plus(dir, &name, &spec.file, guard)?;
        // `len(d['shape'])` with no shape: raised after the file was emptied, as NumPy does.
        let shape = spec
            .shape
            .clone()
            .filter(|_| !call.load)
            .ok_or_else(|| "TypeError: object of type 'NoneType' has no len()".to_string())?;
        let (header, version) = npy::header_bytes(&dtype, fortran, &shape);
        f.write_all(&header).map_err(|e| os_error(&e, None))?;
        drop(f);
        let event = StepEvent::NpyOpened {
            version: format!("{}.{}", version.0, version.1),
            dict: String::from_utf8_lossy(&header[10..])
                .trim_end()
                .to_string(),
            data_offset: header.len() as u64,
            written: true,
        };
        // "We need to change a write-only mode to a read-write mode since we've already written data."
        let mapped = OpenSpec {
            dtype,
            mode: Mode::ReadWrite,
            shape: Some(shape),
            offset: header.len() as i64,
            order: if fortran { "F" } else { "C" }.to_string(),
            npy: None,
            bad_mode: None,
            bad_dtype: None,
            ..spec.clone()
        };
        let mut var = open::open(dir, &mapped, guard)?;
        var.npy_header = Some(header.len() as u64);
        return Ok((var, event));
    }
    let f = open_rb(dir, spec)?;
    let header = npy::read_header(&mut FileBytes(&f))?;
    drop(f);
    let mode = Mode::parse(&call.mode).ok_or_else(|| {
        format!(
            "ValueError: mode must be one of ['r', 'c', 'r+', 'w+', 'readonly', 'copyonwrite', 'readwrite', 'write'] (got {})",
            crate::python::py_repr(&call.mode)
        )
    })?;
    let mapped = OpenSpec {
        dtype: header.dtype,
        mode,
        shape: Some(header.shape.clone()),
        offset: header.data_offset as i64,
        order: if header.fortran_order { "F" } else { "C" }.to_string(),
        npy: None,
        bad_mode: None,
        bad_dtype: None,
        ..spec.clone()
    };
    let mut var = open::open(dir, &mapped, guard)?;
    var.npy_header = Some(header.data_offset);
    Ok((
        var,
        StepEvent::NpyOpened {
            version: format!("{}.{}", header.version.0, header.version.1),
            dict: header.dict,
            data_offset: header.data_offset,
            written: false,
        },
    ))
}

//! The file as read(2) sees it: pread of exact byte ranges, hex dumps, and an element source for printing.

use std::cell::RefCell;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::numpy::dtype::{DType, Scalar};
use crate::numpy::layout::contiguous_strides;
use crate::numpy::print::ElementSource;
use crate::trace::HexLine;

use super::quiet::QuietFile;

/// Read `len` bytes at `offset` as read(2) sees them; shorter if the file is shorter.
///
/// Reads without disturbing (see [`QuietFile`]): no page of the file enters the page cache.
pub fn pread_bytes(path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    QuietFile::open(path)?.read_at(offset, len)
}

/// A hex dump of part of a file.
#[derive(Debug, Clone)]
pub struct HexDump {
    /// 16 bytes a line; `offset` is the absolute file offset of the line's first byte.
    pub lines: Vec<HexLine>,
    /// True when fewer bytes are shown than were asked for (line limit reached or file ended).
    pub truncated: bool,
}

/// Hex dump of `len` bytes at `offset`, at most `max_lines` lines; reads only the bytes it shows.
pub fn hex_dump(path: &Path, offset: u64, len: u64, max_lines: usize) -> io::Result<HexDump> {
    hex_dump_quiet(&QuietFile::open(path)?, offset, len, max_lines)
}

/// [`hex_dump`] through a reader the caller keeps (to sum up its footprint).
pub fn hex_dump_quiet(
    file: &QuietFile,
    offset: u64,
    len: u64,
    max_lines: usize,
) -> io::Result<HexDump> {
    let shown_max = (max_lines as u64).saturating_mul(16).min(len);
    let want = usize::try_from(shown_max)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "hex dump too large"))?;
    let bytes = file.read_at(offset, want)?;
    let lines = bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| HexLine::new(offset + 16 * i as u64, chunk.to_vec()))
        .collect();
    Ok(HexDump {
        lines,
        truncated: (bytes.len() as u64) < len,
    })
}

/// An array stored in a file, read element by element with pread (the file as read(2) sees it).
///
/// Only the elements asked for are read, so printing a summarised huge array stays cheap; they are read
/// without disturbing the page cache (see [`QuietFile`]).
pub struct FileElements {
    file: Rc<QuietFile>,
    path: PathBuf,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: u64,
    /// First read failure (e.g. the file shrank after `open`); `get` cannot return an error.
    error: RefCell<Option<String>>,
}

impl FileElements {
    /// Open `path` as an array of `dtype` and `shape` whose element `[0, …, 0]` is at byte `offset`
    /// and whose byte strides are `strides`. Fails (never SIGBUS) if the file is too short.
    pub fn open(
        path: &Path,
        dtype: DType,
        shape: &[usize],
        strides: &[isize],
        offset: u64,
    ) -> Result<FileElements, String> {
        let file =
            QuietFile::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        FileElements::on(Rc::new(file), path, dtype, shape, strides, offset)
    }

    /// Like [`FileElements::open`] through a reader the caller keeps (to sum up its footprint).
    pub fn on(
        file: Rc<QuietFile>,
        path: &Path,
        dtype: DType,
        shape: &[usize],
        strides: &[isize],
        offset: u64,
    ) -> Result<FileElements, String> {
        if shape.len() != strides.len() {
            return Err(format!(
                "shape has {} axes but strides has {}",
                shape.len(),
                strides.len()
            ));
        }
        let size = file
            .size()
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        if let Some((start, end)) = byte_region(dtype.size, shape, strides, offset)? {
            if end > size as i128 {
                return Err(format!(
                    "file is {size} bytes; the array needs bytes {start}..{end}"
                ));
            }
        }
        Ok(FileElements {
            file,
            path: path.to_path_buf(),
            dtype,
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
            error: RefCell::new(None),
        })
    }

    /// Like [`FileElements::open`] with NumPy's contiguous strides for C (row-major) or Fortran order.
    pub fn open_contiguous(
        path: &Path,
        dtype: DType,
        shape: &[usize],
        fortran: bool,
        offset: u64,
    ) -> Result<FileElements, String> {
        let strides = contiguous_strides(shape, dtype.size, fortran)
            .ok_or_else(|| "the array's byte size overflows".to_string())?;
        FileElements::open(path, dtype, shape, &strides, offset)
    }

    /// The first read error since `open`, if any element could not be read (its value shows as 0).
    pub fn read_error(&self) -> Option<String> {
        self.error.borrow().clone()
    }

    fn record_error(&self, msg: String) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(msg);
        }
    }

    /// Byte position of the element at `index`, or None if the index is out of range.
    fn position(&self, index: &[usize]) -> Option<u64> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut pos = self.offset as i128;
        for ((&i, &n), &s) in index.iter().zip(&self.shape).zip(&self.strides) {
            if i >= n {
                return None;
            }
            pos += i as i128 * s as i128;
        }
        u64::try_from(pos).ok()
    }
}

impl ElementSource for FileElements {
    fn dtype(&self) -> DType {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn get(&self, index: &[usize]) -> Scalar {
        let zero = [0u8; 32];
        let Some(pos) = self.position(index) else {
            self.record_error(format!(
                "index {index:?} out of range for shape {:?}",
                self.shape
            ));
            return self.dtype.decode(&zero);
        };
        match self.file.read_at(pos, self.dtype.size) {
            Ok(bytes) if bytes.len() == self.dtype.size => self.dtype.decode(&bytes),
            Ok(_) => {
                let now = match self.file.size() {
                    Ok(n) => format!("{n} bytes"),
                    Err(e) => format!("of unknown size ({e})"),
                };
                self.record_error(format!(
                    "{} is now {now}; element {index:?} needs bytes {pos}..{}",
                    self.path.display(),
                    pos + self.dtype.size as u64
                ));
                self.dtype.decode(&zero)
            }
            Err(e) => {
                self.record_error(format!(
                    "reading element {index:?} of {} failed: {e}",
                    self.path.display()
                ));
                self.dtype.decode(&zero)
            }
        }
    }
}

/// Bytes `[start, end)` an array touches, or None for an empty array.
fn byte_region(
    itemsize: usize,
    shape: &[usize],
    strides: &[isize],
    offset: u64,
) -> Result<Option<(i128, i128)>, String> {
    if shape.contains(&0) {
        return Ok(None);
    }
    let mut lo = offset as i128;
    let mut hi = offset as i128;
    for (&n, &s) in shape.iter().zip(strides) {
        let span = (n as i128 - 1) * s as i128;
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    if lo < 0 {
        return Err(format!(
            "the strides reach byte {lo}, before the start of the file"
        ));
    }
    Ok(Some((lo, hi + itemsize as i128)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numpy::dtype::Kind;

    fn known_file(dir: &Path) -> PathBuf {
        let path = dir.join("known.bin");
        let bytes: Vec<u8> = (0u8..=40).collect();
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn pread_reads_exact_range_and_is_short_at_eof() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = known_file(dir.path());
        assert_eq!(pread_bytes(&path, 3, 4).expect("pread"), vec![3, 4, 5, 6]);
        assert_eq!(pread_bytes(&path, 38, 10).expect("pread"), vec![38, 39, 40]);
        assert!(pread_bytes(&path, 100, 10).expect("pread").is_empty());
        assert!(pread_bytes(&dir.path().join("nope"), 0, 1).is_err());
    }

    #[test]
    fn hex_dump_lines_and_truncation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = known_file(dir.path());
        let d = hex_dump(&path, 2, 41, 2).expect("dump");
        assert_eq!(d.lines.len(), 2);
        assert_eq!(d.lines[0].offset, 2);
        assert_eq!(
            d.lines[0].hex,
            "02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11"
        );
        assert_eq!(d.lines[1].offset, 18);
        assert!(d.truncated);
        let all = hex_dump(&path, 32, 9, 4).expect("dump");
        assert_eq!(all.lines.len(), 1);
        assert_eq!(all.lines[0].hex, "20 21 22 23 24 25 26 27 28");
        assert!(!all.truncated);
    }

    #[test]
    fn file_elements_decode_c_and_fortran_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f32.bin");
        // 4 header bytes, then float32 0..6 little-endian.
        let mut bytes = vec![0xAAu8; 4];
        for i in 0..6 {
            bytes.extend_from_slice(&(i as f32).to_le_bytes());
        }
        std::fs::write(&path, &bytes).expect("write");
        let f4 = DType::parse("<f4").expect("dtype");
        let c = FileElements::open_contiguous(&path, f4, &[2, 3], false, 4).expect("open");
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(c.get(&[1, 2]), Scalar::Float(5.0));
        assert_eq!(c.get(&[0, 1]), Scalar::Float(1.0));
        let f = FileElements::open_contiguous(&path, f4, &[2, 3], true, 4).expect("open");
        assert_eq!(f.get(&[1, 0]), Scalar::Float(1.0));
        assert_eq!(f.get(&[0, 2]), Scalar::Float(4.0));
        assert_eq!(f.read_error(), None);
        // Out-of-range index: no panic, a zero and a recorded error.
        assert_eq!(c.get(&[2, 0]), Scalar::Float(0.0));
        assert!(c.read_error().is_some_and(|e| e.contains("out of range")));
        // Big-endian int16 view of the header bytes.
        let be = DType::parse(">i2").expect("dtype");
        let h = FileElements::open(&path, be, &[2], &[2], 0).expect("open");
        assert_eq!(h.get(&[0]), Scalar::Int(0xAAAAu16 as i16 as i64));
        assert_eq!(h.dtype().kind, Kind::Int);
    }

    #[test]
    fn file_elements_refuses_too_short_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("short.bin");
        std::fs::write(&path, [0u8; 30]).expect("write");
        let f4 = DType::parse("float32").expect("dtype");
        let err = FileElements::open_contiguous(&path, f4, &[3, 3], false, 0)
            .err()
            .expect("too short");
        assert_eq!(err, "file is 30 bytes; the array needs bytes 0..36");
        let err = FileElements::open_contiguous(&path, f4, &[2], false, 28)
            .err()
            .expect("too short");
        assert_eq!(err, "file is 30 bytes; the array needs bytes 28..36");
        // Empty arrays need no bytes.
        assert!(FileElements::open_contiguous(&path, f4, &[0, 3], false, 100).is_ok());
    }

    #[test]
    fn file_shrunk_after_open_gives_error_not_sigbus() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shrink.bin");
        std::fs::write(&path, [1u8; 16]).expect("write");
        let u1 = DType::UINT8;
        let el = FileElements::open_contiguous(&path, u1, &[16], false, 0).expect("open");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open rw");
        f.set_len(4).expect("truncate");
        assert_eq!(el.get(&[2]), Scalar::UInt(1));
        assert_eq!(el.get(&[10]), Scalar::UInt(0));
        assert!(el
            .read_error()
            .is_some_and(|e| e.contains("is now 4 bytes; element [10] needs bytes 10..11")));
    }
}

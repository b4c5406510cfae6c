//! `scan` steps: read an array (or a view of it) chunk by chunk as a NumPy loop does
//! (`for i in range(0, len(v), n): total += np.count_nonzero(v[i:i+n])`), measuring after every chunk the
//! resident memory of the file's mappings, the file's page cache and the page faults of the read.

use std::time::Instant;

use super::array::{checked_size, contiguous_strides, element_pos, next_index};
use super::madvise::cached_pages;
use super::view::{apply_index, View};
use super::{populate_error, populate_read, ReadResult, Variable};
use crate::lesson::scan_steps::{ScanSpec, MAX_CHUNKS};
use crate::numpy::dtype::{ByteOrder, DType, Kind, Scalar};
use crate::probe;
use crate::trace::scan::{ChunkRecord, Release, ScanReport};
use crate::trace::{Faults, Measured, OpReport, StepEvent};

/// Whether one element's bytes are non-zero as NumPy's `count_nonzero` sees it: a float is zero when
/// every bit but the sign is clear (`-0.0 == 0`); NaN is non-zero. A longdouble is its 80 bits, not its
/// padding (x87 compares an unnormal unordered: non-zero); a complex is non-zero when either part is.
fn element_nonzero(bytes: &[u8], dtype: DType) -> bool {
    match dtype.kind {
        Kind::Complex => {
            let part = dtype.part();
            let h = part.size;
            return element_nonzero(&bytes[..h], part) || element_nonzero(&bytes[h..2 * h], part);
        }
        Kind::Float if dtype.is_longdouble() => {
            return match dtype.decode(bytes) {
                Scalar::Long(x) => !x.is_zero(),
                _ => true,
            };
        }
        Kind::Float => {}
        _ => return bytes.iter().any(|&b| b != 0),
    }
    let sign_at = match dtype.order {
        ByteOrder::Little => bytes.len().saturating_sub(1),
        ByteOrder::Big => 0,
    };
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| (if i == sign_at { b & 0x7f } else { b }) != 0)
}

/// A block of zeros to compare against: `[u8]` equality is a `memcmp`, fast even in a debug build.
static ZEROS: [u8; 4096] = [0; 4096];

/// `np.count_nonzero` of contiguous elements. Every byte is read; all-zero blocks (the common case of a
/// sparse file) are recognised with one comparison, the others are counted element by element.
fn count_contiguous(bytes: &[u8], dtype: DType) -> u64 {
    // Whole elements per block: item sizes are 1, 2, 4 or 8, which divide the block length.
    let block = ZEROS.len() / dtype.size.max(1) * dtype.size.max(1);
    bytes
        .chunks(block)
        .map(|b| {
            if b == &ZEROS[..b.len()] {
                0
            } else {
                b.chunks_exact(dtype.size)
                    .filter(|e| element_nonzero(e, dtype))
                    .count() as u64
            }
        })
        .sum()
}

/// Rows `[a, b)` of `view` as a view of their own.
fn rows_of(view: &View, a: usize, b: usize) -> View {
    let mut shape = view.shape.clone();
    shape[0] = b - a;
    View {
        shape,
        strides: view.strides.clone(),
        base: (view.base as isize + a as isize * view.strides[0]) as usize,
        is_scalar: false,
    }
}

/// `view`'s elements in the order NumPy's `count_nonzero` walks memory: negative strides flipped and the axes
/// sorted from the largest stride to the smallest (`PyArray_PrepareOneRawArrayIter` for integer dtypes,
/// NpyIter's `K` order for the others). The elements, and so the count, are the same; what changes is which
/// page is touched first: NumPy reads a reversed chunk forward, and read-ahead sees a forward read.
fn memory_order(view: &View) -> View {
    if checked_size(&view.shape).is_none_or(|n| n == 0) {
        return view.clone();
    }
    let mut base = view.base as isize;
    let mut axes: Vec<(usize, isize)> = view
        .shape
        .iter()
        .zip(&view.strides)
        .map(|(&d, &s)| {
            if s < 0 {
                base += (d as isize - 1) * s;
                (d, -s)
            } else {
                (d, s)
            }
        })
        .collect();
    // Stable: axes with equal strides (length-1 axes, or a broadcast) keep their order.
    axes.sort_by_key(|a| std::cmp::Reverse(a.1));
    View {
        shape: axes.iter().map(|a| a.0).collect(),
        strides: axes.iter().map(|a| a.1).collect(),
        base: base as usize,
        is_scalar: view.is_scalar,
    }
}

/// Byte span `[lo, hi)` inside the mapping of a view's elements (empty view: `None`).
fn span(view: &View, itemsize: usize) -> Option<(usize, usize)> {
    if checked_size(&view.shape)? == 0 {
        return None;
    }
    let (mut lo, mut hi) = (view.base as isize, view.base as isize);
    for (&d, &s) in view.shape.iter().zip(&view.strides) {
        let reach = (d as isize - 1) * s;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    Some((lo as usize, hi as usize + itemsize))
}

/// Read every element of `view` through the mapping; `np.count_nonzero` of them.
fn read_view(bytes: &[u8], view: &View, dtype: DType) -> Result<u64, String> {
    let n = checked_size(&view.shape).ok_or("ValueError: array is too big")?;
    if n == 0 {
        return Ok(0);
    }
    let outside = || "internal: a scanned element lies outside the mapping".to_string();
    if contiguous_strides(&view.shape, dtype.size, false).as_deref() == Some(&view.strides[..]) {
        let end = view.base + n * dtype.size;
        return Ok(count_contiguous(
            bytes.get(view.base..end).ok_or_else(outside)?,
            dtype,
        ));
    }
    let mut count = 0;
    let mut idx = vec![0usize; view.shape.len()];
    loop {
        let pos = element_pos(view.base, &view.strides, &idx);
        let e = bytes.get(pos..pos + dtype.size).ok_or_else(outside)?;
        count += u64::from(element_nonzero(e, dtype));
        if !next_index(&mut idx, &view.shape) {
            break;
        }
    }
    Ok(count)
}

/// `b - a` per counter, or why not.
fn faults_between(a: &Measured<Faults>, b: &Measured<Faults>) -> Measured<Faults> {
    probe::faults_between(a, b)
}

/// What reading one chunk gave: its count, the faults and wall time of the read, its byte span in the mapping.
struct ChunkRead {
    nonzero: u64,
    faults: Measured<Faults>,
    ms: f64,
    span: Option<(usize, usize)>,
}

/// Read one chunk (rows `[a, b)` of the view `spec.index` of `v`); faults and wall time of the read only.
fn read_chunk(
    v: &Variable,
    spec: &ScanSpec,
    a: usize,
    b: usize,
    prefault: bool,
) -> Result<ChunkRead, String> {
    v.check_mapped_range()?;
    let view = apply_index(&v.shape, &v.strides, v.array_offset, &spec.index.items)?;
    let chunk = memory_order(&rows_of(&view, a, b));
    let map = v.map.as_ref().ok_or_else(|| v.closed_error())?;
    let map = map.borrow();
    let range = span(&chunk, v.dtype.size);
    if let (true, Some((lo, hi))) = (prefault, range) {
        // A diskless filesystem must allocate a page even to read a hole: fail the step, not SIGBUS.
        populate_read(map.addr(), lo, hi - lo).map_err(|e| populate_error(&e))?;
    }
    let start = Instant::now();
    let before = probe::faults_now();
    let nonzero = read_view(map.bytes(), &chunk, v.dtype)?;
    let after = probe::faults_now();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(ChunkRead {
        nonzero,
        faults: faults_between(&before, &after),
        ms,
        span: range,
    })
}

/// `madvise(MADV_DONTNEED)` of the pages of `[lo, hi)` of `v`'s mapping (start rounded down to a page,
/// as Python's call needs a page-aligned start).
fn dontneed(v: &Variable, lo: usize, hi: usize) -> Result<(), String> {
    let map = v.map.as_ref().ok_or_else(|| v.closed_error())?;
    let map = map.borrow();
    let page = super::open::page_size() as usize;
    let start = lo / page * page;
    let len = hi.min(v.map_len) - start;
    // SAFETY: `[addr + start, addr + start + len)` lies inside our own live mapping. MADV_DONTNEED only
    // drops page-table entries: a shared mapping's data stays in the file; a private copy (mode c) is
    // discarded exactly as Python's `madvise(MADV_DONTNEED)` would.
    let rc = unsafe {
        libc::madvise(
            (map.addr() + start) as *mut libc::c_void,
            len,
            libc::MADV_DONTNEED,
        )
    };
    if rc != 0 {
        return Err(super::open::os_error(
            &std::io::Error::last_os_error(),
            None,
        ));
    }
    Ok(())
}

/// Resident kB of every mapping of the file in this process.
fn file_rss(id: &Result<(u64, u64), String>) -> Measured<u64> {
    match id {
        Ok(id) => probe::own_file_rss_kb(*id),
        Err(why) => Measured::unavailable(why.clone()),
    }
}

/// The name of the NumPy scalar type of `dtype` (`int64`, `longlong`, `longdouble`, `clongdouble`).
fn scalar_type_name(dtype: DType) -> String {
    match (dtype.kind, dtype.longlong) {
        (Kind::Int, true) => "longlong".to_string(),
        (Kind::UInt, true) => "ulonglong".to_string(),
        (Kind::Float, _) if dtype.size == 16 => "longdouble".to_string(),
        (Kind::Complex, _) if dtype.size == 32 => "clongdouble".to_string(),
        _ => dtype.name(),
    }
}

/// Rows, rows per chunk and chunk count of a scan of `view`, refused as NumPy's `len()` refuses a 0-d
/// view, or when the chunks are more than the tutor measures.
fn chunking(view: &View, spec: &ScanSpec, dtype: DType) -> Result<(usize, usize, usize), String> {
    if view.is_scalar {
        // An integer index in every axis gives a NumPy scalar, not a 0-d array.
        return Err(format!(
            "TypeError: object of type 'numpy.{}' has no len()",
            scalar_type_name(dtype)
        ));
    }
    if view.shape.is_empty() {
        return Err("TypeError: len() of unsized object".to_string());
    }
    let rows = view.shape[0];
    let chunk_rows = usize::try_from(spec.chunk).unwrap_or(usize::MAX);
    let chunks = rows.div_ceil(chunk_rows);
    if chunks as u64 > MAX_CHUNKS {
        return Err(format!(
            "scan: {rows} rows in chunks of {chunk_rows} make {chunks} chunks; the tutor measures at most {MAX_CHUNKS} (use a larger chunk)"
        ));
    }
    Ok((rows, chunk_rows, chunks))
}

/// Read rows `[a, b)` and release them as `spec.release` says; also the file's resident kB right after the
/// read and after the release.
fn read_and_release(
    v: &Variable,
    spec: &ScanSpec,
    rows: (usize, usize),
    has_disk: bool,
    id: &Result<(u64, u64), String>,
    reopen: &mut dyn FnMut() -> Result<Variable, String>,
) -> Result<(ChunkRead, Measured<u64>, Measured<u64>), String> {
    let (a, b) = rows;
    match spec.release {
        Release::Recreate => {
            let fresh = reopen()?;
            let read = read_chunk(&fresh, spec, a, b, !has_disk)?;
            let resident = file_rss(id);
            drop(fresh); // munmap: the chunk's pages leave this process
            Ok((read, resident, file_rss(id)))
        }
        Release::Dontneed => {
            let read = read_chunk(v, spec, a, b, !has_disk)?;
            let resident = file_rss(id);
            if let Some((lo, hi)) = read.span {
                dontneed(v, lo, hi)?;
            }
            Ok((read, resident, file_rss(id)))
        }
        Release::Keep => {
            let read = read_chunk(v, spec, a, b, !has_disk)?;
            let resident = file_rss(id);
            Ok((read, resident.clone(), resident))
        }
    }
}

/// Running totals of a scan over its chunks: a total stays unavailable once one chunk could not measure it.
struct Totals {
    nonzero: u64,
    read_ms: f64,
    faults: Measured<Faults>,
    peak: Measured<u64>,
}

impl Totals {
    fn new() -> Self {
        Totals {
            nonzero: 0,
            read_ms: 0.0,
            faults: Measured::Value(Faults::default()),
            peak: Measured::Value(0),
        }
    }

    /// Add one chunk's read, and its resident kB right after the read to the peak.
    fn add(&mut self, read: &ChunkRead, rss_kb_read: &Measured<u64>) {
        self.nonzero += read.nonzero;
        self.read_ms += read.ms;
        self.faults = match (&self.faults, &read.faults) {
            (Measured::Value(t), Measured::Value(x)) => Measured::Value(Faults {
                minor: t.minor + x.minor,
                major: t.major + x.major,
            }),
            (Measured::Unavailable { .. }, _) => self.faults.clone(),
            (_, Measured::Unavailable { unavailable }) => {
                Measured::unavailable(unavailable.clone())
            }
        };
        self.peak = match (&self.peak, rss_kb_read) {
            (Measured::Value(p), Measured::Value(r)) => Measured::Value((*p).max(*r)),
            (Measured::Unavailable { .. }, _) => self.peak.clone(),
            (_, Measured::Unavailable { unavailable }) => {
                Measured::unavailable(unavailable.clone())
            }
        };
    }
}

/// Perform a scan of `v`. `reopen` maps the variable's file anew (mode `r`) for `release: recreate`;
/// `has_disk` is false on tmpfs, where each chunk's pages are allocated before they are read.
pub fn scan(
    v: &Variable,
    spec: &ScanSpec,
    has_disk: bool,
    reopen: &mut dyn FnMut() -> Result<Variable, String>,
    report: &mut OpReport,
) -> Result<ReadResult, String> {
    v.check_mapped_range()?;
    let view = apply_index(&v.shape, &v.strides, v.array_offset, &spec.index.items)?;
    let (rows, chunk_rows, chunks) = chunking(&view, spec, v.dtype)?;
    let elements = checked_size(&view.shape).unwrap_or(0) as u64;
    let id = probe::file_id(&v.path).map_err(|e| format!("cannot stat the file: {e}"));
    let tutor_anon_kb_before = probe::own_anon_kb();
    let rss_kb_before = file_rss(&id);
    let cached_before = cached_pages(&v.path);
    let mut per_chunk = Vec::with_capacity(if spec.summary { 0 } else { chunks });
    let mut totals = Totals::new();
    for c in 0..chunks {
        let a = c * chunk_rows;
        let b = (a + chunk_rows).min(rows);
        let (read, rss_kb_read, rss_kb) = read_and_release(v, spec, (a, b), has_disk, &id, reopen)?;
        totals.add(&read, &rss_kb_read);
        if !spec.summary {
            per_chunk.push(ChunkRecord {
                chunk: c + 1,
                rows: [a, b],
                rss_kb_read,
                rss_kb,
                cached: cached_pages(&v.path),
                faults: read.faults,
                read_ms: read.ms,
            });
        }
    }
    let scan = ScanReport {
        var: spec.var.clone(),
        expr: crate::lesson::scan_steps::view_expr(spec),
        rows,
        chunk_rows,
        chunks,
        release: spec.release,
        elements,
        bytes_used: elements * v.dtype.size as u64,
        span_bytes: span(&view, v.dtype.size).map_or(0, |(lo, hi)| (hi - lo) as u64),
        nonzero: totals.nonzero,
        rss_kb_before,
        rss_kb_peak: totals.peak,
        cached_before,
        faults: totals.faults,
        read_ms: totals.read_ms,
        read_ahead: probe::read_ahead(&v.path),
        tutor_anon_kb_before,
        tutor_anon_kb_after: probe::own_anon_kb(),
        per_chunk,
        summary: spec.summary,
    };
    report.event = Some(StepEvent::Scanned(scan.clone()));
    report.scan = Some(scan);
    // `total = 0` is a Python int; the first `total += np.count_nonzero(...)` makes it np.int64.
    Ok(if chunks == 0 {
        ReadResult::PyInt(0)
    } else {
        ReadResult::Scalar(Scalar::Int(totals.nonzero as i64), DType::INT64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_nonzero_bytes_in_zero_and_non_zero_blocks() {
        let mut bytes = vec![0u8; 3 * 4096 + 1003];
        for i in (4096..5099).step_by(7) {
            bytes[i] = (i % 255 + 1) as u8;
        }
        bytes[3 * 4096 + 1002] = 0x80;
        let slow = bytes.iter().filter(|&&b| b != 0).count() as u64;
        assert_eq!(count_contiguous(&bytes, DType::UINT8), slow);
    }

    #[test]
    fn negative_zero_is_zero_and_nan_is_not() {
        let f4 = DType::parse("<f4").expect("dtype");
        let mut bytes = Vec::new();
        for x in [0.0f32, -0.0, f32::NAN, 1.5, -2.0] {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        assert_eq!(count_contiguous(&bytes, f4), 3);
        let be = DType::parse(">f8").expect("dtype");
        let mut bytes = Vec::new();
        for x in [-0.0f64, 0.0, 3.0] {
            bytes.extend_from_slice(&x.to_be_bytes());
        }
        assert_eq!(count_contiguous(&bytes, be), 1);
    }

    #[test]
    fn complex_parts_and_longdouble_padding_follow_count_nonzero() {
        let c16 = DType::parse(">c16").expect("dtype");
        let mut bytes = Vec::new();
        for (re, im) in [
            (-0.0f64, -0.0f64),
            (0.0, -0.0),
            (-0.0, 1.0),
            (f64::NAN, 0.0),
        ] {
            bytes.extend_from_slice(&re.to_be_bytes());
            bytes.extend_from_slice(&im.to_be_bytes());
        }
        assert_eq!(count_contiguous(&bytes, c16), 2);
        if !crate::numpy::f80::SUPPORTED {
            return;
        }
        // -0.0 in 80 bits, then 6 bytes of padding NumPy never looks at; then 1.0.
        let mut g = vec![0u8; 32];
        g[9] = 0x80;
        g[10..16].fill(0xff);
        g[16 + 7] = 0x80;
        g[16 + 8] = 0xff;
        g[16 + 9] = 0x3f;
        assert_eq!(count_contiguous(&g, DType::parse("<g").expect("dtype")), 1);
        let be: Vec<u8> = g.chunks(16).flat_map(|e| e.iter().rev().copied()).collect();
        assert_eq!(count_contiguous(&be, DType::parse(">g").expect("dtype")), 1);
    }

    #[test]
    fn strided_reads_visit_each_element_once() {
        // A (4, 3) uint8 array read by its column 1: rows of 3 bytes, one byte each.
        let bytes: Vec<u8> = (0..12).map(|i| if i % 3 == 1 { 1 } else { 0 }).collect();
        let view = View {
            shape: vec![4],
            strides: vec![3],
            base: 1,
            is_scalar: false,
        };
        assert_eq!(read_view(&bytes, &view, DType::UINT8), Ok(4));
        assert_eq!(
            read_view(&bytes, &rows_of(&view, 1, 3), DType::UINT8),
            Ok(2)
        );
        assert_eq!(span(&rows_of(&view, 1, 3), 1), Some((4, 8)));
    }

    #[test]
    fn chunks_are_read_in_memory_order_as_numpy_reads_them() {
        // arr[::-1] of 8 uint8: NumPy's count_nonzero walks it forward from byte 0.
        let reversed = View {
            shape: vec![8],
            strides: vec![-1],
            base: 7,
            is_scalar: false,
        };
        let fwd = memory_order(&reversed);
        assert_eq!((fwd.shape, fwd.strides, fwd.base), (vec![8], vec![1], 0));
        // Rows 2..5 of it are bytes 3..=5, read from byte 3 up.
        let part = memory_order(&rows_of(&reversed, 2, 5));
        assert_eq!((part.strides, part.base), (vec![1], 3));
        // A (3, 4) uint8 array's transpose (strides 1, 4) is walked in C order of the file: row by row.
        let t = View {
            shape: vec![4, 3],
            strides: vec![1, 4],
            base: 0,
            is_scalar: false,
        };
        let m = memory_order(&t);
        assert_eq!((m.shape, m.strides), (vec![3, 4], vec![4, 1]));
        // Both axes reversed: still the whole array, forward, and the same count.
        let rr = View {
            shape: vec![3, 4],
            strides: vec![-4, -1],
            base: 11,
            is_scalar: false,
        };
        let m = memory_order(&rr);
        assert_eq!((m.strides.clone(), m.base), (vec![4, 1], 0));
        let bytes: Vec<u8> = (0..12).map(|i| u8::from(i % 5 == 0)).collect();
        assert_eq!(
            read_view(&bytes, &rr, DType::UINT8),
            read_view(&bytes, &m, DType::UINT8)
        );
        // Empty views are left alone.
        let empty = View {
            shape: vec![0],
            strides: vec![-1],
            base: 0,
            is_scalar: false,
        };
        assert_eq!(memory_order(&empty), empty);
    }
}

//! `arr[index] = value`: basic-indexing target, lazy value, NumPy broadcasting, cast on write.

use super::array::{contiguous_strides, element_pos, next_index};
use super::view::{apply_index, View};
use super::Variable;
use crate::expr::eval::{self as values, flat_strides, np_shape, Linear, Source};
use crate::expr::index::IndexExpr;
use crate::expr::value::ValueExpr;
use crate::lesson::Mode;
use crate::numpy::dtype::{DType, Kind};

/// NumPy's setitem broadcast: the value's leading 1s may be dropped, then each axis must match or be 1.
/// Returns the value's flat strides over the target shape.
pub(crate) fn broadcast_into(value: &[usize], target: &[usize]) -> Result<Vec<usize>, String> {
    let mut v = value;
    while v.len() > target.len() && v.first() == Some(&1) {
        v = &v[1..];
    }
    // NumPy reports the value's shape after dropping those leading 1s.
    let err = || {
        format!(
            "ValueError: could not broadcast input array from shape {} into shape {}",
            np_shape(v),
            np_shape(target)
        )
    };
    if v.len() > target.len() {
        return Err(err());
    }
    let mut padded = vec![1; target.len() - v.len()];
    padded.extend_from_slice(v);
    for (p, t) in padded.iter().zip(target) {
        if p != t && *p != 1 {
            return Err(err());
        }
    }
    Ok(flat_strides(&padded, target))
}

/// `arr[index] = value` on an open variable: the value first, then the assignment.
pub fn assign(
    var: &Variable,
    index: &IndexExpr,
    value: &ValueExpr,
    progress: Progress,
) -> Result<(), String> {
    assign_compiled(var, index, compile_value(value)?, progress)
}

/// Compile the right-hand side of `arr[index] = value`: Python evaluates it before it even
/// looks the name `arr` up, so its errors come first.
pub(crate) fn compile_value(value: &ValueExpr) -> Result<values::Value, String> {
    values::compile(value)
}

/// Perform the assignment on an open variable (the caller checked it is open) with a value
/// already compiled. NumPy's order: read-only, then the index, then converting the value,
/// then broadcasting.
pub(crate) fn assign_compiled(
    var: &Variable,
    index: &IndexExpr,
    compiled: values::Value,
    progress: Progress,
) -> Result<(), String> {
    if var.mode == Mode::ReadOnly {
        return Err("ValueError: assignment destination is read-only".to_string());
    }
    var.check_mapped_range()?;
    let view = apply_index(&var.shape, &var.strides, var.array_offset, &index.items)?;
    let src = values::into_source(compiled, &var.dtype, &view.shape, view.is_scalar)?;
    let vstrides = broadcast_into(&src.lazy.shape, &view.shape)?;
    // Every NumPy check passed: fault the target pages in first, so a full disk is an error here.
    super::populate_target(var, &view.shape, &view.strides, view.base)?;
    let map = var.map.as_ref().ok_or_else(|| var.closed_error())?;
    let mut map = map.borrow_mut();
    let bytes = map
        .bytes_mut()
        .ok_or_else(|| "ValueError: assignment destination is read-only".to_string())?;
    if let Some(pending) = &src.pending {
        return write_converting(
            bytes,
            var.dtype,
            &view.shape,
            &view.strides,
            view.base,
            pending,
            src.memory_order,
        );
    }
    write(bytes, var.dtype, &view, &src, &vstrides, progress);
    Ok(())
}

/// Store Python numbers one by one, converting each with Python's rules; the first that fails stops
/// the store with its error (earlier ones stay stored). `leaves` are in the target's C order; they are
/// converted in that order (a list's store) or, with `memory_order`, in the target's memory order (an
/// object array's copy: NumPy's raw-array iterator sorts the axes by stride and flips negative ones).
fn write_converting(
    bytes: &mut [u8],
    dt: DType,
    shape: &[usize],
    strides: &[isize],
    base: usize,
    leaves: &[values::Leaf],
    memory_order: bool,
) -> Result<(), String> {
    if shape.iter().product::<usize>() == 0 {
        return Ok(());
    }
    let axes = if memory_order {
        memory_axes(shape, strides)
    } else {
        (0..shape.len()).map(|a| (a, false)).collect()
    };
    // The odometer runs over `axes` (outermost first); `idx` is the logical index.
    let mut idx: Vec<usize> = axes
        .iter()
        .map(|&(a, flip)| if flip { shape[a] - 1 } else { 0 })
        .collect();
    let mut logical = vec![0usize; shape.len()];
    loop {
        for (k, &(a, _)) in axes.iter().enumerate() {
            logical[a] = idx[k];
        }
        let flat = logical
            .iter()
            .zip(shape)
            .fold(0usize, |acc, (&i, &d)| acc * d + i);
        let Some(leaf) = leaves.get(flat) else {
            break;
        };
        let v = values::leaf_convert(leaf.clone(), &dt)?;
        let pos = element_pos(base, strides, &logical);
        if let Some(out) = bytes.get_mut(pos..pos + dt.size) {
            dt.encode(v, out);
        }
        // Advance the innermost of `axes` first.
        let mut k = axes.len();
        loop {
            if k == 0 {
                return Ok(());
            }
            k -= 1;
            let (a, flip) = axes[k];
            if flip {
                if idx[k] > 0 {
                    idx[k] -= 1;
                    break;
                }
                idx[k] = shape[a] - 1;
            } else {
                if idx[k] + 1 < shape[a] {
                    idx[k] += 1;
                    break;
                }
                idx[k] = 0;
            }
        }
    }
    Ok(())
}

/// The target's axes in memory order, outermost first, each with whether it runs backwards (a negative
/// stride): NumPy's `PyArray_CreateSortedStridePerm` (a stable sort by decreasing |stride|) as its
/// raw-array iterator uses it. Axes of length 1 keep their place (their stride does not matter).
fn memory_axes(shape: &[usize], strides: &[isize]) -> Vec<(usize, bool)> {
    let mut axes: Vec<usize> = (0..shape.len()).collect();
    // A stable insertion sort: an axis moves before another only when its |stride| is strictly larger.
    for i in 1..axes.len() {
        let mut j = i;
        while j > 0 {
            let (a, b) = (axes[j - 1], axes[j]);
            let ambiguous = shape[a] <= 1 || shape[b] <= 1;
            if !ambiguous && strides[b].unsigned_abs() > strides[a].unsigned_abs() {
                axes.swap(j - 1, j);
                j -= 1;
            } else {
                break;
            }
        }
    }
    axes.into_iter()
        .map(|a| (a, strides[a] < 0 && shape[a] > 1))
        .collect()
}

/// Fills of at least this many bytes report progress (smaller ones finish too fast to need it).
pub(crate) const PROGRESS_MIN_BYTES: usize = 100 << 20;
/// Bytes written between two progress reports: the fast path works in chunks of this size.
pub(crate) const PROGRESS_CHUNK_BYTES: usize = 64 << 20;

/// Called as `hook(bytes_done, bytes_total)` after each chunk of a long fast-path fill; the engine owns
/// one (see `Engine::set_fill_progress`) and lends it to each assignment as a [`Progress`].
pub type ProgressHook = Box<dyn FnMut(u64, u64)>;

/// Where an assignment reports a long fill's progress, passed down explicitly (`&mut |_, _| {}` for none).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Write every element of the target; a C-contiguous target with a scalar, or with a value of
/// the same size (no broadcasting), is filled chunk by chunk straight into the mapping.
fn write(
    bytes: &mut [u8],
    dt: DType,
    view: &View,
    src: &Source,
    vstrides: &[usize],
    progress: Progress,
) {
    let (shape, strides, base) = (&view.shape[..], &view.strides[..], view.base);
    let n: usize = shape.iter().product();
    if n == 0 {
        return;
    }
    if src.needs_cast && crate::numpy::simd_cast::applies(src.lazy.dtype, dt) {
        // float→uint32: the result depends on NumPy's loop structure (see simd_cast).
        let sizes = (src.lazy.dtype, dt.size);
        crate::numpy::simd_cast::for_each_element(
            shape,
            strides,
            base,
            vstrides,
            sizes,
            |pos, flat, vector| {
                if let Some(out) = bytes.get_mut(pos..pos + dt.size) {
                    let v = crate::numpy::simd_cast::cast(src.lazy.at(flat), &dt, vector);
                    dt.encode(v, out);
                }
            },
        );
        return;
    }
    let contiguous = contiguous_strides(shape, dt.size, false).as_deref() == Some(strides);
    if contiguous {
        if let Some(region) = bytes.get_mut(base..base + n * dt.size) {
            let one_to_one = src.lazy.size() == n && vstrides.iter().all(|&s| s != 0);
            if src.lazy.fill_value().is_some() || one_to_one {
                fast_fill(region, dt, src, progress);
                return;
            }
        }
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        let pos = element_pos(base, strides, &idx);
        let flat: usize = idx.iter().zip(vstrides).map(|(i, s)| i * s).sum();
        if let Some(out) = bytes.get_mut(pos..pos + dt.size) {
            dt.encode(src.lazy.at(flat), out);
        }
        if !next_index(&mut idx, shape) {
            break;
        }
    }
}

/// How the fast path computes element `i` of a contiguous region.
enum Fill {
    /// One encoded element repeated (`arr[:] = 0`).
    Repeat(Vec<u8>),
    /// Native float32 target from an arange: `(x as f32)` of the arange's f64 value.
    F32(Linear),
    /// Native float64 target from an arange.
    F64(Linear),
    /// Anything else: `at(i)` then encode, still chunked.
    Each,
}

/// Fill a C-contiguous region whose element `i` is the value's flat element `i` (or its only
/// element), in chunks of [`PROGRESS_CHUNK_BYTES`]. A long fill has a helper thread fault the
/// pages in ahead (MADV_POPULATE_WRITE) on the other core while this one computes the values.
fn fast_fill(region: &mut [u8], dt: DType, src: &Source, progress: Progress) {
    let fill = fill_kind(dt, src);
    if region.len() < PROGRESS_MIN_BYTES {
        fill_chunks(region, dt, src, &fill, None);
        return;
    }
    // Only the address travels to the helper: it never reads or writes the memory itself.
    let (addr, len) = (region.as_mut_ptr() as usize, region.len());
    std::thread::scope(|s| {
        let helper = std::thread::Builder::new()
            .name("populate".to_string())
            .spawn_scoped(s, move || populate_ahead(addr, len));
        // Without a helper (no threads left) the stores below fault the pages in themselves.
        drop(helper);
        fill_chunks(region, dt, src, &fill, Some(progress));
    });
}

/// Compute and store every element of `region`, reporting progress after each chunk.
fn fill_chunks(
    region: &mut [u8],
    dt: DType,
    src: &Source,
    fill: &Fill,
    mut report: Option<Progress>,
) {
    let total = region.len();
    let per = (PROGRESS_CHUNK_BYTES / dt.size).max(1);
    let mut done = 0usize;
    for (ci, chunk) in region.chunks_mut(per * dt.size).enumerate() {
        let first = ci * per;
        match fill {
            Fill::Repeat(pattern) => {
                for piece in chunk.chunks_mut(pattern.len()) {
                    piece.copy_from_slice(&pattern[..piece.len()]);
                }
            }
            Fill::F32(l) => {
                if !fill_f32_i32(chunk, *l, first) {
                    for (k, out) in chunk.chunks_exact_mut(4).enumerate() {
                        out.copy_from_slice(&(linear_at(*l, first + k) as f32).to_ne_bytes());
                    }
                }
            }
            Fill::F64(l) => {
                for (k, out) in chunk.chunks_exact_mut(8).enumerate() {
                    out.copy_from_slice(&linear_at(*l, first + k).to_ne_bytes());
                }
            }
            Fill::Each => {
                for (k, out) in chunk.chunks_exact_mut(dt.size).enumerate() {
                    dt.encode(src.lazy.at(first + k), out);
                }
            }
        }
        done += chunk.len();
        if let Some(progress) = report.as_mut() {
            progress(done as u64, total as u64);
        }
    }
}

/// The common case of `np.arange(n)` into float32, in 32-bit integer arithmetic that the
/// compiler vectorises: every value of the chunk fits in i32, so `v as f32` rounds exactly as
/// `(v as f64) as f32` does (i32 → f64 is exact). False (nothing written) when it does not apply.
fn fill_f32_i32(chunk: &mut [u8], l: Linear, first: usize) -> bool {
    let Linear::Int { start, step } = l else {
        return false;
    };
    let count = chunk.len() / 4;
    if count == 0 {
        return true;
    }
    let at = |i: usize| start as i128 + i as i128 * step as i128;
    let fits = |v: i128| v >= i32::MIN as i128 && v <= i32::MAX as i128;
    if !fits(at(first)) || !fits(at(first + count - 1)) || i32::try_from(step).is_err() {
        return false;
    }
    // SAFETY: every bit pattern is a valid f32, so viewing initialised bytes as f32 is sound;
    // align_to_mut only hands out the correctly aligned middle part.
    let (head, mid, tail) = unsafe { chunk.align_to_mut::<f32>() };
    if !head.is_empty() || !tail.is_empty() {
        // An array offset that is not a multiple of 4: the byte-wise loop handles it.
        return false;
    }
    let base = at(first) as i32;
    let step = step as i32;
    for (k, out) in mid.iter_mut().enumerate() {
        // Wrapping is exact here: the true value fits in i32, so it equals the value mod 2^32.
        *out = base.wrapping_add((k as i32).wrapping_mul(step)) as f32;
    }
    true
}

/// Pick the cheapest exact way to compute the elements (each the same bits `at` + `encode` give).
fn fill_kind(dt: DType, src: &Source) -> Fill {
    if let Some(v) = src.lazy.fill_value() {
        let mut one = [0u8; 32];
        dt.encode(v, &mut one);
        let elem = &one[..dt.size.min(32)];
        // A 4 KiB pattern turns the fill into memcpy calls.
        let reps = (4096 / elem.len().max(1)).max(1);
        return Fill::Repeat(elem.repeat(reps));
    }
    let Some((linear, cast)) = src.lazy.linear() else {
        return Fill::Each;
    };
    if !dt.is_native() || dt.kind != Kind::Float {
        return Fill::Each;
    }
    // A cast to float64 changes nothing; a cast to float32 rounds once, as the store does.
    let cast_ok =
        |allowed: &[usize]| cast.is_none_or(|c| c.kind == Kind::Float && allowed.contains(&c.size));
    match dt.size {
        4 if cast_ok(&[4, 8]) => Fill::F32(linear),
        8 if cast_ok(&[8]) => Fill::F64(linear),
        _ => Fill::Each,
    }
}

/// Element `i` of an arange as a float64, as `Lazy::at` then a float cast computes it.
#[inline]
fn linear_at(l: Linear, i: usize) -> f64 {
    match l {
        Linear::Int { start, step } => start.wrapping_add((i as i64).wrapping_mul(step)) as f64,
        Linear::Float { start, delta } => start + i as f64 * delta,
    }
}

/// Ask the kernel to fault in `[addr, addr + len)` for writing, chunk by chunk
/// (MADV_POPULATE_WRITE, Linux ≥ 5.14), instead of one page fault per page in the filling loop.
/// Only a hint: where it fails or falls behind, the stores fault the pages in as usual.
fn populate_ahead(addr: usize, len: usize) {
    let page = (crate::probe::page_size() as usize).max(1);
    let start = addr - addr % page;
    let end = addr + len;
    let mut at = start;
    while at < end {
        let n = PROGRESS_CHUNK_BYTES.min(end - at);
        // SAFETY: [at, at+n) lies within the pages of the region being filled, part of a live
        // writable mapping that the caller borrows mutably until this thread is joined (scoped).
        // MADV_POPULATE_WRITE only installs writable page-table entries, as a store would; it
        // never reads or changes the memory's contents, so it cannot race with the stores.
        let rc = unsafe { libc::madvise(at as *mut libc::c_void, n, libc::MADV_POPULATE_WRITE) };
        if rc != 0 {
            return;
        }
        at += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the general path writes: `at(i)` then encode, element by element.
    fn slow(dt: DType, src: &Source, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n * dt.size];
        for (i, c) in out.chunks_exact_mut(dt.size).enumerate() {
            dt.encode(src.lazy.at(i), c);
        }
        out
    }

    fn source(expr: &str, dt: DType) -> Source {
        let v = crate::expr::value::parse_value_str(expr).unwrap();
        values::into_source(values::compile(&v).unwrap(), &dt, &[n_of(expr)], false).unwrap()
    }

    /// A target length the value fits (lists convert only when their shape matches).
    fn n_of(_expr: &str) -> usize {
        5000
    }

    #[test]
    fn fast_fill_writes_the_same_bits_as_the_general_path() {
        let n = 5000;
        let cases = [
            ("np.arange(5000)", "float32"),
            ("np.arange(5000, dtype=np.float32)", "float32"),
            ("np.arange(5000).astype('float64')", "float32"),
            ("np.arange(16777000, 16782000)", "float32"),
            ("np.arange(-2500, 2500)", "float32"),
            ("np.arange(0, 15000, 3)", "float32"),
            ("np.arange(5000, 0, -1)", "float32"),
            ("np.arange(2147480000, 2147485000)", "float32"),
            ("np.arange(0, 1, 0.0002)", "float32"),
            ("np.arange(0, 1, 0.0002)", "float64"),
            ("np.arange(-2500, 2500)", "float64"),
            ("np.arange(5000, dtype=np.float32)", "float64"),
            ("np.arange(5000)", "int16"),
            ("np.arange(5000)", ">f4"),
            ("np.linspace(0, 1, 5000)", "float32"),
            ("7", "int32"),
            ("2.5", "float32"),
            ("np.full(5000, 3)", "uint8"),
        ];
        for (expr, dtype) in cases {
            let dt = DType::parse(dtype).unwrap();
            let src = source(expr, dt);
            let want = if src.lazy.fill_value().is_some() {
                let mut one = vec![0u8; dt.size];
                dt.encode(src.lazy.at(0), &mut one);
                one.repeat(n)
            } else {
                slow(dt, &src, n)
            };
            let mut got = vec![0u8; n * dt.size];
            fast_fill(&mut got, dt, &src, &mut |_, _| {});
            assert!(got == want, "{expr} into {dtype}");
            // An array offset that is not a multiple of the item size (NumPy allows it).
            let mut shifted = vec![0u8; n * dt.size + 1];
            fast_fill(&mut shifted[1..], dt, &src, &mut |_, _| {});
            assert!(shifted[1..] == want[..], "{expr} into {dtype}, unaligned");
        }
    }

    #[test]
    fn long_fills_report_progress_in_chunks_short_ones_never() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen: Rc<RefCell<Vec<(u64, u64)>>> = Rc::default();
        let log = seen.clone();
        let mut hook = move |d, t| log.borrow_mut().push((d, t));
        let dt = DType::parse("uint8").unwrap();
        let src = source("1", dt);
        let mut small = vec![0u8; 1 << 20];
        fast_fill(&mut small, dt, &src, &mut hook);
        assert!(seen.borrow().is_empty());
        let total = PROGRESS_MIN_BYTES + 1;
        let mut big = vec![0u8; total];
        fast_fill(&mut big, dt, &src, &mut hook);
        let t = total as u64;
        let c = PROGRESS_CHUNK_BYTES as u64;
        assert_eq!(*seen.borrow(), vec![(c, t), (t, t)]);
        assert!(big.iter().all(|&b| b == 1));
    }

    #[test]
    fn setitem_broadcasting() {
        assert_eq!(broadcast_into(&[1, 4], &[4]).unwrap(), vec![1]);
        assert_eq!(broadcast_into(&[], &[2, 3]).unwrap(), vec![0, 0]);
        assert_eq!(broadcast_into(&[2, 1], &[2, 3]).unwrap(), vec![1, 0]);
        assert_eq!(
            broadcast_into(&[3], &[4]).unwrap_err(),
            "ValueError: could not broadcast input array from shape (3,) into shape (4,)"
        );
        assert_eq!(
            broadcast_into(&[2, 3], &[4]).unwrap_err(),
            "ValueError: could not broadcast input array from shape (2,3) into shape (4,)"
        );
        assert!(broadcast_into(&[4], &[4, 1]).is_err());
    }
}

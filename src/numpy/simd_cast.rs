//! The one cast whose result depends on NumPy's loop structure on x86-64: float32/float64 (and
//! complex64/complex128, through the real part) to uint32.
//!
//! NumPy 2.4.6's contiguous cast loop is auto-vectorised four elements at a time; the vector
//! code computes `x >= 2^31 ? cvtt32(x - 2^31) ^ 2^31 : cvtt32(x)`, the scalar remainder (and
//! every strided or broadcast loop) `cvtt64(x) & 0xffffffff`. They differ for NaN, -inf, values
//! below -2^31 and values of 2^32 and up (measured: `np.full(9, np.nan).astype(np.uint32)` is
//! eight 2147483648 then 0; `np.full(3, np.nan)` gives 0 0 0; a strided target gives all 0).
//! Which elements fall in the vector part follows NumPy's raw two-array iteration: axes sorted
//! by the target's strides, negative target strides reversed, axes coalesced, then one inner
//! loop over the innermost axis, vectorised when both sides are contiguous there.

use crate::numpy::dtype::{float_to_u32_vector, DType, Kind, Scalar};

/// True when storing `src` elements into `dst` is the cast this module models.
pub(crate) fn applies(src: DType, dst: DType) -> bool {
    dst.kind == Kind::UInt
        && dst.size == 4
        && matches!(src.kind, Kind::Float | Kind::Complex)
        && matches!(src.part().size, 4 | 8)
}

/// The cast of one element, by the vector code or by the scalar code.
pub(crate) fn cast(v: Scalar, dst: &DType, vector: bool) -> Scalar {
    if vector {
        Scalar::UInt(float_to_u32_vector(v.parts().0))
    } else {
        v.cast(dst)
    }
}

/// True for element `flat` of a contiguous loop over `count` elements of `src` that the vector
/// code converts (`astype` of a fresh array: one loop over all of it).
pub(crate) fn in_vector_part(flat: usize, count: usize, src: DType) -> bool {
    flat < vector_count(count, src)
}

/// How many leading elements of a contiguous loop over `count` the vector code converts: whole
/// groups of four for a float source; for a complex one (its loop reads the real parts) the
/// groups of four that leave at least one element to the scalar remainder, and none at all for
/// complex128 below six elements (measured with NumPy 2.4.6 for every count up to 300:
/// `np.full(n, -np.inf, 'D').astype(np.uint32)` has 0, 0, 0, 0, 0, 4, 4, 4, 8 … leading
/// 2147483648s for n = 1 … 9; `'F'` 0, 0, 0, 0, 4, 4, 4, 4, 8 …).
fn vector_count(count: usize, src: DType) -> usize {
    match src.kind {
        Kind::Complex if src.size == 16 && count < 6 => 0,
        Kind::Complex => count.saturating_sub(1) / 4 * 4,
        _ => count / 4 * 4,
    }
}

/// Calls `f(byte position in the target, the value's flat index, vector?)` for every element of
/// `target[...] = value` in NumPy's iteration order. `dst_strides` are the target view's byte
/// strides from `base`; `src_strides` the value's flat element strides over the target shape
/// (0 where broadcast) and `src` its dtype.
pub(crate) fn for_each_element(
    shape: &[usize],
    dst_strides: &[isize],
    base: usize,
    src_strides: &[usize],
    (src, dst_size): (DType, usize),
    mut f: impl FnMut(usize, usize, bool),
) {
    let nd = shape.len();
    // Axes by descending |dst stride| (stable), then innermost first.
    let mut perm: Vec<usize> = (0..nd).collect();
    perm.sort_by_key(|&a| std::cmp::Reverse(dst_strides[a].unsigned_abs()));
    perm.reverse();
    let mut sh: Vec<usize> = perm.iter().map(|&a| shape[a]).collect();
    let mut ds: Vec<isize> = perm.iter().map(|&a| dst_strides[a]).collect();
    let mut ss: Vec<isize> = perm.iter().map(|&a| src_strides[a] as isize).collect();
    let (mut dpos, mut sflat) = (base as isize, 0isize);
    for i in 0..nd {
        if ds[i] < 0 {
            dpos += ds[i] * (sh[i] as isize - 1);
            sflat += ss[i] * (sh[i] as isize - 1);
            ds[i] = -ds[i];
            ss[i] = -ss[i];
        }
    }
    // Coalesce (NumPy's PyArray_PrepareTwoRawArrayIter), comparing the value's strides in bytes.
    let sb = src.size as isize;
    let mut i = 0usize;
    for j in 1..nd {
        if sh[i] == 1 {
            (sh[i], ds[i], ss[i]) = (sh[j], ds[j], ss[j]);
        } else if sh[j] == 1 {
        } else if ds[i] * sh[i] as isize == ds[j] && ss[i] * sb * sh[i] as isize == ss[j] * sb {
            sh[i] *= sh[j];
        } else {
            i += 1;
            (sh[i], ds[i], ss[i]) = (sh[j], ds[j], ss[j]);
        }
    }
    let nd = if nd == 0 { 0 } else { i + 1 };
    let (count, d0, s0) = if nd == 0 {
        (1, 0, 0)
    } else {
        (sh[0], ds[0], ss[0])
    };
    let contiguous = nd > 0 && d0 == dst_size as isize && s0 == 1;
    if sh[..nd].contains(&0) {
        return;
    }
    let mut outer = vec![0usize; nd.saturating_sub(1)];
    loop {
        let mut dp = dpos;
        let mut sp = sflat;
        for (a, &o) in outer.iter().enumerate() {
            dp += ds[a + 1] * o as isize;
            sp += ss[a + 1] * o as isize;
        }
        for k in 0..count {
            let vector = contiguous && in_vector_part(k, count, src);
            f(
                (dp + d0 * k as isize) as usize,
                (sp + s0 * k as isize) as usize,
                vector,
            );
        }
        // Next outer index (axis 1 fastest, as NumPy's raw iterator does).
        let mut a = 0;
        loop {
            if a == outer.len() {
                return;
            }
            outer[a] += 1;
            if outer[a] < sh[a + 1] {
                break;
            }
            outer[a] = 0;
            a += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_part_by_source_kind() {
        let f8 = DType::FLOAT64;
        let c8 = DType::native(Kind::Complex, 8);
        let c16 = DType::native(Kind::Complex, 16);
        let counts = |dt: DType| (1..=10).map(|n| vector_count(n, dt)).collect::<Vec<_>>();
        assert_eq!(counts(f8), [0, 0, 0, 4, 4, 4, 4, 8, 8, 8]);
        assert_eq!(counts(c8), [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
        assert_eq!(counts(c16), [0, 0, 0, 0, 0, 4, 4, 4, 8, 8]);
        assert!(in_vector_part(7, 9, c16) && !in_vector_part(8, 9, c16));
    }
}

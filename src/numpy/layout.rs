//! Array layout as NumPy defines it: contiguous strides (C or Fortran order), element counts and positions.

/// Byte strides of a freshly created array: C (row-major) or F (column-major).
/// Zero-length axes count as 1, as NumPy's `_array_fill_strides` does.
pub(crate) fn contiguous_strides(
    shape: &[usize],
    itemsize: usize,
    fortran: bool,
) -> Option<Vec<isize>> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = isize::try_from(itemsize).ok()?;
    let axes: Vec<usize> = if fortran {
        (0..shape.len()).collect()
    } else {
        (0..shape.len()).rev().collect()
    };
    for ax in axes {
        strides[ax] = acc;
        let d = isize::try_from(shape[ax].max(1)).ok()?;
        acc = acc.checked_mul(d)?;
    }
    Some(strides)
}

/// Number of elements of a shape; `None` when the product overflows.
pub(crate) fn checked_size(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Byte position (inside the mapping) of the element at `index`.
pub(crate) fn element_pos(base: usize, strides: &[isize], index: &[usize]) -> usize {
    let mut pos = base as isize;
    for (&i, &s) in index.iter().zip(strides) {
        pos += i as isize * s;
    }
    pos as usize
}

/// Advance an N-d index in C order; false when it wrapped past the end.
pub(crate) fn next_index(index: &mut [usize], shape: &[usize]) -> bool {
    for ax in (0..index.len()).rev() {
        index[ax] += 1;
        if index[ax] < shape[ax] {
            return true;
        }
        index[ax] = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_c_and_f() {
        assert_eq!(contiguous_strides(&[2, 3], 4, false).unwrap(), vec![12, 4]);
        assert_eq!(contiguous_strides(&[2, 3], 4, true).unwrap(), vec![4, 8]);
        assert_eq!(
            contiguous_strides(&[2, 3, 4], 2, false).unwrap(),
            vec![24, 8, 2]
        );
        assert_eq!(contiguous_strides(&[0, 4], 1, false).unwrap(), vec![4, 1]);
        assert!(contiguous_strides(&[usize::MAX / 2, 4], 8, false).is_none());
    }

    #[test]
    fn next_index_walks_c_order() {
        let mut i = vec![0, 0];
        let mut seen = vec![i.clone()];
        while next_index(&mut i, &[2, 2]) {
            seen.push(i.clone());
        }
        assert_eq!(seen, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    }

    #[test]
    fn strides_match_numpy() {
        assert_eq!(contiguous_strides(&[3, 3], 4, false).unwrap(), vec![12, 4]);
        assert_eq!(contiguous_strides(&[3, 3], 4, true).unwrap(), vec![4, 12]);
        assert_eq!(
            contiguous_strides(&[2, 3, 4], 8, false).unwrap(),
            vec![96, 32, 8]
        );
        assert_eq!(
            contiguous_strides(&[], 8, false).unwrap(),
            Vec::<isize>::new()
        );
    }
}

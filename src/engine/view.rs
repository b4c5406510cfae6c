//! NumPy basic indexing (ints, slices, `...`, `newaxis`) turned into a strided view.

use crate::expr::index::IndexItem;

/// The result of basic indexing: a strided window relative to the indexed array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    /// Byte position of the view's first element, in the same coordinates as the input base.
    pub base: usize,
    /// True when every item is an int and there is one per axis: NumPy returns a scalar.
    pub is_scalar: bool,
}

/// Python's `slice.indices(len)`: (start, step, count).
fn slice_indices(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    len: usize,
) -> Result<(i64, i64, usize), String> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err("ValueError: slice step cannot be zero".to_string());
    }
    // CPython's PySlice_Unpack: a step below -PY_SSIZE_T_MAX becomes -PY_SSIZE_T_MAX, so `-step`
    // cannot overflow (`a[::-2**63]` is the last element alone: `np.arange(16)[::-2**63]` is `[15]`).
    let step = step.max(-i64::MAX);
    let len = len as i64;
    let clip = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(v) if v < 0 => {
                let v = v.saturating_add(len);
                if v < 0 {
                    if step < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    v
                }
            }
            Some(v) if v >= len => {
                if step < 0 {
                    len - 1
                } else {
                    len
                }
            }
            Some(v) => v,
        }
    };
    let (start, stop) = if step > 0 {
        (clip(start, 0), clip(stop, len))
    } else {
        (clip(start, len - 1), clip(stop, -1))
    };
    let count = if step > 0 {
        if stop > start {
            (stop - start - 1) / step + 1
        } else {
            0
        }
    } else if start > stop {
        (start - stop - 1) / (-step) + 1
    } else {
        0
    };
    Ok((start, step, count as usize))
}

/// Apply basic indexing to an array of `shape`/`strides` whose first element is at `base`.
/// Errors carry NumPy's exception type and message.
pub(crate) fn apply_index(
    shape: &[usize],
    strides: &[isize],
    base: usize,
    items: &[IndexItem],
) -> Result<View, String> {
    let consuming = prepare_index(shape, items)?;
    let is_scalar =
        consuming == shape.len() && items.iter().all(|i| matches!(i, IndexItem::Int(_)));
    let mut out_shape = Vec::new();
    let mut out_strides = Vec::new();
    let mut pos = base as isize;
    let mut axis = 0usize;
    for item in expand_ellipsis(items, shape.len() - consuming) {
        match *item {
            IndexItem::Int(i) => {
                let n = shape[axis];
                let j = if i < 0 { i + n as i64 } else { i };
                if j < 0 || j >= n as i64 {
                    return Err(format!(
                        "IndexError: index {i} is out of bounds for axis {axis} with size {n}"
                    ));
                }
                pos += j as isize * strides[axis];
                axis += 1;
            }
            IndexItem::Slice { start, stop, step } => {
                let (s, st, count) = slice_indices(start, stop, step, shape[axis])?;
                if count > 0 {
                    pos += s as isize * strides[axis];
                }
                out_shape.push(count);
                // An axis of at most one element never uses its stride: keep the input's rather
                // than stride * step, which a huge step (`[::-2**63]`) overflows (NumPy wraps it).
                out_strides.push(if count <= 1 {
                    strides[axis]
                } else {
                    strides[axis] * st as isize
                });
                axis += 1;
            }
            IndexItem::NewAxis => {
                out_shape.push(1);
                out_strides.push(0);
            }
            IndexItem::Ellipsis => {}
            // Refused by `prepare_index` above.
            IndexItem::BigInt(ref text) => return Err(IndexItem::big_error(text)),
        }
    }
    // Axes not mentioned are taken whole.
    while axis < shape.len() {
        out_shape.push(shape[axis]);
        out_strides.push(strides[axis]);
        axis += 1;
    }
    Ok(View {
        shape: out_shape,
        strides: out_strides,
        base: pos as usize,
        is_scalar,
    })
}

/// NumPy's `prepare_index` checks, in its order: at most 2*NPY_MAXDIMS items, one ellipsis, no more
/// integers and slices than dimensions, a result of at most 64 dimensions. The number of axes the index
/// consumes (integers and slices).
fn prepare_index(shape: &[usize], items: &[IndexItem]) -> Result<usize, String> {
    if items.len() > 128 {
        return Err("IndexError: too many indices for array".to_string());
    }
    let count = |pred: fn(&IndexItem) -> bool| items.iter().filter(|i| pred(i)).count();
    // Items are converted left to right: the first bad one (a second ellipsis, an integer
    // beyond int64) raises (measured: `a[2**70, ..., ...]` is the integer's error).
    let mut ellipses = 0;
    for item in items {
        match item {
            IndexItem::Ellipsis => {
                ellipses += 1;
                if ellipses > 1 {
                    return Err(
                        "IndexError: an index can only have a single ellipsis ('...')".to_string(),
                    );
                }
            }
            IndexItem::BigInt(text) => return Err(IndexItem::big_error(text)),
            _ => {}
        }
    }
    let consuming = count(|i| matches!(i, IndexItem::Int(_) | IndexItem::Slice { .. }));
    if consuming > shape.len() {
        return Err(format!(
            "IndexError: too many indices for array: array is {}-dimensional, but {} were indexed",
            shape.len(),
            consuming
        ));
    }
    let ints = count(|i| matches!(i, IndexItem::Int(_)));
    let new_axes = count(|i| matches!(i, IndexItem::NewAxis));
    let result_ndim = shape.len() - ints + new_axes;
    if result_ndim > 64 {
        return Err(format!(
            "IndexError: number of dimensions must be within [0, 64], indexing result would have {result_ndim}"
        ));
    }
    Ok(consuming)
}

/// The index with its ellipsis replaced by `fill` whole-axis slices.
fn expand_ellipsis(items: &[IndexItem], fill: usize) -> Vec<&IndexItem> {
    const WHOLE: IndexItem = IndexItem::Slice {
        start: None,
        stop: None,
        step: None,
    };
    let mut expanded: Vec<&IndexItem> = Vec::new();
    for item in items {
        if matches!(item, IndexItem::Ellipsis) {
            expanded.extend(std::iter::repeat_n(&WHOLE, fill));
        } else {
            expanded.push(item);
        }
    }
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> IndexItem {
        IndexItem::Slice { start, stop, step }
    }

    #[test]
    fn python_slice_semantics() {
        assert_eq!(slice_indices(None, None, Some(-1), 5).unwrap(), (4, -1, 5));
        assert_eq!(
            slice_indices(Some(5), Some(1), Some(-2), 5).unwrap(),
            (4, -2, 2)
        );
        assert_eq!(
            slice_indices(Some(-100), Some(100), None, 5).unwrap(),
            (0, 1, 5)
        );
        assert_eq!(slice_indices(Some(3), Some(1), None, 5).unwrap().2, 0);
        assert_eq!(
            slice_indices(None, Some(-10), Some(-1), 5).unwrap(),
            (4, -1, 5)
        );
        assert!(slice_indices(None, None, Some(0), 5).is_err());
        // Python: slice(None, None, -2**63).indices(5) == (4, -1, -9223372036854775807): one element.
        assert_eq!(
            slice_indices(None, None, Some(i64::MIN), 5).unwrap(),
            (4, -i64::MAX, 1)
        );
        assert_eq!(
            slice_indices(Some(i64::MIN), Some(i64::MAX), Some(i64::MIN), 3).unwrap(),
            (-1, -i64::MAX, 0)
        );
    }

    #[test]
    fn ints_drop_axes_and_newaxis_adds() {
        // (3,4) float32, C order.
        let v = apply_index(&[3, 4], &[16, 4], 100, &[IndexItem::Int(-1)]).unwrap();
        assert_eq!(v.shape, vec![4]);
        assert_eq!(v.base, 100 + 32);
        let v = apply_index(
            &[3, 4],
            &[16, 4],
            0,
            &[IndexItem::Ellipsis, sl(None, None, Some(-2))],
        )
        .unwrap();
        assert_eq!(v.shape, vec![3, 2]);
        assert_eq!(v.strides, vec![16, -8]);
        assert_eq!(v.base, 12);
        let v = apply_index(
            &[3, 4],
            &[16, 4],
            0,
            &[IndexItem::NewAxis, IndexItem::Int(1)],
        )
        .unwrap();
        assert_eq!(v.shape, vec![1, 4]);
        assert!(!v.is_scalar);
        let v = apply_index(
            &[3, 4],
            &[16, 4],
            0,
            &[IndexItem::Int(1), IndexItem::Int(2)],
        )
        .unwrap();
        assert!(v.is_scalar);
        assert_eq!(v.base, 24);
    }

    #[test]
    fn index_errors() {
        assert_eq!(
            apply_index(&[2], &[1], 0, &[IndexItem::Int(5)]).unwrap_err(),
            "IndexError: index 5 is out of bounds for axis 0 with size 2"
        );
        assert_eq!(
            apply_index(&[2, 2], &[2, 1], 0, &vec![IndexItem::Int(0); 3]).unwrap_err(),
            "IndexError: too many indices for array: array is 2-dimensional, but 3 were indexed"
        );
        assert!(apply_index(&[2], &[1], 0, &[IndexItem::Ellipsis, IndexItem::Ellipsis]).is_err());
    }
}

//! `arr[index] = value`: basic-indexing target, lazy value, NumPy broadcasting, cast on write.

use super::array::{contiguous_strides, element_pos, next_index};
use super::values::{self, flat_strides, np_shape, Source};
use super::view::apply_index;
use super::Variable;
use crate::lesson::index::IndexExpr;
use crate::lesson::value::ValueExpr;
use crate::lesson::Mode;

/// NumPy's setitem broadcast: the value's leading 1s may be dropped, then each axis must match or be 1.
/// Returns the value's flat strides over the target shape.
pub fn broadcast_into(value: &[usize], target: &[usize]) -> Result<Vec<usize>, String> {
    let err = || {
        format!(
            "ValueError: could not broadcast input array from shape {} into shape {}",
            np_shape(value),
            np_shape(target)
        )
    };
    let mut v = value;
    while v.len() > target.len() && v.first() == Some(&1) {
        v = &v[1..];
    }
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

/// Perform the assignment on an open variable (the caller checked it is open).
pub fn assign(var: &Variable, index: &IndexExpr, value: &ValueExpr) -> Result<(), String> {
    // Python evaluates the right-hand side first.
    let compiled = values::compile(value)?;
    if var.mode == Mode::ReadOnly {
        return Err("ValueError: assignment destination is read-only".to_string());
    }
    var.check_mapped_range()?;
    let view = apply_index(&var.shape, &var.strides, var.array_offset, &index.items)?;
    let src = values::into_source(compiled, &var.dtype, view.shape.len())?;
    let vstrides = broadcast_into(&src.lazy.shape, &view.shape)?;
    let map = var.map.as_ref().ok_or_else(|| var.closed_error())?;
    let mut map = map.borrow_mut();
    let bytes = map
        .bytes_mut()
        .ok_or_else(|| "ValueError: assignment destination is read-only".to_string())?;
    write(
        bytes,
        var,
        &view.shape,
        &view.strides,
        view.base,
        &src,
        &vstrides,
    );
    Ok(())
}

/// Write every element of the target; a C-contiguous target with a scalar or `arange` value
/// is filled in a tight loop straight into the mapping.
fn write(
    bytes: &mut [u8],
    var: &Variable,
    shape: &[usize],
    strides: &[isize],
    base: usize,
    src: &Source,
    vstrides: &[usize],
) {
    let dt = var.dtype;
    let n: usize = shape.iter().product();
    if n == 0 {
        return;
    }
    let contiguous = contiguous_strides(shape, dt.size, false).as_deref() == Some(strides);
    if contiguous {
        if let Some(region) = bytes.get_mut(base..base + n * dt.size) {
            if let Some(fill) = src.lazy.fill_value() {
                let mut one = [0u8; 8];
                dt.encode(fill, &mut one);
                for chunk in region.chunks_exact_mut(dt.size) {
                    chunk.copy_from_slice(&one[..dt.size]);
                }
                return;
            }
            // Same number of elements and no broadcast: flat positions line up one to one.
            if src.lazy.is_arange() && src.lazy.size() == n && vstrides.iter().all(|&s| s != 0) {
                for (i, chunk) in region.chunks_exact_mut(dt.size).enumerate() {
                    dt.encode(src.lazy.at(i), chunk);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

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

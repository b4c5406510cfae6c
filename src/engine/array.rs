//! The mapping itself (memmap2) and strided element access into it.

use std::cell::RefCell;
use std::fs::File;
use std::rc::Rc;

use memmap2::{Mmap, MmapMut};

use crate::numpy::dtype::{DType, Scalar};

/// One live mapping: read-only (`r`), shared writable (`r+`/`w+`) or private copy-on-write (`c`).
pub enum Mapping {
    /// PROT_READ, MAP_SHARED.
    ReadOnly(Mmap),
    /// PROT_READ|PROT_WRITE, MAP_SHARED.
    Shared(MmapMut),
    /// PROT_READ|PROT_WRITE, MAP_PRIVATE.
    Private(MmapMut),
}

impl Mapping {
    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Mapping::ReadOnly(m) => m,
            Mapping::Shared(m) | Mapping::Private(m) => m,
        }
    }

    /// The mapped bytes for writing; `None` for a read-only mapping.
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        match self {
            Mapping::ReadOnly(_) => None,
            Mapping::Shared(m) | Mapping::Private(m) => Some(&mut m[..]),
        }
    }

    /// Address of the first mapped byte.
    pub fn addr(&self) -> usize {
        self.bytes().as_ptr() as usize
    }
}

/// A mapping shared between a variable and the views read from it (a view keeps the
/// mapping alive, like a NumPy view keeps its base).
pub type SharedMap = Rc<RefCell<Mapping>>;

/// Byte strides of a freshly created array: C (row-major) or F (column-major).
/// Zero-length axes count as 1, as NumPy's `_array_fill_strides` does.
pub fn contiguous_strides(shape: &[usize], itemsize: usize, fortran: bool) -> Option<Vec<isize>> {
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
pub fn checked_size(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Byte position (inside the mapping) of the element at `index`.
pub fn element_pos(base: usize, strides: &[isize], index: &[usize]) -> usize {
    let mut pos = base as isize;
    for (&i, &s) in index.iter().zip(strides) {
        pos += i as isize * s;
    }
    pos as usize
}

/// Read one element from mapped bytes; out-of-range positions (a bug, never user input) read as zero.
pub fn read_element(bytes: &[u8], pos: usize, dtype: DType) -> Scalar {
    match bytes.get(pos..pos + dtype.size) {
        Some(b) => dtype.decode(b),
        None => Scalar::Int(0).cast(&dtype),
    }
}

/// Advance an N-d index in C order; false when it wrapped past the end.
pub fn next_index(index: &mut [usize], shape: &[usize]) -> bool {
    for ax in (0..index.len()).rev() {
        index[ax] += 1;
        if index[ax] < shape[ax] {
            return true;
        }
        index[ax] = 0;
    }
    false
}

/// Check that `file` still covers `[map_start, map_start + map_len)`; the message when it does not.
pub fn check_range(file: &File, map_start: u64, map_len: usize) -> Result<(), String> {
    let len = file
        .metadata()
        .map_err(|e| format!("OSError: fstat failed: {e}"))?
        .len();
    if len < map_start + map_len as u64 {
        return Err(format!(
            "the file was truncated to {len} bytes while mapped; touching the mapping past EOF would raise SIGBUS"
        ));
    }
    Ok(())
}

/// A strided window onto a mapping: a NumPy view (no copy).
pub struct MapView {
    pub map: SharedMap,
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    /// Byte position of element `[0, 0, ...]` inside the mapping.
    pub base: usize,
}

impl crate::numpy::print::ElementSource for MapView {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn get(&self, index: &[usize]) -> Scalar {
        let pos = element_pos(self.base, &self.strides, index);
        read_element(self.map.borrow().bytes(), pos, self.dtype)
    }
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
}

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
    pub(crate) fn bytes_mut(&mut self) -> Option<&mut [u8]> {
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

pub(crate) use crate::numpy::layout::{checked_size, contiguous_strides, element_pos, next_index};

/// Read one element from mapped bytes; out-of-range positions (a bug, never user input) read as zero.
pub(crate) fn read_element(bytes: &[u8], pos: usize, dtype: DType) -> Scalar {
    match bytes.get(pos..pos + dtype.size) {
        Some(b) => dtype.decode(b),
        None => Scalar::Int(0).cast(&dtype),
    }
}

/// Check that every page of `[map_start, map_start + map_len)` still holds part of `file`; the
/// message when one does not. Only a page wholly past EOF raises SIGBUS: the rest of the page
/// holding the last byte reads as zeros, as NumPy shows it.
pub(crate) fn check_range(file: &File, map_start: u64, map_len: usize) -> Result<(), String> {
    let len = file
        .metadata()
        .map_err(|e| format!("OSError: fstat failed: {e}"))?
        .len();
    let page = (super::open::page_size() as u64).max(1);
    if len.div_ceil(page).saturating_mul(page) < map_start + map_len as u64 {
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

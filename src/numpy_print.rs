//! NumPy's `array2string`: `str()` and `repr()` of arrays and scalars, summarisation included.
//! Reads only the elements it prints, through [`ElementSource`].

use crate::dtype::{DType, Scalar};

/// Anything whose elements can be fetched one at a time by N-d index (a mapping, a file, a test vector).
pub trait ElementSource {
    fn dtype(&self) -> DType;
    fn shape(&self) -> &[usize];
    /// The element at `index` (one entry per axis, each in range).
    fn get(&self, index: &[usize]) -> Scalar;
}

/// NumPy's `str(a)`.
pub fn array_str(_a: &dyn ElementSource) -> String {
    todo!("printing helper")
}

/// NumPy's `repr(a)` with the class name before the parenthesis (`memmap`, `array`).
pub fn array_repr(_a: &dyn ElementSource, _class_name: &str) -> String {
    todo!("printing helper")
}

/// `str()` of a NumPy scalar of `dtype`, e.g. `5.0`, `True`, `-3`.
pub fn scalar_str(_v: Scalar, _dtype: DType) -> String {
    todo!("printing helper")
}

/// `repr()` of a NumPy scalar, e.g. `np.float32(5.0)`, `np.int64(5)`, `np.True_`.
pub fn scalar_repr(_v: Scalar, _dtype: DType) -> String {
    todo!("printing helper")
}

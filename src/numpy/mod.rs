//! NumPy knowledge: dtypes, array layout and strides, array printing (array2string, Dragon4).

pub mod dtype;
pub mod f80;
pub mod layout;
pub mod npy;
pub mod print;
pub(crate) mod simd_cast;

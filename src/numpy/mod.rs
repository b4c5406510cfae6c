//! NumPy knowledge: dtypes, array layout and strides, array printing (array2string, Dragon4).

pub mod clong;
pub mod dtype;
pub(crate) mod f80;
pub(crate) mod layout;
pub mod npy;
pub mod print;
pub mod pyint;
pub(crate) mod simd_cast;

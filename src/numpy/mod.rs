//! NumPy knowledge: dtypes and array printing (array2string, Dragon4).

pub mod dtype;
pub mod print;

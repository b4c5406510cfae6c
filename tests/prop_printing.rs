//! Property tests: NumPy printing never panics, for any float bit pattern (NaN payloads,
//! subnormals, infinities, -0.0) and any integer, as scalars and in small arrays.

use memmap_tutor::numpy::dtype::{DType, Scalar};
use memmap_tutor::numpy::print::{array_repr, array_str, scalar_repr, scalar_str, ElementSource};
use proptest::prelude::*;

/// A small in-memory array in C order.
struct TestArray {
    dtype: DType,
    shape: Vec<usize>,
    data: Vec<Scalar>,
}

impl ElementSource for TestArray {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn get(&self, index: &[usize]) -> Scalar {
        let mut flat = 0;
        for (i, d) in index.iter().zip(&self.shape) {
            flat = flat * d + i;
        }
        self.data[flat].clone()
    }
}

fn dtype(name: &str) -> DType {
    DType::parse(name).expect("known dtype")
}

/// An element of `name` made from arbitrary bits, as the engine decodes it.
fn element(name: &str, bits: u64) -> Scalar {
    match name {
        "float32" => Scalar::Float(f32::from_bits(bits as u32) as f64),
        "float64" => Scalar::Float(f64::from_bits(bits)),
        "int8" => Scalar::Int(bits as i8 as i64),
        "int64" => Scalar::Int(bits as i64),
        "uint64" => Scalar::UInt(bits),
        "uint8" => Scalar::UInt(bits as u8 as u64),
        _ => Scalar::Bool(bits & 1 == 1),
    }
}

fn dtype_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "float32", "float64", "int8", "int64", "uint8", "uint64", "bool",
    ])
}

/// Shapes with up to 3 axes and at most a few hundred elements, zero-length axes included.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..9, 0..4)
}

/// Bits biased towards the interesting float patterns.
fn bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        any::<u32>().prop_map(u64::from),
        prop::sample::select(vec![
            0u64,
            0x8000_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x7ff8_0000_0000_0001,
            0x0000_0000_0000_0001,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0001,
            0x0000_0001,
            0x7f7f_ffff,
            f64::MAX.to_bits(),
            1e16f64.to_bits(),
            1e-5f64.to_bits(),
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_f64_bits_print(b in any::<u64>()) {
        let s = scalar_str(Scalar::Float(f64::from_bits(b)), dtype("float64"));
        prop_assert!(!s.is_empty());
        let r = scalar_repr(Scalar::Float(f64::from_bits(b)), dtype("float64"));
        prop_assert!(r.starts_with("np.float64("), "{}", r);
    }

    #[test]
    fn any_f32_bits_print(b in any::<u32>()) {
        let v = Scalar::Float(f32::from_bits(b) as f64);
        prop_assert!(!scalar_str(v.clone(), dtype("float32")).is_empty());
        prop_assert!(scalar_repr(v, dtype("float32")).starts_with("np.float32("));
    }

    #[test]
    fn small_arrays_of_any_bits_print(
        name in dtype_name(),
        shape in shape(),
        seed in prop::collection::vec(bits(), 1..16),
    ) {
        let n: usize = shape.iter().product();
        let data = (0..n).map(|i| element(name, seed[i % seed.len()])).collect();
        let a = TestArray { dtype: dtype(name), shape, data };
        let s = array_str(&a);
        let r = array_repr(&a, "memmap");
        prop_assert!(r.starts_with("memmap("), "{}", r);
        if !a.shape.is_empty() && n > 0 {
            prop_assert!(s.starts_with('['), "{}", s);
        }
    }

    #[test]
    fn big_arrays_are_summarised(name in dtype_name(), b in bits(), rows in 1001usize..1200) {
        // Past NumPy's threshold only the edge items are read and printed.
        let data = vec![element(name, b); rows];
        let a = TestArray { dtype: dtype(name), shape: vec![rows], data };
        prop_assert!(array_str(&a).contains("..."));
    }
}

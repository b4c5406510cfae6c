//! NumPy's `clongdouble` (complex256) on x86-64 Linux: a real and an imaginary x87 80-bit value,
//! each stored as a longdouble (10 significant bytes in 16), 32 bytes in all.
//!
//! Arithmetic follows NumPy's `CLONGDOUBLE` loops (`loops.c.src`), every operation one x87
//! operation in extended precision; casts follow NumPy's C casts (a complex target rounds each
//! part once, a real target takes the real part as a longdouble cast does).

use crate::numpy::dtype::{long_cast, DType, Kind, Scalar};
use crate::numpy::f80::F80;

/// `np.clongdouble` in native byte order.
pub const CLONGDOUBLE: DType = DType::native(Kind::Complex, 32);

/// True for clongdouble in either byte order.
pub fn is_clongdouble(dt: &DType) -> bool {
    dt.kind == Kind::Complex && dt.size == 32
}

/// Any value as a clongdouble (real, imaginary): real values exactly (as longdouble), a
/// complex64/complex128 part by part.
pub fn parts80(s: Scalar) -> (F80, F80) {
    match s {
        Scalar::CLong(re, im) => (re, im),
        Scalar::Complex(re, im) => (F80::from_f64(re), F80::from_f64(im)),
        other => (other.as_f80(), F80::ZERO),
    }
}

/// A clongdouble cast to `dtype` as NumPy's C casts do: complex64/complex128 round each part
/// once (x87 `fstp`), bool is "either part non-zero", any other real type casts the real part
/// as a longdouble would (NumPy also warns `ComplexWarning`, which changes no value).
pub(crate) fn clong_cast(re: F80, im: F80, dtype: &DType) -> Scalar {
    match (dtype.kind, dtype.size) {
        (Kind::Bool, _) => Scalar::Bool(!re.is_zero() || !im.is_zero()),
        (Kind::Complex, 32) => Scalar::CLong(re, im),
        (Kind::Complex, 16) => Scalar::Complex(re.to_f64(), im.to_f64()),
        (Kind::Complex, _) => Scalar::Complex(re.to_f32() as f64, im.to_f32() as f64),
        _ => long_cast(re, dtype),
    }
}

/// `a <op> b` in NumPy's clongdouble loops: `+`/`-` part-wise, `*` as
/// `(ar*br - ai*bi, ar*bi + ai*br)`, `/` with NumPy's Smith-style algorithm (a zero divisor
/// divides each part by `|br|`, giving NumPy's inf/nan parts).
pub fn arith(op: &str, (ar, ai): (F80, F80), (br, bi): (F80, F80)) -> (F80, F80) {
    match op {
        "+" => (ar + br, ai + bi),
        "-" => (ar - br, ai - bi),
        "*" => (ar * br - ai * bi, ar * bi + ai * br),
        _ => {
            let one = F80::from_i64(1);
            let (br_abs, bi_abs) = (br.abs(), bi.abs());
            // `br_abs >= bi_abs` in C: false when either is NaN.
            if !br_abs.lt(bi_abs) && !br_abs.is_nan() && !bi_abs.is_nan() {
                if br_abs.is_zero() && bi_abs.is_zero() {
                    (ar / br_abs, ai / br_abs)
                } else {
                    let rat = bi / br;
                    let scl = one / (br + bi * rat);
                    ((ar + ai * rat) * scl, (ai - ar * rat) * scl)
                }
            } else {
                let rat = br / bi;
                let scl = one / (bi + br * rat);
                ((ar * rat + ai) * scl, (ai * rat - ar) * scl)
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> (F80, F80) {
        (F80::from_f64(re), F80::from_f64(im))
    }

    #[test]
    fn arithmetic_follows_numpys_loops() {
        // NumPy 2.4.6: np.array([1+2j, 3.5-1j], dtype='G') / (1+1j) -> [1.5+0.5j, 1.25-2.25j]
        assert_eq!(arith("/", c(1.0, 2.0), c(1.0, 1.0)), c(1.5, 0.5));
        assert_eq!(arith("/", c(3.5, -1.0), c(1.0, 1.0)), c(1.25, -2.25));
        // a * a -> [-3+4j, 11.25-7j]
        assert_eq!(arith("*", c(1.0, 2.0), c(1.0, 2.0)), c(-3.0, 4.0));
        assert_eq!(arith("*", c(3.5, -1.0), c(3.5, -1.0)), c(11.25, -7.0));
        // (1+1j) / 0 -> (inf+nanj)? NumPy divides each part by |0|: inf, inf.
        let (re, im) = arith("/", c(1.0, 1.0), c(0.0, 0.0));
        assert!(re.is_infinite() && im.is_infinite());
        // 1/3 keeps 64 bits
        let (third, _) = arith("/", c(1.0, 0.0), c(3.0, 0.0));
        assert_eq!(third, F80::from_i64(1) / F80::from_i64(3));
    }

    #[test]
    fn casts_round_each_part_or_take_the_real_part() {
        let third = F80::from_i64(1) / F80::from_i64(3);
        let dt = |s: &str| DType::parse(s).unwrap();
        assert_eq!(
            clong_cast(third, -third, &dt("complex128")),
            Scalar::Complex(1.0 / 3.0, -1.0 / 3.0)
        );
        assert_eq!(
            clong_cast(third, F80::ZERO, &dt("complex64")),
            Scalar::Complex((1.0f32 / 3.0) as f64, 0.0)
        );
        assert_eq!(
            clong_cast(F80::ZERO, third, &dt("bool")),
            Scalar::Bool(true)
        );
        assert_eq!(
            clong_cast(F80::from_f64(300.7), third, &dt("uint8")),
            Scalar::UInt(44)
        );
    }
}

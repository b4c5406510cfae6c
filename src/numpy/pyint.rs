//! Python's arbitrary-precision `int` beyond 64 bits: exact arithmetic, the correctly rounded
//! conversions to float (`float(x)`, `x / y`, NumPy's longdouble), `repr` with Python's
//! 4300-digit limit, and the tutor's resource cap on the size of a value.

use std::fmt;
use std::sync::Arc;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

use crate::numpy::f80::F80;

/// Python's default `sys.get_int_max_str_digits()`: `str()`/`repr()` of an int with more
/// decimal digits, and a decimal literal with more, raise (CPython 3.11+).
pub const MAX_STR_DIGITS: usize = 4300;

/// The tutor's cap on one Python int, in bits (about 78,900 decimal digits).
///
/// Not a Python limit: lessons are untrusted, so the work a value can cost stays bounded. The
/// lesson language has no `**`, a decimal literal has at most [`MAX_STR_DIGITS`] digits and an
/// expression at most 10,000 characters, so a product written in one expression stays below
/// about 33,300 bits; this cap is eight times that, and a multiplication at the cap takes about
/// a millisecond. True division never builds a quotient longer than 56 bits.
pub const MAX_BITS: u64 = 1 << 18;

/// A Python int outside the int64 and uint64 ranges (smaller ones are `Scalar::Int`/`UInt`).
/// Shared, like Python's objects: `np.full(n, 10**30)` holds one value `n` times.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PyInt(Arc<BigInt>);

impl PyInt {
    /// Wrap a value (callers normalise: see [`crate::numpy::dtype::Scalar::py_int`]).
    pub fn new(v: BigInt) -> PyInt {
        PyInt(Arc::new(v))
    }

    /// The value.
    pub fn get(&self) -> &BigInt {
        &self.0
    }

    /// Python's `repr()`/`str()`: decimal digits, or Python's ValueError past 4300 digits.
    pub fn repr(&self) -> Result<String, String> {
        repr(&self.0)
    }
}

impl fmt::Debug for PyInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyInt({} bits)", self.0.bits())
    }
}

/// Decimal digits when Python can print them, else Python's error text (for displays that
/// cannot fail; NumPy's own paths use [`PyInt::repr`] and raise).
impl fmt::Display for PyInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.repr() {
            Ok(s) | Err(s) => f.write_str(&s),
        }
    }
}

/// JSON: a number while it fits an i128 (what earlier traces wrote), else its decimal string.
impl serde::Serialize for PyInt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.to_i128() {
            Some(v) => s.serialize_i128(v),
            None => s.collect_str(&self.0),
        }
    }
}

/// Python's message for an int with more than [`MAX_STR_DIGITS`] digits converted to a string.
pub fn str_limit_error() -> String {
    format!("ValueError: Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit")
}

/// The tutor's message for a value past [`MAX_BITS`].
pub fn too_big_error(bits: u64) -> String {
    format!(
        "the tutor stops at Python ints of {MAX_BITS} bits (about 78,900 decimal digits) so that a lesson cannot make it compute without bound; this result has {bits} bits"
    )
}

/// `v` within the tutor's cap.
pub fn capped(v: BigInt) -> Result<BigInt, String> {
    if v.bits() > MAX_BITS {
        Err(too_big_error(v.bits()))
    } else {
        Ok(v)
    }
}

/// Python's `repr(int)`: the decimal digits, or `ValueError` past 4300 digits (checked on the
/// bit length first, so a huge value is refused without converting it).
pub fn repr(v: &BigInt) -> Result<String, String> {
    str_limit(v)?;
    Ok(v.to_string())
}

/// Python's 4300-digit limit on `str(int)` alone, without building the digits: the conversions
/// that go through `str()` (longdouble, clongdouble) run once per element of an object array,
/// and the decimal string of a 14,000-bit int costs milliseconds (a 4,000,000-element multiply
/// by `np.clongdouble` took hours).
pub fn str_limit(v: &BigInt) -> Result<(), String> {
    // 2^14284 < 10^4300 <= 2^14285: fewer bits always fit, more than 14,286 never do; between,
    // the value has more than 4300 digits exactly when its magnitude is at least 10^4300.
    let bits = v.bits();
    if bits <= 14_284 {
        return Ok(());
    }
    if bits > 14_286 {
        return Err(str_limit_error());
    }
    static LIMIT: std::sync::OnceLock<BigUint> = std::sync::OnceLock::new();
    let limit = LIMIT.get_or_init(|| BigUint::from(10u32).pow(MAX_STR_DIGITS as u32));
    if v.magnitude() >= limit {
        Err(str_limit_error())
    } else {
        Ok(())
    }
}

/// A decimal literal (digits only, `_` already removed) as Python's compiler reads it: past
/// 4300 digits Python refuses the whole source with a SyntaxError (an all-zero literal is 0).
pub fn parse_literal(digits: &str) -> Result<BigInt, String> {
    // `0x`/`0o`/`0b` (the lexer's lower-case prefix, separators dropped): no digit limit.
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(body) = digits.strip_prefix(prefix) {
            return BigInt::parse_bytes(body.as_bytes(), radix)
                .ok_or_else(|| format!("invalid literal `{digits}`"));
        }
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(BigInt::zero());
    }
    if digits.len() > MAX_STR_DIGITS {
        return Err(format!(
            "SyntaxError: Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer literals to avoid decimal conversion limits.",
            digits.len()
        ));
    }
    digits
        .parse::<BigInt>()
        .map_err(|_| format!("invalid decimal literal `{digits}`"))
}

/// 2^e as a double for e in -1074..=1023 (exact: a power of two).
fn pow2(e: i64) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// Round `q` (with `sticky`: something non-zero below it) to the double nearest `q * 2^-s`,
/// ties to even, honouring the subnormal range; `None` when the rounded value overflows.
fn round_scaled(q: u64, sticky: bool, s: i64) -> Option<f64> {
    if q == 0 {
        return Some(0.0);
    }
    let len = 64 - i64::from(q.leading_zeros());
    let lead = len - 1 - s; // exponent of q's leading bit in the value
    if lead > 1023 {
        return None;
    }
    let keep = (lead + 1075).min(53); // significant bits a double has at this exponent
    if keep < 0 {
        return Some(0.0); // below half the smallest subnormal
    }
    let drop = len - keep;
    if drop <= 0 {
        // q fits the significand: exact (at most a power-of-two scaling).
        return Some(q as f64 * pow2(-s));
    }
    let (mut m, rest, half) = if drop >= 64 {
        (0, q, 1u64 << 63)
    } else {
        (q >> drop, q & ((1u64 << drop) - 1), 1u64 << (drop - 1))
    };
    if rest > half || (rest == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    let unit = drop - s; // the value is m * 2^unit, unit in -1074..=971
    if 64 - i64::from(m.leading_zeros()) + unit > 1024 {
        return None;
    }
    Some(m as f64 * pow2(unit))
}

fn signed(v: f64, negative: bool) -> f64 {
    if negative {
        -v
    } else {
        v
    }
}

/// Python's `float(int)`: the nearest double, ties to even; `None` where Python raises
/// `OverflowError: int too large to convert to float` (the rounded value reaches 2^1024).
pub fn to_f64(v: &BigInt) -> Option<f64> {
    let mag = v.magnitude();
    let bits = mag.bits() as i64;
    if bits > 1025 {
        return None;
    }
    let (q, sticky, s) = if bits <= 64 {
        (mag.to_u64().unwrap_or(0), false, 0)
    } else {
        let shift = bits - 64;
        let top = (mag >> (shift as usize)).to_u64().unwrap_or(0);
        let sticky = mag.trailing_zeros().unwrap_or(0) < shift as u64;
        (top, sticky, -shift)
    };
    round_scaled(q, sticky, s).map(|f| signed(f, v.sign() == Sign::Minus))
}

/// Python's `float(int)` error.
pub fn float_overflow() -> String {
    "OverflowError: int too large to convert to float".to_string()
}

/// Python's `a / b` of two ints: the exact quotient rounded once to the nearest double (ties
/// to even), with Python's errors. Only a 55-56-bit quotient is computed, whatever the sizes.
pub fn true_div(a: &BigInt, b: &BigInt) -> Result<f64, String> {
    if b.is_zero() {
        return Err("ZeroDivisionError: division by zero".to_string());
    }
    let negative = (a.sign() == Sign::Minus) != (b.sign() == Sign::Minus);
    let (n, d) = (a.magnitude(), b.magnitude());
    if n.is_zero() {
        return Ok(signed(0.0, negative));
    }
    let diff = n.bits() as i64 - d.bits() as i64;
    let overflow = || "OverflowError: integer division result too large for a float".to_string();
    if diff > 1025 {
        return Err(overflow());
    }
    if diff < -1080 {
        return Ok(signed(0.0, negative));
    }
    // q = floor(n * 2^s / d) has 55 or 56 bits: two below a double's 53, plus the sticky bit.
    let s = 55 - diff;
    let (num, den): (BigUint, BigUint) = if s >= 0 {
        (n << (s as usize), d.clone())
    } else {
        (n.clone(), d << ((-s) as usize))
    };
    let (q, r) = num.div_rem(&den);
    let q = q.to_u64().ok_or_else(overflow)?;
    round_scaled(q, !r.is_zero(), s)
        .map(|f| signed(f, negative))
        .ok_or_else(overflow)
}

/// NumPy's longdouble from a Python int (it converts through `str()` and `strtold`): the
/// nearest x87 value, ties to even; Python's ValueError past 4300 digits.
pub fn to_f80(v: &BigInt) -> Result<F80, String> {
    str_limit(v)?;
    let mag = v.magnitude();
    let bits = mag.bits();
    if bits == 0 {
        return Ok(F80::ZERO);
    }
    // 128 top bits, the lowest one sticky, then the exact i128 rounding of `F80::from_i128`
    // scaled by the bits shifted out (at most 14,286 bits: far inside the x87 exponent range).
    let shift = bits.saturating_sub(126);
    let mut top = (mag >> (shift as usize)).to_u128().unwrap_or(0);
    if shift > 0 && mag.trailing_zeros().unwrap_or(0) < shift {
        top |= 1;
    }
    let mut x = F80::from_i128(top as i128);
    x.se += shift as u16;
    if v.sign() == Sign::Minus {
        x.se |= 0x8000;
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_str_limit_is_decided_without_the_digits_exactly_at_the_boundary() {
        let ten = BigInt::from(10u32).pow(MAX_STR_DIGITS as u32);
        for v in [
            ten.clone() - BigInt::from(1u32),
            ten.clone(),
            ten.clone() + BigInt::from(1u32),
            -(ten.clone() - BigInt::from(1u32)),
            -ten.clone(),
            BigInt::from(1u32) << 14_284usize,
            BigInt::from(1u32) << 14_285usize,
            (BigInt::from(1u32) << 14_286usize) - BigInt::from(1u32),
            BigInt::from(1u32) << 14_286usize,
        ] {
            let digits = v.magnitude().to_string().len();
            assert_eq!(
                str_limit(&v).is_ok(),
                digits <= MAX_STR_DIGITS,
                "{} bits",
                v.bits()
            );
            assert_eq!(repr(&v).is_ok(), digits <= MAX_STR_DIGITS);
        }
    }

    fn big(s: &str) -> BigInt {
        s.parse().unwrap()
    }

    #[test]
    fn float_conversion_rounds_to_nearest_even_and_overflows_at_2_1024() {
        let two = BigInt::from(2);
        let p = |e: u32| two.pow(e);
        assert_eq!(to_f64(&p(64)), Some(2f64.powi(64)));
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        assert_eq!(to_f64(&(p(53) + 1)), Some(2f64.powi(53)));
        assert_eq!(to_f64(&(p(53) + 3)), Some(2f64.powi(53) + 4.0));
        // A tie broken by a far-away sticky bit.
        assert_eq!(
            to_f64(&(p(200) + p(147) + 1)),
            Some(2f64.powi(200) + 2f64.powi(148))
        );
        assert_eq!(to_f64(&(p(200) + p(147))), Some(2f64.powi(200)));
        assert_eq!(to_f64(&-(p(1023))), Some(-(2f64.powi(1023))));
        assert_eq!(to_f64(&(p(1024) - p(971))), Some(f64::MAX));
        assert_eq!(to_f64(&(p(1024) - p(970))), None);
        assert_eq!(to_f64(&p(1024)), None);
    }

    #[test]
    fn true_division_is_correctly_rounded_with_pythons_errors() {
        let two = BigInt::from(2);
        assert_eq!(true_div(&big("10"), &big("4")), Ok(2.5));
        assert_eq!(true_div(&big("-1"), &big("3")), Ok(-1.0 / 3.0));
        assert_eq!(
            true_div(&big("0"), &big("-7")).map(|f| f.is_sign_negative()),
            Ok(true)
        );
        assert_eq!(true_div(&two.pow(5000), &two.pow(4999)), Ok(2.0));
        assert_eq!(true_div(&BigInt::from(1), &two.pow(1074)), Ok(pow2(-1074)));
        assert_eq!(true_div(&BigInt::from(1), &two.pow(1075)), Ok(0.0));
        assert_eq!(true_div(&BigInt::from(3), &two.pow(1076)), Ok(pow2(-1074)));
        assert_eq!(
            true_div(&two.pow(1024), &BigInt::from(1)),
            Err("OverflowError: integer division result too large for a float".to_string())
        );
        assert_eq!(
            true_div(&BigInt::from(1), &BigInt::from(0)),
            Err("ZeroDivisionError: division by zero".to_string())
        );
    }

    #[test]
    fn repr_and_literals_follow_pythons_4300_digit_limit() {
        let ok = "9".repeat(4300);
        assert_eq!(repr(&big(&ok)).as_deref(), Ok(ok.as_str()));
        assert_eq!(repr(&-big(&ok)).map(|s| s.len()), Ok(4301));
        assert_eq!(repr(&big(&"1".repeat(4301))), Err(str_limit_error()));
        assert!(parse_literal(&"1".repeat(4301))
            .unwrap_err()
            .contains("value has 4301 digits"));
        assert_eq!(parse_literal(&"0".repeat(5000)), Ok(BigInt::zero()));
    }

    #[test]
    fn longdouble_conversion_rounds_to_64_bits() {
        let two = BigInt::from(2);
        // 2^65 + 3: a tie between 2^65 + 2 and 2^65 + 4 (unit 2): even mantissa wins.
        let x = to_f80(&(two.pow(65) + 3)).unwrap();
        assert_eq!(x, F80::from_i128((1i128 << 65) + 4));
        let y = to_f80(&(two.pow(300) + 1)).unwrap();
        assert_eq!((y.mant, y.se), (1u64 << 63, 16383 + 300));
        assert!(to_f80(&-two.pow(70)).unwrap().is_sign_negative());
    }
}

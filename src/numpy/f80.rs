//! NumPy's `longdouble` on x86-64 Linux: the x87 80-bit extended format, stored in 16 bytes.
//!
//! Arithmetic and the float conversions run on the x87 unit itself (as NumPy's compiled C does),
//! so rounding, NaN payloads and unnormal operands behave exactly as in NumPy. Integer casts
//! use `fisttp` with the widths NumPy's casts compile to (measured with NumPy 2.4.6, see
//! [`F80::to_int_bits`]). On other targets the tutor refuses longdouble at load (see
//! `DType::parse`), so these functions are never reached there.

/// One 80-bit value: 64-bit significand (explicit integer bit) and sign+15-bit exponent.
///
/// Packed (10 bytes, as x87 stores it) so that `Scalar::CLong`'s two values keep `Scalar` at 32
/// bytes: the recursive expression parser's frames hold scalars, and its depth limit is sized for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(C, packed)]
pub struct F80 {
    /// The significand, integer bit included (bit 63).
    pub mant: u64,
    /// Sign (bit 15) and biased exponent (bits 0-14).
    pub se: u16,
}

/// True where the tutor models longdouble (x86-64: the x87 unit NumPy's longdouble uses).
pub const SUPPORTED: bool = cfg!(target_arch = "x86_64");

impl F80 {
    /// Positive zero.
    pub const ZERO: F80 = F80 { mant: 0, se: 0 };

    /// From the 10 significant bytes (little-endian, as x87 stores them).
    pub fn from_le_bytes(b: &[u8]) -> F80 {
        let mut m = [0u8; 8];
        m.copy_from_slice(&b[..8]);
        F80 {
            mant: u64::from_le_bytes(m),
            se: u16::from_le_bytes([b[8], b[9]]),
        }
    }

    /// The 10 significant bytes, little-endian.
    pub fn to_le_bytes(self) -> [u8; 10] {
        let mut out = [0u8; 10];
        out[..8].copy_from_slice(&self.mant.to_le_bytes());
        out[8..].copy_from_slice(&self.se.to_le_bytes());
        out
    }

    /// Biased exponent.
    pub fn exp(self) -> u16 {
        self.se & 0x7fff
    }

    /// The sign bit.
    pub fn is_sign_negative(self) -> bool {
        self.se & 0x8000 != 0
    }

    /// NaN as the x87 classifies it: NaNs, and the invalid encodings (pseudo-NaN/infinity,
    /// unnormals: a non-zero exponent without the integer bit), which compare unordered.
    pub fn is_nan(self) -> bool {
        let e = self.exp();
        let int_bit = self.mant >> 63 != 0;
        (e == 0x7fff && self.mant != 1 << 63) || (e != 0 && e != 0x7fff && !int_bit)
    }

    /// ±infinity.
    pub fn is_infinite(self) -> bool {
        self.exp() == 0x7fff && self.mant == 1 << 63
    }

    /// Neither NaN nor infinite.
    pub fn is_finite(self) -> bool {
        !self.is_nan() && !self.is_infinite()
    }

    /// ±0.
    pub fn is_zero(self) -> bool {
        self.exp() == 0 && self.mant == 0
    }

    /// `|x|`.
    pub fn abs(self) -> F80 {
        F80 {
            mant: self.mant,
            se: self.se & 0x7fff,
        }
    }

    /// The exact value of an unsigned integer (64 bits always fit the significand).
    pub fn from_u64(v: u64) -> F80 {
        if v == 0 {
            return F80::ZERO;
        }
        let lz = v.leading_zeros();
        F80 {
            mant: v << lz,
            se: (16383 + 63 - lz) as u16,
        }
    }

    /// The exact value of a signed integer.
    pub fn from_i64(v: i64) -> F80 {
        let m = F80::from_u64(v.unsigned_abs());
        if v < 0 {
            -m
        } else {
            m
        }
    }

    /// The exact value of a bool (0 or 1).
    pub fn from_bool(b: bool) -> F80 {
        F80::from_u64(b as u64)
    }

    /// The nearest longdouble to an integer (ties to even), as NumPy converts a Python int.
    pub fn from_i128(v: i128) -> F80 {
        let mag = v.unsigned_abs();
        if mag == 0 {
            return F80::ZERO;
        }
        let lz = mag.leading_zeros();
        let shifted = mag << lz;
        let (mut mant, rest) = ((shifted >> 64) as u64, shifted as u64);
        let mut se = (16383 + 127 - lz) as u16;
        let half = 1u64 << 63;
        if rest > half || (rest == half && mant & 1 == 1) {
            mant = mant.wrapping_add(1);
            if mant == 0 {
                mant = 1 << 63;
                se += 1;
            }
        }
        if v < 0 {
            se |= 0x8000;
        }
        F80 { mant, se }
    }

    /// The value truncated toward zero, when finite and below 2^126 in magnitude.
    pub fn trunc_i128(self) -> Option<i128> {
        if !self.is_finite() {
            return None;
        }
        let e = self.exp() as i32 - 16383 - 63;
        let mag: u128 = if e <= -64 {
            0
        } else if e < 0 {
            (self.mant >> (-e)) as u128
        } else if e <= 62 {
            (self.mant as u128) << e
        } else {
            return None;
        };
        let v = mag as i128;
        Some(if self.is_sign_negative() { -v } else { v })
    }
}

#[cfg(target_arch = "x86_64")]
mod x87 {
    use super::F80;
    use std::arch::asm;

    /// A 10-byte x87 memory image (16 bytes so `fstp tbyte` has room).
    #[repr(C, align(16))]
    struct Slot([u8; 16]);

    impl Slot {
        fn of(x: F80) -> Slot {
            let mut s = Slot([0; 16]);
            s.0[..10].copy_from_slice(&x.to_le_bytes());
            s
        }
        fn get(&self) -> F80 {
            F80::from_le_bytes(&self.0[..10])
        }
    }

    /// `a OP b` rounded as the x87 does under Linux's default control word (64-bit
    /// significand, round to nearest even), which is how NumPy's longdouble loops compute.
    pub fn binop(op: u8, a: F80, b: F80) -> F80 {
        let (sa, sb, mut out) = (Slot::of(a), Slot::of(b), Slot([0; 16]));
        // SAFETY: the three pointers are valid 16-byte buffers owned by this frame; the
        // x87 stack is left as found (two loads, two pops); st registers are declared clobbered.
        unsafe {
            match op {
                b'+' => asm!("fld tbyte ptr [{b}]", "fld tbyte ptr [{a}]", "fadd st(0), st(1)",
                    "fstp tbyte ptr [{o}]", "fstp st(0)",
                    a = in(reg) sa.0.as_ptr(), b = in(reg) sb.0.as_ptr(), o = in(reg) out.0.as_mut_ptr(),
                    out("st(0)") _, out("st(1)") _, options(nostack)),
                b'-' => asm!("fld tbyte ptr [{b}]", "fld tbyte ptr [{a}]", "fsub st(0), st(1)",
                    "fstp tbyte ptr [{o}]", "fstp st(0)",
                    a = in(reg) sa.0.as_ptr(), b = in(reg) sb.0.as_ptr(), o = in(reg) out.0.as_mut_ptr(),
                    out("st(0)") _, out("st(1)") _, options(nostack)),
                b'*' => asm!("fld tbyte ptr [{b}]", "fld tbyte ptr [{a}]", "fmul st(0), st(1)",
                    "fstp tbyte ptr [{o}]", "fstp st(0)",
                    a = in(reg) sa.0.as_ptr(), b = in(reg) sb.0.as_ptr(), o = in(reg) out.0.as_mut_ptr(),
                    out("st(0)") _, out("st(1)") _, options(nostack)),
                _ => asm!("fld tbyte ptr [{b}]", "fld tbyte ptr [{a}]", "fdiv st(0), st(1)",
                    "fstp tbyte ptr [{o}]", "fstp st(0)",
                    a = in(reg) sa.0.as_ptr(), b = in(reg) sb.0.as_ptr(), o = in(reg) out.0.as_mut_ptr(),
                    out("st(0)") _, out("st(1)") _, options(nostack)),
            }
        }
        out.get()
    }

    /// float64 -> longdouble (exact; a signalling NaN is quietened as `fld` does).
    pub fn from_f64(x: f64) -> F80 {
        let mut out = Slot([0; 16]);
        // SAFETY: valid pointers to an f64 and a 16-byte buffer; one load, one pop.
        unsafe {
            asm!("fld qword ptr [{x}]", "fstp tbyte ptr [{o}]",
                x = in(reg) &x as *const f64, o = in(reg) out.0.as_mut_ptr(),
                out("st(0)") _, options(nostack));
        }
        out.get()
    }

    /// longdouble -> float64, rounded to nearest (C's `(double)x`).
    pub fn to_f64(x: F80) -> f64 {
        let s = Slot::of(x);
        let mut out = 0f64;
        // SAFETY: valid pointers; one load, one pop.
        unsafe {
            asm!("fld tbyte ptr [{x}]", "fstp qword ptr [{o}]",
                x = in(reg) s.0.as_ptr(), o = in(reg) &mut out as *mut f64,
                out("st(0)") _, options(nostack));
        }
        out
    }

    /// longdouble -> float32, rounded once (C's `(float)x`).
    pub fn to_f32(x: F80) -> f32 {
        let s = Slot::of(x);
        let mut out = 0f32;
        // SAFETY: valid pointers; one load, one pop.
        unsafe {
            asm!("fld tbyte ptr [{x}]", "fstp dword ptr [{o}]",
                x = in(reg) s.0.as_ptr(), o = in(reg) &mut out as *mut f32,
                out("st(0)") _, options(nostack));
        }
        out
    }

    /// `fisttp` to a 16-, 32- or 64-bit signed integer: truncation; NaN, infinities and
    /// out-of-range values give the "integer indefinite" (the width's minimum).
    pub fn fisttp(x: F80, bits: u32) -> i64 {
        let s = Slot::of(x);
        let mut out = 0i64;
        // SAFETY: valid pointers (an i64 has room for every width); one load, one pop.
        unsafe {
            match bits {
                16 => asm!("fld tbyte ptr [{x}]", "fisttp word ptr [{o}]",
                    x = in(reg) s.0.as_ptr(), o = in(reg) &mut out as *mut i64,
                    out("st(0)") _, options(nostack)),
                32 => asm!("fld tbyte ptr [{x}]", "fisttp dword ptr [{o}]",
                    x = in(reg) s.0.as_ptr(), o = in(reg) &mut out as *mut i64,
                    out("st(0)") _, options(nostack)),
                _ => asm!("fld tbyte ptr [{x}]", "fisttp qword ptr [{o}]",
                    x = in(reg) s.0.as_ptr(), o = in(reg) &mut out as *mut i64,
                    out("st(0)") _, options(nostack)),
            }
        }
        match bits {
            16 => out as u16 as i16 as i64,
            32 => out as u32 as i32 as i64,
            _ => out,
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x87 {
    //! Never called: `DType::parse` refuses longdouble where [`super::SUPPORTED`] is false.
    use super::F80;
    pub fn binop(_: u8, _: F80, _: F80) -> F80 {
        unreachable!("longdouble is refused at load on this target")
    }
    pub fn from_f64(_: f64) -> F80 {
        unreachable!("longdouble is refused at load on this target")
    }
    pub fn to_f64(_: F80) -> f64 {
        unreachable!("longdouble is refused at load on this target")
    }
    pub fn to_f32(_: F80) -> f32 {
        unreachable!("longdouble is refused at load on this target")
    }
    pub fn fisttp(_: F80, _: u32) -> i64 {
        unreachable!("longdouble is refused at load on this target")
    }
}

impl F80 {
    /// float64 -> longdouble (exact).
    pub fn from_f64(x: f64) -> F80 {
        x87::from_f64(x)
    }
    /// longdouble -> float64, rounded to nearest even.
    pub fn to_f64(self) -> f64 {
        x87::to_f64(self)
    }
    /// longdouble -> float32, rounded once to nearest even.
    pub fn to_f32(self) -> f32 {
        x87::to_f32(self)
    }
    /// C's cast to an integer of `bits` (8-64) as NumPy 2.4.6 on x86-64 compiles it, as
    /// raw two's-complement bits of that width (measured: int8/uint8/int16 go through a
    /// 16-bit `fisttp`, uint16/int32 a 32-bit one, uint32/int64 a 64-bit one; uint64 is
    /// `x >= 2^63 ? fisttp64(x - 2^63) ^ 2^63 : fisttp64(x)`, NaN taking the second branch).
    pub fn to_int_bits(self, bits: u32, signed: bool) -> u64 {
        let raw = match (bits, signed) {
            (8, _) | (16, true) => x87::fisttp(self, 16),
            (16, false) | (32, true) => x87::fisttp(self, 32),
            (64, false) => {
                let two63 = F80::from_u64(1 << 63);
                let ge = !self.is_nan() && !(self - two63).is_sign_negative_nonzero();
                if ge {
                    return (x87::fisttp(self - two63, 64) as u64) ^ (1 << 63);
                }
                x87::fisttp(self, 64)
            }
            _ => x87::fisttp(self, 64),
        } as u64;
        if bits == 64 {
            raw
        } else {
            raw & ((1u64 << bits) - 1)
        }
    }

    /// True for values below zero (not -0, not NaN).
    fn is_sign_negative_nonzero(self) -> bool {
        self.is_sign_negative() && !self.is_zero() && !self.is_nan()
    }

    /// `self < o` (false when either is NaN).
    pub fn lt(self, o: F80) -> bool {
        !self.is_nan() && !o.is_nan() && (o - self).is_positive_nonzero()
    }

    fn is_positive_nonzero(self) -> bool {
        !self.is_sign_negative() && !self.is_zero() && !self.is_nan()
    }
}

impl std::ops::Neg for F80 {
    type Output = F80;
    /// `-x`: the sign bit flipped (x87 `fchs`).
    fn neg(self) -> F80 {
        F80 {
            mant: self.mant,
            se: self.se ^ 0x8000,
        }
    }
}

/// `+ - * /` in extended precision, one x87 operation each.
macro_rules! x87_op {
    ($tr:ident, $f:ident, $c:literal) => {
        impl std::ops::$tr for F80 {
            type Output = F80;
            fn $f(self, o: F80) -> F80 {
                x87::binop($c, self, o)
            }
        }
    };
}
x87_op!(Add, add, b'+');
x87_op!(Sub, sub, b'-');
x87_op!(Mul, mul, b'*');
x87_op!(Div, div, b'/');

impl serde::Serialize for F80 {
    /// As the nearest float64 (JSON numbers are doubles).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn x87_arithmetic_rounds_to_64_bits() {
        let third = F80::from_i64(1) / F80::from_i64(3);
        assert_eq!({ third.mant }, 0xaaaa_aaaa_aaaa_aaab);
        assert_eq!({ third.se }, 0x3ffd);
        assert_eq!(F80::from_f64(1.5).to_le_bytes()[8..], [0xff, 0x3f]);
        assert_eq!((F80::from_f64(-2.0) - F80::from_f64(1.0)).to_f64(), -3.0);
        assert_eq!((F80::from_f64(6.0) / F80::from_f64(4.0)).to_f64(), 1.5);
        assert_eq!({ F80::from_u64(u64::MAX).mant }, u64::MAX);
        assert!(F80::from_f64(f64::NAN).is_nan());
        // np.longdouble(2**64 + 1) is exact? No: 65 significant bits round to even.
        assert_eq!(
            F80::from_i128((1 << 64) + 1),
            F80::from_u64(1 << 63) * F80::from_i64(2)
        );
        assert_eq!({ F80::from_i128((1 << 64) + 3).mant }, (1 << 63) + 2);
        assert_eq!(
            F80::from_i128(-(1 << 70)),
            -(F80::from_u64(1 << 35) * F80::from_u64(1 << 35))
        );
        assert!(F80::from_f64(f64::INFINITY).is_infinite());
    }

    #[test]
    fn integer_casts_follow_numpy_on_x86_64() {
        // Expected values printed by NumPy 2.4.6: np.array(v, dtype='g').astype(t).
        let c = |v: f64, bits, signed| F80::from_f64(v).to_int_bits(bits, signed);
        assert_eq!(c(70000.7, 8, true), 0);
        assert_eq!(c(300.5, 8, false), 44);
        assert_eq!(c(70000.7, 16, false), 4464);
        assert_eq!(c(3e9, 16, false), 0);
        assert_eq!(c(-3e9, 32, false), 1294967296);
        assert_eq!(c(f64::NAN, 32, false), 0);
        assert_eq!(c(f64::NAN, 64, false), 1 << 63);
        assert_eq!(c(f64::INFINITY, 64, false), 0);
        assert_eq!(c(f64::NEG_INFINITY, 64, false), 1 << 63);
        assert_eq!(c(1e19, 64, false), 10_000_000_000_000_000_000);
        assert_eq!(c(-1.5, 64, false), u64::MAX);
        assert_eq!(c(1e30, 64, true), 1 << 63);
    }
}

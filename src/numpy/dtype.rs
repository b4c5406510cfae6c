//! NumPy dtypes the tutor supports: parsing names and codes, and encoding/decoding single elements.

use std::fmt;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::numpy::f80::F80;
use crate::numpy::pyint::{self, PyInt};

/// The kind of an element, independent of its size and byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Bool,
    Int,
    UInt,
    Float,
    /// complex64 / complex128 / clongdouble: two floats of half the item size (real, then
    /// imaginary).
    Complex,
}

/// Byte order of a multi-byte element as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The byte order of this machine (NumPy's `=`).
    pub(crate) const NATIVE: ByteOrder = if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
}

/// A NumPy dtype: kind, item size in bytes and byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DType {
    pub kind: Kind,
    pub size: usize,
    pub order: ByteOrder,
    /// `np.longlong` / `'q'` (and `np.ulonglong` / `'Q'`): on Linux a type of its own beside
    /// `np.int64` (which is C long), so NumPy's repr names it (`dtype=int64`) where it leaves
    /// the default integer implicit, and an out-of-range Python int is "int too big to convert".
    pub longlong: bool,
}

/// One element value, wide enough for every supported dtype.
///
/// Floats are kept as `f64`; a float32 element is an `f64` that is exactly representable as `f32`,
/// so printing can recover the float32 shortest digits. Not `Copy`: a Python int beyond 64 bits
/// is a shared heap value (clone is a reference-count increment).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A complex value as (real, imaginary); a complex64 element's parts are exact float32s.
    Complex(f64, f64),
    /// A longdouble (x87 80-bit extended precision).
    Long(F80),
    /// A clongdouble (complex256): real and imaginary longdouble parts.
    CLong(F80, F80),
    /// A Python int outside int64 and uint64 (NumPy never stores one in a typed array: it
    /// raises OverflowError, converts it to a float, or makes an object array).
    Big(PyInt),
}

/// A dtype string the tutor cannot use: NumPy's message when NumPy rejects it too, or a
/// refusal that says NumPy has the dtype but the tutor does not support it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DTypeError {
    /// The text as NumPy shows it: Python's repr (`data type "it's" not understood`).
    #[error("TypeError: data type {} not understood", crate::python::py_repr(.0))]
    NotUnderstood(String),
    #[error(
        "TypeError: Alias '{0}' was removed in NumPy 2.0. Use a name without a digit at the end."
    )]
    RemovedAlias(String),
    #[error("dtype '{0}' is a NumPy {1} dtype that the tutor does not support (it supports bool, int8-64, uint8-64, float16, float32, float64, complex64, complex128, and longdouble and clongdouble on x86-64)")]
    Unsupported(String, &'static str),
}

/// NumPy dtype spellings of the kinds the tutor does not model, and what they are.
fn unsupported_kind(s: &str) -> Option<&'static str> {
    let code = s.trim_start_matches(['<', '>', '=', '|']);
    if let Some(what) = other_numpy_kind(s, code) {
        return Some(what);
    }
    match code {
        "longdouble" | "float128" | "g" | "f16" if !crate::numpy::f80::SUPPORTED => {
            Some("longdouble (80-bit x87 extended precision stored in 16 bytes on x86-64 Linux; modelled on x86-64 only)")
        }
        "clongdouble" | "complex256" | "G" | "c32" if !crate::numpy::f80::SUPPORTED => {
            Some("clongdouble (two 80-bit x87 values stored in 32 bytes on x86-64 Linux; modelled on x86-64 only)")
        }
        _ => None,
    }
}

/// The kinds NumPy 2.4 has beyond the numeric ones the lesson format models (strings, bytes,
/// void, datetime, timedelta, object, structured): `np.dtype(s)` accepts these spellings, so
/// they are refused by name instead of with NumPy's "not understood" (checked with NumPy 2.4.6).
fn other_numpy_kind(s: &str, code: &str) -> Option<&'static str> {
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    // `[unit]` of a datetime/timedelta: `[s]`, `[10ms]`, `[D]` (any text in brackets).
    let unit = |t: &str| t.is_empty() || (t.starts_with('[') && t.ends_with(']') && t.len() > 2);
    if s.contains(',')
        || code.starts_with('(')
        || (code.len() > 1 && code.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Some("structured (record or subarray)");
    }
    match s {
        "str" | "str_" | "unicode" => return Some("string (unicode)"),
        "bytes" | "bytes_" => return Some("bytes"),
        "object" | "object_" => return Some("object"),
        "void" => return Some("void"),
        "T" => return Some("variable-width string (StringDType)"),
        _ => {}
    }
    if let Some(rest) = s.strip_prefix("datetime64") {
        return unit(rest).then_some("datetime64");
    }
    if let Some(rest) = s.strip_prefix("timedelta64") {
        return unit(rest).then_some("timedelta64");
    }
    let mut chars = code.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    match first {
        'S' | 'a' if digits(rest) => Some("bytes"),
        'c' if rest.is_empty() => Some("bytes"),
        'U' if digits(rest) => Some("string (unicode)"),
        'V' if digits(rest) => Some("void"),
        'O' if matches!(rest, "" | "4" | "8") => Some("object"),
        'M' if unit(rest) || rest.strip_prefix('8').is_some_and(unit) => Some("datetime64"),
        'm' if unit(rest) || rest.strip_prefix('8').is_some_and(unit) => Some("timedelta64"),
        _ => None,
    }
}

impl DType {
    /// Native-order dtype of a kind and size.
    pub(crate) const fn native(kind: Kind, size: usize) -> DType {
        DType {
            kind,
            size,
            order: ByteOrder::NATIVE,
            longlong: false,
        }
    }

    pub(crate) const BOOL: DType = DType::native(Kind::Bool, 1);
    pub(crate) const INT64: DType = DType::native(Kind::Int, 8);
    pub(crate) const FLOAT64: DType = DType::native(Kind::Float, 8);
    /// `np.longdouble` (x87 extended precision in 16 bytes).
    pub(crate) const LONGDOUBLE: DType = DType::native(Kind::Float, 16);
    pub const UINT8: DType = DType::native(Kind::UInt, 1);

    /// Parse a dtype as NumPy's `np.dtype(s)` would, for the supported kinds:
    /// names (`float32`, `int16`, `bool`, `uint8`, `double`, …) and codes with an optional
    /// byte-order prefix (`<f4`, `>i2`, `=i4`, `|b1`, `u1`, `f8`, `?`, `d`, …).
    pub fn parse(s: &str) -> Result<DType, DTypeError> {
        if let Some(what) = unsupported_kind(s) {
            return Err(DTypeError::Unsupported(s.to_string(), what));
        }
        if let Some(kind) = match s {
            "longlong" | "q" => Some(Kind::Int),
            "ulonglong" | "Q" => Some(Kind::UInt),
            _ => None,
        } {
            return Ok(DType {
                longlong: true,
                ..DType::native(kind, 8)
            });
        }
        if matches!(
            s,
            "int0" | "uint0" | "bool8" | "object0" | "str0" | "bytes0" | "void0"
        ) {
            return Err(DTypeError::RemovedAlias(s.to_string()));
        }
        let err = || DTypeError::NotUnderstood(s.to_string());
        let named = match s {
            "bool" | "bool_" | "?" | "b1" => Some((Kind::Bool, 1)),
            "int8" | "byte" | "b" | "i1" => Some((Kind::Int, 1)),
            "int16" | "short" | "h" | "i2" => Some((Kind::Int, 2)),
            "int32" | "intc" | "i" | "i4" => Some((Kind::Int, 4)),
            "int64" | "int" | "int_" | "long" | "longlong" | "intp" | "l" | "q" | "p" | "n"
            | "i8" => Some((Kind::Int, 8)),
            "uint8" | "ubyte" | "B" | "u1" => Some((Kind::UInt, 1)),
            "uint16" | "ushort" | "H" | "u2" => Some((Kind::UInt, 2)),
            "uint32" | "uintc" | "I" | "u4" => Some((Kind::UInt, 4)),
            "uint64" | "uint" | "ulong" | "ulonglong" | "uintp" | "L" | "Q" | "P" | "N" | "u8" => {
                Some((Kind::UInt, 8))
            }
            "float16" | "half" | "e" | "f2" => Some((Kind::Float, 2)),
            "float32" | "single" | "f" | "f4" => Some((Kind::Float, 4)),
            "float64" | "double" | "float" | "d" | "f8" => Some((Kind::Float, 8)),
            "longdouble" | "float128" | "g" | "f16" => Some((Kind::Float, 16)),
            "complex64" | "csingle" | "F" | "c8" => Some((Kind::Complex, 8)),
            "complex128" | "complex" | "cdouble" | "D" | "c16" => Some((Kind::Complex, 16)),
            "clongdouble" | "complex256" | "G" | "c32" => Some((Kind::Complex, 32)),
            _ => None,
        };
        if let Some((kind, size)) = named {
            return Ok(DType::native(kind, size));
        }
        let mut chars = s.chars();
        let order = match chars.next() {
            Some('<') => ByteOrder::Little,
            Some('>') => ByteOrder::Big,
            Some('=') | Some('|') => ByteOrder::NATIVE,
            _ => return Err(err()),
        };
        let rest = chars.as_str();
        // Only one-letter codes and kind+size codes take a byte-order prefix, never names.
        if rest.len() > 3 || rest.is_empty() || rest == "complex" {
            return Err(err());
        }
        let base = DType::parse(rest).map_err(|_| err())?;
        let order = if base.size == 1 {
            ByteOrder::NATIVE
        } else {
            order
        };
        Ok(DType {
            order,
            // `>q` prints as `>i8` but converts Python ints as C long long still does.
            longlong: base.longlong,
            ..base
        })
    }

    /// The float type of one part of a complex dtype (itself for other kinds), same byte order.
    pub fn part(&self) -> DType {
        if self.kind == Kind::Complex {
            DType {
                kind: Kind::Float,
                size: self.size / 2,
                ..*self
            }
        } else {
            *self
        }
    }

    /// `np.longdouble` in either byte order.
    pub fn is_longdouble(&self) -> bool {
        self.kind == Kind::Float && self.size == 16
    }

    /// True when the byte order is this machine's (or irrelevant, for 1-byte types).
    pub(crate) fn is_native(&self) -> bool {
        self.size == 1 || self.order == ByteOrder::NATIVE
    }

    /// NumPy's plain name: `float16`, `float32`, `int16`, `bool`, `uint8`.
    pub fn name(&self) -> String {
        match self.kind {
            Kind::Bool => "bool".to_string(),
            Kind::Int => format!("int{}", self.size * 8),
            Kind::UInt => format!("uint{}", self.size * 8),
            Kind::Float => format!("float{}", self.size * 8),
            Kind::Complex => format!("complex{}", self.size * 8),
        }
    }

    /// NumPy's type code with byte order, e.g. `<f4`, `>i2`, `|u1`, `|b1`.
    pub fn code(&self) -> String {
        let kind = match self.kind {
            Kind::Bool => 'b',
            Kind::Int => 'i',
            Kind::UInt => 'u',
            Kind::Float => 'f',
            Kind::Complex => 'c',
        };
        let order = if self.size == 1 {
            '|'
        } else if self.order == ByteOrder::Little {
            '<'
        } else {
            '>'
        };
        format!("{order}{kind}{}", self.size)
    }

    /// How `repr()` names the dtype: plain name when native, quoted code otherwise (`dtype='>f4'`).
    pub(crate) fn repr_name(&self) -> String {
        if self.is_native() {
            self.name()
        } else {
            format!("'{}'", self.code())
        }
    }

    /// True for the dtypes NumPy's repr leaves implicit (no `dtype=` extra).
    pub(crate) fn is_repr_default(&self) -> bool {
        !self.longlong
            && self.is_native()
            && matches!(
                (self.kind, self.size),
                (Kind::Int, 8) | (Kind::Float, 8) | (Kind::Bool, 1) | (Kind::Complex, 16)
            )
    }

    /// Decode one element from exactly `self.size` bytes.
    pub fn decode(&self, bytes: &[u8]) -> Scalar {
        if crate::numpy::clong::is_clongdouble(self) {
            let part = self.part();
            let (Scalar::Long(re), Scalar::Long(im)) =
                (part.decode(&bytes[..16]), part.decode(&bytes[16..32]))
            else {
                return Scalar::CLong(F80::ZERO, F80::ZERO);
            };
            return Scalar::CLong(re, im);
        }
        if self.kind == Kind::Complex {
            let part = self.part();
            let h = part.size;
            return Scalar::Complex(
                part.decode(&bytes[..h]).as_f64(),
                part.decode(&bytes[h..2 * h]).as_f64(),
            );
        }
        if self.size == 16 {
            // 10 significant bytes then 6 padding bytes (little-endian); `>g` swaps all 16.
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes[..16]);
            if self.order == ByteOrder::Big {
                b.reverse();
            }
            return Scalar::Long(F80::from_le_bytes(&b[..10]));
        }
        let mut buf = [0u8; 8];
        buf[..self.size].copy_from_slice(&bytes[..self.size]);
        // Normalise to little-endian in the low bytes.
        if self.order == ByteOrder::Big && self.size > 1 {
            buf[..self.size].reverse();
        }
        let raw = u64::from_le_bytes(buf);
        match (self.kind, self.size) {
            (Kind::Bool, _) => Scalar::Bool(raw != 0),
            (Kind::Int, n) => {
                let shift = 64 - 8 * n as u32;
                Scalar::Int(((raw << shift) as i64) >> shift)
            }
            (Kind::UInt, _) => Scalar::UInt(raw),
            (Kind::Float, 2) => Scalar::Float(f16_to_f64(raw as u16)),
            (Kind::Float, 4) => Scalar::Float(f32::from_bits(raw as u32) as f64),
            (Kind::Float, _) => Scalar::Float(f64::from_bits(raw)),
            // Handled above; kept for exhaustiveness.
            (Kind::Complex, _) => Scalar::Complex(f64::from_bits(raw), 0.0),
        }
    }

    /// Encode one element (already of this dtype's kind, see [`Scalar::cast`]) into `out[..self.size]`.
    pub fn encode(&self, value: Scalar, out: &mut [u8]) {
        if crate::numpy::clong::is_clongdouble(self) {
            let part = self.part();
            let (re, im) = crate::numpy::clong::parts80(value.cast(self));
            part.encode(Scalar::Long(re), &mut out[..16]);
            part.encode(Scalar::Long(im), &mut out[16..32]);
            return;
        }
        if self.kind == Kind::Complex {
            let part = self.part();
            let h = part.size;
            let (re, im) = value.cast(self).parts();
            part.encode(Scalar::Float(re), &mut out[..h]);
            part.encode(Scalar::Float(im), &mut out[h..2 * h]);
            return;
        }
        if self.size == 16 {
            // The padding bytes are written as zeros (NumPy leaves whatever its temporary held).
            let mut b = [0u8; 16];
            if let Scalar::Long(x) = value.cast(self) {
                b[..10].copy_from_slice(&x.to_le_bytes());
            }
            if self.order == ByteOrder::Big {
                b.reverse();
            }
            out[..16].copy_from_slice(&b);
            return;
        }
        let raw: u64 = match value.cast(self) {
            Scalar::Long(x) => x.to_f64().to_bits(),
            Scalar::Big(v) => low_u64(v.get()),
            Scalar::Bool(b) => b as u64,
            Scalar::Int(i) => i as u64,
            Scalar::UInt(u) => u,
            Scalar::Float(f) if self.size == 2 => f64_to_f16(f) as u64,
            Scalar::Float(f) if self.size == 4 => (f as f32).to_bits() as u64,
            Scalar::Float(f) => f.to_bits(),
            Scalar::Complex(re, _) => re.to_bits(),
            Scalar::CLong(re, _) => re.to_f64().to_bits(),
        };
        let le = raw.to_le_bytes();
        out[..self.size].copy_from_slice(&le[..self.size]);
        if self.order == ByteOrder::Big && self.size > 1 {
            out[..self.size].reverse();
        }
    }
}

impl serde::Serialize for DType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_native() {
            f.write_str(&self.name())
        } else {
            f.write_str(&self.code())
        }
    }
}

impl Scalar {
    /// NumPy's unsafe cast (`arr[...] = other_array`) of this value to `dtype`'s kind and size:
    /// integers wrap, floats truncate toward zero, anything non-zero is `True`.
    pub fn cast(&self, dtype: &DType) -> Scalar {
        let bits = dtype.size as u32 * 8;
        let wrap_int = |v: i64| -> i64 {
            if bits == 64 {
                v
            } else {
                let shift = 64 - bits;
                (v << shift) >> shift
            }
        };
        let wrap_uint = |v: u64| -> u64 {
            if bits == 64 {
                v
            } else {
                v & ((1u64 << bits) - 1)
            }
        };
        if let Scalar::Long(x) = *self {
            return long_cast(x, dtype);
        }
        if let Scalar::CLong(re, im) = *self {
            return crate::numpy::clong::clong_cast(re, im, dtype);
        }
        if crate::numpy::clong::is_clongdouble(dtype) {
            let (re, im) = crate::numpy::clong::parts80(self.clone());
            return Scalar::CLong(re, im);
        }
        match dtype.kind {
            Kind::Bool => Scalar::Bool(match *self {
                Scalar::Bool(b) => b,
                Scalar::Int(i) => i != 0,
                Scalar::UInt(u) => u != 0,
                Scalar::Float(f) => f != 0.0,
                Scalar::Complex(re, im) => re != 0.0 || im != 0.0,
                Scalar::Long(x) => !x.is_zero(),
                Scalar::CLong(re, im) => !re.is_zero() || !im.is_zero(),
                Scalar::Big(_) => true,
            }),
            Kind::Complex => {
                let (re, im) = self.parts();
                let half = dtype.size / 2;
                Scalar::Complex(round_float(re, half), round_float(im, half))
            }
            Kind::Float if dtype.size == 16 => Scalar::Long(match *self {
                Scalar::Bool(b) => F80::from_bool(b),
                Scalar::Int(i) => F80::from_i64(i),
                Scalar::UInt(u) => F80::from_u64(u),
                Scalar::Float(f) | Scalar::Complex(f, _) => F80::from_f64(f),
                Scalar::Long(x) | Scalar::CLong(x, _) => x,
                Scalar::Big(ref v) => pyint::to_f80(v.get()).unwrap_or(F80::ZERO),
            }),
            Kind::Int => Scalar::Int(match *self {
                Scalar::Bool(b) => b as i64,
                Scalar::Int(i) => wrap_int(i),
                Scalar::UInt(u) => wrap_int(u as i64),
                Scalar::Float(f) | Scalar::Complex(f, _) => float_to_int(f, bits),
                Scalar::Long(x) | Scalar::CLong(x, _) => wrap_int(x.to_int_bits(bits, true) as i64),
                Scalar::Big(ref v) => wrap_int(low_u64(v.get()) as i64),
            }),
            Kind::UInt => Scalar::UInt(match *self {
                Scalar::Bool(b) => b as u64,
                Scalar::Int(i) => wrap_uint(i as u64),
                Scalar::UInt(u) => wrap_uint(u),
                Scalar::Float(f) | Scalar::Complex(f, _) => float_to_uint(f, bits),
                Scalar::Long(x) | Scalar::CLong(x, _) => x.to_int_bits(bits, false),
                Scalar::Big(ref v) => wrap_uint(low_u64(v.get())),
            }),
            Kind::Float => Scalar::Float(match *self {
                Scalar::Bool(b) => b as u8 as f64,
                Scalar::Int(i) => round_float(i as f64, dtype.size),
                Scalar::UInt(u) => round_float(u as f64, dtype.size),
                Scalar::Float(f) => round_float(f, dtype.size),
                Scalar::Complex(re, _) => round_float(re, dtype.size),
                Scalar::Long(x) | Scalar::CLong(x, _) => x.to_f64(),
                Scalar::Big(_) => round_float(self.as_f64(), dtype.size),
            }),
        }
    }

    /// (real, imaginary) of the value (imaginary 0 for real values).
    pub fn parts(&self) -> (f64, f64) {
        match *self {
            Scalar::Complex(re, im) => (re, im),
            Scalar::CLong(re, im) => (re.to_f64(), im.to_f64()),
            Scalar::Long(x) => (x.to_f64(), 0.0),
            _ => (self.as_f64(), 0.0),
        }
    }

    /// The value as f64 (for arithmetic in value expressions and quiz distractors).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::UInt(u) => u as f64,
            Scalar::Float(f) => f,
            Scalar::Complex(re, _) => re,
            Scalar::Long(x) | Scalar::CLong(x, _) => x.to_f64(),
            // Python's float(): nearest double, ties to even (infinite where Python raises
            // OverflowError; conversions that must raise use `pyint::to_f64`).
            Scalar::Big(ref v) => {
                pyint::to_f64(v.get()).unwrap_or(if v.get().sign() == num_bigint::Sign::Minus {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
            }
        }
    }

    /// The value as a longdouble (exact for every other kind; the real part of a complex).
    pub fn as_f80(&self) -> F80 {
        match *self {
            Scalar::Long(x) | Scalar::CLong(x, _) => x,
            _ => match self.cast(&DType::LONGDOUBLE) {
                Scalar::Long(x) => x,
                _ => F80::ZERO,
            },
        }
    }
}

impl Scalar {
    /// A Python int as the tutor keeps it: `Int` in the int64 range, `UInt` above it up to
    /// 2**64-1, `Big` beyond.
    pub fn py_int(v: BigInt) -> Scalar {
        if let Some(i) = v.to_i64() {
            Scalar::Int(i)
        } else if let Some(u) = v.to_u64() {
            Scalar::UInt(u)
        } else {
            Scalar::Big(PyInt::new(v))
        }
    }

    /// The value as a Python int, for bools and integers (`None` for floats and complex).
    pub fn to_bigint(&self) -> Option<BigInt> {
        match self {
            Scalar::Bool(b) => Some(BigInt::from(u8::from(*b))),
            Scalar::Int(i) => Some(BigInt::from(*i)),
            Scalar::UInt(u) => Some(BigInt::from(*u)),
            Scalar::Big(v) => Some(v.get().clone()),
            Scalar::Float(_) | Scalar::Complex(..) | Scalar::Long(_) | Scalar::CLong(..) => None,
        }
    }
}

/// The low 64 bits of a two's-complement integer (C's wrap-around cast).
fn low_u64(v: &BigInt) -> u64 {
    let digits = v.iter_u64_digits().next().unwrap_or(0);
    if v.sign() == num_bigint::Sign::Minus {
        digits.wrapping_neg()
    } else {
        digits
    }
}

/// A longdouble cast to `dtype` as NumPy's C casts do on x86-64: float32 and float64 rounded
/// once by the x87 unit, float16 through float32 (measured: 1 + 2^-11 + 2^-40 gives 1.0),
/// integers by [`F80::to_int_bits`], complex from the real part.
pub(crate) fn long_cast(x: F80, dtype: &DType) -> Scalar {
    let bits = dtype.size as u32 * 8;
    match (dtype.kind, dtype.size) {
        (Kind::Bool, _) => Scalar::Bool(!x.is_zero()),
        (Kind::Float, 16) => Scalar::Long(x),
        (Kind::Float, 8) => Scalar::Float(x.to_f64()),
        (Kind::Float, 4) => Scalar::Float(x.to_f32() as f64),
        (Kind::Float, _) => Scalar::Float(f16_to_f64(f64_to_f16(x.to_f32() as f64))),
        (Kind::Complex, 32) => Scalar::CLong(x, F80::ZERO),
        (Kind::Complex, 8) => Scalar::Complex(x.to_f32() as f64, 0.0),
        (Kind::Complex, _) => Scalar::Complex(x.to_f64(), 0.0),
        (Kind::Int, _) => {
            let shift = 64 - bits;
            Scalar::Int(((x.to_int_bits(bits, true) << shift) as i64) >> shift)
        }
        (Kind::UInt, _) => Scalar::UInt(x.to_int_bits(bits, false)),
    }
}

fn round_float(f: f64, size: usize) -> f64 {
    match size {
        2 => f16_to_f64(f64_to_f16(f)),
        4 => f as f32 as f64,
        _ => f,
    }
}

/// IEEE half precision from a double, rounded to nearest even as NumPy's `npy_double_to_half`
/// does (directly, not through float32): overflow gives inf, NaN keeps its sign and top payload.
pub fn f64_to_f16(x: f64) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 48) & 0x8000) as u16;
    if x.is_nan() {
        let payload = ((bits & ((1u64 << 52) - 1)) >> 42) as u16;
        return sign | 0x7c00 | payload.max(1);
    }
    let a = x.abs();
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    if a < 2f64.powi(-14) {
        // Subnormal (or zero): units of 2^-24; 1024 units is the smallest normal, 0x0400.
        return sign | (a * 2f64.powi(24)).round_ties_even() as u16;
    }
    let e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mut m = (a * 2f64.powi(10 - e)).round_ties_even() as u32;
    let mut e = e;
    if m == 2048 {
        m = 1024;
        e += 1;
    }
    sign | (((e + 15) as u16) << 10) | (m - 1024) as u16
}

/// The exact double of an IEEE half.
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as u64;
    match exp {
        0 => sign * frac as f64 * 2f64.powi(-24),
        31 if frac == 0 => sign * f64::INFINITY,
        31 => f64::from_bits(((h as u64 & 0x8000) << 48) | (0x7ffu64 << 52) | (frac << 42)),
        _ => sign * (1024 + frac) as f64 * 2f64.powi(exp - 25),
    }
}

/// x86-64's `cvttsd2si` with a `bits`-wide signed destination (32 or 64): truncates; NaN and
/// out-of-range values give the "integer indefinite" value, the destination's minimum.
fn cvtt(f: f64, bits: u32) -> i64 {
    let lim = 2f64.powi(bits as i32 - 1);
    let t = f.trunc();
    if f.is_nan() || !(-lim..lim).contains(&t) {
        if bits == 64 {
            i64::MIN
        } else {
            i32::MIN as i64
        }
    } else {
        t as i64
    }
}

/// C's float→signed conversion as NumPy 2.4 compiled for x86-64 does it: through a 32-bit
/// conversion for 8/16/32-bit types (then the low bits), a 64-bit one for int64.
fn float_to_int(f: f64, bits: u32) -> i64 {
    let v = cvtt(f, if bits == 64 { 64 } else { 32 });
    if bits == 64 {
        v
    } else {
        let shift = 64 - bits;
        (v << shift) >> shift
    }
}

/// C's float→unsigned conversion as NumPy 2.4.6's scalar code does it on x86-64: 8/16-bit
/// through the signed 32-bit conversion; uint32 through the 64-bit one (low 32 bits kept:
/// NaN, ±inf → 0, -3e9 → 1294967296, 5e9 → 705032704); uint64 as
/// `x >= 2^63 ? cvtt64(x - 2^63) ^ 2^63 : cvtt64(x)`, NaN taking the second branch. The
/// vectorised part of a contiguous float→uint32 loop differs: see [`float_to_u32_vector`].
fn float_to_uint(f: f64, bits: u32) -> u64 {
    if bits < 32 {
        return cvtt(f, 32) as u64 & ((1u64 << bits) - 1);
    }
    if bits == 64 {
        let half = 2f64.powi(63);
        if f >= half {
            (cvtt(f - half, 64) as u64) ^ (1u64 << 63)
        } else {
            cvtt(f, 64) as u64
        }
    } else {
        cvtt(f, 64) as u64 & 0xffff_ffff
    }
}

/// float→uint32 as the 4-wide vector code of NumPy's contiguous cast loop computes it:
/// `x >= 2^31 ? cvtt32(x - 2^31) ^ 2^31 : cvtt32(x)` (NaN, -inf → 2147483648, 5e9 → 0).
pub fn float_to_u32_vector(f: f64) -> u64 {
    let half = 2f64.powi(31);
    let v = if f >= half {
        (cvtt(f - half, 32) as u32) ^ (1u32 << 31)
    } else {
        cvtt(f, 32) as u32
    };
    v as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_codes() {
        assert_eq!(
            DType::parse("float32").unwrap(),
            DType::native(Kind::Float, 4)
        );
        assert_eq!(DType::parse("<f4").unwrap().order, ByteOrder::Little);
        assert_eq!(DType::parse(">i2").unwrap().order, ByteOrder::Big);
        assert_eq!(DType::parse("u1").unwrap(), DType::UINT8);
        assert_eq!(DType::parse("f8").unwrap(), DType::FLOAT64);
        assert_eq!(DType::parse("=i4").unwrap(), DType::native(Kind::Int, 4));
        assert_eq!(DType::parse("|b1").unwrap(), DType::BOOL);
        assert_eq!(
            DType::parse("bogus").unwrap_err().to_string(),
            "TypeError: data type 'bogus' not understood"
        );
        assert!(DType::parse(">float32").is_err());
    }

    #[test]
    fn names_and_codes_round_trip() {
        let be = DType::parse(">f4").unwrap();
        assert_eq!(be.code(), ">f4");
        assert_eq!(be.repr_name(), "'>f4'");
        assert_eq!(DType::parse("float32").unwrap().repr_name(), "float32");
        assert!(DType::INT64.is_repr_default());
        assert!(!DType::parse("int32").unwrap().is_repr_default());
    }

    #[test]
    fn encodes_and_decodes() {
        let mut out = [0u8; 4];
        DType::parse("<i4")
            .unwrap()
            .encode(Scalar::Int(-1), &mut out);
        assert_eq!(out, [0xff; 4]);
        let be = DType::parse(">i4").unwrap();
        be.encode(Scalar::Int(1), &mut out);
        assert_eq!(out, [0, 0, 0, 1]);
        assert_eq!(be.decode(&out), Scalar::Int(1));
        let f = DType::parse("float32").unwrap();
        f.encode(Scalar::Float(1.0), &mut out);
        assert_eq!(out, [0x00, 0x00, 0x80, 0x3f]);
        assert_eq!(f.decode(&out), Scalar::Float(1.0));
    }

    #[test]
    fn half_round_trips_and_rounds_to_nearest_even() {
        for h in 0..=u16::MAX {
            assert_eq!(f64_to_f16(f16_to_f64(h)), h, "{h:#06x}");
        }
        // Midway between 1.0 and the next half (1 + 2^-10): ties go to the even mantissa.
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), 0x3c00);
        assert_eq!(f64_to_f16(1.0 + 3.0 * 2f64.powi(-11)), 0x3c02);
        assert_eq!(f64_to_f16(65519.99), 0x7bff);
        assert_eq!(f64_to_f16(65520.0), 0x7c00);
        assert_eq!(f64_to_f16(2f64.powi(-25)), 0);
        assert_eq!(f64_to_f16(1.5 * 2f64.powi(-25)), 1);
        assert_eq!(f64_to_f16(f64::NAN), 0x7e00);
        assert_eq!(DType::parse(">f2").unwrap().code(), ">f2");
        assert_eq!(DType::parse("half").unwrap().name(), "float16");
    }

    #[test]
    fn casts_wrap_and_truncate() {
        let u8t = DType::UINT8;
        assert_eq!(Scalar::Int(300).cast(&u8t), Scalar::UInt(44));
        assert_eq!(Scalar::Float(-1.7).cast(&DType::INT64), Scalar::Int(-1));
        assert_eq!(Scalar::Float(0.5).cast(&DType::BOOL), Scalar::Bool(true));
        let f4 = DType::parse("f4").unwrap();
        assert_eq!(Scalar::Float(0.1).cast(&f4), Scalar::Float(0.1f32 as f64));
    }
}

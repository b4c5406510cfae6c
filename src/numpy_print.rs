//! NumPy's `array2string`: `str()` and `repr()` of arrays and scalars, summarisation included.
//! Reads only the elements it prints, through [`ElementSource`].
//!
//! Mirrors NumPy 2.4.6 with default print options: precision 8, threshold 1000, edgeitems 3,
//! linewidth 75, floatmode `maxprec`, sign `-`, legacy off.

use crate::dtype::{DType, Kind, Scalar};

/// Anything whose elements can be fetched one at a time by N-d index (a mapping, a file, a test vector).
pub trait ElementSource {
    /// The element type.
    fn dtype(&self) -> DType;
    /// The array shape (empty for a 0-d array).
    fn shape(&self) -> &[usize];
    /// The element at `index` (one entry per axis, each in range).
    fn get(&self, index: &[usize]) -> Scalar;
}

const PRECISION: usize = 8;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const LINEWIDTH: usize = 75;

/// NumPy's `str(a)`.
pub fn array_str(a: &dyn ElementSource) -> String {
    let shape = a.shape();
    if shape.is_empty() {
        // A 0-d array prints like its scalar, so no precision limit applies.
        return scalar_str(a.get(&[]), a.dtype());
    }
    array2string(a, " ", "", "")
}

/// NumPy's `repr(a)` with the class name before the parenthesis (`memmap`, `array`).
pub fn array_repr(a: &dyn ElementSource, class_name: &str) -> String {
    let prefix = format!("{class_name}(");
    let lst = array2string(a, ", ", &prefix, ")");
    let shape = a.shape();
    let size = total_size(shape);
    let dtype = a.dtype();
    let mut extras = Vec::new();
    if (size == 0 && shape.len() != 1) || size > THRESHOLD {
        extras.push(format!("shape={}", python_tuple(shape)));
    }
    if !dtype.is_repr_default() || size == 0 {
        extras.push(format!("dtype={}", dtype.repr_name()));
    }
    if extras.is_empty() {
        return format!("{prefix}{lst})");
    }
    let arr_str = format!("{prefix}{lst},");
    let extra_str = format!("{})", extras.join(", "));
    let last_line_len = match arr_str.rfind('\n') {
        Some(p) => arr_str.len() - (p + 1),
        None => arr_str.len(),
    };
    // NumPy moves the extras to their own line when they would overflow the line width.
    let spacer = if last_line_len + extra_str.len() + 1 > LINEWIDTH {
        format!("\n{}", " ".repeat(prefix.len()))
    } else {
        " ".to_string()
    };
    format!("{arr_str}{spacer}{extra_str}")
}

/// `str()` of a NumPy scalar of `dtype`, e.g. `5.0`, `True`, `-3`.
pub fn scalar_str(v: Scalar, dtype: DType) -> String {
    match v {
        Scalar::Bool(b) => if b { "True" } else { "False" }.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Float(f) => float_scalar_str(f, dtype.kind == Kind::Float && dtype.size == 4),
    }
}

/// `repr()` of a NumPy scalar, e.g. `np.float32(5.0)`, `np.int64(5)`, `np.True_`.
pub fn scalar_repr(v: Scalar, dtype: DType) -> String {
    match v {
        Scalar::Bool(b) => if b { "np.True_" } else { "np.False_" }.to_string(),
        // Scalars are always native, so the plain name is used even for byte-swapped arrays.
        _ => format!("np.{}({})", dtype.name(), scalar_str(v, dtype)),
    }
}

/// Number of elements, saturating so absurd shapes cannot overflow.
fn total_size(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |acc, &d| acc.saturating_mul(d))
}

/// Python's tuple repr of a shape: `(5,)`, `(50, 50)`, `()`.
fn python_tuple(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// `array2string` with the given separator, prefix (for the continuation indent) and suffix.
fn array2string(a: &dyn ElementSource, separator: &str, prefix: &str, suffix: &str) -> String {
    let shape = a.shape().to_vec();
    let size = total_size(&shape);
    if size == 0 {
        return "[]".to_string();
    }
    let summarise = size > THRESHOLD;
    // Per axis, the indices that are shown: all of them, or the edges when summarising.
    let shown: Vec<Vec<usize>> = shape
        .iter()
        .map(|&n| {
            if summarise && n > 2 * EDGEITEMS {
                (0..EDGEITEMS).chain(n - EDGEITEMS..n).collect()
            } else {
                (0..n).collect()
            }
        })
        .collect();
    let values = fetch_shown(a, &shown);
    let dtype = a.dtype();
    let format = Format::new(&values, dtype, shape.is_empty());
    let words: Vec<String> = values.iter().map(|&v| format.word(v)).collect();
    if shape.is_empty() {
        return words.into_iter().next().unwrap_or_default();
    }
    let lens: Vec<usize> = shown.iter().map(Vec::len).collect();
    let gaps: Vec<bool> = shape
        .iter()
        .map(|&n| summarise && n > 2 * EDGEITEMS)
        .collect();
    let mut strides = vec![1usize; lens.len()];
    for ax in (0..lens.len().saturating_sub(1)).rev() {
        strides[ax] = strides[ax + 1] * lens[ax + 1];
    }
    let layout = Layout {
        words: &words,
        lens: &lens,
        gaps: &gaps,
        strides: &strides,
        separator,
    };
    let next_line_prefix = format!(" {}", " ".repeat(prefix.len()));
    let width = LINEWIDTH.saturating_sub(suffix.len());
    layout.recurse(0, 0, &next_line_prefix, width)
}

/// Fetches exactly the shown elements, in C order of the shown sub-array.
fn fetch_shown(a: &dyn ElementSource, shown: &[Vec<usize>]) -> Vec<Scalar> {
    let count: usize = shown.iter().map(Vec::len).product();
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return out;
    }
    let mut pos = vec![0usize; shown.len()];
    let mut index: Vec<usize> = shown.iter().map(|s| s[0]).collect();
    loop {
        out.push(a.get(&index));
        // Odometer increment over the shown positions, last axis fastest.
        let mut ax = shown.len();
        loop {
            if ax == 0 {
                return out;
            }
            ax -= 1;
            pos[ax] += 1;
            if pos[ax] < shown[ax].len() {
                index[ax] = shown[ax][pos[ax]];
                break;
            }
            pos[ax] = 0;
            index[ax] = shown[ax][0];
        }
    }
}

/// The nested-bracket layout of `_formatArray`, over pre-formatted words.
struct Layout<'a> {
    words: &'a [String],
    lens: &'a [usize],
    gaps: &'a [bool],
    strides: &'a [usize],
    separator: &'a str,
}

impl Layout<'_> {
    fn recurse(&self, axis: usize, offset: usize, hanging: &str, curr_width: usize) -> String {
        let axes_left = self.lens.len() - axis;
        let next_hanging = format!("{hanging} ");
        let next_width = curr_width.saturating_sub(1);
        let n = self.lens[axis];
        let gap = self.gaps[axis];
        let stride = self.strides[axis];
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = curr_width.saturating_sub(1);
            let mut line = hanging.to_string();
            for i in 0..n {
                if gap && i == EDGEITEMS {
                    extend_line(&mut s, &mut line, "...", elem_width, hanging);
                    line.push_str(self.separator);
                }
                let word = self.words.get(offset + i * stride).map_or("", String::as_str);
                extend_line(&mut s, &mut line, word, elem_width, hanging);
                if i + 1 < n {
                    line.push_str(self.separator);
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = format!(
                "{}{}",
                self.separator.trim_end(),
                "\n".repeat(axes_left - 1)
            );
            for i in 0..n {
                if gap && i == EDGEITEMS {
                    s.push_str(hanging);
                    s.push_str("...");
                    s.push_str(&line_sep);
                }
                let nested = self.recurse(axis + 1, offset + i * stride, &next_hanging, next_width);
                s.push_str(hanging);
                s.push_str(&nested);
                if i + 1 < n {
                    s.push_str(&line_sep);
                }
            }
        }
        // The first line's hanging indent is replaced by the opening bracket.
        format!("[{}]", s.get(hanging.len()..).unwrap_or(""))
    }
}

/// `_extendLine`: wrap before `word` if it would pass `width`, unless the line holds only the indent.
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, indent: &str) {
    if line.len() + word.len() > width && line.len() > indent.len() {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = indent.to_string();
    }
    line.push_str(word);
}

/// The per-array element formatter (`BoolFormat`, `IntegerFormat`, `FloatingFormat`).
enum Format {
    Bool { zero_d: bool },
    Int { width: usize },
    Float(FloatFormat),
}

impl Format {
    fn new(values: &[Scalar], dtype: DType, zero_d: bool) -> Format {
        match dtype.kind {
            Kind::Bool => Format::Bool { zero_d },
            Kind::Int | Kind::UInt => {
                let width = values.iter().map(|v| int_str(*v).len()).max().unwrap_or(0);
                Format::Int { width }
            }
            Kind::Float => {
                let floats: Vec<f64> = values.iter().map(|v| v.as_f64()).collect();
                Format::Float(FloatFormat::new(&floats, dtype.size == 4))
            }
        }
    }

    fn word(&self, v: Scalar) -> String {
        match self {
            Format::Bool { zero_d } => {
                let b = match v {
                    Scalar::Bool(b) => b,
                    other => other.as_f64() != 0.0,
                };
                match (b, zero_d) {
                    (true, true) => "True".to_string(),
                    (true, false) => " True".to_string(),
                    (false, _) => "False".to_string(),
                }
            }
            Format::Int { width } => format!("{:>width$}", int_str(v), width = *width),
            Format::Float(f) => f.word(v.as_f64()),
        }
    }
}

fn int_str(v: Scalar) -> String {
    match v {
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Bool(b) => (b as u8).to_string(),
        Scalar::Float(f) => f.to_string(),
    }
}

/// A float as decimal digits: value = (-1)^neg * d0.d1d2... * 10^exp.
#[derive(Debug, Clone, PartialEq)]
struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

impl Decimal {
    /// Parses Rust's `{:e}` / `{:.Ne}` output, e.g. `-1.25e-7`.
    fn parse_sci(s: &str) -> Decimal {
        let (neg, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (mant, exp) = rest.split_once('e').unwrap_or((rest, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        // Shortest output never has trailing zeros except for zero itself; keep at least one digit.
        while digits.len() > 1 && digits.last() == Some(&b'0') {
            digits.pop();
        }
        if digits.is_empty() {
            digits.push(b'0');
        }
        Decimal { neg, digits, exp }
    }

    /// Shortest round-trip digits of the value in its own dtype (dragon4 `unique=True`).
    fn shortest(x: f64, is_f32: bool) -> Decimal {
        if is_f32 {
            Decimal::parse_sci(&format!("{:e}", x as f32))
        } else {
            Decimal::parse_sci(&format!("{x:e}"))
        }
    }

    /// Fraction digits the positional form needs.
    fn frac_len(&self) -> usize {
        (self.digits.len() as i64 - 1 - self.exp as i64).max(0) as usize
    }

    /// Integer part (with sign) and fraction digits in positional notation, trailing zeros trimmed.
    fn positional_parts(&self) -> (String, String) {
        let mut int = String::new();
        if self.neg {
            int.push('-');
        }
        let d = &self.digits;
        let mut frac = String::new();
        if self.exp >= 0 {
            let n_int = self.exp as usize + 1;
            for i in 0..n_int {
                int.push(*d.get(i).unwrap_or(&b'0') as char);
            }
            for &c in d.iter().skip(n_int) {
                frac.push(c as char);
            }
        } else {
            int.push('0');
            for _ in 0..(-(self.exp as i64) - 1) {
                frac.push('0');
            }
            for &c in d {
                frac.push(c as char);
            }
        }
        let trimmed = frac.trim_end_matches('0').len();
        frac.truncate(trimmed);
        (int, frac)
    }
}

/// Positional digits rounded as dragon4 does with `precision=8, unique=True`: the shortest
/// digits when they fit, else the exact binary value correctly rounded to 8 fraction digits.
fn positional_maxprec(x: f64, is_f32: bool) -> (String, String) {
    let d = Decimal::shortest(x, is_f32);
    if d.frac_len() <= PRECISION {
        return d.positional_parts();
    }
    let s = format!("{x:.prec$}", prec = PRECISION);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    (int.to_string(), frac.trim_end_matches('0').to_string())
}

/// Scientific digits rounded as dragon4 does with `precision=8, unique=True`.
fn scientific_maxprec(x: f64, is_f32: bool) -> Decimal {
    let d = Decimal::shortest(x, is_f32);
    if d.digits.len() <= PRECISION + 1 {
        return d;
    }
    Decimal::parse_sci(&format!("{x:.prec$e}", prec = PRECISION))
}

/// `FloatingFormat` for floatmode `maxprec`.
struct FloatFormat {
    is_f32: bool,
    exp_format: bool,
    pad_left: usize,
    pad_right: usize,
    /// Mantissa fraction digits in scientific mode (all elements padded to it).
    precision: usize,
    exp_size: usize,
}

impl FloatFormat {
    fn new(data: &[f64], is_f32: bool) -> FloatFormat {
        let finite: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let abs_nz: Vec<f64> = finite
            .iter()
            .filter(|v| **v != 0.0)
            .map(|v| v.abs())
            .collect();
        let mut exp_format = false;
        if !abs_nz.is_empty() {
            let max = abs_nz.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = abs_nz.iter().copied().fold(f64::INFINITY, f64::min);
            exp_format = if is_f32 {
                // NumPy compares float32 scalars with Python floats in float32 (NEP 50).
                let (max, min) = (max as f32, min as f32);
                max >= 1e6f32 || min < 1e-4f32 || max / min > 1000f32
            } else {
                max >= 1e8 || min < 1e-4 || max / min > 1000.0
            };
        }
        let mut f = FloatFormat {
            is_f32,
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // Only nan/inf: widths come from the non-finite padding below.
        } else if exp_format {
            let decs: Vec<Decimal> = finite
                .iter()
                .map(|&x| scientific_maxprec(x, is_f32))
                .collect();
            f.exp_size = decs
                .iter()
                .map(|d| d.exp.unsigned_abs().to_string().len().max(2))
                .max()
                .unwrap_or(2);
            f.precision = decs
                .iter()
                .map(|d| d.digits.len() - 1)
                .max()
                .unwrap_or(0);
            f.pad_left = if decs.iter().any(|d| d.neg) { 2 } else { 1 };
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            for &x in &finite {
                let (int, frac) = positional_maxprec(x, is_f32);
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if finite.len() != data.len() {
            let neginf = data.iter().any(|v| v.is_infinite() && *v < 0.0) as usize;
            let offset = f.pad_right + 1;
            f.pad_left = f
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + neginf).saturating_sub(offset));
        }
        f
    }

    fn word(&self, x: f64) -> String {
        if !x.is_finite() {
            let ret = if x.is_nan() {
                "nan"
            } else if x < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{ret:>width$}");
        }
        if self.exp_format {
            let d = scientific_maxprec(x, self.is_f32);
            let mut mant = String::new();
            if d.neg {
                mant.push('-');
            }
            mant.push(d.digits[0] as char);
            let mut out = format!("{mant:>w$}.", w = self.pad_left);
            for i in 1..=self.precision {
                out.push(*d.digits.get(i).unwrap_or(&b'0') as char);
            }
            let sign = if d.exp < 0 { '-' } else { '+' };
            out.push('e');
            out.push(sign);
            out.push_str(&format!(
                "{:0>w$}",
                d.exp.unsigned_abs(),
                w = self.exp_size
            ));
            out
        } else {
            let (int, frac) = positional_maxprec(x, self.is_f32);
            format!(
                "{int:>l$}.{frac:<r$}",
                l = self.pad_left,
                r = self.pad_right
            )
        }
    }
}

/// `str()` of a float scalar: positional for 1e-4 <= |x| < 1e16 (or zero), else scientific.
fn float_scalar_str(x: f64, is_f32: bool) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let d = Decimal::shortest(x, is_f32);
    let a = x.abs();
    if a == 0.0 || (1e-4..1e16).contains(&a) {
        let (int, frac) = d.positional_parts();
        let frac = if frac.is_empty() { "0".to_string() } else { frac };
        format!("{int}.{frac}")
    } else {
        let mut out = String::new();
        if d.neg {
            out.push('-');
        }
        out.push(d.digits[0] as char);
        if d.digits.len() > 1 {
            out.push('.');
            out.extend(d.digits[1..].iter().map(|&c| c as char));
        }
        let sign = if d.exp < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", d.exp.unsigned_abs()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::ByteOrder;
    use std::cell::Cell;

    /// A source whose element is computed from its index and which counts `get` calls.
    struct Counting {
        dtype: DType,
        shape: Vec<usize>,
        calls: Cell<usize>,
    }

    impl ElementSource for Counting {
        fn dtype(&self) -> DType {
            self.dtype
        }
        fn shape(&self) -> &[usize] {
            &self.shape
        }
        fn get(&self, index: &[usize]) -> Scalar {
            self.calls.set(self.calls.get() + 1);
            let flat = index
                .iter()
                .zip(&self.shape)
                .fold(0usize, |acc, (&i, &n)| acc * n + i);
            match self.dtype.kind {
                Kind::Float => Scalar::Float(flat as f64),
                _ => Scalar::Int(flat as i64),
            }
        }
    }

    struct Vals {
        dtype: DType,
        shape: Vec<usize>,
        vals: Vec<Scalar>,
    }

    impl ElementSource for Vals {
        fn dtype(&self) -> DType {
            self.dtype
        }
        fn shape(&self) -> &[usize] {
            &self.shape
        }
        fn get(&self, index: &[usize]) -> Scalar {
            let flat = index
                .iter()
                .zip(&self.shape)
                .fold(0usize, |acc, (&i, &n)| acc * n + i);
            self.vals[flat]
        }
    }

    fn f32s(v: &[f32]) -> Vals {
        Vals {
            dtype: DType::native(Kind::Float, 4),
            shape: vec![v.len()],
            vals: v.iter().map(|&x| Scalar::Float(x as f64)).collect(),
        }
    }

    fn f64s(v: &[f64]) -> Vals {
        Vals {
            dtype: DType::FLOAT64,
            shape: vec![v.len()],
            vals: v.iter().map(|&x| Scalar::Float(x)).collect(),
        }
    }

    #[test]
    fn huge_source_fetches_only_shown_elements() {
        for shape in [vec![1_000_000_000], vec![1000, 1000, 1000], vec![31623, 31623]] {
            let src = Counting {
                dtype: DType::native(Kind::Float, 4),
                shape: shape.clone(),
                calls: Cell::new(0),
            };
            let r = array_repr(&src, "memmap");
            let shown = 6usize.pow(shape.len() as u32);
            assert!(src.calls.get() <= 2 * shown, "{} gets", src.calls.get());
            assert!(r.contains("shape=("), "{r}");
        }
        let src = Counting {
            dtype: DType::INT64,
            shape: vec![1_000_000_000],
            calls: Cell::new(0),
        };
        assert_eq!(
            array_str(&src),
            "[        0         1         2 ... 999999997 999999998 999999999]"
        );
        assert_eq!(src.calls.get(), 6);
    }

    #[test]
    fn section_examples() {
        assert_eq!(array_str(&f32s(&[0.1, 0.2, 0.3])), "[0.1 0.2 0.3]");
        assert_eq!(
            array_repr(&f32s(&[0.1, 0.2, 0.3]), "array"),
            "array([0.1, 0.2, 0.3], dtype=float32)"
        );
        assert_eq!(
            array_repr(&f64s(&[0.1 + 0.2, 1.0 / 3.0]), "array"),
            "array([0.3       , 0.33333333])"
        );
        assert_eq!(array_str(&f32s(&[1.0 / 3.0])), "[0.33333334]");
        assert_eq!(array_str(&f64s(&[1e-5, 1.0])), "[1.e-05 1.e+00]");
        assert_eq!(array_str(&f64s(&[1.0, 1001.0])), "[1.000e+00 1.001e+03]");
        assert_eq!(
            array_repr(&f64s(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5]), "array"),
            "array([ nan,  inf, -inf,  1.5])"
        );
        assert_eq!(array_str(&f64s(&[-0.0, 0.0, 1.0])), "[-0.  0.  1.]");
        assert_eq!(array_str(&f64s(&[1e-300, 1e300])), "[1.e-300 1.e+300]");
        assert_eq!(array_str(&f32s(&[f32::NAN, f32::NAN])), "[nan nan]");
        assert_eq!(
            array_str(&f32s(&[3.14159265, 1e-3])),
            "[3.1415927e+00 1.0000000e-03]"
        );
    }

    #[test]
    fn scalars() {
        let f4 = DType::native(Kind::Float, 4);
        assert_eq!(scalar_str(Scalar::Float(0.1f32 as f64), f4), "0.1");
        assert_eq!(scalar_repr(Scalar::Float(66.0), f4), "np.float32(66.0)");
        assert_eq!(scalar_repr(Scalar::Int(5), DType::INT64), "np.int64(5)");
        assert_eq!(scalar_repr(Scalar::Bool(true), DType::BOOL), "np.True_");
        assert_eq!(scalar_str(Scalar::Float(1e16), DType::FLOAT64), "1e+16");
        assert_eq!(scalar_str(Scalar::Float(-0.0), DType::FLOAT64), "-0.0");
        assert_eq!(scalar_repr(Scalar::UInt(3), DType::UINT8), "np.uint8(3)");
    }

    #[test]
    fn odd_bit_patterns_never_panic() {
        let f64_bits = [
            0x7ff8_0000_0000_0001u64,
            0xfff8_0000_0000_0000,
            0x7ff0_0000_0000_0001,
            0x0000_0000_0000_0001,
            0x000f_ffff_ffff_ffff,
            0x8000_0000_0000_0001,
            f64::MAX.to_bits(),
            f64::MIN.to_bits(),
            f64::MIN_POSITIVE.to_bits(),
            f64::EPSILON.to_bits(),
            0x8000_0000_0000_0000,
        ];
        let v: Vec<f64> = f64_bits.iter().map(|&b| f64::from_bits(b)).collect();
        for chunk in [&v[..], &v[1..3], &v[3..5], &v[6..8]] {
            let a = f64s(chunk);
            let _ = array_str(&a);
            let _ = array_repr(&a, "memmap");
            for &x in chunk {
                let _ = scalar_repr(Scalar::Float(x), DType::FLOAT64);
            }
        }
        let f32_bits = [
            0x7fc0_0001u32,
            0xffc0_0000,
            0x7f80_0001,
            0x0000_0001,
            0x007f_ffff,
            0x8000_0001,
            f32::MAX.to_bits(),
            f32::MIN.to_bits(),
            f32::MIN_POSITIVE.to_bits(),
        ];
        let v: Vec<f32> = f32_bits.iter().map(|&b| f32::from_bits(b)).collect();
        let a = f32s(&v);
        let _ = array_str(&a);
        let _ = array_repr(&a, "array");
        let be = DType {
            order: ByteOrder::Big,
            ..DType::native(Kind::Float, 4)
        };
        for &x in &v {
            let _ = scalar_str(Scalar::Float(x as f64), be);
        }
        assert_eq!(array_str(&f64s(&[f64::MAX])), "[1.79769313e+308]");
        assert_eq!(array_str(&f64s(&[5e-324])), "[5.e-324]");
        // Mismatched scalar kinds and empty shapes must not panic either.
        let odd = Vals {
            dtype: DType::native(Kind::Int, 2),
            shape: vec![0, 5],
            vals: vec![],
        };
        assert_eq!(array_repr(&odd, "array"), "array([], shape=(0, 5), dtype=int16)");
    }
}

//! NumPy's `array2string`: `str()` and `repr()` of arrays and scalars, summarisation included.
//! Reads only the elements it prints, through [`ElementSource`].
//!
//! Mirrors NumPy 2.4.6 with default print options: precision 8, threshold 1000, edgeitems 3,
//! linewidth 75, floatmode `maxprec`, sign `-`, legacy off.

use crate::numpy::dtype::{DType, Kind, Scalar};
use crate::numpy::f80::F80;

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

/// Most elements the tutor prints of one array. NumPy summarises only axes longer than
/// `2 * EDGEITEMS`, so a many-dimensional array of short axes (`(2,) * 40`) would print every one
/// of its 2**40 elements; past this count the tutor says so instead of building the text (which
/// could not fit in memory). Six dimensions of six (46,656 elements) still print in full.
pub const MAX_PRINTED_ELEMENTS: usize = 1 << 17;

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
        Scalar::Big(v) => v.to_string(),
        Scalar::Float(f) => float_scalar_str(Num::D(f), dtype.size),
        Scalar::Long(x) => long_scalar_str(x),
        Scalar::Complex(re, im) => complex_scalar_str(Num::D(re), Num::D(im), dtype.size / 2),
        Scalar::CLong(re, im) => complex_scalar_str(Num::L(re), Num::L(im), 16),
    }
}

/// `repr()` of a NumPy scalar, e.g. `np.float32(5.0)`, `np.int64(5)`, `np.True_`.
pub fn scalar_repr(v: Scalar, dtype: DType) -> String {
    match v {
        Scalar::Bool(b) => if b { "np.True_" } else { "np.False_" }.to_string(),
        // `np.longdouble('0.10000000000000000555')`: quoted, as Python floats cannot hold it.
        Scalar::Long(_) => format!("np.longdouble('{}')", scalar_str(v.clone(), dtype)),
        // `np.clongdouble('1+2j')`: the str without its parentheses, quoted.
        Scalar::CLong(..) => {
            let s = scalar_str(v.clone(), dtype);
            let inner = s
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(&s);
            format!("np.clongdouble('{inner}')")
        }
        // `np.complex128(1+2j)`: the str without its parentheses.
        Scalar::Complex(..) => {
            let s = scalar_str(v.clone(), dtype);
            let inner = s
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(&s);
            format!("np.{}({inner})", dtype.name())
        }
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
    let count = shown
        .iter()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.len()));
    if count.is_none_or(|c| c > MAX_PRINTED_ELEMENTS) {
        return too_many_to_print(&shape);
    }
    let values = fetch_shown(a, &shown);
    let dtype = a.dtype();
    let format = Format::new(&values, dtype, shape.is_empty());
    let words: Vec<String> = values.iter().map(|v| format.word(v)).collect();
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

/// What is printed instead of an array NumPy would print more than [`MAX_PRINTED_ELEMENTS`] of.
fn too_many_to_print(shape: &[usize]) -> String {
    let size = shape
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    format!(
        "[... {size} elements: NumPy would print every one (no axis is longer than {}); \
         the tutor prints at most {MAX_PRINTED_ELEMENTS} ...]",
        2 * EDGEITEMS
    )
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
                let word = self
                    .words
                    .get(offset + i * stride)
                    .map_or("", String::as_str);
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
    Bool {
        zero_d: bool,
    },
    Int {
        width: usize,
    },
    Float(FloatFormat),
    /// `ComplexFloatingFormat`: the real parts and the imaginary parts (sign `+`) each formatted
    /// like a float array of their own, `j` put before the imaginary part's padding.
    Complex(FloatFormat, FloatFormat),
}

impl Format {
    fn new(values: &[Scalar], dtype: DType, zero_d: bool) -> Format {
        match dtype.kind {
            Kind::Bool => Format::Bool { zero_d },
            Kind::Int | Kind::UInt => {
                let width = values.iter().map(|v| int_str(v).len()).max().unwrap_or(0);
                Format::Int { width }
            }
            Kind::Float => {
                let floats: Vec<Num> = values.iter().map(Num::of).collect();
                Format::Float(FloatFormat::new(&floats, dtype.size, false))
            }
            Kind::Complex => {
                let half = dtype.size / 2;
                let re: Vec<Num> = values.iter().map(|v| Num::parts(v.clone()).0).collect();
                let im: Vec<Num> = values.iter().map(|v| Num::parts(v.clone()).1).collect();
                Format::Complex(
                    FloatFormat::new(&re, half, false),
                    FloatFormat::new(&im, half, true),
                )
            }
        }
    }

    fn word(&self, v: &Scalar) -> String {
        match self {
            Format::Bool { zero_d } => {
                let b = match *v {
                    Scalar::Bool(b) => b,
                    _ => v.as_f64() != 0.0,
                };
                match (b, zero_d) {
                    (true, true) => "True".to_string(),
                    (true, false) => " True".to_string(),
                    (false, _) => "False".to_string(),
                }
            }
            Format::Int { width } => format!("{:>width$}", int_str(v), width = *width),
            Format::Float(f) => f.word(Num::of(v)),
            Format::Complex(fr, fi) => {
                let (re, im) = Num::parts(v.clone());
                let r = fr.word(re);
                let i = fi.word(im);
                let sp = i.trim_end().len();
                format!("{r}{}j{}", &i[..sp], &i[sp..])
            }
        }
    }
}

fn int_str(v: &Scalar) -> String {
    match *v {
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Bool(b) => (b as u8).to_string(),
        Scalar::Float(f) | Scalar::Complex(f, _) => f.to_string(),
        Scalar::Long(x) | Scalar::CLong(x, _) => x.to_f64().to_string(),
        Scalar::Big(ref v) => v.to_string(),
    }
}

/// A float element as printing needs it: a double (float16/32/64 values) or a longdouble.
#[derive(Clone, Copy, Debug)]
enum Num {
    D(f64),
    L(F80),
}

impl Num {
    fn of(s: &Scalar) -> Num {
        match *s {
            Scalar::Long(x) | Scalar::CLong(x, _) => Num::L(x),
            _ => Num::D(s.as_f64()),
        }
    }
    /// (real, imaginary) of a complex element: longdoubles for clongdouble, else doubles.
    fn parts(s: Scalar) -> (Num, Num) {
        match s {
            Scalar::CLong(re, im) => (Num::L(re), Num::L(im)),
            other => {
                let (re, im) = other.parts();
                (Num::D(re), Num::D(im))
            }
        }
    }
    fn is_nan(self) -> bool {
        match self {
            Num::D(f) => f.is_nan(),
            Num::L(x) => x.is_nan(),
        }
    }
    fn is_infinite(self) -> bool {
        match self {
            Num::D(f) => f.is_infinite(),
            Num::L(x) => x.is_infinite(),
        }
    }
    fn is_finite(self) -> bool {
        !self.is_nan() && !self.is_infinite()
    }
    fn is_zero(self) -> bool {
        match self {
            Num::D(f) => f == 0.0,
            Num::L(x) => x.is_zero(),
        }
    }
    /// The sign bit.
    fn is_neg(self) -> bool {
        match self {
            Num::D(f) => f.is_sign_negative(),
            Num::L(x) => x.is_sign_negative(),
        }
    }
    fn abs(self) -> Num {
        match self {
            Num::D(f) => Num::D(f.abs()),
            Num::L(x) => Num::L(x.abs()),
        }
    }
    /// `self < c` in the element's own precision (`c` a double, as NumPy's Python-float cutoffs).
    fn lt(self, c: f64) -> bool {
        match self {
            Num::D(f) => f < c,
            Num::L(x) => x.lt(F80::from_f64(c)),
        }
    }
    fn lt_num(self, o: Num) -> bool {
        match (self, o) {
            (Num::L(x), Num::L(y)) => x.lt(y),
            (a, b) => a.approx() < b.approx(),
        }
    }
    fn div(self, o: Num) -> Num {
        match (self, o) {
            (Num::L(x), Num::L(y)) => Num::L(x / y),
            (a, b) => Num::D(a.approx() / b.approx()),
        }
    }
    fn approx(self) -> f64 {
        match self {
            Num::D(f) => f,
            Num::L(x) => x.to_f64(),
        }
    }
}

/// Arbitrary-precision unsigned integer (little-endian 32-bit limbs), just what Dragon4 needs.
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn pow2(e: u32) -> Big {
        let mut b = Big::from_u64(1);
        b.shl(e);
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn shl(&mut self, n: u32) {
        let limbs = (n / 32) as usize;
        let bits = n % 32;
        if bits != 0 {
            let mut carry = 0u32;
            for limb in self.0.iter_mut() {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if limbs != 0 && !self.0.is_empty() {
            let mut v = vec![0u32; limbs];
            v.extend_from_slice(&self.0);
            self.0 = v;
        }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in self.0.iter_mut() {
            let p = *limb as u64 * m as u64 + carry;
            *limb = p as u32;
            carry = p >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        self.mul_small(10u32.pow(n));
    }

    fn add(&self, o: &Big) -> Big {
        let n = self.0.len().max(o.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let s = *self.0.get(i).unwrap_or(&0) as u64 + *o.0.get(i).unwrap_or(&0) as u64 + carry;
            out.push(s as u32);
            carry = s >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    /// `self -= o`; callers guarantee `self >= o`.
    fn sub_assign(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let d = self.0[i] as i64 - *o.0.get(i).unwrap_or(&0) as i64 - borrow;
            borrow = (d < 0) as i64;
            self.0[i] = d.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    /// Quotient (at most 9 by Dragon4's scaling) of `self / d`, leaving the remainder in `self`.
    fn div_digit(&mut self, d: &Big) -> u8 {
        let mut q = 0u8;
        while q < 9 && self.cmp(d).is_ge() {
            self.sub_assign(d);
            q += 1;
        }
        q
    }
}

/// How dragon4's `precision` counts digits.
#[derive(Clone, Copy, PartialEq)]
enum Cutoff {
    /// Significant digits (scientific).
    Total,
    /// Digits after the decimal point (positional).
    Fraction,
}

/// Trailing-zero handling, as NumPy's `trim` argument: `k`, `.`, `0`, `-`.
#[derive(Clone, Copy, PartialEq)]
enum Trim {
    None,
    Zeros,
    LeaveOneZero,
    DptZeros,
}

/// A finite float split into integer mantissa and binary exponent, as NumPy's Dragon4 takes it.
struct Parts {
    neg: bool,
    mantissa: u64,
    exponent: i32,
    mantissa_bit: i32,
    unequal_margins: bool,
}

impl Parts {
    fn of(x: Num, fsize: usize) -> Parts {
        match x {
            Num::L(v) => Parts::of_long(v),
            Num::D(f) => Parts::of_double(f, fsize),
        }
    }

    /// NumPy's `Dragon4_PrintFloat_Intel_extended`: the integer bit is ignored and implied
    /// by a non-zero exponent.
    fn of_long(x: F80) -> Parts {
        let frac = x.mant & !(1u64 << 63);
        let bexp = x.exp() as i32;
        if bexp != 0 {
            Parts {
                neg: x.is_sign_negative(),
                mantissa: (1u64 << 63) | frac,
                exponent: bexp - 16383 - 63,
                mantissa_bit: 63,
                unequal_margins: bexp != 1 && frac == 0,
            }
        } else {
            Parts {
                neg: x.is_sign_negative(),
                mantissa: frac,
                exponent: 1 - 16383 - 63,
                mantissa_bit: 63 - frac.leading_zeros() as i32,
                unequal_margins: false,
            }
        }
    }

    fn of_double(x: f64, fsize: usize) -> Parts {
        let (neg, frac, bexp, frac_bits, bias) = if fsize == 2 {
            let b = crate::numpy::dtype::f64_to_f16(x);
            (
                (b >> 15) != 0,
                (b & 0x3ff) as u64,
                ((b >> 10) & 0x1f) as i32,
                10,
                15,
            )
        } else if fsize == 4 {
            let b = (x as f32).to_bits();
            (
                (b >> 31) != 0,
                (b & 0x7f_ffff) as u64,
                ((b >> 23) & 0xff) as i32,
                23,
                127,
            )
        } else {
            let b = x.to_bits();
            (
                (b >> 63) != 0,
                b & ((1u64 << 52) - 1),
                ((b >> 52) & 0x7ff) as i32,
                52,
                1023,
            )
        };
        if bexp != 0 {
            Parts {
                neg,
                mantissa: (1u64 << frac_bits) | frac,
                exponent: bexp - bias - frac_bits,
                mantissa_bit: frac_bits,
                unequal_margins: bexp != 1 && frac == 0,
            }
        } else {
            Parts {
                neg,
                mantissa: frac,
                exponent: 1 - bias - frac_bits,
                mantissa_bit: 63 - frac.leading_zeros() as i32,
                unequal_margins: false,
            }
        }
    }
}

/// Dragon4's start: the value as `value / scale` and the low (and, when the margins are unequal,
/// high) margin, half the distance to the neighbouring floats, all scaled alike.
fn scaled(p: &Parts) -> (Big, Big, Big, Option<Big>) {
    let e = p.exponent;
    if p.unequal_margins {
        if e > 0 {
            let mut v = Big::from_u64(p.mantissa);
            v.shl(e as u32 + 2);
            (
                v,
                Big::from_u64(4),
                Big::pow2(e as u32),
                Some(Big::pow2(e as u32 + 1)),
            )
        } else {
            let mut v = Big::from_u64(p.mantissa);
            v.shl(2);
            (
                v,
                Big::pow2((-e) as u32 + 2),
                Big::from_u64(1),
                Some(Big::from_u64(2)),
            )
        }
    } else if e > 0 {
        let mut v = Big::from_u64(p.mantissa);
        v.shl(e as u32 + 1);
        (v, Big::from_u64(2), Big::pow2(e as u32), None)
    } else {
        let mut v = Big::from_u64(p.mantissa);
        v.shl(1);
        (v, Big::pow2((-e) as u32 + 1), Big::from_u64(1), None)
    }
}

/// Dragon4's last digit: rounded down or up (ties to the even digit when the low and high
/// tests agree), carrying through trailing nines.
fn round_last(
    digits: &mut Vec<u8>,
    out_exp: &mut i32,
    digit: u8,
    is_low: bool,
    is_high: bool,
    mut value: Big,
    scale: &Big,
) {
    let mut round_down = is_low;
    if is_low == is_high {
        value.shl(1);
        round_down = match value.cmp(scale) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => digit.is_multiple_of(2),
        };
    }
    if round_down {
        digits.push(digit);
    } else if digit < 9 {
        digits.push(digit + 1);
    } else {
        while digits.last() == Some(&9) {
            digits.pop();
        }
        match digits.last_mut() {
            Some(d) => *d += 1,
            None => {
                digits.push(1);
                *out_exp += 1;
            }
        }
    }
}

/// Dragon4 in NumPy's "unique" digit mode: the shortest digits that round-trip, stopping early at
/// `cutoff_max` digits and going on (with the exact value's digits) to at least `cutoff_min`.
/// Returns the digits and the decimal exponent of the first one.
fn dragon4(p: &Parts, mode: Cutoff, cutoff_max: i32, cutoff_min: i32) -> (Vec<u8>, i32) {
    if p.mantissa == 0 {
        return (vec![0], 0);
    }
    let is_even = p.mantissa.is_multiple_of(2);
    let e = p.exponent;
    let (mut value, mut scale, mut low, mut high) = scaled(p);
    let double = |low: &Big| {
        let mut h = low.clone();
        h.shl(1);
        h
    };
    let log10_2 = std::f64::consts::LOG10_2;
    let mut digit_exp = (((p.mantissa_bit + e) as f64) * log10_2 - 0.69).ceil() as i32;
    if cutoff_max >= 0 && mode == Cutoff::Fraction && digit_exp <= -cutoff_max {
        digit_exp = -cutoff_max + 1;
    }
    if digit_exp > 0 {
        scale.mul_pow10(digit_exp as u32);
    } else if digit_exp < 0 {
        value.mul_pow10((-digit_exp) as u32);
        low.mul_pow10((-digit_exp) as u32);
        if high.is_some() {
            high = Some(double(&low));
        }
    }
    if value.cmp(&scale).is_ge() {
        digit_exp += 1;
    } else {
        value.mul_small(10);
        low.mul_small(10);
        if high.is_some() {
            high = Some(double(&low));
        }
    }
    // NumPy's output buffer bounds the digit count when there is no cutoff.
    let mut cutoff_max_exp = digit_exp - 16384;
    if cutoff_max >= 0 {
        let desired = match mode {
            Cutoff::Total => digit_exp - cutoff_max,
            Cutoff::Fraction => -cutoff_max,
        };
        cutoff_max_exp = cutoff_max_exp.max(desired);
    }
    let mut cutoff_min_exp = digit_exp;
    if cutoff_min >= 0 {
        let desired = match mode {
            Cutoff::Total => digit_exp - cutoff_min,
            Cutoff::Fraction => -cutoff_min,
        };
        cutoff_min_exp = cutoff_min_exp.min(desired);
    }
    let mut out_exp = digit_exp - 1;
    let mut digits = Vec::new();
    let (mut is_low, mut is_high, mut digit);
    loop {
        digit_exp -= 1;
        digit = value.div_digit(&scale);
        let value_high = value.add(high.as_ref().unwrap_or(&low));
        let c = value.cmp(&low);
        is_low = if is_even { c.is_le() } else { c.is_lt() };
        let c = value_high.cmp(&scale);
        is_high = if is_even { c.is_ge() } else { c.is_gt() };
        if ((is_low || is_high) && digit_exp <= cutoff_min_exp) || digit_exp <= cutoff_max_exp {
            break;
        }
        digits.push(digit);
        value.mul_small(10);
        low.mul_small(10);
        if high.is_some() {
            high = Some(double(&low));
        }
    }
    round_last(
        &mut digits,
        &mut out_exp,
        digit,
        is_low,
        is_high,
        value,
        &scale,
    );
    (digits, out_exp)
}

fn digit_char(d: u8) -> char {
    (b'0' + d) as char
}

/// Strips trailing zeros of `s` (which holds `frac` fraction digits) as `trim` asks.
fn apply_trim(s: &mut String, frac: &mut usize, trim: Trim) {
    if trim != Trim::None && *frac > 0 {
        while s.ends_with('0') && *frac > 0 {
            s.pop();
            *frac -= 1;
        }
        if s.ends_with('.') {
            match trim {
                Trim::LeaveOneZero => {
                    s.push('0');
                    *frac += 1;
                }
                Trim::DptZeros => {
                    s.pop();
                }
                _ => {}
            }
        }
    }
}

/// NumPy's `dragon4_positional` (`-1` means "not given" for the integer arguments).
#[allow(clippy::too_many_arguments)]
fn format_positional(
    x: Num,
    fsize: usize,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    sign: bool,
    pad_left: i32,
    pad_right: i32,
) -> String {
    let p = Parts::of(x, fsize);
    let (digits, exp) = dragon4(&p, Cutoff::Fraction, precision, min_digits);
    let mut s = String::new();
    let has_sign = (p.neg || sign) as i32;
    if p.neg {
        s.push('-');
    } else if sign {
        s.push('+');
    }
    let (whole, mut frac);
    if exp >= 0 {
        whole = exp as usize + 1;
        for i in 0..whole {
            s.push(digit_char(*digits.get(i).unwrap_or(&0)));
        }
        frac = digits.len().saturating_sub(whole);
        if frac > 0 {
            s.push('.');
            s.extend(digits[whole..].iter().map(|&d| digit_char(d)));
        }
    } else {
        whole = 1;
        let zeros = (-(exp + 1)) as usize;
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', zeros));
        s.extend(digits.iter().map(|&d| digit_char(d)));
        frac = zeros + digits.len();
    }
    if trim != Trim::DptZeros && frac == 0 {
        s.push('.');
    }
    let wanted = min_digits.max(0) as usize;
    match trim {
        Trim::LeaveOneZero if frac == 0 => {
            s.push('0');
            frac += 1;
        }
        Trim::None if wanted > frac => {
            s.extend(std::iter::repeat_n('0', wanted - frac));
            frac = wanted;
        }
        _ => {}
    }
    apply_trim(&mut s, &mut frac, trim);
    if pad_right >= 0 && pad_right as usize >= frac {
        if trim == Trim::DptZeros && frac == 0 {
            s.push(' ');
        }
        s.extend(std::iter::repeat_n(' ', pad_right as usize - frac));
    }
    let left = whole as i32 + has_sign;
    if pad_left > left {
        s.insert_str(0, &" ".repeat((pad_left - left) as usize));
    }
    s
}

/// NumPy's `dragon4_scientific` (`-1` means "not given" for the integer arguments).
#[allow(clippy::too_many_arguments)]
fn format_scientific(
    x: Num,
    fsize: usize,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    sign: bool,
    pad_left: i32,
    exp_digits: i32,
) -> String {
    let p = Parts::of(x, fsize);
    let plus_one = |v: i32| if v < 0 { -1 } else { v + 1 };
    let (digits, exp) = dragon4(&p, Cutoff::Total, plus_one(precision), plus_one(min_digits));
    let mut s = String::new();
    let left = 1 + (p.neg || sign) as i32;
    if pad_left > left {
        s.push_str(&" ".repeat((pad_left - left) as usize));
    }
    if p.neg {
        s.push('-');
    } else if sign {
        s.push('+');
    }
    s.push(digit_char(digits.first().copied().unwrap_or(0)));
    let mut frac = digits.len().saturating_sub(1);
    if frac > 0 {
        s.push('.');
        s.extend(digits[1..].iter().map(|&d| digit_char(d)));
    } else if trim != Trim::DptZeros {
        s.push('.');
    }
    let wanted = min_digits.max(0) as usize;
    match trim {
        Trim::LeaveOneZero if frac == 0 => {
            s.push('0');
            frac += 1;
        }
        Trim::None if wanted > frac => {
            s.extend(std::iter::repeat_n('0', wanted - frac));
            frac = wanted;
        }
        _ => {}
    }
    if trim != Trim::None && frac > 0 {
        while s.ends_with('0') {
            s.pop();
        }
        if trim == Trim::LeaveOneZero && s.ends_with('.') {
            s.push('0');
        }
    }
    let exp_digits = if exp_digits < 0 { 2 } else { exp_digits.min(5) } as usize;
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:0>exp_digits$}", exp.unsigned_abs()));
    s
}

/// `FloatingFormat` for floatmode `maxprec`.
struct FloatFormat {
    fsize: usize,
    /// NumPy's `sign='+'` (the imaginary parts of complex numbers).
    sign: bool,
    exp_format: bool,
    pad_left: usize,
    pad_right: usize,
    /// Mantissa fraction digits in scientific mode (all elements padded to it).
    precision: usize,
    exp_size: usize,
}

impl FloatFormat {
    fn new(data: &[Num], fsize: usize, sign: bool) -> FloatFormat {
        let finite: Vec<Num> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let abs_nz: Vec<Num> = finite
            .iter()
            .filter(|v| !v.is_zero())
            .map(|v| v.abs())
            .collect();
        let mut exp_format = false;
        if let (Some(&first), true) = (abs_nz.first(), fsize == 16) {
            // longdouble: the cutoff 10**min(8, 18) and the ratio, compared in longdouble.
            let max = abs_nz
                .iter()
                .fold(first, |m, &v| if m.lt_num(v) { v } else { m });
            let min = abs_nz
                .iter()
                .fold(first, |m, &v| if v.lt_num(m) { v } else { m });
            let thousand = Num::L(F80::from_f64(1000.0));
            exp_format = !max.lt(1e8) || min.lt(1e-4) || thousand.lt_num(max.div(min));
        } else if !abs_nz.is_empty() {
            let abs_nz: Vec<f64> = abs_nz.iter().map(|v| v.approx()).collect();
            let max = abs_nz.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = abs_nz.iter().copied().fold(f64::INFINITY, f64::min);
            exp_format = if fsize == 2 {
                // NumPy's cutoff is 10**min(8, finfo.precision): 1e3 for float16, whose
                // comparisons and max/min run in float16 (NEP 50; the ratio may overflow to inf).
                let r =
                    |v: f64| crate::numpy::dtype::f16_to_f64(crate::numpy::dtype::f64_to_f16(v));
                let (max, min) = (r(max), r(min));
                max >= 1e3 || min < r(1e-4) || r(max / min) > 1000.0
            } else if fsize == 4 {
                // NumPy compares float32 scalars with Python floats in float32 (NEP 50).
                let (max, min) = (max as f32, min as f32);
                max >= 1e6f32 || min < 1e-4f32 || max / min > 1000f32
            } else {
                max >= 1e8 || min < 1e-4 || max / min > 1000.0
            };
        }
        let prec = PRECISION as i32;
        let mut f = FloatFormat {
            fsize,
            sign,
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // Only nan/inf: widths come from the non-finite padding below.
        } else if exp_format {
            let mut exp_len = 0;
            for &x in &finite {
                let s = format_scientific(x, fsize, prec, -1, Trim::Zeros, sign, -1, -1);
                let (mant, exp) = s.split_once('e').unwrap_or((&s, ""));
                let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
                exp_len = exp_len.max(exp.len());
                f.precision = f.precision.max(frac.len());
                f.pad_left = f.pad_left.max(int.len());
            }
            f.exp_size = exp_len.saturating_sub(1);
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            for &x in &finite {
                let s = format_positional(x, fsize, prec, -1, Trim::Zeros, sign, -1, -1);
                let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if finite.len() != data.len() {
            let neginf = (sign || data.iter().any(|v| v.is_infinite() && v.is_neg())) as usize;
            let offset = f.pad_right + 1;
            f.pad_left = f
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + neginf).saturating_sub(offset));
        }
        f
    }

    fn word(&self, x: Num) -> String {
        if !x.is_finite() {
            let ret = match (x.is_nan(), x.is_neg(), self.sign) {
                (true, _, false) => "nan",
                (true, _, true) => "+nan",
                (false, true, _) => "-inf",
                (false, false, false) => "inf",
                (false, false, true) => "+inf",
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{ret:>width$}");
        }
        if self.exp_format {
            let p = self.precision as i32;
            format_scientific(
                x,
                self.fsize,
                p,
                p,
                Trim::None,
                self.sign,
                self.pad_left as i32,
                self.exp_size as i32,
            )
        } else {
            format_positional(
                x,
                self.fsize,
                PRECISION as i32,
                0,
                Trim::Zeros,
                self.sign,
                self.pad_left as i32,
                self.pad_right as i32,
            )
        }
    }
}

/// `str()` of a float scalar: positional for 1e-4 <= |x| < cutoff (or zero), else scientific.
/// The cutoff is 1e16 for float64, 1e6 for float32 and 1e3 for float16.
fn float_scalar_str(x: Num, fsize: usize) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x.is_neg() { "-inf" } else { "inf" }.to_string();
    }
    float_either(x, fsize, Trim::LeaveOneZero, false)
}

/// `str()` of a longdouble scalar. NumPy's Dragon4 tells inf/nan from the bits (exponent all
/// ones: inf when the fraction is 0) and prints any other encoding as a number, the integer bit
/// implied; an unnormal compares unordered, so NumPy's scientific test fails and it prints
/// positionally (measured with NumPy 2.4.6).
fn long_scalar_str(x: F80) -> String {
    if x.exp() == 0x7fff {
        let frac = x.mant & !(1u64 << 63);
        return match (frac == 0, x.is_sign_negative()) {
            (false, _) => "nan",
            (true, true) => "-inf",
            (true, false) => "inf",
        }
        .to_string();
    }
    if x.is_nan() {
        return format_positional(Num::L(x), 16, -1, -1, Trim::LeaveOneZero, false, -1, -1);
    }
    float_scalar_str(Num::L(x), 16)
}

/// `str()` of a complex scalar as NumPy's `complexfloat_str`: `1j` when the real part is +0,
/// else `(re±imj)`, each part printed like a float scalar but without a trailing `.0`.
fn complex_scalar_str(re: Num, im: Num, fsize: usize) -> String {
    let part = |x: Num, sign: bool| -> String {
        if x.is_nan() {
            (if sign { "+nan" } else { "nan" }).to_string()
        } else if x.is_infinite() {
            (match (x.is_neg(), sign) {
                (true, _) => "-inf",
                (false, true) => "+inf",
                (false, false) => "inf",
            })
            .to_string()
        } else {
            float_either(x, fsize, Trim::DptZeros, sign)
        }
    };
    if re.is_zero() && !re.is_neg() {
        return format!("{}j", part(im, false));
    }
    format!("({}{}j)", part(re, false), part(im, true))
}

/// NumPy's `*_either` for a finite scalar: positional for 1e-4 <= |x| < cutoff (or zero), else
/// scientific; the cutoff is 1e16 for float64, 1e6 for float32 and 1e3 for float16.
fn float_either(x: Num, fsize: usize, trim_pos: Trim, sign: bool) -> String {
    let a = x.abs();
    let upper = match fsize {
        2 => 1e3,
        4 => 1e6,
        _ => 1e16,
    };
    if a.is_zero() || (!a.lt(1e-4) && a.lt(upper)) {
        format_positional(x, fsize, -1, -1, trim_pos, sign, -1, -1)
    } else {
        format_scientific(x, fsize, -1, -1, Trim::DptZeros, sign, -1, -1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numpy::dtype::ByteOrder;
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

    #[test]
    fn many_short_axes_are_not_printed_element_by_element() {
        // (2,) * 40: NumPy summarises no axis (each is 6 or shorter) and would print 2**40
        // elements; the tutor says so and reads none of them. (6,) * 6 still prints in full.
        let huge = Counting {
            dtype: DType::FLOAT64,
            shape: vec![2; 40],
            calls: Cell::new(0),
        };
        let s = array_str(&huge);
        assert!(s.contains("1099511627776 elements"), "{s}");
        assert_eq!(huge.calls.get(), 0);
        // 64 axes of 6: the shown count overflows usize.
        let overflow = Counting {
            dtype: DType::FLOAT64,
            shape: vec![6; 64],
            calls: Cell::new(0),
        };
        assert!(array_repr(&overflow, "memmap").contains("elements: NumPy would print"));
        let full = Counting {
            dtype: DType::FLOAT64,
            shape: vec![6; 6],
            calls: Cell::new(0),
        };
        let s = array_str(&full);
        assert_eq!(full.calls.get(), 46656);
        assert!(
            s.starts_with("[[[[[[0.0000e+00") && s.ends_with("4.6655e+04]]]]]]"),
            "{s}"
        );
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
            self.vals[flat].clone()
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
        for shape in [
            vec![1_000_000_000],
            vec![1000, 1000, 1000],
            vec![31623, 31623],
        ] {
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
            array_repr(
                &f64s(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5]),
                "array"
            ),
            "array([ nan,  inf, -inf,  1.5])"
        );
        assert_eq!(array_str(&f64s(&[-0.0, 0.0, 1.0])), "[-0.  0.  1.]");
        assert_eq!(array_str(&f64s(&[1e-300, 1e300])), "[1.e-300 1.e+300]");
        assert_eq!(array_str(&f32s(&[f32::NAN, f32::NAN])), "[nan nan]");
        assert_eq!(
            array_str(&f32s(&[std::f32::consts::PI, 1e-3])),
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
        assert_eq!(
            array_repr(&odd, "array"),
            "array([], shape=(0, 5), dtype=int16)"
        );
    }
}

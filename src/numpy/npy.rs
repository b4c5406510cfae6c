//! The `.npy` format as NumPy 2.4 writes and reads it (`numpy/lib/_format_impl.py`): magic, version, header dict
//! text, padding to a multiple of 64 bytes, and the read-side checks with NumPy's messages.

use super::dtype::{DType, DTypeError};

/// `\x93NUMPY`: the first six bytes of every `.npy` file.
pub const MAGIC_PREFIX: &[u8; 6] = b"\x93NUMPY";
/// Magic plus the two version bytes.
pub const MAGIC_LEN: usize = 8;
/// The data starts at a multiple of this (NumPy's `ARRAY_ALIGN`).
pub const ARRAY_ALIGN: usize = 64;
/// Spare spaces NumPy leaves after the header dict so the growth axis can get longer in place.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// NumPy's `_MAX_HEADER_SIZE` (np.load's default `max_header_size` without `allow_pickle`).
pub const MAX_HEADER_SIZE: usize = 10000;

/// The header NumPy's `open_memmap(mode='w+')` writes for this array, and the format version it chose.
pub fn header_bytes(dtype: &DType, fortran_order: bool, shape: &[i64]) -> (Vec<u8>, (u8, u8)) {
    let mut text = format!(
        "{{'descr': {}, 'fortran_order': {}, 'shape': {}, }}",
        str_repr(&dtype.code()),
        if fortran_order { "True" } else { "False" },
        tuple_repr(shape)
    );
    // `" " * (21 - len(repr(shape[-1 if fortran_order else 0])))`; a negative count is no spaces.
    let growth = if fortran_order {
        shape.last()
    } else {
        shape.first()
    };
    if let Some(d) = growth {
        let digits = d.to_string().len();
        text.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    // `_wrap_header_guess_version`: 1.0 when the length fits its 2-byte field, else 2.0 (the header text is
    // ASCII here, so 3.0, for non-latin-1 field names, is never needed).
    match wrap(text.as_bytes(), (1, 0)) {
        Some(h) => (h, (1, 0)),
        None => (wrap(text.as_bytes(), (2, 0)).unwrap_or_default(), (2, 0)),
    }
}

/// `_wrap_header`: magic, version, little-endian length, the text, spaces, and a final newline, so that the
/// whole header is a multiple of 64 bytes. `None` when the length does not fit the version's field.
fn wrap(text: &[u8], version: (u8, u8)) -> Option<Vec<u8>> {
    let len_bytes = if version == (1, 0) { 2 } else { 4 };
    let hlen = text.len() + 1;
    let padlen = ARRAY_ALIGN - ((MAGIC_LEN + len_bytes + hlen) % ARRAY_ALIGN);
    let total = hlen + padlen;
    let mut out = Vec::with_capacity(MAGIC_LEN + len_bytes + total);
    out.extend_from_slice(MAGIC_PREFIX);
    out.extend_from_slice(&[version.0, version.1]);
    if len_bytes == 2 {
        out.extend_from_slice(&u16::try_from(total).ok()?.to_le_bytes());
    } else {
        out.extend_from_slice(&u32::try_from(total).ok()?.to_le_bytes());
    }
    out.extend_from_slice(text);
    out.extend(std::iter::repeat_n(b' ', padlen));
    out.push(b'\n');
    Some(out)
}

/// What a `.npy` header says about the array.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub version: (u8, u8),
    pub dtype: DType,
    pub fortran_order: bool,
    pub shape: Vec<i64>,
    /// Where the data starts: the header's total length (`fp.tell()` after reading it).
    pub data_offset: u64,
    /// The header dict text as stored, without its padding.
    pub dict: String,
}

/// Reads a file's bytes at an offset: `(offset, len) -> bytes` (fewer at end of file).
pub trait ByteSource {
    fn read_at(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>>;
    /// The file's length in bytes.
    fn size(&mut self) -> std::io::Result<u64>;
}

/// `read_magic` + `_check_version` + `_read_array_header`: the header of a `.npy` file, or NumPy's error
/// (`ValueError: ...`). Reads only the header, never more than its declared length (and nothing of a header
/// over the size limit).
pub fn read_header(src: &mut dyn ByteSource) -> Result<Header, String> {
    let io = |e: std::io::Error| crate::python::os_error(&e, None);
    let magic = read_bytes(src, 0, MAGIC_LEN, "magic string")?;
    if magic[..6] != MAGIC_PREFIX[..] {
        return Err(format!(
            "ValueError: the magic string is not correct; expected {}, got {}",
            bytes_repr(MAGIC_PREFIX),
            bytes_repr(&magic[..6])
        ));
    }
    let version = (magic[6], magic[7]);
    let (len_bytes, utf8) = match version {
        (1, 0) => (2usize, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        (a, b) => {
            return Err(format!(
                "ValueError: we only support format version (1,0), (2,0), and (3,0), not ({a}, {b})"
            ))
        }
    };
    let raw_len = read_bytes(src, MAGIC_LEN as u64, len_bytes, "array header length")?;
    let header_len = if len_bytes == 2 {
        u16::from_le_bytes([raw_len[0], raw_len[1]]) as u64
    } else {
        u32::from_le_bytes([raw_len[0], raw_len[1], raw_len[2], raw_len[3]]) as u64
    };
    let start = (MAGIC_LEN + len_bytes) as u64;
    let available = src.size().map_err(io)?.saturating_sub(start);
    if header_len > available {
        return Err(format!(
            "ValueError: EOF: reading array header, expected {header_len} bytes got {available}"
        ));
    }
    // latin-1 has one character per byte; UTF-8 at most four bytes per character.
    if !utf8 && header_len > MAX_HEADER_SIZE as u64 {
        return Err(too_large(header_len));
    }
    if utf8 && header_len > 4 * MAX_HEADER_SIZE as u64 {
        return Err(too_large_utf8(src, start, header_len)?);
    }
    let bytes = read_bytes(src, start, header_len as usize, "array header")?;
    let text: String = if utf8 {
        match std::str::from_utf8(&bytes) {
            Ok(s) => s.to_string(),
            Err(e) => return Err(utf8_error(&bytes, &e)),
        }
    } else {
        bytes.iter().map(|&b| b as char).collect()
    };
    let chars = text.chars().count();
    if chars > MAX_HEADER_SIZE {
        return Err(too_large(chars as u64));
    }
    let (shape, fortran_order, dtype) = check_dict(&text)?;
    Ok(Header {
        version,
        dtype,
        fortran_order,
        shape,
        data_offset: start + header_len,
        dict: text.trim_end().to_string(),
    })
}

/// `_read_bytes`: exactly `len` bytes, or NumPy's EOF error.
fn read_bytes(
    src: &mut dyn ByteSource,
    at: u64,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, String> {
    let data = src
        .read_at(at, len)
        .map_err(|e| crate::python::os_error(&e, None))?;
    if data.len() != len {
        return Err(format!(
            "ValueError: EOF: reading {what}, expected {len} bytes got {}",
            data.len()
        ));
    }
    Ok(data)
}

fn too_large(chars: u64) -> String {
    format!(
        "ValueError: Header info length ({chars}) is large and may not be safe to load securely.\n\
         To allow loading, adjust `max_header_size` or fully trust the `.npy` file using `allow_pickle=True`.\n\
         For safety against large resource use or crashes, sandboxing may be necessary."
    )
}

/// A version 3.0 header too long to decode at once: its characters counted in chunks (NumPy decodes it whole
/// first, so an invalid byte is reported as NumPy would only for the chunk it is in).
fn too_large_utf8(src: &mut dyn ByteSource, start: u64, len: u64) -> Result<String, String> {
    let mut chars = 0u64;
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(1 << 16) as usize;
        let chunk = src
            .read_at(start + at, n)
            .map_err(|e| crate::python::os_error(&e, None))?;
        if chunk.is_empty() {
            break;
        }
        chars += chunk.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        at += chunk.len() as u64;
    }
    Ok(too_large(chars))
}

/// Python's UnicodeDecodeError text for an invalid UTF-8 header.
fn utf8_error(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let pos = e.valid_up_to();
    let b = bytes.get(pos).copied().unwrap_or(0);
    let why = match e.error_len() {
        None => "unexpected end of data",
        Some(_) if b & 0xC0 == 0x80 || b >= 0xF5 || b == 0xC0 || b == 0xC1 => "invalid start byte",
        Some(_) => "invalid continuation byte",
    };
    format!(
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0x{b:02x} in position {pos}: {why}"
    )
}

/// The checks of `_read_array_header` on the header text, in NumPy's order.
fn check_dict(text: &str) -> Result<(Vec<i64>, bool, DType), String> {
    let value = match Literal::parse(text) {
        Some(v) => v,
        None => {
            return Err(format!(
                "ValueError: Cannot parse header: {}",
                str_repr(text)
            ))
        }
    };
    let Literal::Dict(items) = &value else {
        return Err(format!(
            "ValueError: Header is not a dictionary: {}",
            value.repr()
        ));
    };
    // A dict literal keeps the last of repeated keys.
    let get = |k: &str| {
        items
            .iter()
            .rev()
            .find(|(key, _)| matches!(key, Literal::Str(s) if s == k))
            .map(|(_, v)| v)
    };
    check_keys(items, |k| get(k).is_some())?;
    let (Some(shape), Some(fortran), Some(descr)) =
        (get("shape"), get("fortran_order"), get("descr"))
    else {
        return Err("ValueError: Header does not contain the correct keys".to_string());
    };
    let dims = match shape {
        Literal::Tuple(items)
            if items
                .iter()
                .all(|x| matches!(x, Literal::Int(_) | Literal::Bool(_))) =>
        {
            items
        }
        other => return Err(format!("ValueError: shape is not valid: {}", other.repr())),
    };
    let Literal::Bool(fortran) = fortran else {
        return Err(format!(
            "ValueError: fortran_order is not a valid bool: {}",
            fortran.repr()
        ));
    };
    let dtype = descr_dtype(descr)?;
    let mut out = Vec::with_capacity(dims.len());
    for d in dims {
        match d {
            Literal::Int(n) => out.push(i64::try_from(*n).map_err(|_| {
                "OverflowError: Python int too large to convert to C long".to_string()
            })?),
            // `isinstance(True, int)` passes NumPy's check; np.memmap then refuses the bool.
            _ => return Err("TypeError: an integer is required".to_string()),
        }
    }
    Ok((out, *fortran, dtype))
}

/// The header dict has exactly the keys `descr`, `fortran_order` and `shape` (`has` says whether a key is
/// there), else NumPy's error listing the keys it has, sorted.
fn check_keys(items: &[(Literal, Literal)], has: impl Fn(&str) -> bool) -> Result<(), String> {
    let mut keys: Vec<&Literal> = Vec::new();
    for (k, _) in items {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let expected = ["descr", "fortran_order", "shape"];
    if keys.len() == 3 && expected.iter().all(|k| has(k)) {
        return Ok(());
    }
    let mut names: Vec<String> = keys.iter().map(|k| k.repr()).collect();
    // sorted() of string keys: by code point, which the reprs of plain names keep.
    names.sort_by(|a, b| a.trim_matches(['\'', '"']).cmp(b.trim_matches(['\'', '"'])));
    Err(format!(
        "ValueError: Header does not contain the correct keys: [{}]",
        names.join(", ")
    ))
}

/// The dtype a header's `descr` names, with NumPy's errors (and the tutor's refusal of structured dtypes).
fn descr_dtype(descr: &Literal) -> Result<DType, String> {
    match descr {
        Literal::Str(s) => {
            let code = s.trim_start_matches(['<', '>', '=', '|']);
            if matches!(code, "O" | "O8" | "object") {
                return Err(
                    "ValueError: Array can't be memory-mapped: Python objects in dtype.".to_string(),
                );
            }
            match DType::parse(s) {
                Ok(d) => Ok(d),
                Err(DTypeError::NotUnderstood(_) | DTypeError::RemovedAlias(_)) => Err(format!(
                    "ValueError: descr is not a valid dtype descriptor: {}",
                    str_repr(s)
                )),
                Err(e) => Err(format!("NotImplementedError: {e}")),
            }
        }
        Literal::List(_) | Literal::Tuple(_) => Err(format!(
            "NotImplementedError: descr {} is a structured or sub-array dtype; the tutor maps only plain \
             dtypes (bool, int, uint, float)",
            descr.repr()
        )),
        other => Err(format!(
            "ValueError: descr is not a valid dtype descriptor: {}",
            other.repr()
        )),
    }
}

/// The Python literals a `.npy` header dict is made of (what `ast.literal_eval` gives for them).
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

impl Literal {
    /// Parse one literal filling the whole text (surrounding whitespace allowed); `None` where
    /// `ast.literal_eval` would raise a SyntaxError or a value the tutor does not model (floats, sets, bytes).
    fn parse(text: &str) -> Option<Literal> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    /// Python's `repr()`.
    fn repr(&self) -> String {
        match self {
            Literal::Str(s) => str_repr(s),
            Literal::Int(n) => n.to_string(),
            Literal::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Literal::None => "None".to_string(),
            Literal::Tuple(v) if v.len() == 1 => format!("({},)", v[0].repr()),
            Literal::Tuple(v) => format!(
                "({})",
                v.iter().map(Literal::repr).collect::<Vec<_>>().join(", ")
            ),
            Literal::List(v) => format!(
                "[{}]",
                v.iter().map(Literal::repr).collect::<Vec<_>>().join(", ")
            ),
            Literal::Dict(v) => format!(
                "{{{}}}",
                v.iter()
                    .map(|(k, v)| format!("{}: {}", k.repr(), v.repr()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A recursive-descent parser for the literal subset above (bounded nesting, so a hostile header cannot
/// overflow the stack).
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len()
            && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
        {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Literal> {
        self.depth += 1;
        if self.depth > 100 {
            return None;
        }
        let v = match self.peek()? {
            b'{' => self.dict(),
            b'(' => self.seq(b')', true),
            b'[' => self.seq(b']', false),
            b'\'' | b'"' => self.string().map(Literal::Str),
            b'-' | b'+' | b'0'..=b'9' => self.int(),
            _ => self.name(),
        };
        self.depth -= 1;
        v
    }

    fn dict(&mut self) -> Option<Literal> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(b'}') {
                return Some(Literal::Dict(items));
            }
            let k = self.value()?;
            if !self.eat(b':') {
                return None;
            }
            let v = self.value()?;
            items.push((k, v));
            if !self.eat(b',') {
                return self.eat(b'}').then_some(Literal::Dict(items));
            }
        }
    }

    fn seq(&mut self, close: u8, tuple: bool) -> Option<Literal> {
        self.i += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            if self.eat(close) {
                break;
            }
            items.push(self.value()?);
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                if !self.eat(close) {
                    return None;
                }
                break;
            }
        }
        Some(match (tuple, items.len(), trailing_comma) {
            // `(x)` is just x; `(x,)` and `()` are tuples.
            (true, 1, false) => items.pop()?,
            (true, _, _) => Literal::Tuple(items),
            (false, _, _) => Literal::List(items),
        })
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                c if c == quote => return Some(out),
                b'\n' => return None,
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'0' => out.push('\0'),
                        b'\\' | b'\'' | b'"' => out.push(e as char),
                        b'x' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 2)?).ok()?;
                            out.push(char::from(u8::from_str_radix(hex, 16).ok()?));
                            self.i += 2;
                        }
                        _ => {
                            out.push('\\');
                            out.push(e as char);
                        }
                    }
                }
                // The text was decoded already: one char per byte here is the latin-1 reading, and a UTF-8
                // sequence is re-assembled below.
                c if c < 0x80 => out.push(c as char),
                _ => {
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && self.s[end] & 0xC0 == 0x80 {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).ok()?);
                    self.i = end;
                }
            }
        }
        None
    }

    fn int(&mut self) -> Option<Literal> {
        let neg = match self.s[self.i] {
            b'-' => {
                self.i += 1;
                true
            }
            b'+' => {
                self.i += 1;
                false
            }
            _ => false,
        };
        if matches!(self.peek(), Some(b'-' | b'+')) {
            // `--3` is valid Python; nested unary signs are rare enough to treat as one more level.
            let inner = self.int()?;
            return match inner {
                Literal::Int(n) if neg => Some(Literal::Int(-n)),
                other => Some(other),
            };
        }
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        let digits: String = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .replace('_', "");
        // A float, hex or complex literal: not modelled (see `parse`).
        if digits.is_empty()
            || matches!(
                self.s.get(self.i),
                Some(b'.' | b'e' | b'E' | b'j' | b'J' | b'x' | b'X' | b'o' | b'b')
            )
            || (digits.len() > 1
                && digits.starts_with('0')
                && !digits.trim_start_matches('0').is_empty())
        {
            return None;
        }
        let n: i128 = digits.parse().ok()?;
        Some(Literal::Int(if neg { -n } else { n }))
    }

    fn name(&mut self) -> Option<Literal> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        match &self.s[start..self.i] {
            b"True" => Some(Literal::Bool(true)),
            b"False" => Some(Literal::Bool(false)),
            b"None" => Some(Literal::None),
            _ => None,
        }
    }
}

/// Python's `repr()` of a tuple of ints: `()`, `(3,)`, `(3, 4)`.
pub fn tuple_repr(dims: &[i64]) -> String {
    match dims {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr()` of a str: single quotes unless the text has `'` and no `"`; non-printable characters
/// escaped as `\n`, `\t`, `\r`, `\xNN` (latin-1 controls and the soft hyphen) or `\uNNNN`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c as u32 == 0xad => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of bytes: `b'\x93NUMPY'`.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(Vec<u8>);
    impl ByteSource for Mem {
        fn read_at(&mut self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
            let s = (offset as usize).min(self.0.len());
            let e = s.saturating_add(len).min(self.0.len());
            Ok(self.0[s..e].to_vec())
        }
        fn size(&mut self) -> std::io::Result<u64> {
            Ok(self.0.len() as u64)
        }
    }

    fn f4() -> DType {
        DType::parse("float32").expect("dtype")
    }

    #[test]
    fn header_is_numpys_and_64_aligned() {
        let (h, v) = header_bytes(&f4(), false, &[3, 4]);
        assert_eq!(v, (1, 0));
        assert_eq!(h.len(), 128);
        let text = String::from_utf8_lossy(&h[10..]).to_string();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"));
        assert!(text.ends_with(" \n"));
        assert_eq!(&h[..10], b"\x93NUMPY\x01\x00v\x00");
    }

    #[test]
    fn header_round_trips() {
        let (h, _) = header_bytes(&f4(), true, &[2, 3]);
        let got = read_header(&mut Mem(h)).expect("parses");
        assert_eq!(got.shape, vec![2, 3]);
        assert!(got.fortran_order);
        assert_eq!(got.data_offset, 128);
        assert_eq!(got.dtype, f4());
    }

    #[test]
    fn read_errors_are_numpys() {
        let e = |b: &[u8]| read_header(&mut Mem(b.to_vec())).unwrap_err();
        assert_eq!(
            e(b"hello world"),
            "ValueError: the magic string is not correct; expected b'\\x93NUMPY', got b'hello '"
        );
        assert_eq!(
            e(b"\x93NUMPY\x01"),
            "ValueError: EOF: reading magic string, expected 8 bytes got 7"
        );
        assert_eq!(
            e(b"\x93NUMPY\x04\x00"),
            "ValueError: we only support format version (1,0), (2,0), and (3,0), not (4, 0)"
        );
        assert_eq!(
            e(b"\x93NUMPY\x01\x00\x10\x00{"),
            "ValueError: EOF: reading array header, expected 16 bytes got 1"
        );
    }

    #[test]
    fn literal_reprs() {
        let p = |s: &str| Literal::parse(s).map(|l| l.repr());
        assert_eq!(p("(3,)").as_deref(), Some("(3,)"));
        assert_eq!(p("[1, 2]").as_deref(), Some("[1, 2]"));
        assert_eq!(p("(3)").as_deref(), Some("3"));
        assert_eq!(p("{'a': (), }").as_deref(), Some("{'a': ()}"));
        assert_eq!(p("{'a' 'b'"), None);
        assert_eq!(p("1.5"), None);
    }
}

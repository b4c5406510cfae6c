//! Python spellings: string reprs and literals, tuples, byte strings as hex (one grammar both ways),
//! list literals, and OSError messages as Python prints them.

use std::fmt::Display;

/// A Python string literal for `s` (single-quoted, like `repr`). Every character that could end
/// the literal or the line (CR, LF, VT, FF, NUL, U+0085, U+2028, U+2029, …) or reorder the text on
/// screen (bidi controls) is written as an escape, so a lesson string can never become code.
pub(crate) fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if crate::term_safe::is_unsafe(c) => out.push_str(&crate::term_safe::escaped(c)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Lesson text made safe to follow a `#`: nothing in it can end the comment (Python ends one at
/// LF or a bare CR) or hide what follows from `cat`. Line feeds become spaces, every other
/// control or separator character a visible escape such as `\r`.
pub(crate) fn py_comment(s: &str) -> String {
    crate::term_safe::cleaned(&s.replace('\n', " "))
}

/// Python's repr of a str (enough for file names): single quotes unless the text holds one.
pub(crate) fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// An OSError as Python shows it: `FileNotFoundError: [Errno 2] No such file or directory: 'x'`.
pub(crate) fn os_error(err: &std::io::Error, file: Option<&str>) -> String {
    let errno = err.raw_os_error().unwrap_or(0);
    let class = match errno {
        libc::ENOENT => "FileNotFoundError",
        libc::EISDIR => "IsADirectoryError",
        libc::ENOTDIR => "NotADirectoryError",
        libc::EACCES | libc::EPERM => "PermissionError",
        libc::EEXIST => "FileExistsError",
        _ => "OSError",
    };
    let text = err.to_string();
    // Rust appends " (os error N)"; Python shows only strerror.
    let msg = match text.rfind(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    match file {
        Some(f) => format!("{class}: [Errno {errno}] {msg}: {}", py_repr(f)),
        None => format!("{class}: [Errno {errno}] {msg}"),
    }
}

/// Python's tuple repr: `()`, `(9,)`, `(3, 3)`.
pub(crate) fn tuple<T: Display>(items: &[T]) -> String {
    tuple_sep(items, ", ")
}

/// NumPy's compact tuple in broadcast messages: `()`, `(3,)`, `(2,3)`.
pub(crate) fn compact_tuple<T: Display>(items: &[T]) -> String {
    tuple_sep(items, ",")
}

fn tuple_sep<T: Display>(items: &[T], sep: &str) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            items
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(sep)
        ),
    }
}

/// A list of plain words as a Python list literal: `['r', 'c']` (the words hold no quotes).
pub(crate) fn word_list(items: &[&str]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Bytes as lowercase hex without separators, as Python's `bytes.hex()` prints them: `0000c642`.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes as lowercase hex, space separated, as `bytes.hex(' ')` and `xxd` print them: `00 00 c6 42`.
pub(crate) fn hex_spaced(data: &[u8]) -> String {
    data.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a text is not hex bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// No digits at all.
    Empty,
    /// A character that is neither a hex digit nor a separator.
    NotHexDigit(char),
    /// An odd number of digits (each byte takes two).
    OddDigits(usize),
}

/// Hex bytes in the one grammar lessons use everywhere: `"00 00 c6 42"`, `"0000c642"`, `"0x0000c642"`,
/// `"00:00:c6:42"`; separators are whitespace, `:`, `_` and `,`; an optional `0x` prefix.
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let digits: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, ':' | '_' | ',')))
        .collect();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(&digits);
    if digits.is_empty() {
        return Err(HexError::Empty);
    }
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(HexError::NotHexDigit(c));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddDigits(digits.len()));
    }
    Ok(digits
        .as_bytes()
        .chunks(2)
        .map(|c| {
            let hi = (c[0] as char).to_digit(16).unwrap_or(0);
            let lo = (c[1] as char).to_digit(16).unwrap_or(0);
            (hi * 16 + lo) as u8
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples() {
        assert_eq!(tuple(&[3, 3]), "(3, 3)");
        assert_eq!(tuple(&[9]), "(9,)");
        assert_eq!(tuple::<u8>(&[]), "()");
        assert_eq!(compact_tuple(&[2, 3]), "(2,3)");
        assert_eq!(word_list(&["r", "c"]), "['r', 'c']");
    }

    #[test]
    fn hex_round_trips_in_every_spelling() {
        for text in [
            "00 00 c6 42",
            "0000C642",
            "0x0000c642",
            "00:00:c6:42",
            " 00_00,c6 42 ",
        ] {
            assert_eq!(parse_hex(text), Ok(vec![0, 0, 0xc6, 0x42]), "{text}");
        }
        assert_eq!(hex(&[0, 0xab]), "00ab");
        assert_eq!(hex_spaced(&[0, 0xab]), "00 ab");
        assert_eq!(parse_hex(""), Err(HexError::Empty));
        assert_eq!(parse_hex("0x"), Err(HexError::Empty));
        assert_eq!(parse_hex("abc"), Err(HexError::OddDigits(3)));
        assert_eq!(parse_hex("zz"), Err(HexError::NotHexDigit('z')));
    }
}

//! The one sanitiser for lesson-supplied text bound for a terminal or a Markdown file.
//!
//! A lesson is untrusted: its titles, notes, choices, code, file names and the keys that error
//! messages echo may hold escape sequences (clear the screen, OSC 52 clipboard writes, OSC 8
//! links), NUL, CR or bidirectional overrides. Every such character is shown as a visible escape
//! (`\x1b`, `\r`, `\u202e`) and never emitted. Line feeds stay: lessons use them on purpose.
//! JSON output does not go through here (serde_json escapes exactly and must stay exact).

use std::borrow::Cow;

/// True for characters that must never reach a terminal raw: C0 and C1 controls (except LF),
/// DEL, the Unicode line/paragraph separators, bidirectional embedding/override/isolate
/// controls and the byte-order mark.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// The visible spelling of an unsafe character: `\t`, `\r`, `\x1b`, `\u202e`.
pub fn escaped(c: char) -> String {
    match c {
        '\t' => "\\t".to_string(),
        '\r' => "\\r".to_string(),
        c if (c as u32) <= 0xff => format!("\\x{:02x}", c as u32),
        c => format!("\\u{:04x}", c as u32),
    }
}

/// `s` with every unsafe character replaced by its visible escape; borrowed when already safe.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as one line: like [`clean`], and a line feed is shown as `\n` too. For text that must stay
/// on its line: an error message that echoes a lesson's key or value, so a lesson cannot start a
/// line of its own (a forged `file:line:column: …` or `ok: …`) in the tutor's output.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\n' || is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\n' {
            out.push_str("\\n");
        } else if is_unsafe(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`] into an owned string.
pub fn cleaned(s: &str) -> String {
    clean(s).into_owned()
}

/// At most `max` characters of `s`, with a note of how many were left out: bounds the work
/// of wrapping and table layout (both grow faster than linearly in a cell's length).
pub fn bounded(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let left = s[cut..].chars().count();
            Cow::Owned(format!("{}… ({left} more characters)", &s[..cut]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_emitted() {
        assert_eq!(clean("plain\ntext"), "plain\ntext");
        assert_eq!(clean("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(clean("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
        assert_eq!(clean("x\ry\0z\t"), "x\\ry\\x00z\\t");
        assert_eq!(clean("\u{9b}31m"), "\\x9b31m");
        assert_eq!(clean("a\u{202e}b\u{2028}"), "a\\u202eb\\u2028");
        assert_eq!(clean("\x7f"), "\\x7f");
        assert!(matches!(clean("héllo ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_char_is_either_kept_or_escaped_to_printable_ascii() {
        for cp in (0u32..0x3000).chain(0xfe00..0x10000) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let s = cleaned(&c.to_string());
            assert!(!s.chars().any(is_unsafe), "{cp:#x} -> {s:?}");
        }
    }

    #[test]
    fn one_line_shows_line_feeds_too() {
        assert_eq!(
            one_line("key `a\nb:1:1: forged`"),
            "key `a\\nb:1:1: forged`"
        );
        assert_eq!(one_line("x\r\x1b"), "x\\r\\x1b");
        assert!(matches!(one_line("plain ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn bounded_cuts_long_text_and_says_so() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcdef", 3), "abc… (3 more characters)");
    }
}

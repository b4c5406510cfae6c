//! A tiny Python-like tokenizer shared by the index and value parsers; columns are 0-based characters.

use super::ParseError;

/// Longest expression text the parsers accept; lessons are hand-written, and this bounds work on hostile input.
pub(crate) const MAX_TEXT: usize = 10_000;

/// One token and the 0-based character column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Tok,
    pub col: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An integer literal as written (underscores removed, no sign).
    Int(String),
    /// A float literal as written (underscores removed, no sign).
    Float(String),
    /// An imaginary literal (`2j`, `1.5e3J`): the number before the `j`, as written.
    Imag(String),
    /// A Python identifier.
    Ident(String),
    /// A quoted string, unescaped.
    Str(String),
    /// `...`
    Ellipsis,
    /// One of `( ) [ ] , : . + - * / =`.
    Punct(char),
    /// End of input.
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Int(s) | Tok::Float(s) => format!("`{s}`"),
            Tok::Imag(s) => format!("`{s}j`"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("the string '{s}'"),
            Tok::Ellipsis => "`...`".to_string(),
            Tok::Punct(c) => format!("`{c}`"),
            Tok::End => "the end of the text".to_string(),
        }
    }
}

fn err(col: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        column: col,
        message: message.into(),
    }
}

/// True for characters that may start a Python identifier (ASCII subset, which is all lessons need).
pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// True when `s` is a valid Python identifier and not a keyword (ASCII only).
pub(crate) fn is_identifier(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
    ];
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_ident_start(c) => {}
        _ => return false,
    }
    chars.all(is_ident_char) && !KEYWORDS.contains(&s)
}

/// Split `text` into tokens, ending with `Tok::End`.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_TEXT {
        return Err(err(
            MAX_TEXT,
            format!("expression is too long (over {MAX_TEXT} characters)"),
        ));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let (tok, next) = number(&chars, i)?;
            out.push(Token {
                kind: tok,
                col: start,
            });
            i = next;
            continue;
        }
        if is_ident_start(c) {
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            out.push(Token {
                kind: Tok::Ident(chars[start..i].iter().collect()),
                col: start,
            });
            continue;
        }
        if c == '\'' || c == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "unterminated string")),
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(&e) => s.push(e),
                            None => return Err(err(start, "unterminated string")),
                        }
                        i += 2;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token {
                kind: Tok::Str(s),
                col: start,
            });
            continue;
        }
        if c == '.' && chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
            out.push(Token {
                kind: Tok::Ellipsis,
                col: start,
            });
            i += 3;
            continue;
        }
        if "()[],:.+-*/=".contains(c) {
            // `**` and `//` are Python operators the subset does not have; say so rather than misparse.
            if (c == '*' || c == '/') && chars.get(i + 1) == Some(&c) {
                return Err(err(
                    start,
                    format!("operator `{c}{c}` is not supported (use + - * /)"),
                ));
            }
            out.push(Token {
                kind: Tok::Punct(c),
                col: start,
            });
            i += 1;
            continue;
        }
        return Err(err(
            start,
            format!("unexpected character `{}`", c.escape_debug()),
        ));
    }
    out.push(Token {
        kind: Tok::End,
        col: chars.len(),
    });
    Ok(out)
}

/// Python's message for a malformed number literal (the lesson is refused, as Python's compiler
/// refuses the script).
const BAD_DECIMAL: &str = "SyntaxError: invalid decimal literal";

/// Digits of `radix` with Python's `_` separators (one `_` between digits, or right after a
/// `0x`/`0o`/`0b` prefix); `None` when an underscore is misplaced. Stops at the first other char.
fn digit_run(chars: &[char], i: &mut usize, radix: u32, after_prefix: bool) -> Option<String> {
    let mut s = String::new();
    let mut prev_underscore = false;
    let mut first = true;
    while let Some(&c) = chars.get(*i) {
        if c == '_' {
            if prev_underscore || (first && !after_prefix) {
                return None;
            }
            prev_underscore = true;
        } else if c.is_digit(radix) {
            s.push(c);
            prev_underscore = false;
        } else {
            break;
        }
        first = false;
        *i += 1;
    }
    if prev_underscore {
        return None;
    }
    Some(s)
}

/// Lex a number starting at `i` as Python's tokenizer does: decimal digits with `_` separators,
/// optional fraction and exponent; `0x`/`0o`/`0b` integers (kept with their prefix for
/// [`crate::numpy::pyint::parse_literal`]); Python's SyntaxError for a malformed one (leading
/// zeros in a decimal integer, a misplaced `_`, a digit outside the radix).
fn number(chars: &[char], mut i: usize) -> Result<(Tok, usize), ParseError> {
    let start = i;
    let prefix = match (chars.get(i), chars.get(i + 1)) {
        (Some('0'), Some(&p)) if "xXoObB".contains(p) => Some(p.to_ascii_lowercase()),
        _ => None,
    };
    if let Some(p) = prefix {
        let (radix, name) = match p {
            'x' => (16, "hexadecimal"),
            'o' => (8, "octal"),
            _ => (2, "binary"),
        };
        i += 2;
        let body = digit_run(chars, &mut i, radix, true);
        let bad = || err(start, format!("SyntaxError: invalid {name} literal"));
        let body = body.ok_or_else(bad)?;
        if body.is_empty() {
            return Err(bad());
        }
        if let Some(&c) = chars.get(i) {
            if c.is_ascii_digit() {
                return Err(err(
                    i,
                    format!("SyntaxError: invalid digit '{c}' in {name} literal"),
                ));
            }
            if is_ident_char(c) || c == '.' {
                return Err(bad());
            }
        }
        return Ok((Tok::Int(format!("0{p}{body}")), i));
    }
    let mut s = digit_run(chars, &mut i, 10, false).ok_or_else(|| err(start, BAD_DECIMAL))?;
    let mut is_float = false;
    // A `.` followed by another `.` is the start of `...`, not a fraction.
    if chars.get(i) == Some(&'.') && chars.get(i + 1) != Some(&'.') {
        is_float = true;
        s.push('.');
        i += 1;
        if chars.get(i) == Some(&'_') {
            return Err(err(start, BAD_DECIMAL));
        }
        let frac = digit_run(chars, &mut i, 10, false).ok_or_else(|| err(start, BAD_DECIMAL))?;
        s.push_str(&frac);
    }
    if matches!(chars.get(i), Some('e') | Some('E')) {
        let mut j = i + 1;
        let mut exp = String::from("e");
        if let Some(&sign @ ('+' | '-')) = chars.get(j) {
            exp.push(sign);
            j += 1;
        }
        if chars.get(j).is_some_and(|d| d.is_ascii_digit()) {
            let mut k = j;
            let e = digit_run(chars, &mut k, 10, false).ok_or_else(|| err(start, BAD_DECIMAL))?;
            exp.push_str(&e);
            s.push_str(&exp);
            is_float = true;
            i = k;
        } else {
            return Err(err(start, BAD_DECIMAL));
        }
    }
    // Python's imaginary literal: a number followed by `j` or `J` (`2j`, `1.5e-3J`).
    if matches!(chars.get(i), Some('j') | Some('J'))
        && !chars.get(i + 1).is_some_and(|&c| is_ident_char(c))
    {
        return Ok((Tok::Imag(s), i + 1));
    }
    if chars.get(i).is_some_and(|&c| is_ident_char(c)) {
        return Err(err(
            start,
            format!(
                "invalid number `{}`",
                chars[start..=i].iter().collect::<String>()
            ),
        ));
    }
    // `007` is Python's SyntaxError (`00` and `0_0` are zero).
    if !is_float && s.len() > 1 && s.starts_with('0') && s.bytes().any(|b| b != b'0') {
        return Err(err(
            start,
            "SyntaxError: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
        ));
    }
    Ok((if is_float { Tok::Float(s) } else { Tok::Int(s) }, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = tokenize("arr[1.5e-3, ..., 'f4']").unwrap();
        let kinds: Vec<Tok> = t.into_iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Ident("arr".into()),
                Tok::Punct('['),
                Tok::Float("1.5e-3".into()),
                Tok::Punct(','),
                Tok::Ellipsis,
                Tok::Punct(','),
                Tok::Str("f4".into()),
                Tok::Punct(']'),
                Tok::End
            ]
        );
        assert!(tokenize("1x").is_err());
        assert!(tokenize("'abc").is_err());
        assert!(tokenize("2 ** 3").is_err());
        // Python's literal forms: radix prefixes, separators; its SyntaxErrors.
        let one = |t: &str| tokenize(t).map(|v| v[0].kind.clone());
        assert_eq!(one("0x1_F"), Ok(Tok::Int("0x1F".into())));
        assert_eq!(one("0B11"), Ok(Tok::Int("0b11".into())));
        assert_eq!(one("0o_7"), Ok(Tok::Int("0o7".into())));
        assert_eq!(one("1_000.5e1_0"), Ok(Tok::Float("1000.5e10".into())));
        assert_eq!(one("0_0"), Ok(Tok::Int("00".into())));
        assert_eq!(one("07.5"), Ok(Tok::Float("07.5".into())));
        for bad in [
            "007", "1__0", "1_", "1_.5", "1._5", "1.5_", "0x", "0x_", "0b12", "0o8", "1e", "0x1.5",
        ] {
            let e = tokenize(bad).unwrap_err();
            assert!(e.message.starts_with("SyntaxError"), "{bad}: {}", e.message);
        }
        assert!(is_identifier("arr_2"));
        assert!(!is_identifier("2arr"));
        assert!(!is_identifier("del"));
    }
}

//! Readers of single step fields (mode, dtype, byte counts, hex, shapes, paths): each turns the YAML as
//! written into a typed value or a teacher-facing message.

use std::path::{Component, Path};

use super::{StepInput, MAX_EXTERNAL_BYTES};
use crate::expr::index::IndexExpr;
use crate::expr::suggest::{did_you_mean, DTYPE_NAMES};
use crate::lesson::model::Yaml;
use crate::lesson::{LessonError, Mode};
use crate::numpy::dtype::{DType, Scalar};

/// `mode:` as NumPy spells it (`r+`, `readwrite`, …). A mode NumPy rejects is its ValueError at run
/// time (the step records it, the lesson goes on): the placeholder `r` touches nothing and the text
/// is kept for the error.
pub(super) fn parse_mode(mode_text: &str) -> (Mode, Option<String>) {
    match Mode::parse(mode_text) {
        Some(m) => (m, None),
        None => (Mode::ReadOnly, Some(mode_text.to_string())),
    }
}

/// `dtype:` as NumPy spells it, with a did-you-mean.
pub(super) fn parse_dtype(s: &StepInput, dtype_text: &str) -> Result<DType, LessonError> {
    DType::parse(dtype_text).map_err(|e| {
        s.err(
            "dtype",
            format!(
                "{e}{}",
                did_you_mean(dtype_text, DTYPE_NAMES.iter().copied())
            ),
        )
    })
}

/// A non-negative whole number of bytes (None when the field is absent).
pub(super) fn uint_field(
    s: &StepInput,
    field: &str,
    y: Option<&Yaml>,
) -> Result<Option<u64>, LessonError> {
    match y {
        None | Some(Yaml::Null) => Ok(None),
        Some(Yaml::Number(num)) => match (num.as_u64(), num.as_i64()) {
            (Some(v), _) => Ok(Some(v)),
            (None, Some(v)) => Err(s.err(
                field,
                format!("{field} must be a non-negative number of bytes (got {v})"),
            )),
            _ => Err(s.err(
                field,
                format!("{field} must be a whole number of bytes (got {num})"),
            )),
        },
        Some(other) => Err(s.err(
            field,
            format!(
                "{field} must be a whole number of bytes, found {}",
                describe(other)
            ),
        )),
    }
}

/// The bytes of an `external_write` (hex in the grammar of [`crate::python::parse_hex`]), at most
/// [`MAX_EXTERNAL_BYTES`].
pub(super) fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    use crate::python::HexError;
    let bytes = crate::python::parse_hex(text).map_err(|e| match e {
        HexError::Empty => "no bytes given: write hex digits such as \"00 00 c6 42\"".to_string(),
        HexError::NotHexDigit(c) => {
            format!("`{c}` is not a hex digit; write bytes as hex such as \"00 00 c6 42\"")
        }
        HexError::OddDigits(n) => format!("an odd number of hex digits ({n}); each byte takes two"),
    })?;
    if bytes.len() > MAX_EXTERNAL_BYTES as usize {
        return Err(format!("at most {MAX_EXTERNAL_BYTES} bytes"));
    }
    Ok(bytes)
}

/// An `external_write` value: a number, a boolean, or a flat list of them.
pub(super) fn scalars_of(y: &Yaml) -> Result<Vec<Scalar>, String> {
    let one = |y: &Yaml| -> Result<Scalar, String> {
        match y {
            Yaml::Bool(b) => Ok(Scalar::Bool(*b)),
            Yaml::Number(num) => {
                if let Some(i) = num.as_i64() {
                    Ok(Scalar::Int(i))
                } else if let Some(u) = num.as_u64() {
                    Ok(Scalar::UInt(u))
                } else {
                    Ok(Scalar::Float(num.as_f64().unwrap_or(f64::NAN)))
                }
            }
            other => Err(format!(
                "an `external_write` value is a number, a boolean or a flat list of them, found {}",
                describe(other)
            )),
        }
    };
    match y {
        Yaml::Sequence(items) => {
            if items.len() > MAX_EXTERNAL_BYTES as usize {
                return Err(format!("at most {MAX_EXTERNAL_BYTES} values"));
            }
            items.iter().map(one).collect()
        }
        other => Ok(vec![one(other)?]),
    }
}

/// A lesson's file must stay inside the work directory: relative, no `..`, naming a file.
pub(crate) fn check_path(file: &str) -> Result<(), String> {
    if file.trim().is_empty() {
        return Err("the file name is empty".to_string());
    }
    if file.contains('\0') {
        return Err("the file name contains a NUL byte".to_string());
    }
    let path = Path::new(file);
    if path.is_absolute() || file.starts_with('~') {
        return Err(format!(
            "`{file}` is an absolute path; lessons may only name files inside their work directory \
             (write a relative name such as `large_data.dat`)"
        ));
    }
    for c in path.components() {
        match c {
            Component::ParentDir => {
                return Err(format!(
                "`{file}` contains `..`; lessons may only name files inside their work directory"
            ))
            }
            Component::Normal(_) | Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("`{file}` is not a relative path"))
            }
        }
    }
    if file.ends_with('/') || !path.components().any(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("`{file}` names a directory, not a file"));
    }
    Ok(())
}

/// `shape:` as an int, a list of ints, or a Python tuple written as text (`(3, 3)`).
pub(super) fn shape_of(y: &Yaml) -> Result<Vec<i64>, String> {
    let dim = |y: &Yaml| -> Result<i64, String> {
        match y {
            Yaml::Number(num) => match num.as_i64() {
                Some(d) => Ok(d),
                None if num.is_f64() => Err(format!(
                    "dimension {num} is not an integer ('float' object cannot be interpreted as an integer)"
                )),
                None => Err(format!("dimension {num} does not fit in a 64-bit integer")),
            },
            other => Err(format!(
                "each dimension must be an integer, found {}",
                describe(other)
            )),
        }
    };
    match y {
        Yaml::Number(num) if num.is_f64() => Err(
            "shape must be an integer or a list of integers ('float' object is not iterable)"
                .to_string(),
        ),
        Yaml::Number(_) => Ok(vec![dim(y)?]),
        Yaml::Sequence(items) => items.iter().map(dim).collect(),
        Yaml::String(s) => shape_text(s),
        other => Err(format!(
            "shape must be an integer or a list of integers such as [3, 3], found {}",
            describe(other)
        )),
    }
}

/// `(3, 3)`, `3, 3`, `(9,)`, `9`, `()`: how teachers may write a tuple in YAML.
fn shape_text(s: &str) -> Result<Vec<i64>, String> {
    let t = s.trim();
    let inner = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| t.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
        .unwrap_or(t);
    let mut dims = Vec::new();
    for (i, part) in inner.split(',').enumerate() {
        let p = part.trim();
        if p.is_empty() {
            // A trailing comma (`(9,)`) or the empty tuple is fine; an empty middle item is not.
            if i == 0 && inner.trim().is_empty() || i > 0 {
                continue;
            }
        }
        match p.parse::<i64>() {
            Ok(d) => dims.push(d),
            Err(_) => {
                return Err(format!(
                    "shape `{s}` is not an integer or a tuple of integers such as (3, 3)"
                ))
            }
        }
    }
    Ok(dims)
}

/// How a YAML value of the wrong kind is named in a message.
pub(super) fn describe(y: &Yaml) -> &'static str {
    match y {
        Yaml::Null => "nothing",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a mapping",
        Yaml::Tagged(_) => "a tagged value",
    }
}

/// The array's element count and byte size must be addressable; negative dims are NumPy's run-time error.
pub(super) fn check_size(dims: &[i64], itemsize: usize, offset: i64) -> Result<(), String> {
    if dims.iter().any(|&d| d < 0) {
        return Ok(());
    }
    let shape = crate::python::tuple(dims);
    let mut count: usize = 1;
    for &d in dims {
        count = usize::try_from(d)
            .ok()
            .and_then(|d| count.checked_mul(d))
            .ok_or_else(|| {
                format!("shape {shape} has too many elements: the product overflows a 64-bit size")
            })?;
    }
    count
        .checked_mul(itemsize)
        .and_then(|b| i64::try_from(b).ok())
        .and_then(|b| b.checked_add(offset.max(0)))
        .ok_or_else(|| {
            format!("shape {shape} needs more bytes than a file can hold (over 2^63 bytes)")
        })?;
    Ok(())
}

/// The start of an expression quoted in an error message: a 200 KB expression must not be
/// echoed whole (the column in the message points into the full text).
pub(super) fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// The resolved action names its variable separately; the index keeps only the brackets.
pub(super) fn strip_var(mut index: IndexExpr) -> IndexExpr {
    index.var = None;
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(check_path("large_data.dat").is_ok());
        assert!(check_path("sub/x.dat").is_ok());
        assert!(check_path("./x.dat").is_ok());
        assert!(check_path("/etc/passwd").is_err());
        assert!(check_path("../x").is_err());
        assert!(check_path("a/../../x").is_err());
        assert!(check_path("").is_err());
        assert!(check_path("dir/").is_err());
        assert!(check_path(".").is_err());
    }

    #[test]
    fn hex_bytes() {
        assert_eq!(parse_hex("00 00 c6 42").unwrap(), vec![0, 0, 0xc6, 0x42]);
        assert_eq!(parse_hex("0xFF01").unwrap(), vec![0xff, 1]);
        assert!(parse_hex("").is_err());
        assert!(parse_hex("abc").unwrap_err().contains("odd"));
        assert!(parse_hex("zz").unwrap_err().contains("not a hex digit"));
    }

    #[test]
    fn shapes() {
        let y = |s: &str| serde_yaml::from_str::<Yaml>(s).unwrap();
        assert_eq!(shape_of(&y("9")).unwrap(), vec![9]);
        assert_eq!(shape_of(&y("[3, 3]")).unwrap(), vec![3, 3]);
        assert_eq!(shape_of(&y("'(3, 3)'")).unwrap(), vec![3, 3]);
        assert_eq!(shape_of(&y("'(9,)'")).unwrap(), vec![9]);
        assert_eq!(shape_of(&y("'()'")).unwrap(), Vec::<i64>::new());
        assert!(shape_of(&y("2.5")).is_err());
        assert!(shape_of(&y("abc")).is_err());
        assert!(shape_of(&y("[3, x]")).is_err());
        assert!(check_size(&[1 << 40, 1 << 40], 4, 0).is_err());
        assert!(check_size(&[1 << 31, 1 << 31], 4, 0).is_err());
        assert!(check_size(&[3, 3], 4, 0).is_ok());
        assert!(check_size(&[-1, 1 << 62], 4, 0).is_ok());
    }
}

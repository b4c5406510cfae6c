//! A step's `expect:` block: what the lesson expects to measure after the step (checked by `verify`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::model::Op;

/// What a lesson expects to be true after one step. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Variable `array` and `file` refer to (default: the step's variable).
    #[serde(default)]
    pub var: Option<String>,
    /// NumPy's `str()` of the variable after the step (multi-line or the one-line table form).
    #[serde(default)]
    pub array: Option<Text>,
    /// The file as read(2) sees it, decoded with the array's dtype, shape and offset, printed like NumPy.
    #[serde(default)]
    pub file: Option<Text>,
    /// Hex of the first bytes of the array region in the file, e.g. `"00 00 80 3f"`.
    #[serde(default)]
    pub file_bytes: Option<Text>,
    /// Dirty pages of the file (cachestat).
    #[serde(default)]
    pub dirty: Option<Range>,
    /// Pages of the file in the page cache (cachestat).
    #[serde(default)]
    pub cached: Option<Range>,
    /// Pages of the file under writeback (cachestat).
    #[serde(default)]
    pub writeback: Option<Range>,
    /// Dirty pages of the file were written back during the step.
    #[serde(default)]
    pub disk_write: Option<bool>,
    /// Some bytes of the file have blocks on disk (FIEMAP).
    #[serde(default)]
    pub allocated: Option<bool>,
    /// Some bytes of the file are in delayed-allocation extents (FIEMAP).
    #[serde(default)]
    pub delalloc: Option<bool>,
    /// `true`: the step raised nothing; `false`: it raised something.
    #[serde(default)]
    pub ok: Option<bool>,
    /// A substring of the step's NumPy error; `null` means the step raised nothing.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub error: Option<Option<String>>,
    /// Pages of the mapping resident in memory (smaps Rss / page size).
    #[serde(default)]
    pub resident: Option<Range>,
    /// scan: the most pages of the file resident in this process after any chunk (smaps Rss of its mappings).
    #[serde(default)]
    pub peak_resident: Option<Range>,
    /// Page faults the step caused.
    #[serde(default)]
    pub faults: Option<FaultsExpect>,
    /// `str()` of the value a `read` step read.
    #[serde(default)]
    pub read: Option<Text>,
}

/// Expected page faults of a step, each a [`Range`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultsExpect {
    #[serde(default)]
    pub major: Option<Range>,
    #[serde(default)]
    pub minor: Option<Range>,
}

/// `error: null` must be told apart from no `error` key at all, so a present key is always `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Expected text (array or file contents, hex bytes). A custom visitor so that an unquoted
/// `[[0. 1.] [2. 3.]]` — a YAML list, not text — gets an error that says to quote it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "quoted text such as \"[[0. 1. 2.] [3. 4. 5.]]\" (a bare [...] is a YAML list: put it in quotes)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            // A scalar such as `5.0` is also what a teacher means for `read: 5.0`; keep it as written.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(format!("{v:?}")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(if v { "True" } else { "False" }.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Text as printed; quote a [...] so YAML does not read it as a list",
            "type": ["string", "number", "boolean"]
        })
    }
}

impl schemars::JsonSchema for Range {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Range".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A count (`1`) or a range such as `{min: 1}`, `{max: 0}`, `{min: 1, max: 3}`",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {
                    "type": "object",
                    "properties": {
                        "min": {"type": "integer", "minimum": 0},
                        "max": {"type": "integer", "minimum": 0}
                    },
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// An inclusive count range: `3` (exactly), `{min: 1}`, `{max: 0}`, `{min: 1, max: 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Range {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl Range {
    /// Exactly `n`.
    pub fn exactly(n: u64) -> Range {
        Range {
            min: Some(n),
            max: Some(n),
        }
    }

    /// Whether `v` lies in the range (bounds included).
    pub fn contains(&self, v: u64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

impl fmt::Display for Range {
    /// `3`, `>= 1`, `<= 0`, `1 to 3` — how a failure message states the expectation.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => write!(f, "{a}"),
            (Some(a), Some(b)) => write!(f, "{a} to {b}"),
            (Some(a), None) => write!(f, ">= {a}"),
            (None, Some(b)) => write!(f, "<= {b}"),
            (None, None) => write!(f, "any"),
        }
    }
}

const RANGE_KEYS: &[&str] = &["min", "max"];

impl<'de> Deserialize<'de> for Range {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Range, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Range;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a count (`1`) or a range such as `{min: 1}`, `{max: 0}` or `{min: 1, max: 3}`",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Range, E> {
                Ok(Range::exactly(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Range, E> {
                u64::try_from(v)
                    .map(Range::exactly)
                    .map_err(|_| E::custom(format!("a count cannot be negative (found {v})")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Range, A::Error> {
                let mut r = Range::default();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "min" => &mut r.min,
                        "max" => &mut r.max,
                        // serde's own wording, so the loader's did-you-mean rewording applies.
                        _ => return Err(de::Error::unknown_field(&key, RANGE_KEYS)),
                    };
                    if slot.is_some() {
                        return Err(de::Error::duplicate_field(if key == "min" {
                            "min"
                        } else {
                            "max"
                        }));
                    }
                    let v: i64 = map.next_value()?;
                    *slot = Some(u64::try_from(v).map_err(|_| {
                        de::Error::custom(format!("`{key}` cannot be negative (found {v})"))
                    })?);
                }
                match (r.min, r.max) {
                    (None, None) => Err(de::Error::custom(
                        "a range needs `min`, `max` or both, e.g. `{min: 1}`",
                    )),
                    (Some(a), Some(b)) if a > b => Err(de::Error::custom(format!(
                        "`min` ({a}) is greater than `max` ({b}): no count can match"
                    ))),
                    _ => Ok(r),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Semantic checks the types cannot express. Returns the offending field (`expect.read`) and why.
pub fn check(op: Op, expect_error: Option<&str>, e: &Expect) -> Result<(), (String, String)> {
    let bad = |field: &str, msg: String| Err((format!("expect.{field}"), msg));
    if e.read.is_some() && op != Op::Read && op != Op::Scan {
        return bad(
            "read",
            format!(
                "`read` expects the value a `read` (or `scan`) step read; this is a `{}` step",
                op.as_str()
            ),
        );
    }
    if e.peak_resident.is_some() && op != Op::Scan {
        return bad(
            "peak_resident",
            format!(
                "`peak_resident` is measured by a `scan` step; this is a `{}` step",
                op.as_str()
            ),
        );
    }
    if let Some(v) = &e.var {
        if !crate::expr::lex::is_identifier(v) {
            return bad("var", format!("`{v}` is not a valid Python variable name"));
        }
    }
    if let Some(Text(hex)) = &e.file_bytes {
        parse_hex(hex).map_err(|m| ("expect.file_bytes".to_string(), m))?;
    }
    match (&e.ok, &e.error) {
        (Some(true), Some(Some(sub))) => {
            return bad(
                "ok",
                format!("`ok: true` says the step raises nothing, but `error` expects `{sub}`"),
            )
        }
        (Some(false), Some(None)) => {
            return bad(
                "ok",
                "`ok: false` says the step raises, but `error: null` says it does not".to_string(),
            )
        }
        _ => {}
    }
    if let Some(Some(sub)) = &e.error {
        if sub.trim().is_empty() {
            return bad(
                "error",
                "give part of the expected message (e.g. `error: requires the file to exist`), \
                 or `error: null` for no error"
                    .to_string(),
            );
        }
    }
    // The step already says it will raise; expecting no error contradicts it.
    if let Some(want) = expect_error {
        if e.ok == Some(true) || e.error == Some(None) {
            return bad(
                if e.ok == Some(true) { "ok" } else { "error" },
                format!("the step's `expect_error` says it raises `{want}`; expecting no error contradicts it"),
            );
        }
    }
    Ok(())
}

/// Expected leading bytes of a file (hex in the grammar of [`crate::python::parse_hex`]).
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    use crate::python::HexError;
    crate::python::parse_hex(text).map_err(|e| match e {
        HexError::Empty => {
            "`file_bytes` is empty; give hex bytes such as \"00 00 80 3f\"".to_string()
        }
        HexError::NotHexDigit(c) => {
            format!("`{c}` is not a hex digit; give bytes such as \"00 00 80 3f\"")
        }
        HexError::OddDigits(n) => {
            format!("odd number of hex digits ({n}); each byte is two digits, e.g. \"0a\"")
        }
    })
}

/// NumPy's printed form with whitespace normalised: runs of spaces and newlines become one space,
/// and spaces just inside brackets go, so the multi-line `str()`, the one-line table form and a
/// hand-written `[0 1 10]` (NumPy pads to `[ 0  1 10]`) all compare equal.
pub fn normalise(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(joined.len());
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' && (out.ends_with('[') || chars.peek() == Some(&']')) {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(y: &str) -> Result<Range, String> {
        serde_yaml::from_str::<Range>(y).map_err(|e| e.to_string())
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(range("3").unwrap(), Range::exactly(3));
        assert_eq!(
            range("{min: 1}").unwrap(),
            Range {
                min: Some(1),
                max: None
            }
        );
        assert_eq!(
            range("{max: 0}").unwrap(),
            Range {
                min: None,
                max: Some(0)
            }
        );
        assert_eq!(
            range("{min: 1, max: 3}").unwrap(),
            Range {
                min: Some(1),
                max: Some(3)
            }
        );
        assert!(range("-1").unwrap_err().contains("negative"));
        assert!(range("{min: 3, max: 1}").unwrap_err().contains("greater"));
        assert!(range("{}").unwrap_err().contains("needs `min`"));
        assert!(range("{mn: 1}").unwrap_err().contains("unknown field `mn`"));
        assert!(range("{min: 1, min: 2}").is_err());
        assert!(range("1.5").is_err());
        assert!(range("lots").is_err());
    }

    #[test]
    fn ranges_compare_and_print() {
        let r = range("{min: 1, max: 3}").unwrap();
        assert!(!r.contains(0) && r.contains(1) && r.contains(3) && !r.contains(4));
        assert!(range("{max: 0}").unwrap().contains(0));
        assert!(!range("{max: 0}").unwrap().contains(1));
        assert!(range("{min: 1}").unwrap().contains(u64::MAX));
        assert_eq!(Range::exactly(2).to_string(), "2");
        assert_eq!(r.to_string(), "1 to 3");
        assert_eq!(range("{min: 1}").unwrap().to_string(), ">= 1");
        assert_eq!(range("{max: 0}").unwrap().to_string(), "<= 0");
    }

    #[test]
    fn text_normalisation() {
        let multi = "[[0. 1. 2.]\n [3. 4. 5.]\n [6. 7. 8.]]";
        assert_eq!(
            normalise(multi),
            normalise("[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]")
        );
        assert_eq!(normalise(multi), "[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]");
        assert_eq!(normalise("[ 0  1 10]"), "[0 1 10]");
        assert_eq!(normalise("  5.0 \n"), "5.0");
        assert_ne!(normalise("[0. 1.]"), normalise("[0. 2.]"));
        assert_eq!(normalise("[[[1]]\n\n [[2]]]"), "[[[1]] [[2]]]");
    }

    #[test]
    fn hex_parsing() {
        assert_eq!(parse_hex("00 00 80 3f").unwrap(), vec![0, 0, 0x80, 0x3f]);
        assert_eq!(parse_hex("0000803F").unwrap(), vec![0, 0, 0x80, 0x3f]);
        assert_eq!(parse_hex("0x0a:0b").unwrap(), vec![10, 11]);
        assert!(parse_hex("0").is_err());
        assert!(parse_hex("zz").is_err());
        assert!(parse_hex("").is_err());
    }

    #[test]
    fn expect_blocks() {
        let e: Expect = serde_yaml::from_str("{dirty: {min: 1}, error: null, read: 5.0}").unwrap();
        assert_eq!(e.error, Some(None));
        assert_eq!(e.read, Some(Text("5.0".into())));
        let e: Expect = serde_yaml::from_str("{disk_write: true}").unwrap();
        assert_eq!(e.error, None);
        let bad = serde_yaml::from_str::<Expect>("{dirtty: 1}").unwrap_err();
        assert!(bad.to_string().contains("unknown field `dirtty`"));
        let list = serde_yaml::from_str::<Expect>("{array: [[0, 1]]}").unwrap_err();
        assert!(list.to_string().contains("put it in quotes"), "{list}");
    }

    #[test]
    fn semantic_checks() {
        let e = |y: &str| serde_yaml::from_str::<Expect>(y).unwrap();
        assert!(check(Op::Read, None, &e("{read: '5.0'}")).is_ok());
        assert_eq!(
            check(Op::Assign, None, &e("{read: '5.0'}")).unwrap_err().0,
            "expect.read"
        );
        assert!(check(Op::Open, None, &e("{ok: true, error: x}")).is_err());
        assert!(check(Op::Open, None, &e("{error: ''}")).is_err());
        assert!(check(Op::Open, None, &e("{file_bytes: 'g0'}")).is_err());
        assert!(check(Op::Open, Some("shape"), &e("{ok: true}")).is_err());
        assert!(check(Op::Open, Some("shape"), &e("{error: shape}")).is_ok());
    }
}

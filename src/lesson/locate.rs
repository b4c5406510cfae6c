//! Where a meaning error is written: the line and column of the key a step, key moment, quiz question or claim
//! error is about, found by the YAML parser itself (so flow style, comments and anchors need no special case).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_yaml::Value;

use super::LessonError;

/// The message the walk stops with at the key it looks for; the parser gives that error its location.
const FOUND: &str = "\u{0}memmap-tutor: found";

/// Line and column (1-based) of what `e` is about in `yaml`; None for errors that carry their own location or
/// name no part of the text.
pub(crate) fn position(yaml: &str, e: &LessonError) -> Option<(usize, usize)> {
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    match e {
        LessonError::Step { step, field, .. } => {
            let field = first_word(field);
            entry_key(yaml, "steps", step.checked_sub(1)?, Some(field))
                .or_else(|| entry_key(yaml, "steps", step - 1, None))
        }
        LessonError::Other { location, .. } => {
            for (name, list) in [
                ("key moment ", "key_moments"),
                ("quiz question ", "quiz"),
                ("claim ", "claims"),
            ] {
                let Some(rest) = location.strip_prefix(name) else {
                    continue;
                };
                let (number, rest) = rest.split_once(", ").unwrap_or((rest, ""));
                let index = number.parse::<usize>().ok()?.checked_sub(1)?;
                // `field `answer``, `derive 2, field `x`` (the `derive` key), `compare 1, …`.
                let key = rest
                    .strip_prefix("field `")
                    .and_then(|f| f.split('`').next())
                    .or_else(|| rest.split([' ', ',']).next())
                    .filter(|k| !k.is_empty());
                return key
                    .and_then(|k| entry_key(yaml, list, index, Some(k)))
                    .or_else(|| entry_key(yaml, list, index, None));
            }
            top_key(yaml, first_word(location))
        }
        _ => None,
    }
}

/// `timeout` of `timeout`, `expect` of `expect.dirty` or `expect, dirty`.
fn first_word(field: &str) -> &str {
    field.split(['.', '[', ',', ' ']).next().unwrap_or(field)
}

/// The position of `key` (the entry's first key when None) in entry `index` of the top-level list `list`.
fn entry_key(yaml: &str, list: &str, index: usize, key: Option<&str>) -> Option<(usize, usize)> {
    stop_at(
        yaml,
        Root {
            list,
            target: Target::Entry { index, key },
        },
    )
}

/// The position of a top-level key.
fn top_key(yaml: &str, key: &str) -> Option<(usize, usize)> {
    stop_at(
        yaml,
        Root {
            list: key,
            target: Target::TopKey,
        },
    )
}

fn stop_at(yaml: &str, root: Root) -> Option<(usize, usize)> {
    let e = root
        .deserialize(serde_yaml::Deserializer::from_str(yaml))
        .err()?;
    if !e.to_string().contains(FOUND) {
        return None;
    }
    e.location().map(|l| (l.line(), l.column()))
}

#[derive(Clone, Copy)]
enum Target<'a> {
    TopKey,
    Entry { index: usize, key: Option<&'a str> },
}

struct Root<'a> {
    list: &'a str,
    target: Target<'a>,
}

fn is_key(k: &Value, name: &str) -> bool {
    k.as_str() == Some(name)
}

/// Reads a mapping key and fails with [`FOUND`] when it is the wanted one (any key for None): failing while the
/// key itself is read gives the error the key's line and column (after it, the parser has the mapping's).
struct StopAtKey<'a>(Option<&'a str>);

impl<'de> DeserializeSeed<'de> for StopAtKey<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StopAtKey<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if self.0.is_none_or(|want| want == v) {
            Err(E::custom(FOUND))
        } else {
            Ok(())
        }
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_str("")
    }
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lesson")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Target::TopKey = self.target {
            while map.next_key_seed(StopAtKey(Some(self.list)))?.is_some() {
                map.next_value::<IgnoredAny>()?;
            }
            return Ok(());
        }
        while let Some(k) = map.next_key::<Value>()? {
            if let (true, Target::Entry { index, key }) = (is_key(&k, self.list), self.target) {
                return map.next_value_seed(List { index, key });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

struct List<'a> {
    index: usize,
    key: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for List<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for List<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for _ in 0..self.index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Entry(self.key))?;
        Ok(())
    }
}

struct Entry<'a>(Option<&'a str>);

impl<'de> DeserializeSeed<'de> for Entry<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(StopAtKey(self.0))?.is_some() {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: usize, field: &str) -> LessonError {
        LessonError::Step {
            source_name: "l".into(),
            step: n,
            field: field.into(),
            message: String::new(),
        }
    }

    fn other(location: &str) -> LessonError {
        LessonError::Other {
            source_name: "l".into(),
            location: location.into(),
            message: String::new(),
        }
    }

    #[test]
    fn keys_are_found_where_they_are_written() {
        let yaml = "title: t\n# a comment\nsteps:\n  - op: open\n    file: a.dat\n  - {op: wait_writeback, timeout: 500}\n\
                    quiz:\n  - question: q\n    choices: [a]\n    answer: Z\n";
        assert_eq!(position(yaml, &step(1, "file")), Some((5, 5)));
        // Flow style: the parser knows where the key is.
        assert_eq!(position(yaml, &step(2, "timeout")), Some((6, 26)));
        // A field the step does not write: the step's first key.
        assert_eq!(position(yaml, &step(1, "expect.dirty")), Some((4, 5)));
        assert_eq!(
            position(yaml, &other("quiz question 1, field `answer`")),
            Some((10, 5))
        );
        assert_eq!(position(yaml, &other("title")), Some((1, 1)));
        // Nothing written there: no position rather than a wrong one.
        assert_eq!(position(yaml, &step(3, "var")), None);
        assert_eq!(position(yaml, &other("key moment 1, field `cites`")), None);
        assert_eq!(position("[1, 2]", &step(1, "var")), None);
    }
}

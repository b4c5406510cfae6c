//! The tolerant parse behind `check`: every structure error of a lesson (unknown key, wrong type), each at its
//! file:line:column, and the lesson put together from the parts that did parse, so its meaning can be checked too.
//!
//! serde stops at the first error, so the text is parsed again with each failed part skipped: a step, quiz
//! question, key moment, claim or `expect_lines` entry on its own, any other top-level key as a whole.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_yaml::{Mapping, Value};

use super::model::{Claim, KeyMoment, Lesson, LineExpect, Op, Question, Step};
use super::validate::BrokenStep;
use super::LessonError;

/// Most structure errors reported for one lesson: each one costs another parse of the text.
pub(crate) const MAX_ERRORS: usize = 50;

/// A part of the lesson that failed to parse and is skipped by the next parse.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Part {
    /// A whole top-level key.
    Key(String),
    /// One entry of a top-level list.
    Item(&'static str, usize),
}

/// What the tolerant parse found.
pub(crate) struct Tolerant {
    /// Structure errors, each located, in the order of the text.
    pub errors: Vec<LessonError>,
    /// The lesson from the parts that parsed (None when even that is impossible). A step that did not parse
    /// is there as a stand-in, so the others keep their numbers; `broken` lists those.
    pub lesson: Option<Lesson>,
    /// The steps that did not parse, for the meaning checks to skip.
    pub broken: Vec<BrokenStep>,
}

/// The lists, entry by entry, and the other top-level keys as values.
#[derive(Default)]
struct Parts {
    steps: Vec<Option<Step>>,
    quiz: Vec<Option<Question>>,
    key_moments: Vec<Option<KeyMoment>>,
    claims: Vec<Option<Claim>>,
    expect_lines: Vec<Option<LineExpect>>,
    rest: Mapping,
}

/// Parse `yaml` (known to be a mapping: `raw`) once per structure error, skipping the parts already reported.
pub(crate) fn parse(source: &str, yaml: &str, raw: &Value) -> Tolerant {
    let mut skip = HashSet::new();
    let mut errors = Vec::new();
    let parts = loop {
        let failed = RefCell::new(None);
        let pass = Pass {
            skip: &skip,
            failed: &failed,
        };
        match (&pass).deserialize(serde_yaml::Deserializer::from_str(yaml)) {
            Ok(parts) => break parts,
            Err(e) => {
                errors.push(super::located_error(source, yaml, Some(raw), &e));
                match failed.into_inner() {
                    Some(part) if errors.len() < MAX_ERRORS && !skip.contains(&part) => {
                        skip.insert(part);
                        continue;
                    }
                    _ => {
                        return Tolerant {
                            errors,
                            lesson: None,
                            broken: Vec::new(),
                        }
                    }
                }
            }
        }
    };
    let mut parts = parts;
    recover_steps(&mut parts.steps, raw);
    let broken = broken_steps(&parts.steps, raw);
    let lesson = assemble(source, yaml, parts, &mut errors);
    errors.sort_by_key(location);
    Tolerant {
        errors,
        lesson,
        broken,
    }
}

/// A step that failed only for keys its op does not take (already reported) is read without them, so the
/// meaning of the rest of it, and of the steps after it (an `open` binds their variable), is checked too.
fn recover_steps(steps: &mut [Option<Step>], raw: &Value) {
    for (i, step) in steps.iter_mut().enumerate().filter(|(_, s)| s.is_none()) {
        let Some(Value::Mapping(fields)) = raw.get("steps").and_then(|s| s.get(i)) else {
            continue;
        };
        let Some(op) = fields
            .get("op")
            .and_then(|op| serde_yaml::from_value::<Op>(op.clone()).ok())
        else {
            continue;
        };
        let keys = super::validate::step_keys(op);
        let known: Mapping = fields
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|k| keys.contains(&k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if known.len() < fields.len() {
            *step = serde_yaml::from_value::<Step>(Value::Mapping(known)).ok();
        }
    }
}

/// The steps that did not parse; one that is (or may be) an `open` or `reopen` binds a variable the later
/// steps depend on. An op name that is not one is taken for a misspelt binding op only when it is close to
/// one (`opne`), so a wrong name such as `frobnicate` does not stop the checks of the steps after it.
fn broken_steps(steps: &[Option<Step>], raw: &Value) -> Vec<BrokenStep> {
    const BINDING: [&str; 4] = ["open", "reopen", "load", "open_memmap"];
    let op_value = |i: usize| raw.get("steps")?.get(i)?.get("op").cloned();
    let binds = |i: usize| match op_value(i) {
        None => true,
        Some(v) => match serde_yaml::from_value::<Op>(v.clone()) {
            Ok(op) => matches!(op, Op::Open | Op::Reopen | Op::Load | Op::OpenMemmap),
            Err(_) => match v.as_str() {
                Some(name) => BINDING
                    .iter()
                    .any(|b| strsim::damerau_levenshtein(name, b) <= 2),
                None => true,
            },
        },
    };
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(index, _)| BrokenStep {
            index,
            binds: binds(index),
        })
        .collect()
}

/// Errors with a line and column in the order of the text, the others after them in their order.
pub(crate) fn sort_located(errors: &mut [LessonError]) {
    errors.sort_by_key(location);
}

/// `yaml` with the unquoted `[...]` value on line `line` (1-based) put in double quotes, so that a parse can
/// read past the syntax error it caused (`index: [:]` becomes `index: "[:]"`); None when that line holds no
/// such value (`key: [...]`, brackets balanced, an optional `# comment` after it).
pub(crate) fn quote_bare_flow(yaml: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = yaml.split('\n').collect();
    let text = lines.get(line.checked_sub(1)?)?;
    let (body, eol) = match text.strip_suffix('\r') {
        Some(b) => (b, "\r"),
        None => (*text, ""),
    };
    let (key, rest) = body.split_once(": ")?;
    let name = key.trim_start().trim_start_matches("- ").trim_start();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let value_start = rest.len() - rest.trim_start().len();
    let value_and_comment = rest.trim();
    // The value runs to its matching `]`; only a comment may follow it.
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in value_and_comment.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    end = Some(i + 1);
                    break;
                }
            }
            '"' | '\'' => return None,
            _ => {}
        }
        if i == 0 && c != '[' {
            return None;
        }
    }
    let end = end?;
    let (value, tail) = value_and_comment.split_at(end);
    if !(tail.is_empty()
        || tail.trim_start().starts_with('#') && tail.starts_with(char::is_whitespace))
    {
        return None;
    }
    let fixed = format!("{key}: {}\"{value}\"{tail}{eol}", &rest[..value_start]);
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[line - 1] = fixed;
    Some(out.join("\n"))
}

/// Where a structure error is, for sorting them in the order of the text.
fn location(e: &LessonError) -> (usize, usize) {
    match e {
        LessonError::Syntax { line, column, .. } => (*line, *column),
        _ => (usize::MAX, 0),
    }
}

/// The lesson from the top-level keys that parse; each key that does not is reported at its line and dropped.
fn assemble(
    source: &str,
    yaml: &str,
    mut parts: Parts,
    errors: &mut Vec<LessonError>,
) -> Option<Lesson> {
    let mut lesson = loop {
        let e = match serde_yaml::from_value::<Lesson>(Value::Mapping(parts.rest.clone())) {
            Ok(lesson) => break lesson,
            Err(e) => e,
        };
        let text = e.to_string();
        let key = failed_key(&text)?;
        let (line, column) = key_position(yaml, &key);
        let mut err = super::yaml_error(source, &e);
        if let LessonError::Syntax {
            line: l, column: c, ..
        } = &mut err
        {
            (*l, *c) = (line, column);
        }
        if errors.len() >= MAX_ERRORS || errors.contains(&err) {
            return None;
        }
        errors.push(err);
        let key_value = Value::String(key.clone());
        if parts.rest.remove(&key_value).is_none() {
            // A required key that is missing: a stand-in lets the rest of the lesson be checked.
            if key != "title" {
                return None;
            }
            parts.rest.insert(key_value, Value::String("?".to_string()));
        }
    };
    // A stand-in for each step that did not parse (the meaning checks skip it).
    let stand_in: Step = serde_yaml::from_str("op: flush").ok()?;
    lesson.steps = parts
        .steps
        .into_iter()
        .map(|s| s.unwrap_or_else(|| stand_in.clone()))
        .collect();
    lesson.quiz = parts.quiz.into_iter().flatten().collect();
    lesson.key_moments = parts.key_moments.into_iter().flatten().collect();
    lesson.claims = parts.claims.into_iter().flatten().collect();
    lesson.expect_lines = parts.expect_lines.into_iter().flatten().collect();
    Some(lesson)
}

/// The top-level key serde's message is about: `unknown field `x``, `missing field `x``, or the path `x.y: …`.
fn failed_key(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.strip_prefix(marker) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    let (path, _) = message.split_once(": ")?;
    let key = path.split(['.', '[']).next()?;
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

/// Line and column (1-based) of a top-level `key:` in the text; the start of the text when it is not written
/// there (a missing key, or a flow-style mapping).
fn key_position(yaml: &str, key: &str) -> (usize, usize) {
    for (i, line) in yaml.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        for quoted in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
            if let Some(after) = line.strip_prefix(quoted.as_str()) {
                if after.trim_start().starts_with(':') {
                    return (i + 1, 1);
                }
            }
        }
    }
    (1, 1)
}

/// One parse of the whole text; `failed` names the part being parsed when an error stops it.
struct Pass<'a> {
    skip: &'a HashSet<Part>,
    failed: &'a RefCell<Option<Part>>,
}

impl<'de> DeserializeSeed<'de> for &Pass<'_> {
    type Value = Parts;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Parts, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &Pass<'_> {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lesson mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        let mut parts = Parts::default();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<Value>()? {
            let name = key.as_str().unwrap_or_default().to_string();
            if !seen.insert(key.clone()) {
                *self.failed.borrow_mut() = Some(Part::Key(name.clone()));
                return Err(de::Error::custom(format!("duplicate field `{name}`")));
            }
            if self.skip.contains(&Part::Key(name.clone())) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *self.failed.borrow_mut() = Some(Part::Key(name.clone()));
            match name.as_str() {
                "steps" => parts.steps = map.next_value_seed(self.list("steps"))?,
                "quiz" => parts.quiz = map.next_value_seed(self.list("quiz"))?,
                "key_moments" => {
                    parts.key_moments = map.next_value_seed(self.list("key_moments"))?
                }
                "claims" => parts.claims = map.next_value_seed(self.list("claims"))?,
                "expect_lines" => {
                    parts.expect_lines = map.next_value_seed(self.list("expect_lines"))?
                }
                _ => {
                    let value = map.next_value::<Value>()?;
                    parts.rest.insert(key, value);
                }
            }
            *self.failed.borrow_mut() = None;
        }
        Ok(parts)
    }
}

impl<'a> Pass<'a> {
    fn list<T>(&'a self, key: &'static str) -> List<'a, T> {
        List {
            pass: self,
            key,
            item: PhantomData,
        }
    }
}

/// A top-level list parsed entry by entry; skipped entries come out as `None`.
struct List<'a, T> {
    pass: &'a Pass<'a>,
    key: &'static str,
    item: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for List<'_, T> {
    type Value = Vec<Option<T>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for List<'_, T> {
    type Value = Vec<Option<T>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.key)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let part = Part::Item(self.key, items.len());
            if self.pass.skip.contains(&part) {
                match seq.next_element::<IgnoredAny>()? {
                    Some(_) => items.push(None),
                    None => break,
                }
                continue;
            }
            *self.pass.failed.borrow_mut() = Some(part);
            match seq.next_element::<T>()? {
                Some(item) => items.push(Some(item)),
                None => break,
            }
        }
        *self.pass.failed.borrow_mut() = Some(Part::Key(self.key.to_string()));
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::quote_bare_flow;

    #[test]
    fn an_unquoted_bracket_value_is_quoted_and_nothing_else() {
        let yaml = "steps:\n  - op: assign\n    index: [:]   # all of it\n    value: 3\n";
        assert_eq!(
            quote_bare_flow(yaml, 3).as_deref(),
            Some("steps:\n  - op: assign\n    index: \"[:]\"   # all of it\n    value: 3\n")
        );
        assert_eq!(
            quote_bare_flow("  - index: [::2]\r\n", 1).as_deref(),
            Some("  - index: \"[::2]\"\r\n")
        );
        for (text, line) in [
            ("index: [1,\n 2]", 1),
            ("index: '[:]'", 1),
            ("index: [a]b", 1),
            ("index: x[:]", 1),
            ("a b: [:]", 1),
            ("index: [:]", 2),
            ("index: [:]", 0),
            ("index: [\"x\"]", 1),
        ] {
            assert_eq!(quote_bare_flow(text, line), None, "{text}");
        }
    }
}

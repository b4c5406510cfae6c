//! Lessons: loading YAML (built-in or from a path), strict validation, and the resolved steps the engine runs.

mod alias_budget;
mod big_value;
pub(crate) use big_value::value_with_big_ints;
pub mod builtin;
pub(crate) mod code;
pub(crate) mod compare;
pub(crate) mod expect;
mod locate;
pub(crate) mod model;
pub(crate) mod npy;
pub(crate) mod scan_steps;
mod tolerant;
pub(crate) mod validate;

use crate::expr::index::IndexExpr;
use crate::expr::value::ValueExpr;
use crate::numpy::dtype::DType;
use model::{Lesson, Op};

/// NumPy memmap modes (short form, as `.mode` stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// `r`: read-only, MAP_SHARED.
    #[serde(rename = "r")]
    ReadOnly,
    /// `r+`: read-write, MAP_SHARED, grows the file.
    #[serde(rename = "r+")]
    ReadWrite,
    /// `w+`: create or truncate, then grow; read-write.
    #[serde(rename = "w+")]
    Write,
    /// `c`: copy-on-write, MAP_PRIVATE.
    #[serde(rename = "c")]
    CopyOnWrite,
}

impl Mode {
    /// NumPy's accepted mode strings, in the order its error message lists them.
    pub const NAMES: &'static [&'static str] = &[
        "r",
        "c",
        "r+",
        "w+",
        "readonly",
        "copyonwrite",
        "readwrite",
        "write",
    ];

    /// Parse a short or long NumPy mode name; `None` for anything NumPy rejects.
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "r" | "readonly" => Mode::ReadOnly,
            "r+" | "readwrite" => Mode::ReadWrite,
            "w+" | "write" => Mode::Write,
            "c" | "copyonwrite" => Mode::CopyOnWrite,
            _ => return None,
        })
    }

    /// The short name NumPy stores in `.mode`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::ReadOnly => "r",
            Mode::ReadWrite => "r+",
            Mode::Write => "w+",
            Mode::CopyOnWrite => "c",
        }
    }
}

/// Arguments of `np.memmap(...)` after validation. Shape and offset stay signed: NumPy's
/// run-time errors for negative values are the engine's to raise, with NumPy's messages.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OpenSpec {
    pub var: String,
    /// Relative to the work directory, as written in the lesson.
    pub file: String,
    pub dtype: DType,
    pub mode: Mode,
    pub shape: Option<Vec<i64>>,
    pub offset: i64,
    /// `C`, `F`, or anything else (NumPy raises at run time, after file growth).
    pub order: String,
    /// A mode NumPy rejects, as written: `np.memmap` raises its ValueError at run time before
    /// anything else (`mode` is then a placeholder that touches nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_mode: Option<String>,
    /// A dtype NumPy cannot understand, as written: `np.memmap` raises its TypeError at run time after the
    /// file was opened (a `w+` has created or truncated it); `dtype` is then a placeholder never used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_dtype: Option<String>,
    /// Set for a `.npy` file opened with `np.load(mmap_mode=...)` or `open_memmap` (then dtype, shape, offset
    /// and order come from the file's header, or are written into it); `None` for `np.memmap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npy: Option<NpyCall>,
}

impl OpenSpec {
    /// The dtype as the lesson wrote it when NumPy rejects it, else its NumPy name.
    pub fn dtype_text(&self) -> String {
        self.bad_dtype
            .clone()
            .unwrap_or_else(|| self.dtype.to_string())
    }

    /// The mode as the lesson wrote it when NumPy rejects it, else its short name.
    pub fn mode_text(&self) -> &str {
        let t = self.bad_mode.as_deref().unwrap_or(self.mode.as_str());
        t.strip_prefix(NON_STR_MODE).unwrap_or(t)
    }

    /// The mode as a Python literal: a string quoted by `quote`, or `2` / `True` for a YAML
    /// number or bool.
    pub fn mode_literal(&self, quote: fn(&str) -> String) -> String {
        let t = self.bad_mode.as_deref().unwrap_or(self.mode.as_str());
        match t.strip_prefix(NON_STR_MODE) {
            Some(raw) => raw.to_string(),
            None => quote(t),
        }
    }
}

/// Marks a `mode:` the lesson gave as a YAML number, bool or null: NumPy's error shows it as
/// that Python object (`(got 2)`), not as a string.
pub const NON_STR_MODE: char = '\u{1}';

/// A mode text as the Python literal NumPy would see (see [`NON_STR_MODE`]).
pub fn mode_literal(text: &str) -> String {
    match text.strip_prefix(NON_STR_MODE) {
        Some(raw) => raw.to_string(),
        None => crate::python::py_repr(text),
    }
}

/// Deserialize `mode:`: a string as written; any other YAML scalar as its Python literal,
/// marked with [`NON_STR_MODE`] (so it is never a valid mode).
pub(crate) fn mode_scalar<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    let v = serde_yaml::Value::deserialize(d)?;
    let py = match v {
        serde_yaml::Value::String(s) => return Ok(Some(s)),
        serde_yaml::Value::Bool(b) => (if b { "True" } else { "False" }).to_string(),
        serde_yaml::Value::Null => "None".to_string(),
        serde_yaml::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => crate::expr::value::py_float(f),
            _ => n.to_string(),
        },
        _ => {
            return Err(serde::de::Error::custom(
                "expected a mode such as r+ (a string, number or bool)",
            ))
        }
    };
    Ok(Some(format!("{NON_STR_MODE}{py}")))
}

/// Which NumPy call opens a `.npy` file, with the mode as the lesson spelled it (NumPy tests `'w' in mode`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NpyCall {
    /// `np.load` (true) or `np.lib.format.open_memmap` (false).
    pub load: bool,
    /// The mode text as written (`r`, `r+`, `c`, `w+`, or a long name).
    pub mode: String,
    /// open_memmap: the lesson gave `dtype` (else NumPy's default, float64).
    pub dtype_given: bool,
}

/// What a validated step does.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Action {
    Open(OpenSpec),
    Assign {
        var: String,
        index: IndexExpr,
        value: ValueExpr,
    },
    Read {
        var: String,
        index: IndexExpr,
    },
    Flush {
        var: String,
    },
    Close {
        var: String,
    },
    /// Open a closed variable again: its previous spec, with the mode of the `reopen` step.
    Reopen(OpenSpec),
    /// A child process writes `data` at byte `offset` of the file with pwrite(2).
    ExternalWrite {
        target: Target,
        offset: u64,
        data: Vec<u8>,
        /// How the lesson wrote the data, as Python (`np.float32(99.0).tobytes()`, `b'\\x01'`).
        shown: String,
        /// The numbers of a `value` written without `dtype` to a variable's file: the engine
        /// encodes them with the dtype the variable is bound to when the step runs (`data`
        /// holds them encoded with the dtype of the lesson's last `open` of it).
        var_values: Option<Vec<crate::numpy::dtype::Scalar>>,
    },
    /// A child process reads `length` bytes at `offset` with pread(2); decoded with `dtype` when known.
    ExternalRead {
        target: Target,
        offset: u64,
        length: u64,
        dtype: Option<DType>,
        /// True when `dtype` was not written and comes from the variable: the engine then
        /// decodes with the dtype the variable is bound to when the step runs (a failed
        /// `open` leaves the previous binding, as in Python).
        dtype_from_var: bool,
    },
    /// A child maps the variable's file MAP_SHARED, performs `arr[index] = value`, and is SIGKILLed.
    Crash {
        var: String,
        index: IndexExpr,
        value: ValueExpr,
        /// The value as the lesson wrote it (YAML), re-parsed by the child.
        value_yaml: String,
    },
    /// Drop the file's clean pages (madvise + posix_fadvise DONTNEED).
    Evict {
        var: String,
    },
    /// Poll cachestat until the file has no dirty/writeback pages, at most `timeout_ms`.
    WaitWriteback {
        var: String,
        timeout_ms: u64,
    },
    /// msync(MS_ASYNC) over the whole mapping.
    FlushAsync {
        var: String,
    },
    /// msync(MS_SYNC) of bytes `[offset, offset + length)` of the array (page aligned).
    FlushRange {
        var: String,
        offset: u64,
        length: u64,
    },
    /// A child shrinks the file to `size` bytes; with `touch`, another mapping past EOF in the child.
    Truncate {
        target: Target,
        size: u64,
        touch: bool,
    },
    /// A forked worker performs `var[index] = value` through the mapping it inherited, then exits.
    ForkWrite {
        var: String,
        index: IndexExpr,
        value: ValueExpr,
    },
    /// `var._mmap.madvise(mmap.<advice>[, start[, length]])`.
    Madvise(crate::lesson::scan_steps::MadviseSpec),
    /// Read `var[index]` in chunks of rows, measuring memory per chunk.
    Scan(crate::lesson::scan_steps::ScanSpec),
}

impl Action {
    /// The op this action performs (one list of ops: [`crate::trace::Op`]).
    pub fn op(&self) -> crate::trace::Op {
        use crate::trace::Op;
        match self {
            Action::Open(OpenSpec { npy: None, .. }) => Op::Open,
            Action::Assign { .. } => Op::Assign,
            Action::Read { .. } => Op::Read,
            Action::Flush { .. } => Op::Flush,
            Action::Close { .. } => Op::Close,
            Action::Reopen(_) => Op::Reopen,
            Action::ExternalWrite { .. } => Op::ExternalWrite,
            Action::ExternalRead { .. } => Op::ExternalRead,
            Action::Crash { .. } => Op::Crash,
            Action::Evict { .. } => Op::Evict,
            Action::WaitWriteback { .. } => Op::WaitWriteback,
            Action::FlushAsync { .. } => Op::FlushAsync,
            Action::FlushRange { .. } => Op::FlushRange,
            Action::Truncate { .. } => Op::Truncate,
            Action::Open(OpenSpec { npy: Some(c), .. }) if c.load => Op::Load,
            Action::Open(OpenSpec { npy: Some(_), .. }) => Op::OpenMemmap,
            Action::ForkWrite { .. } => Op::ForkWrite,
            Action::Madvise(_) => Op::Madvise,
            Action::Scan(_) => Op::Scan,
        }
    }

    /// The variable the action acts on (empty for an outside-process step that names a file directly).
    pub fn var(&self) -> &str {
        match self {
            Action::Open(spec) | Action::Reopen(spec) => &spec.var,
            Action::Assign { var, .. }
            | Action::Read { var, .. }
            | Action::Flush { var }
            | Action::Close { var }
            | Action::Crash { var, .. }
            | Action::Evict { var }
            | Action::WaitWriteback { var, .. }
            | Action::FlushAsync { var }
            | Action::FlushRange { var, .. }
            | Action::ForkWrite { var, .. } => var,
            Action::Madvise(m) => &m.var,
            Action::Scan(s) => &s.var,
            Action::ExternalWrite { target, .. }
            | Action::ExternalRead { target, .. }
            | Action::Truncate { target, .. } => target.var().unwrap_or(""),
        }
    }

    /// The file an outside-process step names directly (`file:` instead of `var:`).
    pub(crate) fn named_file(&self) -> Option<&str> {
        match self {
            Action::ExternalWrite { target, .. }
            | Action::ExternalRead { target, .. }
            | Action::Truncate { target, .. } => match target {
                Target::File(f) => Some(f),
                Target::Var { .. } => None,
            },
            _ => None,
        }
    }
}

/// The file an outside-process step acts on: a variable's file, or a file named directly.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Target {
    /// The file of this variable (open or closed).
    Var { var: String, file: String },
    /// A file relative to the work directory.
    File(String),
}

impl Target {
    /// The file as the lesson names it.
    pub fn file(&self) -> &str {
        match self {
            Target::Var { file, .. } | Target::File(file) => file,
        }
    }

    /// The variable, when the step names one.
    pub fn var(&self) -> Option<&str> {
        match self {
            Target::Var { var, .. } => Some(var),
            Target::File(_) => None,
        }
    }
}

/// A validated step: the action plus its lesson text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedStep {
    /// 1-based.
    pub number: usize,
    pub action: Action,
    /// Action column text (generated from the op when the lesson gives none).
    pub action_text: String,
    pub note: String,
    /// Substring of the NumPy error this step is expected to raise.
    pub expect_error: Option<String>,
    /// What `verify` checks after this step.
    pub expect: Option<expect::Expect>,
    /// The step written as NumPy code, e.g. `arr[:] = np.arange(9).reshape(3, 3)`.
    pub code: String,
}

/// A lesson ready to run: the text as written plus the resolved steps.
#[derive(Debug, Clone)]
pub struct LoadedLesson {
    /// Built-in name or the path given.
    pub source: String,
    pub lesson: Lesson,
    pub steps: Vec<ResolvedStep>,
}

/// Why a lesson could not be loaded. Always exit code 2; nothing was touched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    /// The file could not be read, or no built-in lesson has that name.
    #[error("{source_name}: {message}")]
    Unreadable {
        source_name: String,
        message: String,
    },
    /// YAML syntax or structure (unknown key, wrong type): with line and column.
    #[error("{source_name}:{line}:{column}: {message}")]
    Syntax {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A step that parses but makes no sense: with the step number and field.
    #[error("{source_name}: step {step}, field `{field}`: {message}")]
    Step {
        source_name: String,
        step: usize,
        field: String,
        message: String,
    },
    /// A problem in the lesson text outside the steps (quiz, key moments…).
    #[error("{source_name}: {location}: {message}")]
    Other {
        source_name: String,
        location: String,
        message: String,
    },
}

/// Largest lesson file accepted; lessons are hand-written text, so anything bigger is a mistake.
pub(crate) const MAX_LESSON_BYTES: u64 = 4 * 1024 * 1024;

/// Where a lesson comes from: a built-in name or a file path. Returns (source name, YAML text).
pub fn resolve_source(name_or_path: &str) -> Result<(String, String), LessonError> {
    if let Some((name, text)) = builtin::LESSONS.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((name.to_string(), text.to_string()));
    }
    let unreadable = |message: String| LessonError::Unreadable {
        source_name: name_or_path.to_string(),
        message,
    };
    let path = std::path::Path::new(name_or_path);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let names: Vec<&str> = builtin::LESSONS.iter().map(|(n, _)| *n).collect();
            return Err(unreadable(format!(
                "no such lesson file, and no built-in lesson has that name{} (built-in lessons: {})",
                crate::expr::suggest::did_you_mean(name_or_path, names.iter().copied()),
                names.join(", ")
            )));
        }
        Err(e) => return Err(unreadable(format!("cannot read the lesson: {e}"))),
    };
    if meta.is_dir() {
        return Err(unreadable(
            "is a directory; give a lesson YAML file or a built-in lesson name".to_string(),
        ));
    }
    // A FIFO would block the read forever, a device (/dev/zero) would never end.
    if !meta.is_file() {
        return Err(unreadable(
            "is not a regular file (a FIFO, socket or device); a lesson is a YAML text file"
                .to_string(),
        ));
    }
    if meta.len() > MAX_LESSON_BYTES {
        return Err(unreadable(format!(
            "the file is {} bytes; lessons are limited to {MAX_LESSON_BYTES} bytes",
            meta.len()
        )));
    }
    // Bounded even if the file grows between the stat and the read.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            use std::io::Read;
            f.take(MAX_LESSON_BYTES + 1).read_to_end(&mut bytes)
        })
        .map_err(|e| unreadable(format!("cannot read the lesson: {e}")))?;
    if bytes.len() as u64 > MAX_LESSON_BYTES {
        return Err(unreadable(format!(
            "the file grew past {MAX_LESSON_BYTES} bytes while it was read; lessons are limited to that"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = line_column(&e.as_bytes()[..at]);
        LessonError::Syntax {
            source_name: name_or_path.to_string(),
            line,
            column,
            message: format!(
                "not UTF-8 text (invalid byte 0x{:02x} at offset {at}); a lesson is a YAML text file",
                e.as_bytes()[at]
            ),
        }
    })?;
    Ok((name_or_path.to_string(), text))
}

/// The 1-based line and column (in characters) just after valid UTF-8 `before`.
fn line_column(before: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(before);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parse and validate a lesson's YAML text. `source_name` is used in messages.
pub fn load_str(source_name: &str, yaml: &str) -> Result<LoadedLesson, LessonError> {
    // Editors on Windows save UTF-8 with a byte-order mark; it is not part of the YAML text.
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    let syntax = |line: usize, column: usize, message: String| LessonError::Syntax {
        source_name: source_name.to_string(),
        line,
        column,
        message,
    };
    flow_depth_guard(yaml).map_err(|(line, column, message)| syntax(line, column, message))?;
    alias_budget::check(yaml).map_err(|(line, column, message)| syntax(line, column, message))?;
    // A first untyped pass catches empty files and non-mapping documents with a clearer message
    // than "invalid type: ..., expected struct Lesson".
    let raw: serde_yaml::Value = match serde_yaml::from_str(yaml) {
        Ok(v) => v,
        // A `value:` may be a Python int beyond 64 bits; any other such number is refused below.
        Err(e) if big_value::is_big_int_error(&e) => {
            big_value::from_str(yaml).map_err(|_| located_error(source_name, yaml, None, &e))?
        }
        Err(e) => return Err(located_error(source_name, yaml, None, &e)),
    };
    match &raw {
        serde_yaml::Value::Null => {
            return Err(syntax(
                1,
                1,
                "the lesson is empty: expected a YAML mapping with at least `title` and `steps`"
                    .to_string(),
            ))
        }
        serde_yaml::Value::Mapping(m) => {
            // `steps` may be left out only by a script lesson (serde defaults it for that case).
            let has = |k: &str| m.contains_key(serde_yaml::Value::String(k.to_string()));
            if !has("steps") && !has("script") {
                return Err(syntax(1, 1, "missing field `steps`".to_string()));
            }
        }
        other => {
            let kind = match other {
                serde_yaml::Value::Sequence(_) => "a list",
                serde_yaml::Value::String(_) => "plain text",
                serde_yaml::Value::Tagged(_) => "a tagged value",
                _ => "a single value",
            };
            return Err(syntax(
                1,
                1,
                format!(
                    "a lesson is a YAML mapping (`key: value` lines with `title` and `steps`), found {kind}"
                ),
            ));
        }
    }
    let lesson: Lesson =
        serde_yaml::from_str(yaml).map_err(|e| located_error(source_name, yaml, Some(&raw), &e))?;
    let steps = validate::validate(source_name, &lesson)?;
    Ok(LoadedLesson {
        source: source_name.to_string(),
        lesson,
        steps,
    })
}

/// Deepest run of unclosed `[`/`{` accepted before YAML parsing. The YAML parser refuses more
/// than 128 levels anyway, but only after scanning the whole text, in time quadratic in the
/// nesting (100 000 brackets take minutes), so deeper text is refused here in one linear pass.
const MAX_FLOW_DEPTH: usize = 128;

/// Count the brackets outside quoted scalars and comments (a quoted expression such as
/// `'np.array([[...]])'` is the expression parser's to judge) and report the line and column
/// (1-based) where the nesting passes [`MAX_FLOW_DEPTH`]. Approximate on purpose: brackets in
/// block scalars and plain text count too, and no real lesson has 128 unclosed ones.
fn flow_depth_guard(yaml: &str) -> Result<(), (usize, usize, String)> {
    enum In {
        Plain,
        Single,
        Double,
        Comment,
    }
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    let mut state = In::Plain;
    // The previous character in plain text: a quote or `#` only opens after a separator.
    let mut prev = '\n';
    let mut chars = yaml.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
        }
        match state {
            In::Comment => {
                if c == '\n' {
                    state = In::Plain;
                }
            }
            In::Single => {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        column += 1;
                    } else {
                        state = In::Plain;
                    }
                }
            }
            In::Double => {
                if c == '\\' {
                    if chars.next() == Some('\n') {
                        line += 1;
                        column = 0;
                    } else {
                        column += 1;
                    }
                } else if c == '"' {
                    state = In::Plain;
                }
            }
            In::Plain => {
                let after_separator = matches!(prev, '\n' | ' ' | '\t' | '[' | '{' | ',');
                match c {
                    '#' if matches!(prev, '\n' | ' ' | '\t') => state = In::Comment,
                    '\'' if after_separator => state = In::Single,
                    '"' if after_separator => state = In::Double,
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_FLOW_DEPTH {
                            return Err((
                                line,
                                column,
                                format!(
                                    "recursion limit exceeded: brackets nested more than {MAX_FLOW_DEPTH} deep"
                                ),
                            ));
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                prev = c;
            }
        }
    }
    Ok(())
}

/// Turn a serde_yaml error into `LessonError::Syntax`, rewording serde's messages for teachers.
fn yaml_error(source_name: &str, e: &serde_yaml::Error) -> LessonError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    LessonError::Syntax {
        source_name: source_name.to_string(),
        line,
        column,
        message: reword(&strip_marks(&e.to_string())),
    }
}

/// [`yaml_error`] with what only the text and its untyped parse can tell: an unquoted `[...]`
/// that YAML could not read (`index: [:]`) gets the hint to quote it, and an unknown key of a
/// step lists only the keys of that step's op.
fn located_error(
    source_name: &str,
    yaml: &str,
    raw: Option<&serde_yaml::Value>,
    e: &serde_yaml::Error,
) -> LessonError {
    let mut err = yaml_error(source_name, e);
    if let LessonError::Syntax { line, message, .. } = &mut err {
        let text = yaml.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let value = text
            .split_once(": ")
            .map(|(_, v)| v.trim_start())
            .unwrap_or("");
        if value.starts_with('[') && !message.contains("put index expressions in quotes") {
            message.push_str(
                " (a bare `[...]` is YAML's list syntax: put an index or value in quotes, \
                 e.g. index: \"[:]\" or value: \"[1, 2]\")",
            );
        }
        if let Some(keys) = raw.and_then(|r| step_keys_for(r, &e.to_string())) {
            if let Some(i) = message.find("(valid keys here: ") {
                message.replace_range(
                    i..,
                    &format!("(valid keys for this step's op: {})", keys.join(", ")),
                );
            }
        }
    }
    err
}

/// The valid keys of the step serde's message is about (`steps[2].colour: unknown field …`), from
/// that step's `op` in the untyped parse.
fn step_keys_for(raw: &serde_yaml::Value, message: &str) -> Option<Vec<&'static str>> {
    let (path, body) = message.split_once(": ")?;
    if !body.starts_with("unknown field") {
        return None;
    }
    let index: usize = path
        .strip_prefix("steps[")?
        .split(']')
        .next()?
        .parse()
        .ok()?;
    let op = raw.get("steps")?.get(index)?.get("op")?.clone();
    let op: Op = serde_yaml::from_value(op).ok()?;
    Some(validate::step_keys(op))
}

/// Line and column of the key a meaning error (`step N, field `f``, `quiz question N, …`) is about in
/// `text` (the lesson as [`Checked::text`] gives it), so `check` can print every error at file:line:column;
/// None where the text does not say.
pub fn error_position(text: &str, e: &LessonError) -> Option<(usize, usize)> {
    locate::position(text, e)
}

/// Every error `check` can report for a lesson in one run: YAML syntax (fatal), then every structure error
/// (unknown keys, wrong types), each at its line and column (`tolerant`), then the meaning of the steps, key
/// moments, quiz and claims that did parse (`validate::validate_all`). No errors when the lesson loads.
pub fn check_all(name_or_path: &str) -> Checked {
    match resolve_source(name_or_path) {
        Ok((source, yaml)) => check_text(&source, &yaml),
        Err(e) => Checked {
            errors: vec![e],
            text: None,
        },
    }
}

/// What `check` found in a lesson, and the text it read.
pub struct Checked {
    pub errors: Vec<LessonError>,
    /// The lesson's text as `check` read it — each unquoted `[...]` YAML cannot read put in quotes, lines and
    /// keys in place — for [`error_position`]; None when YAML cannot read it at all.
    pub text: Option<String>,
}

/// [`check_all`] of a lesson's text. Each unquoted `[...]` YAML cannot read (`index: [:]`) is reported, then
/// quoted, and the check reads on — in a loop, not by recursion, so a lesson with many of them costs one
/// parse per repair and one tolerant parse, not a tolerant parse per repair.
fn check_text(source: &str, yaml: &str) -> Checked {
    let source = source.to_string();
    let only = |errors: Vec<LessonError>| Checked { errors, text: None };
    let mut first = match load_str(&source, yaml) {
        Ok(_) => return only(Vec::new()),
        Err(e) => e,
    };
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    // The guards first: an alias bomb or deep nesting would make the parse below the problem.
    if flow_depth_guard(yaml).is_err() || alias_budget::check(yaml).is_err() {
        return only(vec![first]);
    }
    let mut errors: Vec<LessonError> = Vec::new();
    let mut text = yaml.to_string();
    // Syntax errors, and documents that are not a lesson mapping at all, are the only error, but for the
    // repairable `[...]`.
    let raw = loop {
        match serde_yaml::from_str::<serde_yaml::Value>(&text) {
            Ok(raw @ serde_yaml::Value::Mapping(_)) => break raw,
            _ => {
                let repaired = match &first {
                    LessonError::Syntax { line, .. } if errors.len() < tolerant::MAX_ERRORS => {
                        tolerant::quote_bare_flow(&text, *line)
                    }
                    _ => None,
                };
                if !errors.contains(&first) {
                    errors.push(first);
                }
                let Some(repaired) = repaired else {
                    tolerant::sort_located(&mut errors);
                    return only(errors);
                };
                text = repaired;
                first = match load_str(&source, &text) {
                    Ok(_) => {
                        tolerant::sort_located(&mut errors);
                        return Checked {
                            errors,
                            text: Some(text),
                        };
                    }
                    Err(e) => e,
                };
            }
        }
    };
    let repaired = !errors.is_empty();
    if raw.get("steps").is_none() && raw.get("script").is_none() {
        if !errors.contains(&first) {
            errors.push(first);
        }
        return Checked {
            errors,
            text: Some(text),
        };
    }
    let found = tolerant::parse(&source, &text, &raw);
    let mut found_errors = found.errors;
    if let Some(lesson) = &found.lesson {
        for e in validate::validate_all(&source, lesson, &found.broken) {
            if !found_errors.contains(&e) {
                found_errors.push(e);
            }
        }
    }
    if found_errors.is_empty() {
        found_errors.push(first);
    }
    for e in found_errors {
        if !errors.contains(&e) {
            errors.push(e);
        }
    }
    if repaired {
        tolerant::sort_located(&mut errors);
    }
    Checked {
        errors,
        text: Some(text),
    }
}

/// Drop serde_yaml's " at line N column M" / " at position N": the error carries them as fields.
fn strip_marks(msg: &str) -> String {
    let mut out = msg.to_string();
    for pat in [" at line ", " at position "] {
        while let Some(i) = out.find(pat) {
            let rest = &out[i + pat.len()..];
            let mut end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if let Some(after) = rest[end..].strip_prefix(" column ") {
                end += " column ".len()
                    + after
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(after.len());
            }
            if end == 0 {
                break;
            }
            out.replace_range(i..i + pat.len() + end, "");
        }
    }
    out
}

/// serde's path `steps[2].about` as a teacher reads it: `step 3, about`.
fn friendly_path(path: &str) -> String {
    path.split('.')
        .map(|part| match part.split_once('[') {
            Some((name, rest)) => {
                let n = rest
                    .trim_end_matches(']')
                    .parse::<usize>()
                    .map(|i| (i + 1).to_string())
                    .unwrap_or_else(|_| rest.trim_end_matches(']').to_string());
                let what = match name {
                    "steps" => "step",
                    "quiz" => "quiz question",
                    "key_moments" => "key moment",
                    "boxes" => "box",
                    other => other,
                };
                format!("{what} {n}")
            }
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The backtick-quoted words of serde's "expected one of `a`, `b`" list.
fn quoted_words(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// Reword "unknown field"/"unknown variant" with a did-you-mean; prefix the friendly path.
fn reword(msg: &str) -> String {
    // serde_yaml prefixes a path (`steps[0].op: …`) unless the error is at the top level.
    let (path, body) = match msg.split_once(": ") {
        Some((p, b)) if !p.contains(' ') && !p.is_empty() => (Some(friendly_path(p)), b),
        _ => (None, msg),
    };
    let prefix = path.map(|p| format!("{p}: ")).unwrap_or_default();
    for (marker, what) in [("unknown field `", "key"), ("unknown variant `", "op")] {
        if let Some(rest) = body.strip_prefix(marker) {
            let (word, tail) = rest.split_once('`').unwrap_or((rest, ""));
            let expected = quoted_words(tail);
            let listing = if expected.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}: {})",
                    if what == "op" {
                        "ops"
                    } else {
                        "valid keys here"
                    },
                    expected.join(", ")
                )
            };
            return format!(
                "{prefix}unknown {what} `{word}`{}{listing}",
                crate::expr::suggest::did_you_mean(word, expected.iter().copied())
            );
        }
    }
    if let Some(rest) = body.strip_prefix("invalid type: integer `") {
        // serde_yaml reports integers beyond 64 bits as a 128-bit "invalid type".
        if let Some((num, tail)) = rest.split_once('`') {
            if tail.starts_with(" as u128") || tail.starts_with(" as i128") {
                return format!(
                    "{prefix}the number {num} is too large: integers in a lesson must fit in 64 bits"
                );
            }
        }
    }
    let about_index = path_ends_with(msg, "index");
    if about_index && body.starts_with("invalid type: sequence, expected a string") {
        // `index: [1, 2]` is a YAML list, not the text NumPy would read.
        return format!(
            "{prefix}{body} (put index expressions in quotes: a bare `[...]` is a YAML list, e.g. index: '[1, 2]')"
        );
    }
    format!("{prefix}{body}")
}

/// True when serde's path (`steps[1].index: …`) ends with the field `name`.
fn path_ends_with(msg: &str, name: &str) -> bool {
    match msg.split_once(": ") {
        Some((p, _)) if !p.contains(' ') => p.rsplit('.').next() == Some(name),
        _ => false,
    }
}

/// Load a built-in lesson by name or a lesson file by path.
pub fn load(name_or_path: &str) -> Result<LoadedLesson, LessonError> {
    let (source, text) = resolve_source(name_or_path)?;
    load_str(&source, &text)
}

//! The lesson file's shape as teachers write it (serde structs; strict: unknown keys are errors).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole lesson: the teaching text and the steps to perform.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Lesson title, e.g. "Memory-mapped arrays for large data in NumPy".
    pub title: String,
    /// Subject line shown above the title, e.g. "NumPy data".
    #[serde(default)]
    pub subject: Option<String>,
    /// Reading time, e.g. "~10 mins".
    #[serde(default)]
    pub duration: Option<String>,
    /// One line for `memmap-tutor list`.
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub concept_flow: Option<ConceptFlow>,
    #[serde(default)]
    pub sample: Option<Sample>,
    /// The steps performed for real, in order (empty for a script lesson).
    #[serde(default)]
    pub steps: Vec<Step>,
    /// A Python script run through `trace` in place of `steps` (python3 + NumPy; runs with the user's rights).
    #[serde(default)]
    pub script: Option<String>,
    /// For a script lesson: what `verify` checks after a line of the script (the last time it ran).
    #[serde(default)]
    pub expect_lines: Vec<LineExpect>,
    /// Line printed under the execution table (the seed's "💡 All data written to disk and memmap closed").
    #[serde(default)]
    pub table_footer: Option<String>,
    #[serde(default)]
    pub key_moments: Vec<KeyMoment>,
    #[serde(default)]
    pub quiz: Vec<Question>,
    /// Concept Snapshot: short lines summing up the idea.
    #[serde(default)]
    pub snapshot: Vec<String>,
    /// Full Transcript prose; the run's measured narrative is appended to it.
    #[serde(default)]
    pub transcript: Option<String>,
    /// Claims about the lesson's own text lines, checked by `verify` against the run (see [`Claim`]).
    #[serde(default)]
    pub claims: Vec<Claim>,
}

/// What the run shows about one line of the lesson's text: checked by `verify` like a step's `expect`, and, when
/// the run contradicts or qualifies the line (`corrects`), shown beside it as `Measured: …` with the cited cell.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The line: `note N`, `snapshot N`, `moment N`, `quiz N`, `transcript`, `caption` (concept flow), `footer`.
    pub on: String,
    /// What the run shows, in words; the observation itself comes from the cited cell.
    pub says: String,
    /// True when the line says something the run contradicts or qualifies: the views show the claim beside it.
    #[serde(default)]
    pub corrects: bool,
    /// The step whose record decides the claim.
    pub step: usize,
    /// What that step must show (the keys of a step's `expect`).
    #[serde(default)]
    pub expect: super::expect::Expect,
    /// Comparisons of measurements that must hold as well (see [`Comparison`]), e.g. a file size.
    #[serde(default)]
    pub compare: Vec<Comparison>,
    /// The measured cell shown with the claim.
    #[serde(default)]
    pub cites: Option<Cite>,
}

/// A line of the lesson's text that a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRef {
    Note(usize),
    Snapshot(usize),
    Moment(usize),
    Quiz(usize),
    Transcript,
    Caption,
    Footer,
}

impl TextRef {
    /// The forms `on:` takes, for error messages.
    pub const FORMS: &'static str =
        "note N, snapshot N, moment N, quiz N, transcript, caption, footer";

    /// Parse `note 4`, `snapshot 3`, `transcript`, …; `None` for anything else.
    pub fn parse(text: &str) -> Option<TextRef> {
        let mut words = text.split_whitespace();
        let kind = words.next()?;
        let n: Option<usize> = words.next().and_then(|w| w.parse().ok());
        if words.next().is_some() {
            return None;
        }
        Some(match (kind, n) {
            ("note", Some(n)) => TextRef::Note(n),
            ("snapshot", Some(n)) => TextRef::Snapshot(n),
            ("moment", Some(n)) => TextRef::Moment(n),
            ("quiz", Some(n)) => TextRef::Quiz(n),
            ("transcript", None) => TextRef::Transcript,
            ("caption", None) => TextRef::Caption,
            ("footer", None) => TextRef::Footer,
            _ => return None,
        })
    }
}

/// The Concept Flow: boxes in order, with a caption.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConceptFlow {
    pub boxes: Vec<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

/// The Execution Sample: code with a caption.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    #[serde(default)]
    pub language: Option<String>,
    pub code: String,
    #[serde(default)]
    pub caption: Option<String>,
}

pub use crate::trace::Op;

/// A YAML scalar or nested list used as a value or shape, kept as written.
pub type Yaml = serde_yaml::Value;

/// One step. Which fields apply depends on `op`; validation rejects fields an op does not use.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub op: Op,
    /// Variable the step acts on (default `arr`).
    #[serde(default)]
    pub var: Option<String>,
    /// open: file name relative to the work directory.
    #[serde(default)]
    pub file: Option<String>,
    /// open: dtype name or code (default `uint8`, as NumPy).
    #[serde(default)]
    pub dtype: Option<String>,
    /// open: `r`, `r+`, `w+`, `c` or a long name (default `r+`, as NumPy).
    #[serde(default, deserialize_with = "crate::lesson::mode_scalar")]
    pub mode: Option<String>,
    /// open: an integer or a list of integers; omitted means inferred from the file.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub shape: Option<Yaml>,
    /// open: byte offset of the array in the file.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub offset: Option<Yaml>,
    /// open: `C`, `F`, `A` or `K` (either case; anything else is NumPy's ValueError when the step runs).
    #[serde(default)]
    pub order: Option<String>,
    /// assign/read: NumPy basic-indexing expression, `arr[1, 2]` or `[1, 2]`.
    #[serde(default)]
    pub index: Option<String>,
    /// assign: the value (YAML scalar, nested list, or an expression such as `np.arange(9).reshape(3, 3)`).
    #[serde(default, deserialize_with = "crate::lesson::value_with_big_ints")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub value: Option<Yaml>,
    /// external_write: the bytes to write as a hex string (`"00 00 c6 42"`), instead of `value`.
    #[serde(default)]
    pub bytes: Option<String>,
    /// external_read / flush_range: number of bytes.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub length: Option<Yaml>,
    /// wait_writeback: seconds to wait at most.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub timeout: Option<Yaml>,
    /// truncate: the new file size in bytes.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub size: Option<Yaml>,
    /// truncate: a child also touches the old mapping past the new end (SIGBUS, in the child only).
    #[serde(default)]
    pub touch: Option<bool>,
    /// madvise: the advice as Python's `mmap` module names it, e.g. `MADV_SEQUENTIAL`.
    #[serde(default)]
    pub advice: Option<String>,
    /// madvise: byte offset inside the mapping where the advised range starts (Python's `start`).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub start: Option<Yaml>,
    /// scan: rows of the scanned view read per chunk (elements, for a 1-d view).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub chunk: Option<Yaml>,
    /// scan: after each chunk, `keep` it mapped, `dontneed` (madvise it away) or `recreate` the memmap.
    #[serde(default)]
    pub release: Option<String>,
    /// scan: record only the summary, not every chunk.
    #[serde(default)]
    pub summary: Option<bool>,
    /// Text for the Action column.
    #[serde(default)]
    pub action: Option<String>,
    /// Text for the Notes column.
    #[serde(default)]
    pub note: Option<String>,
    /// The step is expected to fail (NumPy raises); the run continues.
    #[serde(default)]
    pub expect_error: Option<String>,
    /// What the run should measure after this step; checked by `verify` (see [`super::expect`]).
    #[serde(default)]
    pub expect: Option<super::expect::Expect>,
}

/// What a script lesson expects after one of its lines.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineExpect {
    /// 1-based line of `script`.
    pub line: usize,
    #[serde(default)]
    pub expect: Option<super::expect::Expect>,
    /// The line is expected to raise (the trace ends there).
    #[serde(default)]
    pub expect_error: Option<String>,
}

/// A Key Moment: a question a learner typically asks, with its answer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyMoment {
    pub question: String,
    pub answer: String,
    /// A measured cell the answer refers to; its live value is shown with the answer.
    #[serde(default)]
    pub cites: Option<Cite>,
}

/// A reference to one measured cell of the trace.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cite {
    pub step: usize,
    /// `array`, `file`, `disk_write`, `dirty`, `cached`, `error`.
    pub column: String,
    #[serde(default)]
    pub var: Option<String>,
}

impl Cite {
    /// The cited column (validated when the lesson is loaded, so `None` only for hand-built lessons).
    pub fn column(&self) -> Option<CiteColumn> {
        CiteColumn::parse(&self.column)
    }
}

/// A measured column a key moment can cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiteColumn {
    Array,
    File,
    DiskWrite,
    Dirty,
    Cached,
    Error,
}

impl CiteColumn {
    /// Every column, as lessons spell them.
    pub(crate) const NAMES: &'static [&'static str] =
        &["array", "file", "disk_write", "dirty", "cached", "error"];

    /// The column a lesson names; `None` for an unknown name.
    pub fn parse(name: &str) -> Option<CiteColumn> {
        Some(match name {
            "array" => CiteColumn::Array,
            "file" => CiteColumn::File,
            "disk_write" => CiteColumn::DiskWrite,
            "dirty" => CiteColumn::Dirty,
            "cached" => CiteColumn::Cached,
            "error" => CiteColumn::Error,
            _ => return None,
        })
    }
}

/// A Visual Quiz question.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub question: String,
    #[serde(default)]
    pub choices: Vec<String>,
    /// The declared answer letter (`A`–`D`); for trace questions `verify` checks it against the run.
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
    /// Why the answer is right (conceptual questions); trace questions explain from the measurement.
    #[serde(default)]
    pub explanation: Option<String>,
    /// What in the trace decides the answer; absent for conceptual questions.
    #[serde(default)]
    pub about: Option<About>,
    /// A conceptual question answered from measured facts: the right choice is the one whose
    /// condition the run satisfies (see [`Derivation`]); `verify` checks the declared `answer` against it.
    #[serde(default)]
    pub derive: Vec<Derivation>,
}

/// One choice of a derived question and the measured facts that make it the answer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Derivation {
    /// The choice this condition selects, by its text.
    pub choice: String,
    /// The step whose record decides `expect` (needed with `expect` or `first_since`).
    #[serde(default)]
    pub step: Option<usize>,
    /// What that step must show (the keys of a step's `expect`).
    #[serde(default)]
    pub expect: super::expect::Expect,
    /// `step` is the first step at or after this one whose record shows `expect` (every step from here to
    /// `step` must measurably not show it), e.g. the first step whose Disk Write is Yes.
    #[serde(default)]
    pub first_since: Option<usize>,
    /// Comparisons of two measurements (of two steps, or two variables, or one with a given value) that must
    /// all hold, e.g. the cached pages after one scan against those after another.
    #[serde(default)]
    pub compare: Vec<Comparison>,
    /// Kernel settings it needs, measured at the start of the run.
    #[serde(default)]
    pub kernel: Option<KernelExpect>,
    /// What the run shows when the condition holds, in words; shown as `Measured: …` with the cited cells.
    pub says: String,
    /// Why this choice is right when the condition holds (may use `{dirty_expire_seconds}`).
    #[serde(default)]
    pub explanation: Option<String>,
    /// The measured cells shown with `says`.
    #[serde(default)]
    pub cites: Vec<Cite>,
}

/// `left is right`: two measured quantities compared, e.g. `{left: {step: 9, measure: faults.major}, is: greater,
/// right: {step: 12, measure: faults.major}}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    pub left: Quantity,
    /// `less`, `greater`, `equal`, `differs` (`less`/`greater` only for counts and numbers).
    pub is: String,
    pub right: Quantity,
}

/// One side of a comparison: a measurement of one step (`step` + `measure`), or a given `text`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// The step whose record holds the measurement.
    #[serde(default)]
    pub step: Option<usize>,
    /// `cached`, `dirty`, `writeback`, `resident`, `peak_resident`, `faults.major`, `faults.minor`, `size`
    /// (file bytes), `signal` (of a step's child process), `array`, `file`, `read`, `error`, `value` (needs
    /// `index`).
    #[serde(default)]
    pub measure: Option<String>,
    /// The variable `array`, `file`, `size` and the page counts refer to (default: the step's variable).
    #[serde(default)]
    pub var: Option<String>,
    /// For `value`: the element, e.g. `a[1]` (read through the mapping after the step).
    #[serde(default)]
    pub index: Option<String>,
    /// A given value instead of a measurement (compared as a number when both sides are numbers).
    #[serde(default)]
    pub text: Option<super::expect::Text>,
}

/// Kernel settings a derivation depends on.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KernelExpect {
    /// `true`: the kernel's flusher writes dirty pages back by itself (vm.dirty_writeback_centisecs > 0);
    /// `false`: periodic writeback is off.
    #[serde(default)]
    pub flusher: Option<bool>,
}

/// What a trace question asks about.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct About {
    /// `value` (an element at a step), `first_disk_write`, `dirty_pages`, `file`.
    pub kind: String,
    #[serde(default)]
    pub step: Option<usize>,
    /// For `value`: the element, e.g. `arr[1, 2]`.
    #[serde(default)]
    pub index: Option<String>,
    #[serde(default)]
    pub var: Option<String>,
}

impl About {
    /// The kind of question (validated when the lesson is loaded, so `None` only for hand-built lessons).
    pub fn kind(&self) -> Option<AboutKind> {
        AboutKind::parse(&self.kind)
    }
}

/// What a question about the run asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AboutKind {
    /// An element's value after a step.
    Value,
    /// The first step whose Disk Write is Yes.
    FirstDiskWrite,
    /// The dirty-page count after a step.
    DirtyPages,
    /// The file's contents after a step.
    File,
}

impl AboutKind {
    /// Every kind, as lessons spell them.
    pub(crate) const NAMES: &'static [&'static str] =
        &["value", "first_disk_write", "dirty_pages", "file"];

    /// The kind a lesson names; `None` for an unknown name.
    pub fn parse(name: &str) -> Option<AboutKind> {
        Some(match name {
            "value" => AboutKind::Value,
            "first_disk_write" => AboutKind::FirstDiskWrite,
            "dirty_pages" => AboutKind::DirtyPages,
            "file" => AboutKind::File,
            _ => return None,
        })
    }
}

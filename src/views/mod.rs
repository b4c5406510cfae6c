//! Views: turn a trace (and the lesson's text) into documents; renderers turn documents into text or
//! Markdown, and the JSON view renders the trace itself with the sentences of `present`.
//! Views never touch files: they read only the trace and the lesson.

pub mod flow;
pub mod html;
pub mod json;
pub mod layout;
pub mod moments;
pub mod quiz;
pub mod render;
pub mod sample;
mod scan_table;
pub mod snapshot;
pub mod steps;
pub mod table;
pub mod tracker;
pub mod transcript;

use crate::lesson::LoadedLesson;
use crate::trace::Trace;
use render::{MarkdownRender, Render, TextRender};

/// The nine views, in lesson order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Flow,
    Sample,
    Steps,
    Table,
    Tracker,
    Moments,
    Quiz,
    Snapshot,
    Transcript,
}

impl View {
    /// All views in lesson order.
    pub const ALL: [View; 9] = [
        View::Flow,
        View::Sample,
        View::Steps,
        View::Table,
        View::Tracker,
        View::Moments,
        View::Quiz,
        View::Snapshot,
        View::Transcript,
    ];
}

/// Output formats of a rendered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    /// The whole trace as JSON (the views' selection does not apply).
    Json,
    /// One self-contained web page of all nine views, built on the JSON trace.
    Html,
}

/// How to render: the format, and for text the width and whether to use ANSI bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    pub format: Format,
    pub width: u16,
    pub color: bool,
}

/// A quiz question as the handout shows it (answers are for the JSON output, never printed).
#[derive(Debug, Clone, PartialEq)]
pub struct QuizItem {
    pub question: String,
    pub choices: Vec<String>,
    pub hint: Option<String>,
    /// Index of the right choice, derived from this run as the terminal quiz derives it.
    pub answer: Option<usize>,
    /// The lesson's declared answer, if any.
    pub declared: Option<usize>,
    /// For a question about the run: the measured answer and the sentence citing its cell.
    pub measured: Option<MeasuredAnswer>,
    /// Why the answer is right.
    pub explanation: String,
    /// Why the question is not graded in this run (e.g. a disk question on tmpfs).
    pub not_graded: Option<String>,
    /// The step a question about the run asks about (the page asks it before revealing that step).
    pub about_step: Option<usize>,
}

/// A quiz answer measured from the run.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredAnswer {
    /// The answer as a choice states it, e.g. `5.0`, `Step 3`.
    pub answer: String,
    /// The sentence citing the measured cell.
    pub citation: String,
    /// The question's kind as the lesson spells it (`value`, `first_disk_write`, …).
    pub kind: String,
}

/// One piece of a rendered view, independent of the output format.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A view's title.
    Heading(String),
    /// A title inside a view (e.g. one step).
    Subheading(String),
    /// A paragraph of prose.
    Text(String),
    /// Code, shown verbatim.
    Code { language: String, code: String },
    /// Preformatted text (pictures, arrays), shown verbatim.
    Pre(String),
    /// A table; cells may hold several lines.
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The concept flow: boxes joined by arrows, drawn to fit the output width.
    Flow(Vec<String>),
    /// `key: value` facts, one per line.
    Facts(Vec<(String, String)>),
}

/// What every view gets: the lesson as written, the trace of this run and the quiz as asked.
pub struct ViewContext<'a> {
    pub lesson: &'a LoadedLesson,
    pub trace: &'a Trace,
    /// The lesson's questions with their choices (derived from the run where the lesson gives none).
    pub quiz: &'a [QuizItem],
}

/// Render views of a trace: text and Markdown from the views' blocks, JSON from the trace itself.
pub fn render(ctx: &ViewContext, views: &[View], options: &RenderOptions) -> String {
    match options.format {
        Format::Json => json::document(ctx),
        Format::Html => html::page(ctx),
        Format::Markdown | Format::Text => {
            let blocks: Vec<_> = views.iter().flat_map(|v| build(*v, ctx)).collect();
            render_blocks(&blocks, options)
        }
    }
}

/// Render blocks as text or Markdown (JSON has no blocks: it renders as Markdown).
pub(crate) fn render_blocks(blocks: &[Block], options: &RenderOptions) -> String {
    match options.format {
        Format::Text => TextRender {
            width: options.width,
            color: options.color,
        }
        .render(blocks),
        Format::Markdown | Format::Json | Format::Html => MarkdownRender.render(blocks),
    }
}

/// Build the blocks of one view.
pub fn build(view: View, ctx: &ViewContext) -> Vec<Block> {
    match view {
        View::Flow => flow::build(ctx),
        View::Sample => sample::build(ctx),
        View::Steps => steps::build(ctx),
        View::Table => table::build(ctx),
        View::Tracker => tracker::build(ctx),
        View::Moments => moments::build(ctx),
        View::Quiz => quiz::build(ctx),
        View::Snapshot => snapshot::build(ctx),
        View::Transcript => transcript::build(ctx),
    }
}

/// The heading of each view, as the seed names it.
pub fn title(view: View) -> &'static str {
    match view {
        View::Flow => "Concept Flow",
        View::Sample => "Execution Sample",
        View::Steps => "Step-by-Step Trace",
        View::Table => "Execution Table",
        View::Tracker => "Variable Tracker",
        View::Moments => "Key Moments",
        View::Quiz => "Visual Quiz",
        View::Snapshot => "Concept Snapshot",
        View::Transcript => "Full Transcript",
    }
}

//! Views: turn a trace (and the lesson's text) into documents; renderers turn documents into text or Markdown.
//! Views never touch files: they read only the trace and the lesson.

pub mod cells;
pub mod flow;
pub mod html;
pub mod moments;
pub mod quiz;
pub mod render;
pub mod sample;
pub mod snapshot;
pub mod steps;
pub mod table;
pub mod tracker;
pub mod transcript;

use crate::cli::ViewName;
use crate::lesson::LoadedLesson;
use crate::trace::Trace;

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

/// What every view gets: the lesson as written and the trace of this run.
pub struct ViewContext<'a> {
    pub lesson: &'a LoadedLesson,
    pub trace: &'a Trace,
}

/// Build the blocks of one view.
pub fn build(view: ViewName, ctx: &ViewContext) -> Vec<Block> {
    match view {
        ViewName::Flow => flow::build(ctx),
        ViewName::Sample => sample::build(ctx),
        ViewName::Steps => steps::build(ctx),
        ViewName::Table => table::build(ctx),
        ViewName::Tracker => tracker::build(ctx),
        ViewName::Moments => moments::build(ctx),
        ViewName::Quiz => quiz::build(ctx),
        ViewName::Snapshot => snapshot::build(ctx),
        ViewName::Transcript => transcript::build(ctx),
    }
}

/// The heading of each view, as the seed names it.
pub fn title(view: ViewName) -> &'static str {
    match view {
        ViewName::Flow => "Concept Flow",
        ViewName::Sample => "Execution Sample",
        ViewName::Steps => "Step-by-Step Trace",
        ViewName::Table => "Execution Table",
        ViewName::Tracker => "Variable Tracker",
        ViewName::Moments => "Key Moments",
        ViewName::Quiz => "Visual Quiz",
        ViewName::Snapshot => "Concept Snapshot",
        ViewName::Transcript => "Full Transcript",
    }
}

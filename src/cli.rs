//! Command-line definitions (clap derive), turned into the typed options the commands pass on.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Teaches memory-mapped arrays (NumPy's np.memmap) by running them for real and showing what the
/// program sees, what the file holds, and what has reached the disk.
#[derive(Debug, Parser)]
#[command(name = "memmap-tutor", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands; none means `run` on the default lesson.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a lesson and print its views.
    Run(RunArgs),
    /// Walk through a lesson one step per Enter, with the live state after each.
    Step(StepArgs),
    /// Take a lesson's quiz.
    Quiz(QuizArgs),
    /// Check lessons' expectations and answer keys against a live run.
    Verify(VerifyArgs),
    /// Parse and validate lessons only; touches no file.
    Check(CheckArgs),
    /// List the built-in lessons.
    List,
    /// Write a lesson as an equivalent script (NumPy: `export python LESSON`).
    Export(ExportArgs),
    /// Run a Python script with the real NumPy, one step per executed line, measured from outside.
    Trace(TraceArgs),
    /// Internal: the child process of outside-process steps (external_write, crash, truncate …).
    #[command(name = "__child", hide = true)]
    Child(ChildArgs),
}

/// Internal `__child` arguments: one JSON task; the file is inherited as fd 3.
#[derive(Debug, Args)]
pub struct ChildArgs {
    pub task: String,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    /// One self-contained web page (`run` only).
    Html,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The nine views, in lesson order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewName {
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

impl ViewName {
    /// All views in lesson order.
    pub const ALL: [ViewName; 9] = [
        ViewName::Flow,
        ViewName::Sample,
        ViewName::Steps,
        ViewName::Table,
        ViewName::Tracker,
        ViewName::Moments,
        ViewName::Quiz,
        ViewName::Snapshot,
        ViewName::Transcript,
    ];
}

impl ViewName {
    /// The view this name selects.
    pub fn view(self) -> crate::views::View {
        use crate::views::View;
        match self {
            ViewName::Flow => View::Flow,
            ViewName::Sample => View::Sample,
            ViewName::Steps => View::Steps,
            ViewName::Table => View::Table,
            ViewName::Tracker => View::Tracker,
            ViewName::Moments => View::Moments,
            ViewName::Quiz => View::Quiz,
            ViewName::Snapshot => View::Snapshot,
            ViewName::Transcript => View::Transcript,
        }
    }
}

impl Format {
    /// The output format this name selects.
    pub fn format(self) -> crate::views::Format {
        match self {
            Format::Text => crate::views::Format::Text,
            Format::Markdown => crate::views::Format::Markdown,
            Format::Json => crate::views::Format::Json,
            Format::Html => crate::views::Format::Html,
        }
    }
}

/// Options shared by commands that run a lesson.
#[derive(Debug, Args, Clone)]
pub struct WorkdirArgs {
    /// Run in DIR and keep the lesson's files there (default: a fresh temporary directory, removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Let mode w+ truncate files that already exist in --workdir (refused otherwise, so a
    /// lesson cannot empty a user's file).
    #[arg(long)]
    pub overwrite: bool,
}

/// Options of text output.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour text output: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Width of text output in columns (default: the terminal's, or COLUMNS, or 100).
    #[arg(long, value_name = "N")]
    pub width: Option<u16>,
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in lesson name or a path to a lesson YAML file (default: numpy-memmap-basics).
    pub lesson: Option<String>,
    /// Views to print, repeatable (default: all nine in lesson order).
    #[arg(long = "view", value_enum)]
    pub views: Vec<ViewName>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub workdir: WorkdirArgs,
    /// Write the output to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub out_file: Option<PathBuf>,
}

/// `step` options.
#[derive(Debug, Args)]
pub struct StepArgs {
    /// A built-in lesson name or a path to a lesson YAML file.
    pub lesson: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub workdir: WorkdirArgs,
}

/// `quiz` options.
#[derive(Debug, Args)]
pub struct QuizArgs {
    /// A built-in lesson name or a path to a lesson YAML file.
    pub lesson: Option<String>,
    /// Answer without a terminal, e.g. `A,C,B`.
    #[arg(long, value_name = "A,C,B")]
    pub answers: Option<String>,
    /// Shuffle questions and choices (reproducibly with --seed).
    #[arg(long)]
    pub shuffle: bool,
    /// Seed for --shuffle.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Quiz on your own NumPy script instead of a lesson: trace it (as `trace SCRIPT.py`) and ask about its run.
    #[arg(long, value_name = "SCRIPT.py", conflicts_with = "lesson")]
    pub trace: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub workdir: WorkdirArgs,
}

/// `verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Lessons (names or paths) or directories of lessons.
    pub lessons: Vec<String>,
    /// Run each lesson in a fresh temporary directory inside DIR (choose the filesystem, e.g. a
    /// disk when /tmp is tmpfs); each is removed afterwards.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
}

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Lessons (names or paths).
    pub lessons: Vec<String>,
}

/// Languages `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportLanguage {
    /// A plain NumPy script (python3 + numpy).
    Python,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write: `python` (a NumPy script).
    #[arg(value_enum)]
    pub language: ExportLanguage,
    /// A built-in lesson name or a path to a lesson YAML file.
    pub lesson: String,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Make the script print a machine-readable `@@STEP {json}` line after every step (for the NumPy cross-check).
    #[arg(long, hide = true)]
    pub instrument: bool,
}

/// `trace` options.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The Python script to run (with your python3 and NumPy, in the current directory, with your rights).
    pub script: PathBuf,
    /// Arguments passed on to the script (`sys.argv[1:]`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Steps recorded at most; after them the script runs on untraced and the trace says where it stopped.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_steps: usize,
    /// Record one step per N finished lines (samples long loops).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub every: u64,
    /// Trace only the script's top-level lines, not function bodies.
    #[arg(long)]
    pub top_level: bool,
    /// The Python interpreter (default: $PYTHON, else python3).
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
    /// Views to print, repeatable (default: sample, table and tracker).
    #[arg(long = "view", value_enum)]
    pub views: Vec<ViewName>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Write the output to FILE instead of standard output (never the script or a file it maps).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub out_file: Option<PathBuf>,
}

//! Command-line definitions (clap derive), turned into the typed options the commands pass on.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Teaches memory-mapped arrays (NumPy's np.memmap) by running them for real.
///
/// Each lesson is performed for real: the views show the array as the program sees it, the file as
/// read(2) sees it, and what has reached the disk. Every measured cell comes from
/// the kernel during this run (cachestat needs Linux 6.5 or later; older kernels say "unavailable").
#[derive(Debug, Parser)]
#[command(name = "memmap-tutor", version, after_long_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Examples shown by `--help` (not by `-h`).
const EXAMPLES: &str = "Examples:
  memmap-tutor                          the default lesson, all nine views
  memmap-tutor run eviction --view table
  memmap-tutor step skip-flush          one step per Enter, live state after each
  memmap-tutor quiz --answers A,C,B,D
  memmap-tutor show numpy-memmap-basics > my-lesson.yaml
  memmap-tutor run --watch my-lesson.yaml
  memmap-tutor completions bash > ~/.local/share/bash-completion/completions/memmap-tutor";

/// The narrowest text output: below it a table cannot show a word per column.
pub const MIN_WIDTH: u16 = 40;

/// The subcommands; none means `run` on the default lesson.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a lesson and print its views.
    #[command(after_long_help = "Examples:
  memmap-tutor run                       the default lesson, paged on a terminal
  memmap-tutor run eviction --view steps --view table
  memmap-tutor run my-lesson.yaml --format markdown > notes.md
  memmap-tutor run --format json | jq '.steps[].pages'
  memmap-tutor run --watch my-lesson.yaml   re-run whenever the file is saved")]
    Run(RunArgs),
    /// Walk through a lesson one step per Enter, with the live state after each.
    #[command(after_long_help = "Example:\n  memmap-tutor step copy-on-write")]
    Step(StepArgs),
    /// Take a lesson's quiz.
    #[command(
        after_long_help = "Examples:\n  memmap-tutor quiz\n  memmap-tutor quiz eviction --answers A,C,B"
    )]
    Quiz(QuizArgs),
    /// Check lessons' expectations and answer keys against a live run.
    #[command(
        after_long_help = "Examples:\n  memmap-tutor verify\n  memmap-tutor verify scenarios/\n  memmap-tutor verify --watch my-lesson.yaml"
    )]
    Verify(VerifyArgs),
    /// Parse and validate lessons only; touches no file.
    #[command(
        after_long_help = "Examples:\n  memmap-tutor check my-lesson.yaml\n  memmap-tutor check scenarios/"
    )]
    Check(CheckArgs),
    /// List the built-in lessons.
    List,
    /// Print a built-in lesson's YAML, to read or to copy as a start.
    #[command(after_long_help = "Example:\n  memmap-tutor show eviction > my-eviction.yaml")]
    Show(ShowArgs),
    /// Write a commented starter lesson to FILE.
    #[command(
        after_long_help = "Example:\n  memmap-tutor new my-lesson.yaml && memmap-tutor run --watch my-lesson.yaml"
    )]
    New(NewArgs),
    /// Print the JSON Schema of lesson files (for editors: yaml-language-server).
    Schema,
    /// Print a shell completion script.
    #[command(after_long_help = "Examples:
  memmap-tutor completions bash > ~/.local/share/bash-completion/completions/memmap-tutor
  memmap-tutor completions zsh > ~/.zfunc/_memmap-tutor
  memmap-tutor completions fish > ~/.config/fish/completions/memmap-tutor.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    #[command(
        after_long_help = "Example:\n  memmap-tutor man > memmap-tutor.1 && man ./memmap-tutor.1"
    )]
    Man,
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
    /// Run in DIR and keep the lesson's files there (default: a fresh temporary directory, removed
    /// afterwards). Use a directory on a disk filesystem: on tmpfs nothing is ever written to disk.
    #[arg(
        long,
        value_name = "DIR",
        env = "MEMMAP_TUTOR_WORKDIR",
        hide_env_values = true
    )]
    pub workdir: Option<PathBuf>,
    /// Let mode w+ truncate files that already exist in --workdir (refused otherwise, so a
    /// lesson cannot empty a user's file).
    #[arg(long, requires = "workdir")]
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
    /// Width of text output in columns, at least 40 (default: the terminal's, or COLUMNS, or 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(MIN_WIDTH as i64..))]
    pub width: Option<u16>,
}

/// Options of interactive text (step, quiz): colour and width, no format.
#[derive(Debug, Args, Clone)]
pub struct TermArgs {
    /// Colour ✔/✘ and headings: auto (only on a terminal, never with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Width of text output in columns, at least 40 (default: the terminal's, or COLUMNS, or 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(MIN_WIDTH as i64..))]
    pub width: Option<u16>,
}

impl TermArgs {
    /// The same choices as text output options.
    pub fn output(&self) -> OutputArgs {
        OutputArgs {
            format: Format::Text,
            color: self.color,
            width: self.width,
        }
    }
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A built-in lesson name or a path to a lesson YAML file (default: numpy-memmap-basics).
    pub lesson: Option<String>,
    /// Views to print, repeatable (default: all nine in lesson order); text and Markdown only.
    #[arg(long = "view", value_enum)]
    pub views: Vec<ViewName>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub workdir: WorkdirArgs,
    /// Write the output to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub out_file: Option<PathBuf>,
    /// Print straight to the terminal (default: long text output goes through $PAGER or `less -R`).
    #[arg(long)]
    pub no_pager: bool,
    /// Run again each time the lesson file changes (Ctrl-C to stop).
    #[arg(long)]
    pub watch: bool,
}

/// `step` options.
#[derive(Debug, Args)]
pub struct StepArgs {
    /// A built-in lesson name or a path to a lesson YAML file.
    pub lesson: Option<String>,
    #[command(flatten)]
    pub output: TermArgs,
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
    #[arg(long, default_value_t = 0, requires = "shuffle")]
    pub seed: u64,
    /// Quiz on your own NumPy script instead of a lesson: trace it (as `trace SCRIPT.py`) and ask about its run.
    #[arg(long, value_name = "SCRIPT.py", conflicts_with = "lesson")]
    pub trace: Option<PathBuf>,
    #[command(flatten)]
    pub output: TermArgs,
    #[command(flatten)]
    pub workdir: WorkdirArgs,
}

/// `verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Lessons (names or paths) or directories of lessons.
    pub lessons: Vec<String>,
    /// Verify again each time one of the lesson files changes (Ctrl-C to stop).
    #[arg(long)]
    pub watch: bool,
    /// Run each lesson in a fresh temporary directory inside DIR (choose the filesystem, e.g. a
    /// disk when /tmp is tmpfs); each is removed afterwards.
    #[arg(
        long,
        value_name = "DIR",
        env = "MEMMAP_TUTOR_WORKDIR",
        hide_env_values = true
    )]
    pub workdir: Option<PathBuf>,
}

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Lessons (names or paths) or directories of lessons.
    pub lessons: Vec<String>,
}

/// `show` options.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A built-in lesson name (see `memmap-tutor list`).
    pub lesson: String,
}

/// `new` options.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the starter lesson (refused if it exists).
    pub file: PathBuf,
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
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
    /// Steps recorded at most (1 to 10000, a lesson's cap); after them the script runs on untraced and the trace says where it stopped.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
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
    /// Print straight to the terminal (default: long text output goes through $PAGER or `less -R`).
    #[arg(long)]
    pub no_pager: bool,
}

//! `memmap-tutor run`: perform a lesson for real and print the chosen views.

use std::io::IsTerminal;

use super::CommandError;
use crate::cli::{ColorChoice, Format, OutputArgs, RunArgs, ViewName, WorkdirArgs};
use crate::engine::assign::ProgressHook;
use crate::lesson::{self, builtin, LoadedLesson};
use crate::quiz;
use crate::runner::Runner;
use crate::trace::Trace;
use crate::views::{self, QuizItem, RenderOptions, View, ViewContext};
use crate::workdir::WorkDir;

/// Load the lesson named on the command line (the default lesson when none).
pub(crate) fn load_lesson(name: Option<&str>) -> Result<LoadedLesson, CommandError> {
    Ok(lesson::load(name.unwrap_or(builtin::DEFAULT))?)
}

/// Load the lesson and prepare its work directory, in that order: a bad lesson, or one the pre-flight
/// checks refuse, creates no directory and touches no file.
pub(crate) fn load_and_prepare(
    lesson: Option<&str>,
    workdir: &WorkdirArgs,
) -> Result<(LoadedLesson, WorkDir), CommandError> {
    let lesson = load_lesson(lesson)?;
    let dir = WorkDir::prepare(workdir.workdir.as_deref(), &lesson, workdir.overwrite)?;
    Ok((lesson, dir))
}

/// Run a lesson of either kind: its steps with the engine, or its script through `trace` (the lesson is
/// returned with its script's lines turned into the trace's steps).
pub fn perform_any(
    lesson: LoadedLesson,
    workdir: &WorkDir,
) -> Result<(LoadedLesson, Trace), CommandError> {
    perform_any_showing(lesson, workdir, None)
}

/// [`perform_any`], telling `fill_progress` how each long fill is getting on.
fn perform_any_showing(
    lesson: LoadedLesson,
    workdir: &WorkDir,
    fill_progress: Option<ProgressHook>,
) -> Result<(LoadedLesson, Trace), CommandError> {
    if lesson.lesson.script.is_some() {
        return super::trace::perform_script_lesson(&lesson, workdir.path());
    }
    let trace = perform(&lesson, workdir, fill_progress);
    Ok((lesson, trace))
}

/// Run a loaded lesson in its work directory and return the trace; long `wait_writeback` steps
/// show a ticker on a terminal, and `fill_progress` (if any) hears how long fills are getting on.
pub fn perform(
    lesson: &LoadedLesson,
    workdir: &WorkDir,
    fill_progress: Option<ProgressHook>,
) -> Trace {
    let mut runner = Runner::new(lesson, workdir.path())
        .with_wait_observer(super::ticker::wait_ticker())
        .with_fill_progress(fill_progress);
    runner.allow_overwrite(workdir.overwrite());
    runner.run_all()
}

/// `run`: load, perform, print (again on every change of the lesson file with `--watch`).
pub fn run(args: &RunArgs) -> Result<(), CommandError> {
    check_options(args)?;
    if args.watch {
        let files = super::watch::files_of(args.lesson.as_slice());
        return super::watch::watch(&files, || run_once(args));
    }
    run_once(args)
}

/// Options that cannot work together are refused before anything runs (exit 2).
fn check_options(args: &RunArgs) -> Result<(), CommandError> {
    let format = args.output.format;
    if !args.views.is_empty() && matches!(format, Format::Json | Format::Html) {
        return Err(CommandError::Invalid(format!(
            "--view chooses text or Markdown views; --format {} always holds the whole run (drop --view)",
            if format == Format::Json { "json" } else { "html" }
        )));
    }
    Ok(())
}

fn run_once(args: &RunArgs) -> Result<(), CommandError> {
    let (lesson, workdir) = load_and_prepare(args.lesson.as_deref(), &args.workdir)?;
    let (lesson, trace) = perform_any_showing(lesson, &workdir, progress_bar())?;
    let views = if args.views.is_empty() {
        ViewName::ALL.to_vec()
    } else {
        args.views.clone()
    };
    let mut out = render(&lesson, &trace, &views, &args.output);
    if args.output.format == Format::Text && args.views.is_empty() && args.out_file.is_none() {
        let width = render_options(&args.output).width;
        out.push_str(&next_hint(args.lesson.as_deref(), width as usize));
    }
    match &args.out_file {
        Some(path) => write_file(path, &out),
        // Rendered output is already safe (the renderers sanitise lesson text; JSON is exact).
        None => super::pager::page(&out, !args.no_pager && !args.watch),
    }
}

/// The closing lines of text output: what to try next with this lesson, wrapped to `width` columns
/// between the commands, each command kept whole on one line so that it can be copied.
fn next_hint(lesson: Option<&str>, width: usize) -> String {
    let l = lesson
        .map(|l| format!(" {}", super::shell_quote(l)))
        .unwrap_or_default();
    let text = format!(
        "Next: `memmap-tutor step{l}` walks through it one step per Enter, `memmap-tutor quiz{l}` \
         tests you, `memmap-tutor run{l} --format html -o lesson.html` makes a web page."
    );
    // A private-use character (one layout does not use) glues a command's words: no break inside.
    const GLUE: char = '\u{e010}';
    if text.contains(GLUE) {
        return format!("{text}\n");
    }
    let mut in_code = false;
    let glued: String = text
        .chars()
        .map(|c| {
            in_code ^= c == '`';
            if c == ' ' && in_code {
                GLUE
            } else {
                c
            }
        })
        .collect();
    let mut out = String::new();
    for line in crate::views::layout::wrap_words(&glued, width) {
        out.push_str(&line.replace(GLUE, " "));
        out.push('\n');
    }
    out
}

/// `-o FILE`: write the output there (replacing the file only once all of it is written), and say so on stderr.
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    super::output_file::write_whole(path, text)?;
    eprintln!("wrote {} ({} bytes)", path.display(), text.len());
    Ok(())
}

/// On a terminal, a progress bar on stderr for long fills (≥ 100 MB); none when stderr is piped or
/// redirected, so output files and test captures stay clean.
fn progress_bar() -> Option<ProgressHook> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let mut bar: Option<indicatif::ProgressBar> = None;
    Some(Box::new(move |done, total| {
        let b = bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "filling {wide_bar} {binary_bytes}/{binary_total_bytes}",
            ) {
                b.set_style(style);
            }
            b
        });
        b.set_position(done);
        if done >= total {
            b.finish_and_clear();
            // The next long fill gets a fresh bar.
            bar = None;
        }
    }))
}

/// Render views of a trace in the requested format.
pub fn render(
    lesson: &LoadedLesson,
    trace: &Trace,
    views: &[ViewName],
    output: &OutputArgs,
) -> String {
    let quiz: Vec<QuizItem> = quiz::items(lesson, trace);
    let claims = crate::verify::claim_standings(lesson, trace);
    let ctx = ViewContext {
        lesson,
        trace,
        quiz: &quiz,
        claims: &claims,
    };
    let views: Vec<View> = views.iter().map(|v| v.view()).collect();
    views::render(&ctx, &views, &render_options(output))
}

/// The render options for these output arguments (width and colour decided here, once).
pub(crate) fn render_options(output: &OutputArgs) -> RenderOptions {
    let tty = std::io::stdout().is_terminal();
    let color = match output.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // no-color.org: NO_COLOR turns colour off when it is set to anything but the empty string.
        ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    RenderOptions {
        format: output.format.format(),
        width: output.width.unwrap_or_else(|| terminal_width(tty)),
        color,
    }
}

fn terminal_width(tty: bool) -> u16 {
    let min = crate::cli::MIN_WIDTH;
    if tty {
        if let Some(c) = super::pager::columns().filter(|c| *c >= min) {
            return c;
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| *c >= min)
        .unwrap_or(100)
}

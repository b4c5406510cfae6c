//! `memmap-tutor trace SCRIPT.py [ARGS…]`: run a real NumPy script line by line and print the views of its trace.

use super::{emit, CommandError};
use crate::cli::{TraceArgs, ViewName};
use crate::lesson::model::{Lesson, Sample};
use crate::lesson::LoadedLesson;
use crate::runner::script::trace_script;
use crate::script::{ScriptError, ScriptOptions};
use crate::trace::{ScriptInfo, Trace};

/// Views printed when none is asked for.
const DEFAULT_VIEWS: [ViewName; 3] = [ViewName::Sample, ViewName::Table, ViewName::Tracker];
/// Script lines shown in the Execution Sample at most.
const SAMPLE_LINES: usize = 200;

impl From<ScriptError> for CommandError {
    fn from(e: ScriptError) -> Self {
        match e {
            ScriptError::Missing(m) => CommandError::Invalid(m),
            ScriptError::Io(m) => CommandError::Io(m),
        }
    }
}

/// The interpreter: `--python`, else `$PYTHON`, else `python3`.
pub fn python(explicit: Option<&str>) -> String {
    explicit
        .map(str::to_string)
        .or_else(|| std::env::var("PYTHON").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "python3".to_string())
}

/// Trace the script the arguments name (shared by `trace` and `quiz --trace`).
pub fn perform(args: &TraceArgs) -> Result<(LoadedLesson, Trace), CommandError> {
    let opts = ScriptOptions {
        script: args.script.clone(),
        args: args.args.clone(),
        python: python(args.python.as_deref()),
        every: usize::try_from(args.every).unwrap_or(usize::MAX),
        top_level: args.top_level,
    };
    let trace = trace_script(&opts, args.max_steps)?;
    let lesson = lesson_for(&trace);
    Ok((lesson, trace))
}

/// `trace`: run, then print the views.
pub fn run(args: &TraceArgs) -> Result<(), CommandError> {
    let (lesson, trace) = perform(args)?;
    let views = if args.views.is_empty() {
        DEFAULT_VIEWS.to_vec()
    } else {
        args.views.clone()
    };
    emit(&super::run::render(&lesson, &trace, &views, &args.output))
}

/// The teaching text the views show for a script: its source as the sample, how it ended as the table footer.
pub fn lesson_for(trace: &Trace) -> LoadedLesson {
    let source = trace
        .script
        .as_ref()
        .and_then(|s| std::fs::read(&s.script).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let total = source.lines().count();
    let mut code: String = source
        .lines()
        .take(SAMPLE_LINES)
        .enumerate()
        .map(|(i, l)| format!("{:>3}  {l}\n", i + 1))
        .collect();
    if total > SAMPLE_LINES {
        code.push_str(&format!("     … ({} more lines)\n", total - SAMPLE_LINES));
    }
    LoadedLesson {
        source: trace.lesson.source.clone(),
        lesson: Lesson {
            title: trace.lesson.title.clone(),
            subject: Some("Your NumPy script, traced".to_string()),
            duration: None,
            summary: None,
            concept_flow: None,
            sample: Some(Sample {
                language: Some("Python".to_string()),
                code,
                caption: trace.script.as_ref().map(how_it_ran),
            }),
            steps: Vec::new(),
            table_footer: trace.script.as_ref().map(how_it_ran),
            key_moments: Vec::new(),
            quiz: Vec::new(),
            snapshot: Vec::new(),
            transcript: None,
        },
        steps: Vec::new(),
    }
}

/// One sentence on how the traced run went: interpreter, steps, where tracing stopped, how the script ended.
pub fn how_it_ran(s: &ScriptInfo) -> String {
    let mut parts = vec![format!(
        "Ran with Python {} and NumPy {} (pid {}), in the current directory with your rights",
        s.python, s.numpy, s.pid
    )];
    if s.every > 1 {
        parts.push(format!("one step per {} finished lines", s.every));
    }
    if s.top_level {
        parts.push("top-level lines only".to_string());
    }
    if let Some(line) = s.stopped_after {
        parts.push(format!(
            "tracing stopped after {} steps (line {line}); the script ran on untraced from there",
            s.max_steps
        ));
    }
    match (&s.error, s.exit_code) {
        (Some(e), _) => parts.push(format!("it ended with {e}")),
        (None, Some(0)) => parts.push("it ended normally (exit 0)".to_string()),
        (None, Some(c)) => parts.push(format!("it exited with code {c}")),
        (None, None) => parts.push("it was interrupted".to_string()),
    }
    if !s.stdout_after.is_empty() {
        parts.push(format!(
            "after the last step it printed: {}",
            s.stdout_after.trim_end()
        ));
    }
    format!("{}.", parts.join("; "))
}

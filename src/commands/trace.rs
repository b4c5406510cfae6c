//! `memmap-tutor trace SCRIPT.py [ARGS…]`: run a real NumPy script line by line and print the views of its trace.

use super::CommandError;
use crate::cli::{TraceArgs, ViewName};
use crate::lesson::model::{About, Lesson, Question, Sample};
use crate::lesson::LoadedLesson;
use crate::runner::script::trace_script;
use crate::script::{ScriptError, ScriptOptions};
use crate::trace::{DiskWrite, Op, ScriptInfo, StepRecord, Trace};

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
        cwd: None,
    };
    let trace = trace_script(&opts, args.max_steps)?;
    let lesson = lesson_for(&trace);
    Ok((lesson, trace))
}

/// Trace `script` with the default options (no script arguments), as `quiz --trace` does.
pub fn perform_default(script: &std::path::Path) -> Result<(LoadedLesson, Trace), CommandError> {
    let opts = ScriptOptions {
        script: script.to_path_buf(),
        args: Vec::new(),
        python: python(None),
        every: 1,
        top_level: false,
        cwd: None,
    };
    let trace = trace_script(&opts, crate::runner::script::DEFAULT_MAX_STEPS)?;
    Ok((lesson_for(&trace), trace))
}

/// Environment variable that lets a lesson file's `script:` run (it is Python code, run with your rights).
pub const RUN_SCRIPTS_ENV: &str = "MEMMAP_TUTOR_RUN_SCRIPTS";

/// Run a script lesson: its script through the tracer, in the lesson's work directory. The script is
/// written to a private temporary directory (never into the work directory). A lesson is untrusted input,
/// so a lesson file's script runs only when [`RUN_SCRIPTS_ENV`] is `1`.
pub fn perform_script_lesson(
    lesson: &LoadedLesson,
    workdir: &std::path::Path,
) -> Result<(LoadedLesson, Trace), CommandError> {
    let Some(script) = &lesson.lesson.script else {
        return Err(CommandError::Invalid(format!(
            "{}: the lesson has no script",
            lesson.source
        )));
    };
    if std::env::var(RUN_SCRIPTS_ENV).as_deref() != Ok("1") {
        return Err(CommandError::Invalid(format!(
            "{}: this lesson is a Python script, and running it runs that code with your rights; \
             set {RUN_SCRIPTS_ENV}=1 to allow it (or read it, then `memmap-tutor trace` it yourself)",
            lesson.source
        )));
    }
    let dir = tempfile::tempdir()
        .map_err(|e| CommandError::Io(format!("cannot create a temporary directory: {e}")))?;
    let path = dir.path().join("lesson.py");
    std::fs::write(&path, script)
        .map_err(|e| CommandError::Io(format!("cannot write {}: {e}", path.display())))?;
    let opts = ScriptOptions {
        script: path,
        args: Vec::new(),
        python: python(None),
        every: 1,
        top_level: false,
        cwd: Some(workdir.to_path_buf()),
    };
    let mut trace = trace_script(&opts, crate::runner::script::DEFAULT_MAX_STEPS)?;
    trace.lesson.source = lesson.source.clone();
    trace.lesson.title = lesson.lesson.title.clone();
    Ok((lines_to_steps(lesson, &trace), trace))
}

/// The lesson with every `about.step` and `cites.step` (lines of its script) turned into the trace's step
/// for the last time that line ran, and the script as its sample when it has none.
pub fn lines_to_steps(lesson: &LoadedLesson, trace: &Trace) -> LoadedLesson {
    let step_of = |line: usize| {
        trace
            .steps
            .iter()
            .rev()
            .find(|s| s.script.as_ref().is_some_and(|l| l.line == line))
            .map(|s| s.step)
    };
    let mut out = lesson.clone();
    for q in &mut out.lesson.quiz {
        if let Some(a) = &mut q.about {
            a.step = a.step.and_then(step_of);
        }
    }
    // A moment citing a line that never ran cites nothing rather than another step.
    for m in &mut out.lesson.key_moments {
        if let Some(c) = &m.cites {
            match step_of(c.step) {
                Some(n) => {
                    if let Some(c) = &mut m.cites {
                        c.step = n;
                    }
                }
                None => m.cites = None,
            }
        }
    }
    if out.lesson.sample.is_none() {
        out.lesson.sample = Some(Sample {
            language: Some("Python".to_string()),
            code: lesson.lesson.script.clone().unwrap_or_default(),
            caption: trace.script.as_ref().map(how_it_ran),
        });
    }
    out
}

/// `trace`: run, then print the views.
pub fn run(args: &TraceArgs) -> Result<(), CommandError> {
    let (lesson, trace) = perform(args)?;
    let views = if args.views.is_empty() {
        DEFAULT_VIEWS.to_vec()
    } else {
        args.views.clone()
    };
    let out = super::run::render(&lesson, &trace, &views, &args.output);
    match &args.out_file {
        Some(path) => {
            if same_file(path, &args.script) {
                return Err(CommandError::Invalid(format!(
                    "{}: refusing to write the output over the traced script",
                    path.display()
                )));
            }
            super::run::write_file(path, &out)
        }
        // Rendered output is already safe (the renderers sanitise the script's text) and may hold the
        // renderer's colours: printed exactly, through the pager as `run` does.
        None => super::pager::page(&out, !args.no_pager),
    }
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
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
            script: None,
            expect_lines: Vec::new(),
            table_footer: trace.script.as_ref().map(how_it_ran),
            key_moments: Vec::new(),
            quiz: questions_for(trace),
            snapshot: Vec::new(),
            transcript: None,
            claims: Vec::new(),
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

/// Questions about the learner's own program, each answered from this trace (the quiz derives the choices and
/// the key): the first line that wrote to disk, an element's value after the last store, and the dirty pages
/// after the first store. Only questions the trace can decide are asked.
pub fn questions_for(trace: &Trace) -> Vec<Question> {
    let line_of = |s: &StepRecord| {
        format!(
            "step {} (`{}`)",
            s.step,
            s.script
                .as_ref()
                .map(|l| format!("line {}: {}", l.line, s.code))
                .unwrap_or_else(|| s.action.clone())
        )
    };
    let about =
        |kind: &str, step: Option<usize>, index: Option<String>, var: Option<String>| About {
            kind: kind.to_string(),
            step,
            index,
            var,
        };
    let question = |q: String, hint: &str, about: About| Question {
        question: q,
        choices: Vec::new(),
        answer: None,
        hint: Some(hint.to_string()),
        explanation: None,
        about: Some(about),
        derive: Vec::new(),
    };
    let mut out = Vec::new();
    if trace.environment.has_disk
        && trace
            .steps
            .iter()
            .any(|s| s.disk_write.value().is_some_and(DiskWrite::wrote))
    {
        out.push(question(
            "At which step did your script first get a file's data written to disk?".to_string(),
            "Look at the Disk Write column of the execution table.",
            about("first_disk_write", None, None, None),
        ));
    }
    if let Some(s) = trace
        .steps
        .iter()
        .rev()
        .find(|s| s.op == Op::Assign && !s.watches.is_empty())
    {
        let w = &s.watches[0];
        out.push(question(
            format!("After {}, what does `{}` hold?", line_of(s), w.expr),
            "Look at the Array Content column of that step.",
            about(
                "value",
                Some(s.step),
                Some(w.expr.clone()),
                Some(s.var.clone()),
            ),
        ));
    }
    if let Some(s) = trace
        .steps
        .iter()
        .find(|s| s.op == Op::Assign && s.pages.value().is_some())
    {
        out.push(question(
            format!(
                "How many pages of `{}` were dirty in the page cache after {}?",
                s.file
                    .as_ref()
                    .map(|f| f.path.as_str())
                    .unwrap_or("the file"),
                line_of(s)
            ),
            "Look at the Dirty pages column (cachestat).",
            about("dirty_pages", Some(s.step), None, Some(s.var.clone())),
        ));
    }
    out
}

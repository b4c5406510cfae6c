//! `memmap-tutor step`: one step per Enter with the live state after each; predict-then-check questions.

use super::input::{Input, Terminal};
use super::keys::{self, Key, Prompt};
use super::quiz::Shown;
use super::run::{load_and_prepare, render_options};
use super::{emit, emit_exact, CommandError, Style};
use crate::cli::StepArgs;
use crate::lesson::model::{AboutKind, Question};
use crate::quiz;
use crate::runner::Runner;
use crate::trace::Trace;
use crate::views::render_blocks;
use crate::views::steps::step_blocks;
use crate::workdir::WorkDir;

/// Walk through the lesson interactively.
pub fn run(args: &StepArgs) -> Result<(), CommandError> {
    let (lesson, workdir) = load_and_prepare(args.lesson.as_deref(), &args.workdir)?;
    if lesson.lesson.script.is_some() {
        return Err(CommandError::Invalid(format!(
            "{}: `step` walks a lesson's steps; this lesson is a script (use `run`, or `trace` the script)",
            lesson.source
        )));
    }
    let options = render_options(&args.output.output());
    let style = Style::of(&args.output.output());
    let mut input = Terminal;
    let mut runner =
        Runner::new(&lesson, workdir.path()).with_wait_observer(super::ticker::wait_ticker());
    runner.allow_overwrite(workdir.overwrite());
    let env = runner.environment().clone();
    emit(&style.wrap(&format!(
        "{}\nWork directory: {} ({}{})\nPress Enter to perform each step, t then Enter for the execution table so far, q then Enter to quit.\n\n",
        lesson.lesson.title,
        super::shell_quote(&workdir.path().display().to_string()),
        env.filesystem,
        if workdir.is_temporary() { ", removed when you quit" } else { "" },
    )))?;
    // The run so far, grown one record per step (questions are answered from it).
    let mut trace = Trace {
        lesson: crate::trace::LessonInfo {
            source: lesson.source.clone(),
            title: lesson.lesson.title.clone(),
            workdir: workdir.path().display().to_string(),
        },
        environment: env,
        steps: Vec::new(),
        script: None,
    };
    let mut legend_shown = false;
    while let Some(next) = runner.peek() {
        emit(&style.wrap(&format!(
            "Next: step {} · {}\n    {}\n",
            next.number, next.action_text, next.code
        )))?;
        let shown = Shown {
            lesson: &lesson,
            trace: &trace,
            options,
        };
        // The table as far as the run has gone (no footer or correction about steps still to come).
        let table = || shown.table(Some(trace.steps.last().map_or(0, |s| s.step)));
        // Questions about this step's outcome are asked before it is performed: predict, then check.
        let predictions = predict_questions(&lesson.lesson.quiz, next.number);
        let mut guesses = Vec::new();
        for q in &predictions {
            emit(&style.wrap(&format!("Predict: {}\n", prediction_text(q, next.number))))?;
            for (j, c) in q.choices.iter().enumerate() {
                emit(&style.wrap(&format!("   {}  {c}\n", quiz::letter(j))))?;
            }
            let prompt = Prompt {
                what: "Your prediction",
                choices: q.choices.len(),
                hint: q.hint.as_deref(),
                skip: true,
                table: &table,
            };
            match keys::ask(&prompt, &mut input, false, &style)? {
                Key::Choice(i) => guesses.push(Some(i)),
                Key::Skip => guesses.push(None),
                Key::Quit => return finish(&workdir),
            }
        }
        loop {
            let Some(line) = input.ask("[Enter] perform the step, t table, q quit: ") else {
                return finish(&workdir);
            };
            match line.to_lowercase().as_str() {
                "" => break,
                "q" => return finish(&workdir),
                "t" => emit_exact(&table())?,
                _ => emit("Press Enter to perform the step, t for the table or q to quit.\n")?,
            }
        }
        let Some(record) = runner.step() else { break };
        emit_exact(&render_blocks(
            &step_blocks(&record, &mut legend_shown),
            &options,
        ))?;
        for f in record.files.values() {
            emit(&format!(
                "File on disk: {} (try `xxd {}` in another terminal)\n",
                f.abs_path,
                crate::workdir::shell_quote(&f.abs_path)
            ))?;
        }
        trace.steps.push(record);
        if !predictions.is_empty() {
            reveal(&predictions, &guesses, &trace, &style)?;
        }
        emit("\n")?;
    }
    emit("All steps done.\n")?;
    let _ = input.ask("[Enter] to finish: ");
    finish(&workdir)
}

/// Lesson questions whose answer is decided by the step about to run.
fn predict_questions(quiz: &[Question], step: usize) -> Vec<Question> {
    quiz.iter()
        .filter(|q| {
            q.about
                .as_ref()
                .map(|a| a.step == Some(step))
                .unwrap_or(false)
                && !q.choices.is_empty()
        })
        .cloned()
        .collect()
}

/// A question about step `n`'s outcome asked before step `n` runs: phrased about the step to come (the
/// lesson's own wording looks back at a table row that does not exist yet).
fn prediction_text(q: &Question, n: usize) -> String {
    let Some(about) = &q.about else {
        return q.question.clone();
    };
    let var = about
        .var
        .as_deref()
        .map(|v| format!(" of `{v}`"))
        .unwrap_or_default();
    let asks = match about.kind() {
        Some(AboutKind::Value) => format!(
            "what will {} be once it has run?",
            about.index.as_deref().unwrap_or("the element")
        ),
        Some(AboutKind::File) => {
            format!("what will the file{var} hold, as read(2) sees it, once it has run?")
        }
        Some(AboutKind::DirtyPages) => {
            format!("how many dirty pages will the file{var} have once it has run?")
        }
        Some(AboutKind::FirstDiskWrite) => {
            format!(
                "which step, from this one on, will be the first to write the file{var} to disk?"
            )
        }
        None => return q.question.clone(),
    };
    format!("step {n} is about to run — {asks}")
}

fn reveal(
    questions: &[Question],
    guesses: &[Option<usize>],
    trace: &Trace,
    style: &Style,
) -> Result<(), CommandError> {
    for (q, guess) in questions.iter().zip(guesses) {
        let Some(about) = &q.about else { continue };
        let m = match quiz::derive::measure(about, trace) {
            Ok(m) => m,
            Err(why) => {
                let line = format!("○ Not graded: cannot be measured here: {}.", why.why());
                style.emit(&style.wrap(&crate::term_safe::cleaned(&line)))?;
                emit("\n")?;
                continue;
            }
        };
        let answer = quiz::derive::matching_choice(&m.answer, &q.choices);
        let verdict = match (guess, answer) {
            (Some(g), Some(a)) if *g == a => style.verdict(true, "✔ Your prediction was right."),
            (Some(_), Some(a)) => style.verdict(
                false,
                &format!(
                    "✘ Not quite — the run measured {} ({}).",
                    quiz::letter(a),
                    q.choices[a]
                ),
            ),
            (None, _) => "Measured:".to_string(),
            (Some(_), None) => {
                "The run measured an answer that is not among the choices:".to_string()
            }
        };
        let citation = crate::term_safe::cleaned(&m.citation);
        style.emit(&style.wrap(&format!("{verdict} {citation}\n")))?;
    }
    Ok(())
}

fn finish(workdir: &WorkDir) -> Result<(), CommandError> {
    emit(&format!(
        "\nMappings closed.{}\n",
        if workdir.is_temporary() {
            " Temporary files removed."
        } else {
            ""
        }
    ))
}

//! `memmap-tutor step`: one step per Enter with the live state after each; predict-then-check questions.

use super::input::{Input, Terminal};
use super::keys::{self, Key, Prompt};
use super::quiz::{question_text, verdict, Shown};
use super::run::{load_and_prepare, render_options};
use super::{emit, emit_exact, CommandError, Style};
use crate::cli::StepArgs;
use crate::lesson::model::{AboutKind, Question};
use crate::lesson::{LoadedLesson, ResolvedStep};
use crate::quiz;
use crate::runner::Runner;
use crate::trace::Trace;
use crate::views::steps::step_blocks;
use crate::views::{render_blocks, RenderOptions};
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
    let mut walk = Walk::new(&lesson, &workdir, args);
    walk.header()?;
    while let Some(next) = walk.runner.peek() {
        if let Flow::Quit = walk.one_step(next)? {
            return finish(&workdir);
        }
    }
    emit("All steps done.\n")?;
    // Questions the run decides that no step asked (a derived question naming no step, the first disk write of
    // the whole run), graded from the complete run.
    if let Flow::Quit = walk.ask_decided(None)? {
        return finish(&workdir);
    }
    let _ = Terminal.ask("[Enter] to finish: ");
    finish(&workdir)
}

/// Whether the walk goes on.
enum Flow {
    Go,
    Quit,
}

/// The walk's state: the lesson, the runner, the run so far (questions are answered from it), and which
/// questions have been asked. Answers come from the terminal (`Terminal` reads the one shared stdin).
struct Walk<'a> {
    lesson: &'a LoadedLesson,
    workdir: &'a WorkDir,
    runner: Runner<'a>,
    trace: Trace,
    options: RenderOptions,
    style: Style,
    legend_shown: bool,
    asked: Vec<bool>,
}

impl<'a> Walk<'a> {
    fn new(lesson: &'a LoadedLesson, workdir: &'a WorkDir, args: &StepArgs) -> Walk<'a> {
        let mut runner =
            Runner::new(lesson, workdir.path()).with_wait_observer(super::ticker::wait_ticker());
        runner.allow_overwrite(workdir.overwrite());
        let trace = Trace {
            lesson: crate::trace::LessonInfo {
                source: lesson.source.clone(),
                title: lesson.lesson.title.clone(),
                workdir: workdir.path().display().to_string(),
            },
            environment: runner.environment().clone(),
            steps: Vec::new(),
            script: None,
        };
        // Predictions are asked before their step; the rest of the questions about the run once it decides them.
        let asked = lesson
            .lesson
            .quiz
            .iter()
            .map(|q| q.about.is_none() && q.derive.is_empty())
            .collect();
        Walk {
            lesson,
            workdir,
            runner,
            trace,
            options: render_options(&args.output.output()),
            style: Style::of(&args.output.output()),
            legend_shown: false,
            asked,
        }
    }

    fn header(&self) -> Result<(), CommandError> {
        emit(&self.style.wrap(&format!(
            "{}\nWork directory: {} ({}{})\nPress Enter to perform each step, t then Enter for the execution table so far, q then Enter to quit.\n\n",
            self.lesson.lesson.title,
            super::shell_quote(&self.workdir.path().display().to_string()),
            self.trace.environment.filesystem,
            if self.workdir.is_temporary() { ", removed when you quit" } else { "" },
        )))
    }

    /// What the learner sees of the run so far: the table up to the last step performed.
    fn shown(&self) -> Shown<'_> {
        Shown {
            lesson: self.lesson,
            trace: &self.trace,
            options: self.options,
            claims: crate::verify::claim_standings(self.lesson, &self.trace),
        }
    }

    /// The table as far as the run has gone (no footer or correction about steps still to come).
    fn table(&self) -> String {
        self.shown()
            .table(Some(self.trace.steps.last().map_or(0, |s| s.step)))
    }

    /// Announce the next step, ask the predictions about it, wait for Enter, perform it, and grade.
    fn one_step(&mut self, next: &ResolvedStep) -> Result<Flow, CommandError> {
        emit(&self.style.wrap(&format!(
            "Next: step {} · {}\n    {}\n",
            next.number, next.action_text, next.code
        )))?;
        let predictions = predict_questions(&self.lesson.lesson.quiz, next.number);
        let Some(guesses) = self.predict(&predictions, next.number)? else {
            return Ok(Flow::Quit);
        };
        if let Flow::Quit = self.wait_for_enter()? {
            return Ok(Flow::Quit);
        }
        let Some(record) = self.runner.step() else {
            return Ok(Flow::Go);
        };
        self.show_record(&record)?;
        self.trace.steps.push(record);
        if !predictions.is_empty() {
            reveal(&predictions, &guesses, &self.trace, &self.style)?;
        }
        for (i, q) in self.lesson.lesson.quiz.iter().enumerate() {
            if predictions.iter().any(|p| p == q) {
                self.asked[i] = true;
            }
        }
        emit("\n")?;
        self.ask_decided(Some(next.number))
    }

    /// Ask each prediction before its step; `None` when the learner quits.
    fn predict(
        &mut self,
        predictions: &[Question],
        n: usize,
    ) -> Result<Option<Vec<Option<usize>>>, CommandError> {
        let mut guesses = Vec::new();
        for q in predictions {
            emit(
                &self
                    .style
                    .wrap(&format!("Predict: {}\n", prediction_text(q, n))),
            )?;
            for (j, c) in q.choices.iter().enumerate() {
                emit(&self.style.wrap(&format!("   {}  {c}\n", quiz::letter(j))))?;
            }
            let table = || self.table();
            let prompt = Prompt {
                what: "Your prediction",
                choices: q.choices.len(),
                hint: q.hint.as_deref(),
                skip: true,
                table: &table,
            };
            match keys::ask(&prompt, &mut Terminal, false, &self.style)? {
                Key::Choice(i) => guesses.push(Some(i)),
                Key::Skip => guesses.push(None),
                Key::Quit => return Ok(None),
            }
        }
        Ok(Some(guesses))
    }

    fn wait_for_enter(&mut self) -> Result<Flow, CommandError> {
        loop {
            let Some(line) = Terminal.ask("[Enter] perform the step, t table, q quit: ") else {
                return Ok(Flow::Quit);
            };
            match line.to_lowercase().as_str() {
                "" => return Ok(Flow::Go),
                "q" => return Ok(Flow::Quit),
                "t" => emit_exact(&self.table())?,
                _ => emit("Press Enter to perform the step, t for the table or q to quit.\n")?,
            }
        }
    }

    /// The step's record as the step-by-step trace shows it, and where its files are.
    fn show_record(&mut self, record: &crate::trace::StepRecord) -> Result<(), CommandError> {
        emit_exact(&render_blocks(
            &step_blocks(record, &mut self.legend_shown),
            &self.options,
        ))?;
        for f in record.files.values() {
            emit(&format!(
                "File on disk: {} (try `xxd {}` in another terminal)\n",
                f.abs_path,
                crate::workdir::shell_quote(&f.abs_path)
            ))?;
        }
        Ok(())
    }

    /// Ask the questions the run has decided once step `after` has run (the last step their conditions read);
    /// `None`: every question about the run not asked yet. Graded from the run so far, exactly as `quiz` grades.
    fn ask_decided(&mut self, after: Option<usize>) -> Result<Flow, CommandError> {
        let due: Vec<usize> = (0..self.lesson.lesson.quiz.len())
            .filter(|&i| !self.asked[i])
            .filter(|&i| {
                after.is_none()
                    || quiz::derived::steps_named(&self.lesson.lesson.quiz[i]).last()
                        == after.as_ref()
            })
            .collect();
        if due.is_empty() {
            return Ok(Flow::Go);
        }
        let asked = quiz::questions(self.lesson, &self.trace);
        for i in due {
            self.asked[i] = true;
            let q = &asked[i];
            let when = match after {
                Some(n) => format!("decided by step {n}"),
                None => "the run has decided it".to_string(),
            };
            emit(
                &self
                    .style
                    .wrap(&format!("A question the run has answered ({when}):\n")),
            )?;
            emit(&self.style.wrap(&question_text(i, q)))?;
            let table = || self.table();
            let prompt = Prompt {
                what: "Your answer",
                choices: q.choices.len(),
                hint: q.hint.as_deref(),
                skip: true,
                table: &table,
            };
            let chosen = match keys::ask(&prompt, &mut Terminal, false, &self.style)? {
                Key::Choice(c) => Some(c),
                Key::Skip => None,
                Key::Quit => return Ok(Flow::Quit),
            };
            self.style.emit(&verdict(q, chosen, &self.style))?;
        }
        Ok(Flow::Go)
    }
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

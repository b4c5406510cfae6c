//! `memmap-tutor quiz`: ask the lesson's questions, mark each answer from the live run, print the score.

use super::input::{Input, Scripted, Terminal};
use super::keys::{self, Key, Prompt};
use super::run::{load_and_prepare, perform_any, render_options};
use super::{emit, emit_exact, CommandError, Style};
use crate::cli::QuizArgs;
use crate::lesson::LoadedLesson;
use crate::quiz::{self, Asked, Shows};
use crate::trace::Trace;
use crate::views::steps::step_blocks;
use crate::views::{render_blocks, RenderOptions, ViewContext};

/// Run the lesson, then ask its questions (from the terminal, or `--answers`).
pub fn run(args: &QuizArgs) -> Result<(), CommandError> {
    // The lesson's work directory lives until the quiz ends, as before `--trace` existed.
    let mut _workdir = None;
    let (lesson, trace) = match &args.trace {
        Some(script) => super::trace::perform_default(script)?,
        None => {
            let (lesson, workdir) = load_and_prepare(args.lesson.as_deref(), &args.workdir)?;
            let performed = perform_any(lesson, &workdir)?;
            _workdir = Some(workdir);
            performed
        }
    };
    let mut questions = quiz::questions(&lesson, &trace);
    if args.shuffle {
        quiz::shuffle::shuffle(&mut questions, args.seed);
    }
    if let Some(list) = &args.answers {
        check_answers(list, &questions).map_err(CommandError::Invalid)?;
    }
    if questions.is_empty() {
        emit("This lesson has no quiz.\n")?;
        return Ok(());
    }
    emit(&format!(
        "{} — quiz ({} questions)\n\n",
        lesson.lesson.title,
        questions.len()
    ))?;
    let style = Style::of(&args.output.output());
    let shown = Shown {
        lesson: &lesson,
        trace: &trace,
        options: render_options(&args.output.output()),
        claims: crate::verify::claim_standings(&lesson, &trace),
    };
    let score = match &args.answers {
        Some(list) => ask_all(&questions, &shown, &mut Scripted::new(list), true, &style)?,
        None => ask_all(&questions, &shown, &mut Terminal, false, &style)?,
    };
    let not_graded = match score.not_graded {
        0 => String::new(),
        1 => " (1 question not graded: this run could not measure its answer)".to_string(),
        n => format!(" ({n} questions not graded: this run could not measure their answers)"),
    };
    emit(&format!(
        "Score: {}/{}{not_graded}\n",
        score.right, score.total
    ))?;
    if score.right == score.total {
        Ok(())
    } else {
        Err(CommandError::Failed(String::new()))
    }
}

/// `--answers` must read as a session could go: one letter per question (within its choices),
/// `h` for a hint, `t` for the table, `q` to stop; anything else, or more answers than questions, is refused (exit 2)
/// instead of being silently dropped or read as quitting.
pub fn check_answers(list: &str, questions: &[Asked]) -> Result<(), String> {
    let mut next = 0;
    for (i, raw) in list.split(',').enumerate() {
        let a = raw.trim();
        let at = format!("--answers: answer {} `{}`", i + 1, super::show::shown(a));
        if a.eq_ignore_ascii_case("h") || a.eq_ignore_ascii_case("t") {
            continue;
        }
        if a.eq_ignore_ascii_case("q") {
            if list.split(',').count() > i + 1 {
                return Err(format!("{at}: nothing may follow q (quit)"));
            }
            return Ok(());
        }
        let Some(q) = questions.get(next) else {
            return Err(format!(
                "--answers gives {} answers but the quiz has {} question{}",
                list.split(',')
                    .filter(|a| {
                        !a.trim().eq_ignore_ascii_case("h") && !a.trim().eq_ignore_ascii_case("t")
                    })
                    .count(),
                questions.len(),
                if questions.len() == 1 { "" } else { "s" }
            ));
        };
        if quiz::index_of(a, q.choices.len()).is_none() {
            let last = quiz::letter(q.choices.len().saturating_sub(1));
            return Err(format!(
                "{at}: question {} takes a letter from A to {last} (or h for a hint, t for the table, q to stop)",
                next + 1
            ));
        }
        next += 1;
    }
    Ok(())
}

/// Right answers out of the graded questions, and the questions this run could not grade.
pub struct Score {
    pub right: usize,
    pub total: usize,
    pub not_graded: usize,
}

/// What the quiz shows of the run: the execution table (whole or up to a step) and single steps.
pub(crate) struct Shown<'a> {
    pub lesson: &'a LoadedLesson,
    pub trace: &'a Trace,
    pub options: RenderOptions,
    /// How the lesson's claims stand in this run (the table shows corrections under the notes).
    pub claims: Vec<crate::present::claims::Standing>,
}

impl Shown<'_> {
    /// The execution table up to and including `upto` (all of it for `None`), rendered.
    pub(crate) fn table(&self, upto: Option<usize>) -> String {
        let ctx = ViewContext {
            lesson: self.lesson,
            trace: self.trace,
            quiz: &[],
            claims: &self.claims,
        };
        if self.trace.steps.is_empty() {
            return "No step has run yet: the execution table is empty.\n".to_string();
        }
        render_blocks(&crate::views::table::build_upto(&ctx, upto), &self.options)
    }

    /// What `q` refers to, rendered (empty when it refers to nothing of the run).
    fn before(&self, q: &Asked) -> String {
        match q.shows {
            Shows::Nothing => String::new(),
            Shows::Table { upto } => self.table(upto),
            Shows::Step(n) => match self.trace.steps.iter().find(|s| s.step == n) {
                Some(step) => render_blocks(&step_blocks(step, &mut false), &self.options),
                None => String::new(),
            },
        }
    }
}

/// Ask every question in turn; stops early on `q` or end of input.
pub(crate) fn ask_all(
    questions: &[Asked],
    shown: &Shown,
    input: &mut dyn Input,
    echo: bool,
    style: &Style,
) -> Result<Score, CommandError> {
    let total = questions.iter().filter(|q| q.answer.is_some()).count();
    let mut score = Score {
        right: 0,
        total,
        not_graded: questions.len() - total,
    };
    for (i, q) in questions.iter().enumerate() {
        emit_exact(&shown.before(q))?;
        emit(&style.wrap(&question_text(i, q)))?;
        match ask_one(q, shown, input, echo, style)? {
            Outcome::Right => score.right += 1,
            Outcome::Wrong | Outcome::Unscored => {}
            Outcome::Quit => {
                emit("Quiz ended.\n")?;
                break;
            }
        }
    }
    Ok(score)
}

enum Outcome {
    Right,
    Wrong,
    Unscored,
    Quit,
}

/// The question and its lettered choices.
pub(crate) fn question_text(i: usize, q: &Asked) -> String {
    let mut s = format!("{}. {}\n", i + 1, q.question);
    for (j, c) in q.choices.iter().enumerate() {
        s.push_str(&format!("   {}  {c}\n", quiz::letter(j)));
    }
    s
}

fn ask_one(
    q: &Asked,
    shown: &Shown,
    input: &mut dyn Input,
    echo: bool,
    style: &Style,
) -> Result<Outcome, CommandError> {
    let table = || shown.table(None);
    let prompt = Prompt {
        what: "Your answer",
        choices: q.choices.len(),
        hint: q.hint.as_deref(),
        skip: false,
        table: &table,
    };
    let chosen = match keys::ask(&prompt, input, echo, style)? {
        Key::Choice(i) => i,
        Key::Skip | Key::Quit => return Ok(Outcome::Quit),
    };
    style.emit(&verdict(q, Some(chosen), style))?;
    let Some(answer) = q.answer else {
        return Ok(Outcome::Unscored);
    };
    Ok(if chosen == answer {
        Outcome::Right
    } else {
        Outcome::Wrong
    })
}

/// The verdict on an answer (`None`: skipped), with the explanation, ready to print: `✔ Right.`, `✘ Wrong — the
/// answer is B (text).`, `Measured:` for a skipped question, or `○ Not graded: why.` where the run cannot grade it.
pub(crate) fn verdict(q: &Asked, chosen: Option<usize>, style: &Style) -> String {
    let Some(answer) = q.answer else {
        let why = q.not_graded.as_deref().unwrap_or("no answer key");
        return style.wrap(&crate::term_safe::cleaned(&format!(
            "○ Not graded: {why}.\n\n"
        )));
    };
    // The right choice by its text as well as its letter: the letter changes with `--shuffle`.
    let named = format!("{} ({})", quiz::letter(answer), q.choices[answer]);
    let verdict = match chosen {
        Some(c) if c == answer => style.verdict(true, "✔ Right."),
        Some(_) => style.verdict(false, &format!("✘ Wrong — the answer is {named}.")),
        None => format!("The answer is {named}."),
    };
    let explanation = if q.explanation.is_empty() {
        String::new()
    } else {
        format!(" {}", q.explanation)
    };
    let explanation = crate::term_safe::cleaned(&explanation);
    style.wrap(&format!("{verdict}{explanation}\n\n"))
}

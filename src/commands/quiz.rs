//! `memmap-tutor quiz`: ask the lesson's questions, mark each answer from the live run, print the score.

use super::input::{Input, Scripted, Terminal};
use super::run::{load_and_prepare, perform_any};
use super::{emit, CommandError, Style};
use crate::cli::QuizArgs;
use crate::quiz::{self, Asked};

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
    let score = match &args.answers {
        Some(list) => ask_all(&questions, &mut Scripted::new(list), true, &style)?,
        None => ask_all(&questions, &mut Terminal, false, &style)?,
    };
    emit(&format!("Score: {}/{}\n", score.right, score.total))?;
    if score.right == score.total {
        Ok(())
    } else {
        Err(CommandError::Failed(String::new()))
    }
}

/// `--answers` must read as a session could go: one letter per question (within its choices),
/// `h` for a hint, `q` to stop; anything else, or more answers than questions, is refused (exit 2)
/// instead of being silently dropped or read as quitting.
pub fn check_answers(list: &str, questions: &[Asked]) -> Result<(), String> {
    let mut next = 0;
    for (i, raw) in list.split(',').enumerate() {
        let a = raw.trim();
        let at = format!("--answers: answer {} `{}`", i + 1, super::show::shown(a));
        if a.eq_ignore_ascii_case("h") {
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
                    .filter(|a| !a.trim().eq_ignore_ascii_case("h"))
                    .count(),
                questions.len(),
                if questions.len() == 1 { "" } else { "s" }
            ));
        };
        if quiz::index_of(a, q.choices.len()).is_none() {
            let last = quiz::letter(q.choices.len().saturating_sub(1));
            return Err(format!(
                "{at}: question {} takes a letter from A to {last} (or h for a hint, q to stop)",
                next + 1
            ));
        }
        next += 1;
    }
    Ok(())
}

/// Right answers out of the questions that have an answer key.
pub struct Score {
    pub right: usize,
    pub total: usize,
}

/// Ask every question in turn; stops early on `q` or end of input.
pub(crate) fn ask_all(
    questions: &[Asked],
    input: &mut dyn Input,
    echo: bool,
    style: &Style,
) -> Result<Score, CommandError> {
    let total = questions.iter().filter(|q| q.answer.is_some()).count();
    let mut right = 0;
    for (i, q) in questions.iter().enumerate() {
        emit(&style.wrap(&question_text(i, q)))?;
        match ask_one(q, input, echo, style)? {
            Outcome::Right => right += 1,
            Outcome::Wrong | Outcome::Unscored => {}
            Outcome::Quit => {
                emit("Quiz ended.\n")?;
                break;
            }
        }
    }
    Ok(Score { right, total })
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
    input: &mut dyn Input,
    echo: bool,
    style: &Style,
) -> Result<Outcome, CommandError> {
    let last = quiz::letter(q.choices.len().saturating_sub(1));
    let prompt = format!("Your answer (A-{last}, h hint, q quit): ");
    loop {
        let Some(line) = input.ask(&prompt) else {
            emit("\n")?;
            return Ok(Outcome::Quit);
        };
        if echo {
            emit(&format!("{prompt}{line}\n"))?;
        }
        match line.to_lowercase().as_str() {
            "q" => return Ok(Outcome::Quit),
            "h" => {
                let hint = q.hint.as_deref().unwrap_or("No hint for this question.");
                emit(&style.wrap(&format!("💡 Hint: {hint}\n")))?;
                continue;
            }
            _ => {}
        }
        let Some(chosen) = quiz::index_of(&line, q.choices.len()) else {
            emit(&format!(
                "Please type a letter from A to {last}, h for a hint or q to quit.\n"
            ))?;
            continue;
        };
        let Some(answer) = q.answer else {
            emit(&style.wrap(&format!(
                "No answer key: {}\n\n",
                if q.explanation.is_empty() {
                    "the run could not measure this."
                } else {
                    &q.explanation
                }
            )))?;
            return Ok(Outcome::Unscored);
        };
        let verdict = if chosen == answer {
            style.verdict(true, "✔ Right.")
        } else {
            style.verdict(
                false,
                &format!("✘ Wrong — the answer is {}.", quiz::letter(answer)),
            )
        };
        let explanation = if q.explanation.is_empty() {
            String::new()
        } else {
            format!(" {}", q.explanation)
        };
        let explanation = crate::term_safe::cleaned(&explanation);
        style.emit(&style.wrap(&format!("{verdict}{explanation}\n\n")))?;
        return Ok(if chosen == answer {
            Outcome::Right
        } else {
            Outcome::Wrong
        });
    }
}

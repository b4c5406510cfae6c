//! The keys `quiz` and `step` share at a question: a letter answers, `h` shows the hint, `t` the
//! execution table, `q` quits; anything else is asked again (never read as quitting or skipping).

use super::input::Input;
use super::{emit, CommandError, Style};
use crate::quiz;

/// What the learner chose at a question.
pub(crate) enum Key {
    /// The index of a choice.
    Choice(usize),
    /// Enter with no letter, where skipping is allowed (a prediction in `step`).
    Skip,
    /// `q`, or the end of input.
    Quit,
}

/// One question's prompt: its number of choices, its hint, and how to show the table.
pub(crate) struct Prompt<'a> {
    /// `Your answer` or `Your prediction`.
    pub what: &'a str,
    pub choices: usize,
    pub hint: Option<&'a str>,
    /// Whether an empty line skips the question.
    pub skip: bool,
    /// The execution table as far as the run has gone, ready to print.
    pub table: &'a dyn Fn() -> String,
}

impl Prompt<'_> {
    fn text(&self) -> String {
        let last = quiz::letter(self.choices.saturating_sub(1));
        let skip = if self.skip { ", Enter skip" } else { "" };
        format!("{} (A-{last}, h hint, t table{skip}, q quit): ", self.what)
    }
}

/// Ask until the line is a letter within the choices, `q`, end of input, or (if allowed) empty.
pub(crate) fn ask(
    p: &Prompt,
    input: &mut dyn Input,
    echo: bool,
    style: &Style,
) -> Result<Key, CommandError> {
    let prompt = p.text();
    let last = quiz::letter(p.choices.saturating_sub(1));
    loop {
        let Some(line) = input.ask(&prompt) else {
            emit("\n")?;
            return Ok(Key::Quit);
        };
        if echo {
            emit(&format!("{prompt}{line}\n"))?;
        }
        match line.to_lowercase().as_str() {
            "q" => return Ok(Key::Quit),
            "h" => {
                let hint = p.hint.unwrap_or("No hint for this question.");
                emit(&style.wrap(&format!("💡 Hint: {hint}\n")))?;
                continue;
            }
            "t" => {
                super::emit_exact(&(p.table)())?;
                continue;
            }
            "" if p.skip => return Ok(Key::Skip),
            _ => {}
        }
        match quiz::index_of(&line, p.choices) {
            Some(i) => return Ok(Key::Choice(i)),
            None => emit(&format!(
                "Please type a letter from A to {last}, h for a hint, t for the table{} or q to quit.\n",
                if p.skip { ", Enter to skip" } else { "" }
            ))?,
        }
    }
}

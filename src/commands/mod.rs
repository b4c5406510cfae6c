//! The subcommands: each takes parsed arguments and writes its output through `emit`.

pub mod check;
pub mod export;
pub mod input;
pub(crate) mod keys;
pub mod list;
pub(crate) mod output_file;
pub mod pager;
pub mod quiz;
pub mod run;
pub mod schema;
pub mod show;
pub mod step;
pub mod ticker;
pub mod trace;
pub mod verify;
pub mod watch;

use std::io::{self, Write};

use crate::lesson::LessonError;

/// How a command failed, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Invalid usage or an invalid lesson: exit 2.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Lesson(#[from] LessonError),
    /// A `verify` expectation or a quiz answer failed: exit 1 (the details were already printed).
    #[error("{0}")]
    Failed(String),
    /// The system refused something the tutor needs (work directory, terminal): exit 1.
    #[error("{0}")]
    Io(String),
    /// The reader went away (e.g. `| head`): stop quietly, exit 0.
    #[error("broken pipe")]
    BrokenPipe,
}

impl CommandError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Invalid(_) | CommandError::Lesson(_) => 2,
            CommandError::Failed(_) | CommandError::Io(_) => 1,
            CommandError::BrokenPipe => 0,
        }
    }
}

impl From<crate::workdir::PrepareError> for CommandError {
    fn from(e: crate::workdir::PrepareError) -> Self {
        match e {
            crate::workdir::PrepareError::Refused(l) => CommandError::Lesson(l),
            crate::workdir::PrepareError::Busy(_) | crate::workdir::PrepareError::Usage(_) => {
                CommandError::Invalid(e.to_string())
            }
            crate::workdir::PrepareError::Io(_) => CommandError::Io(e.to_string()),
        }
    }
}

/// What the tutor prints on stderr for a failed command: every line starts with `memmap-tutor: `.
/// One lesson error is one line (a line feed it echoes from the lesson is shown as `\n`); a
/// message made of several (every error `check` found) keeps one line per error. Control
/// characters are shown escaped ([`crate::term_safe`]). Empty for errors that print nothing.
pub fn error_text(e: &CommandError) -> String {
    let message = match e {
        CommandError::BrokenPipe => return String::new(),
        CommandError::Lesson(l) => crate::term_safe::one_line(&l.to_string()).into_owned(),
        other => crate::term_safe::cleaned(&other.to_string()),
    };
    message
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| format!("memmap-tutor: {l}\n"))
        .collect()
}

/// Write text for a terminal to stdout: lesson text in it has its control characters shown
/// escaped ([`crate::term_safe`]). A closed pipe becomes [`CommandError::BrokenPipe`].
pub(crate) fn emit(text: &str) -> Result<(), CommandError> {
    emit_exact(&crate::term_safe::clean(text))
}

/// Write already-safe output exactly: JSON, an export script, or blocks a renderer sanitised
/// (which may carry the renderer's own colour sequences).
pub(crate) fn emit_exact(text: &str) -> Result<(), CommandError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                CommandError::BrokenPipe
            } else {
                CommandError::Io(format!("cannot write output: {e}"))
            }
        })
}

/// `s` quoted for a POSIX shell when it needs it, so a printed command can be pasted as is (one quoting
/// rule for every printed path: control characters as bash's `$'\x..'`, see [`crate::workdir::shell_quote`]).
pub fn shell_quote(s: &str) -> String {
    crate::workdir::shell_quote(s)
}

/// How `step` and `quiz` print on a terminal: lines wrapped to its width, ✔ green and ✘ red
/// (never with NO_COLOR, `--color never` or when piped).
pub struct Style {
    pub width: usize,
    pub color: bool,
}

impl Style {
    /// The style of these output options (the same decisions as `run`'s text).
    pub fn of(output: &crate::cli::OutputArgs) -> Style {
        let o = run::render_options(output);
        Style {
            width: o.width as usize,
            color: o.color,
        }
    }

    /// A verdict (`✔ …` or `✘ …`), coloured when colour is on; print it with [`Style::emit`].
    pub fn verdict(&self, right: bool, text: &str) -> String {
        let text = crate::term_safe::cleaned(text);
        if !self.color {
            return text;
        }
        let code = if right { "32" } else { "31" };
        format!("\x1b[1;{code}m{text}\x1b[0m")
    }

    /// Wrap every line of `text` to the width, keeping its line breaks and each line's indent;
    /// words, numbers and escape sequences are never split.
    pub fn wrap(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let indent = line.len() - line.trim_start().len();
            let body = &line[indent..];
            let pad = " ".repeat(indent + if indent > 0 { 3 } else { 0 });
            let plain = strip_ansi(body);
            if crate::views::layout::width(&plain) + indent <= self.width {
                out.push_str(line);
                continue;
            }
            let wrapped =
                crate::views::layout::wrap_words(body, self.width.saturating_sub(indent).max(20));
            for (j, part) in wrapped.iter().enumerate() {
                if j == 0 {
                    out.push_str(&line[..indent]);
                } else {
                    out.push('\n');
                    out.push_str(&pad);
                }
                out.push_str(part);
            }
        }
        out
    }
}

impl Style {
    /// Print text whose lesson parts were already cleaned (verdicts keep their colour codes).
    pub fn emit(&self, cleaned: &str) -> Result<(), CommandError> {
        emit_exact(cleaned)
    }
}

/// Text without ANSI colour sequences (to measure it).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_keep_their_indent_and_words() {
        let style = Style {
            width: 30,
            color: false,
        };
        let text = style.wrap("   A  a choice that is much too long for the width\nshort");
        for line in text.lines() {
            assert!(crate::views::layout::width(line) <= 30, "{text}");
        }
        assert!(text.starts_with("   A  a choice"), "{text}");
        assert!(text.ends_with("\nshort"), "{text}");
        assert_eq!(
            Style {
                width: 30,
                color: true
            }
            .verdict(true, "✔ Right."),
            "\x1b[1;32m✔ Right.\x1b[0m"
        );
        assert_eq!(style.verdict(false, "✘ x"), "✘ x");
    }

    #[test]
    fn shell_quoting_only_where_needed() {
        assert_eq!(shell_quote("/tmp/a.dat"), "/tmp/a.dat");
        assert_eq!(shell_quote("/tmp/my file's"), "'/tmp/my file'\\''s'");
        assert_eq!(shell_quote(""), "''");
        // A control character is spelt out, so neither the terminal nor the shell sees it raw.
        assert_eq!(shell_quote("a\x1bb"), "$'a\\x1bb'");
    }
}

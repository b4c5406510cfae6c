//! `memmap-tutor list`: the built-in lessons with one-line summaries.

use std::io::IsTerminal;

use super::{emit, CommandError};
use crate::cli::{ColorChoice, Format, OutputArgs};
use crate::lesson::{builtin, load_str};
use crate::views::layout;

/// Print each built-in lesson's name and summary: on a terminal the summaries are wrapped beside the names
/// to its width; piped, each lesson stays on one line (`list | awk '{print $1}'` gives the names).
pub fn run() -> Result<(), CommandError> {
    let width = std::io::stdout().is_terminal().then(|| {
        super::run::render_options(&OutputArgs {
            format: Format::Text,
            color: ColorChoice::Never,
            width: None,
        })
        .width as usize
    });
    emit(&listing(width))
}

/// The listing: names in a column, each summary after its name, wrapped to `width` columns when one is
/// given (never a word split; under the name, indented, when a summary column would be too narrow).
pub fn listing(width: Option<usize>) -> String {
    let mut out = String::new();
    let names = builtin::LESSONS
        .iter()
        .map(|(n, _)| layout::width(n))
        .max()
        .unwrap_or(0);
    let beside = width.is_none_or(|w| w.saturating_sub(names + 2) >= 24);
    let (names, summary_width) = match width {
        None => (names, None),
        Some(w) if beside => (names, Some(w - names - 2)),
        Some(w) => (0, Some(w.saturating_sub(2))),
    };
    let indent = " ".repeat(names + 2);
    for (name, text) in builtin::LESSONS {
        let summary = match load_str(name, text) {
            Ok(l) => l.lesson.summary.unwrap_or(l.lesson.title),
            Err(e) => format!("(invalid: {e})"),
        };
        if !beside {
            out.push_str(&format!("{name}\n"));
        }
        let lines = match summary_width {
            Some(w) => layout::wrap_words(&summary, w),
            None => vec![summary],
        };
        for (i, line) in lines.iter().enumerate() {
            if i == 0 && beside {
                out.push_str(&format!("{}  {line}\n", layout::pad(name, names)));
            } else {
                out.push_str(&format!("{indent}{line}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::lesson::builtin::LESSONS;

    #[test]
    fn every_line_fits_and_every_lesson_is_listed() {
        for width in [40, 80, 100] {
            let text = super::listing(Some(width));
            for line in text.lines() {
                assert!(
                    crate::views::layout::width(line) <= width,
                    "{width}: {line}"
                );
            }
            for (name, _) in LESSONS {
                assert!(
                    text.lines()
                        .any(|l| l == *name || l.starts_with(&format!("{name} "))),
                    "{name}"
                );
            }
        }
        // Without a width (piped): one line per lesson, the name first.
        let text = super::listing(None);
        assert_eq!(text.lines().count(), LESSONS.len());
        for (line, (name, _)) in text.lines().zip(LESSONS) {
            assert_eq!(line.split_whitespace().next(), Some(*name));
        }
    }
}

//! `--watch`: run a command again each time one of its lesson files changes (as rustlings does).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::CommandError;

/// How often the files' modification times are looked at.
const POLL: Duration = Duration::from_millis(300);

/// Run `once`, then again after every change to `files`, until Ctrl-C. A failed run (bad lesson,
/// failed expectation) is reported and watching goes on; only a closed output ends it.
pub fn watch(
    files: &[PathBuf],
    mut once: impl FnMut() -> Result<(), CommandError>,
) -> Result<(), CommandError> {
    if files.is_empty() {
        return Err(CommandError::Invalid(
            "--watch needs a lesson file (built-in lessons never change): \
             `memmap-tutor show NAME > my.yaml`, then watch my.yaml"
                .to_string(),
        ));
    }
    loop {
        let before = stamps(files);
        if std::io::stdout().is_terminal() {
            // Clear the screen so each run starts at the top.
            print!("\x1b[2J\x1b[H");
        }
        match once() {
            Err(CommandError::BrokenPipe) => return Err(CommandError::BrokenPipe),
            // The same text as a failed run prints: lesson text in it shown escaped.
            Err(e) => eprint!("{}", super::error_text(&e)),
            _ => {}
        }
        eprintln!(
            "Watching {} for changes (Ctrl-C to stop).",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        while stamps(files) == before {
            std::thread::sleep(POLL);
        }
    }
}

/// Lesson arguments that name files (built-in names and missing paths are not watched).
pub fn files_of(args: &[String]) -> Vec<PathBuf> {
    args.iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// Modification time and size of each file, or None where it is gone (an editor's save may
/// replace the file).
fn stamps(files: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

//! The subcommands: each takes parsed arguments and writes its output through `emit`.

pub mod check;
pub mod export;
pub mod input;
pub mod list;
pub mod quiz;
pub mod run;
pub mod step;
pub mod trace;
pub mod verify;

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
            crate::workdir::PrepareError::Busy(_) => CommandError::Invalid(e.to_string()),
            crate::workdir::PrepareError::Io(_) => CommandError::Io(e.to_string()),
        }
    }
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

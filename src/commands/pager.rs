//! Long text output on a terminal goes through a pager (`$PAGER`, else `less -R`); never when piped.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};

use super::{emit_exact as emit, CommandError};

/// Print `text`, through a pager when `allowed`, stdout is a terminal and the text is taller than it.
/// A pager that cannot be started is skipped, not an error: the text is printed directly.
pub fn page(text: &str, allowed: bool) -> Result<(), CommandError> {
    let tty = std::io::stdout().is_terminal();
    if !allowed || !tty || text.lines().count() < rows() {
        return emit(text);
    }
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less -R".to_string());
    // Through sh, as git runs $PAGER, so `PAGER="less -S"` works; LESS as git sets it when unset:
    // quit if one screen, keep colours, leave the text on screen.
    let mut command = Command::new("sh");
    command.arg("-c").arg(&pager).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    let Ok(mut child) = command.spawn() else {
        return emit(text);
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit early (q in less): a broken pipe then is normal.
        let _ = stdin.write_all(text.as_bytes());
    }
    child
        .wait()
        .map(|_| ())
        .map_err(|e| CommandError::Io(format!("pager `{pager}` failed: {e}")))
}

/// Rows of the terminal on stdout (24 when it does not say).
fn rows() -> usize {
    match rustix::termios::tcgetwinsize(std::io::stdout()) {
        Ok(ws) if ws.ws_row > 0 => ws.ws_row as usize,
        _ => 24,
    }
}

/// Columns of the terminal on stdout, if it says.
pub fn columns() -> Option<u16> {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|ws| ws.ws_col)
        .filter(|c| *c > 0)
}

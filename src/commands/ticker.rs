//! A one-line ticker on stderr while a `wait_writeback` step waits, so a long wait does not look like a hang.

use std::io::{IsTerminal, Write};

use crate::engine::{WaitObserver, WaitProgress};

/// The ticker for `run`, `step` and `verify`: only when stderr is a terminal (piped or redirected
/// stderr stays clean), cleared when the wait ends.
pub fn wait_ticker() -> Option<WaitObserver> {
    std::io::stderr().is_terminal().then(|| {
        Box::new(|p: WaitProgress| draw(&mut std::io::stderr().lock(), &p)) as WaitObserver
    })
}

/// Redraw the ticker line in place (`\r` and erase-line), or erase it when the wait is done.
pub fn draw(out: &mut dyn Write, p: &WaitProgress) {
    let _ = if p.done {
        write!(out, "\r\x1b[2K")
    } else {
        write!(out, "\r\x1b[2K{}", line(p))
    };
    let _ = out.flush();
}

/// `waiting for the kernel's writeback: 12 s of at most 40 s, 3 dirty + 1 under writeback pages left`.
pub fn line(p: &WaitProgress) -> String {
    format!(
        "waiting for the kernel's writeback: {} s of at most {} s, {} dirty + {} under writeback {} left",
        p.waited.as_secs(),
        p.timeout.as_secs(),
        p.dirty,
        p.writeback,
        if p.dirty + p.writeback == 1 {
            "page"
        } else {
            "pages"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_line_says_time_pages_and_limit_and_is_erased_at_the_end() {
        let mut p = WaitProgress {
            waited: Duration::from_millis(12_400),
            timeout: Duration::from_secs(40),
            dirty: 3,
            writeback: 1,
            done: false,
        };
        let mut out = Vec::new();
        draw(&mut out, &p);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("\r\x1b[2K"), "{s:?}");
        assert!(
            s.contains("12 s of at most 40 s, 3 dirty + 1 under writeback pages left"),
            "{s}"
        );
        let one = WaitProgress {
            dirty: 1,
            writeback: 0,
            ..p
        };
        assert!(line(&one).ends_with("1 dirty + 0 under writeback page left"));
        p.done = true;
        let mut out = Vec::new();
        draw(&mut out, &p);
        assert_eq!(out, b"\r\x1b[2K");
    }
}

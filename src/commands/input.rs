//! Where interactive answers come from: the terminal (one line per answer) or a `--answers` script.

use std::io::{self, BufRead, Write};

/// A source of typed answers; None means end of input.
pub trait Input {
    /// Show `prompt` (if interactive) and return the next answer line, trimmed.
    fn ask(&mut self, prompt: &str) -> Option<String>;
}

/// Answers read from standard input, one line each.
pub struct Terminal;

impl Input for Terminal {
    fn ask(&mut self, prompt: &str) -> Option<String> {
        let mut out = io::stdout().lock();
        // A prompt that cannot be written means nobody is reading: end the session.
        if out
            .write_all(prompt.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return None;
        }
        drop(out);
        let mut line = String::new();
        match io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_string()),
        }
    }
}

/// Answers given on the command line, e.g. `--answers A,C,B`.
pub struct Scripted {
    answers: std::vec::IntoIter<String>,
}

impl Scripted {
    pub fn new(list: &str) -> Scripted {
        let answers: Vec<String> = list.split(',').map(|a| a.trim().to_string()).collect();
        Scripted {
            answers: answers.into_iter(),
        }
    }
}

impl Input for Scripted {
    fn ask(&mut self, _prompt: &str) -> Option<String> {
        self.answers.next()
    }
}

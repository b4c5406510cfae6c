//! Error output that echoes lesson text, through the real binary: every stderr line starts with
//! `memmap-tutor: `, one line per error (a line feed the lesson put in a key or a value is shown as
//! `\n`, so it cannot forge a `file:line:column:` or an `ok:` line of its own), and no control
//! character reaches the terminal — in `check` (many errors), `verify` (stdout's `INVALID` line
//! and stderr), `run`, and `run --watch`, which goes on watching after a failed run.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tutor;

/// A lesson with three errors whose echoed text holds line feeds and escape sequences.
const FORGER: &str = "title: t\nsteps:\n  - {op: external_read, file: a.dat, dtype: \"f\\n4\\e[2J\"}\n  - {op: flush, \"k\\nforger.yaml: ok\\e]52;c;eA==\\a\": 1}\n  - {op: flsh}\n";

fn assert_clean_lines(what: &str, stderr: &str, lines: usize) {
    assert!(stderr.ends_with('\n'), "{what}: {stderr:?}");
    let got: Vec<&str> = stderr.lines().collect();
    assert_eq!(got.len(), lines, "{what}: one line per error: {stderr}");
    for line in got {
        assert!(
            line.starts_with("memmap-tutor: forger.yaml"),
            "{what}: a line that is not the tutor's: {line:?}"
        );
        assert!(
            !line.chars().any(|c| c.is_control()),
            "{what}: a raw control character: {line:?}"
        );
    }
}

#[test]
fn every_error_line_is_the_tutors_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("forger.yaml"), FORGER).unwrap();

    let out = tutor()
        .current_dir(dir.path())
        .args(["check", "forger.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_clean_lines("check", &stderr, 3);
    assert!(stderr.contains("unknown key `k\\nforger.yaml: ok\\x1b]52;c;eA==\\x07`"));
    assert!(stderr.contains("data type 'f\\n4\\x1b[2J' not understood"));

    let out = tutor()
        .current_dir(dir.path())
        .args(["run", "forger.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean_lines("run", &String::from_utf8(out.stderr).unwrap(), 1);

    let out = tutor()
        .current_dir(dir.path())
        .args(["verify", "forger.yaml", "numpy-memmap-basics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean_lines("verify", &String::from_utf8(out.stderr).unwrap(), 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let invalid: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("forger.yaml"))
        .collect();
    assert_eq!(invalid.len(), 1, "{stdout}");
    assert!(invalid[0].starts_with("INVALID forger.yaml"), "{stdout}");
    assert!(!stdout.contains("\nforger.yaml: ok"), "{stdout}");
}

#[test]
fn watch_reports_an_invalid_lesson_without_raw_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("forger.yaml"), FORGER).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_memmap-tutor"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["run", "--watch", "forger.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr until the watcher's whole line is out (it never exits on its own).
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&all).contains("(Ctrl-C to stop)") {
                break;
            }
        }
        all
    });
    let start = Instant::now();
    while !reader.is_finished() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = String::from_utf8(reader.join().unwrap()).unwrap();
    let (errors, watching) = text.split_once("Watching").expect("the watcher started");
    assert!(watching.contains("forger.yaml"), "{text}");
    assert_clean_lines("run --watch", errors, 1);
}

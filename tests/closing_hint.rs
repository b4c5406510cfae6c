//! The closing hint of `run` (what to try next) fits the width: wrapped between the commands, each command
//! whole on one line; pinned at 80 columns (golden) and checked at the width of a real terminal (pty).

mod common;

use std::process::Command;

use common::tutor;
use unicode_width::UnicodeWidthStr;

/// The hint lines: from the line starting `Next:` to the end.
fn hint(stdout: &str) -> Vec<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("Next:"))
        .unwrap_or_else(|| panic!("no `Next:` line in\n{stdout}"));
    lines[start..].iter().map(|l| l.to_string()).collect()
}

fn run_hint(extra: &[&str], width: u16, tmp: &std::path::Path) -> Vec<String> {
    let out = tutor()
        .args(["run", "--color", "never", "--no-pager", "--width"])
        .arg(width.to_string())
        .args(extra)
        .env("TMPDIR", tmp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    hint(&String::from_utf8_lossy(&out.stdout))
}

/// The commands of the hint (the `…` spans), in order.
fn commands(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_hint_is_pinned_at_80_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let got = run_hint(&[], 80, tmp.path());
    let want = [
        "Next: `memmap-tutor step` walks through it one step per Enter,",
        "`memmap-tutor quiz` tests you, `memmap-tutor run --format html -o lesson.html`",
        "makes a web page.",
    ];
    assert_eq!(got, want, "{got:#?}");
}

#[test]
fn the_hint_wraps_to_every_width_without_splitting_a_command() {
    let tmp = tempfile::tempdir().unwrap();
    let one_line = |lines: &[String]| lines.join(" ");
    let mut reference: Option<String> = None;
    for lesson in [None, Some("scenarios/copy-on-write.yaml")] {
        for width in [40u16, 57, 80, 100, 160] {
            let extra: Vec<&str> = lesson.into_iter().collect();
            let lines = run_hint(&extra, width, tmp.path());
            let text = one_line(&lines);
            for c in commands(&text) {
                assert!(
                    lines
                        .iter()
                        .any(|l| l.contains(&format!("`{c}")) || l.contains(&format!("{c}`")))
                        && !c.is_empty(),
                    "width {width}: {c:?} split across lines: {lines:#?}"
                );
            }
            for l in &lines {
                // A command wider than the whole width stays whole on its own line (never split).
                let whole_command = l.starts_with('`') && l.matches('`').count() <= 2;
                assert!(
                    l.width() <= width as usize || whole_command,
                    "width {width}: {l:?} is {} columns",
                    l.width()
                );
            }
            assert!(text.contains("memmap-tutor quiz"), "{text}");
            if lesson.is_none() {
                // Wrapping changes only where the lines break, never the words.
                let r = reference.get_or_insert_with(|| text.clone());
                assert_eq!(&text, r, "width {width}");
            } else {
                assert!(
                    commands(&text)
                        .iter()
                        .all(|c| c.contains("scenarios/copy-on-write.yaml")),
                    "{text}"
                );
            }
        }
    }
}

/// In a real terminal of 80 columns (no `--width`), the hint follows the terminal's width.
#[test]
fn the_hint_follows_the_terminal_width() {
    if Command::new("stty").arg("--version").output().is_err() {
        eprintln!("skipping: no stty on this machine");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("memmap-tutor");
    for cols in [80, 64] {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!(
                "stty cols {cols} rows 40 && exec '{}' run --no-pager --color never",
                bin.display()
            ))
            .env("TMPDIR", tmp.path())
            .env_remove("COLUMNS");
        let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
        let all = p.exp_eof().unwrap();
        let all = all.replace('\r', "");
        let lines = hint(&all);
        assert!(lines.len() >= 2, "{lines:#?}");
        for l in &lines {
            assert!(l.chars().count() <= cols, "{cols} columns: {l:?}");
        }
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            "Next: `memmap-tutor step` walks through it one step per Enter, `memmap-tutor quiz` tests \
             you, `memmap-tutor run --format html -o lesson.html` makes a web page."
                .split_whitespace()
                .collect::<Vec<_>>()
        );
    }
}

//! `completions zsh` and `completions fish` work in the real shells: zsh's line editor through a
//! pseudo-terminal (Tab completes a subcommand, a value and an option of the hyphenated binary), fish's own
//! completion engine (`complete -C`). The hidden child subcommand is never offered. Each test skips with a
//! printed reason where its shell is missing (`.ci/run` installs both).

mod common;

use std::process::Command;

use common::tutor;

fn bin_dir() -> std::path::PathBuf {
    let bin = assert_cmd::cargo::cargo_bin("memmap-tutor");
    bin.parent().map(|p| p.to_path_buf()).unwrap_or_default()
}

fn has(shell: &str) -> bool {
    Command::new(shell)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn script(shell: &str, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let out = tutor().args(["completions", shell]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// fish's completion engine, asked for what it offers after `line`: the candidates, one per entry.
fn fish_complete(script: &std::path::Path, line: &str) -> Vec<String> {
    let out = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "set -x PATH {} $PATH; source {}; complete -C '{line}'",
            bin_dir().display(),
            script.display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn fish_completes_subcommands_values_and_options_but_never_the_child() {
    if !has("fish") {
        eprintln!("skipping: fish is not installed (.ci/run installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = script("fish", tmp.path(), "memmap-tutor.fish");
    let subcommands = fish_complete(&script, "memmap-tutor ");
    for want in ["run", "step", "quiz", "verify", "completions", "man"] {
        assert!(
            subcommands.iter().any(|c| c == want),
            "{want}: {subcommands:?}"
        );
    }
    assert!(
        !subcommands.iter().any(|c| c.contains("child")),
        "{subcommands:?}"
    );
    assert_eq!(
        fish_complete(&script, "memmap-tutor ru"),
        ["run"],
        "a prefix completes to its one subcommand"
    );
    let shells = fish_complete(&script, "memmap-tutor completions ");
    for want in ["bash", "zsh", "fish"] {
        assert!(shells.iter().any(|c| c == want), "{want}: {shells:?}");
    }
    let options = fish_complete(&script, "memmap-tutor run --no-pa");
    assert_eq!(options, ["--no-pager"]);
    assert!(fish_complete(&script, "memmap-tutor __c").is_empty());
}

/// zsh with no startup files, its completion system loaded and the generated script sourced, in a pty.
#[test]
fn zsh_completes_the_hyphenated_binary_in_its_line_editor_and_never_the_child() {
    if !has("zsh") {
        eprintln!("skipping: zsh is not installed (.ci/run installs it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = script("zsh", tmp.path(), "_memmap-tutor");
    let mut cmd = Command::new("zsh");
    cmd.args(["-f", "-i"])
        .current_dir(tmp.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp.path())
        .env("PS1", "ZSH> ");
    let mut sh = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    sh.exp_string("ZSH> ").unwrap();
    sh.send_line(&format!(
        "export PATH={}:$PATH; autoload -U compinit && compinit -u -D && source {} && echo READY",
        bin_dir().display(),
        script.display()
    ))
    .unwrap();
    sh.exp_string("READY").unwrap();
    sh.exp_string("ZSH> ").unwrap();
    // A subcommand: `ru<Tab>` becomes `run `, so the line runs `run --help`.
    sh.send("memmap-tutor ru\t").unwrap();
    sh.send_line("--help").unwrap();
    sh.exp_string("Usage: memmap-tutor run").unwrap();
    sh.exp_string("ZSH> ").unwrap();
    // A value: `completions fi<Tab>` becomes `completions fish`.
    sh.send("memmap-tutor completions fi\t").unwrap();
    sh.send_line("").unwrap();
    sh.exp_string("complete -c memmap-tutor").unwrap();
    sh.exp_string("ZSH> ").unwrap();
    // An option of a subcommand: `--no-pa<Tab>` becomes `--no-pager`.
    sh.send("memmap-tutor run --no-pa\t").unwrap();
    sh.send_line(" --view flow --width 60").unwrap();
    sh.exp_string("Concept Flow").unwrap();
    sh.exp_string("ZSH> ").unwrap();
    // The hidden child subcommand is never completed: the word stays `__c`.
    sh.send("memmap-tutor __c\t").unwrap();
    sh.send_line("").unwrap();
    sh.exp_string("unrecognized subcommand '__c'").unwrap();
    sh.exp_string("ZSH> ").unwrap();
    sh.send_line("exit").unwrap();
    sh.exp_eof().unwrap();
}

//! The terminal side of the CLI through a real pseudo-terminal: pager, writeback ticker, `step`
//! colour, shell completion in a real bash; and the options that must refuse bad values (exit 2).

mod common;

use std::process::Command;

use common::tutor;
use rexpect::session::{spawn_command, PtySession};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("memmap-tutor")
}

/// The binary in a pseudo-terminal (stdout and stderr are the terminal), temporary files under `tmp`.
fn spawn(args: &[&str], tmp: &std::path::Path, env: &[(&str, &str)]) -> PtySession {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("TMPDIR", tmp).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_command(cmd, Some(60_000)).expect("spawn in a pty")
}

/// rexpect reads the terminal byte by byte as Latin-1; spell UTF-8 text the same way to match it.
fn l1(s: &str) -> String {
    s.bytes().map(char::from).collect()
}

#[test]
fn long_output_on_a_terminal_goes_through_the_pager_and_never_when_piped() {
    let tmp = tempfile::tempdir().unwrap();
    let pager = [("PAGER", "sed 's/^/PAGED:/'")];
    let mut p = spawn(
        &["run", "--width", "80", "--color", "never"],
        tmp.path(),
        &pager,
    );
    p.exp_string("PAGED:Concept Flow").unwrap();
    // The last line is the hint of what to try next.
    p.exp_string("PAGED:Next: `memmap-tutor step`").unwrap();
    p.exp_eof().unwrap();

    let mut p = spawn(
        &["run", "--width", "80", "--color", "never", "--no-pager"],
        tmp.path(),
        &pager,
    );
    let all = p.exp_eof().unwrap();
    assert!(
        all.contains("Concept Flow") && !all.contains("PAGED:"),
        "{all}"
    );

    let out = tutor()
        .arg("run")
        .env("PAGER", "sed 's/^/PAGED:/'")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Concept Flow") && !text.contains("PAGED:"),
        "{text}"
    );
}

#[test]
fn trace_output_on_a_terminal_is_coloured_and_paged_like_run() {
    if let Some(why) = common::numpy_missing() {
        eprintln!("skipping: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("s.py");
    std::fs::write(
        &script,
        "import numpy as np\na = np.memmap('t.dat', dtype='uint8', mode='w+', shape=(4,))\na[0] = 1\n",
    )
    .unwrap();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(bin());
        cmd.current_dir(tmp.path())
            .args(["trace", "s.py", "--view", "table", "--width", "80"])
            .args(extra)
            .env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut p = spawn_command(cmd, Some(60_000)).expect("spawn in a pty");
        p.exp_eof().unwrap()
    };
    // The heading's colour reaches the terminal as a colour, not as the escaped text `\x1b[1m`.
    let direct = run(&["--no-pager"], &[("PAGER", "sed 's/^/PAGED:/'")]);
    assert!(
        direct.contains("\x1b[1mExecution Table")
            && !direct.contains("\\x1b")
            && !direct.contains("PAGED:"),
        "{direct:?}"
    );
    let paged = run(&[], &[("PAGER", "sed 's/^/PAGED:/'")]);
    assert!(paged.contains("PAGED:"), "{paged:?}");
}

#[test]
fn a_writeback_wait_shows_a_ticker_on_the_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let lesson = tmp.path().join("wait.yaml");
    std::fs::write(
        &lesson,
        "title: wait\nsteps:\n  - op: open\n    file: w.dat\n    mode: w+\n    shape: 8192\n  \
         - op: assign\n    index: \"[:]\"\n    value: 7\n  - op: wait_writeback\n    timeout: 2\n",
    )
    .unwrap();
    let work = tmp.path().join("work");
    let l = lesson.to_str().unwrap();
    let w = work.to_str().unwrap();
    let mut p = spawn(
        &["run", l, "--view", "table", "--workdir", w],
        tmp.path(),
        &[],
    );
    let fs = common::run_json(&["--workdir", tmp.path().join("probe").to_str().unwrap()]);
    let has_disk = fs["environment"]["has_disk"].as_bool().unwrap_or(false);
    if has_disk {
        // Seconds waited, pages left and the limit, redrawn in place.
        p.exp_string("waiting for the kernel's writeback: 0 s of at most 2 s")
            .unwrap();
        p.exp_string("dirty + ").unwrap();
        p.exp_string("\r\x1b[2K").unwrap();
    } else {
        eprintln!("no disk behind the temporary directory: nothing to wait for, so no ticker");
    }
    p.exp_string("Execution Table").unwrap();
    p.exp_eof().unwrap();

    // Piped: no ticker on stderr.
    let out = tutor()
        .args([
            "run",
            l,
            "--view",
            "table",
            "--workdir",
            tmp.path().join("w2").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("waiting"));
}

#[test]
fn step_colours_verdicts_on_a_terminal_but_not_with_no_color() {
    // An empty NO_COLOR is as if unset (no-color.org).
    for (env, coloured) in [
        (vec![], true),
        (vec![("NO_COLOR", "1")], false),
        (vec![("NO_COLOR", "")], true),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut p = spawn(&["step", "--width", "80"], tmp.path(), &env);
        p.exp_string("[Enter] perform the step").unwrap();
        p.send_line("").unwrap();
        // Step 2 asks for a prediction first: arr[1, 2] after the assignment is 5.0 (A).
        p.exp_string("Your prediction").unwrap();
        p.send_line("A").unwrap();
        p.exp_string("[Enter] perform the step").unwrap();
        p.send_line("").unwrap();
        let before = p.exp_string(&l1("✔ Your prediction was right.")).unwrap();
        assert_eq!(before.ends_with("\x1b[1;32m"), coloured, "{before:?}");
        // Question 3 is derived from step 2's record: asked right after it; q quits there.
        p.exp_string("Your answer").unwrap();
        p.send_line("q").unwrap();
        p.exp_eof().unwrap();
    }
}

#[test]
fn bash_completes_the_hyphenated_binary_and_never_offers_the_child() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipping: no bash on this machine");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("memmap-tutor.bash");
    let out = tutor().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success());
    std::fs::write(&script, &out.stdout).unwrap();
    let dir = bin().parent().unwrap().to_path_buf();
    let mut sh = rexpect::spawn_bash(Some(30_000)).unwrap();
    sh.send_line(&format!(
        "cd {} && export NO_COLOR=1 PATH={}:$PATH && source {}",
        tmp.path().display(),
        dir.display(),
        script.display()
    ))
    .unwrap();
    sh.wait_for_prompt().unwrap();
    // A subcommand: `ru<TAB>` becomes `run `, so the line runs `run --help`.
    sh.send("memmap-tutor ru\t").unwrap();
    sh.send_line("--help").unwrap();
    sh.exp_string("Usage: memmap-tutor run").unwrap();
    sh.wait_for_prompt().unwrap();
    // A value inside a subcommand: `completions ba<TAB>` becomes `completions bash`.
    sh.send("memmap-tutor completions ba\t").unwrap();
    sh.send_line("").unwrap();
    sh.exp_string("complete -F").unwrap();
    sh.wait_for_prompt().unwrap();
    // An option of a subcommand: `--no-pa<TAB>` becomes `--no-pager`.
    sh.send("memmap-tutor run --no-pa\t").unwrap();
    sh.send_line(" --view flow --width 60").unwrap();
    sh.exp_string("Concept Flow").unwrap();
    sh.wait_for_prompt().unwrap();
    // The hidden child subcommand is never completed.
    sh.send("memmap-tutor __c\t\t").unwrap();
    sh.send_line("").unwrap();
    sh.exp_string("unrecognized subcommand '__c'").unwrap();
    sh.wait_for_prompt().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = tutor().args(["completions", shell]).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("__child"),
            "{shell}"
        );
    }
    let man = tutor().arg("man").output().unwrap();
    let man = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.contains(".TH memmap-tutor 1") && !man.contains("__child"),
        "{man}"
    );
    // The page renders without a roff warning where man(1) is installed.
    let page = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(page.path(), man.as_bytes()).unwrap();
    match Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page.path())
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("MEMMAP-TUTOR RUN"), "{text}");
            assert!(
                out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        other => eprintln!("not rendering the man page: man(1) is not usable here ({other:?})"),
    }
}

#[test]
fn bad_option_values_exit_2_with_a_message() {
    for args in [
        &["run", "--width", "0"][..],
        &["run", "--width", "39"],
        &["step", "--format", "json"],
        &["quiz", "--format", "markdown"],
        &["run", "--format", "json", "--view", "table"],
        &["show", "no-such-lesson"],
        // Options that would do nothing without the option they qualify.
        &["quiz", "--seed", "5", "--answers", "A,C,A"],
        &["run", "--overwrite", "--view", "flow"],
        &["trace", "--max-steps", "0", "x.py"],
    ] {
        let out = tutor().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.trim().is_empty(), "{args:?}");
    }
    let out = tutor().args(["show", "evictoin"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `eviction`"));
}

#[test]
fn short_help_is_short_and_long_help_has_examples() {
    let short = tutor().arg("-h").output().unwrap();
    let long = tutor().arg("--help").output().unwrap();
    let (short, long) = (
        String::from_utf8_lossy(&short.stdout).into_owned(),
        String::from_utf8_lossy(&long.stdout).into_owned(),
    );
    assert!(
        !short.contains("Examples:") && long.contains("Examples:"),
        "{short}\n---\n{long}"
    );
    assert!(short.lines().count() < long.lines().count());
    let run = tutor().args(["run", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains("memmap-tutor run --watch"));
}

#[test]
fn workdir_defaults_to_memmap_tutor_workdir() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("from-env");
    let out = tutor()
        .args(["run", "--format", "json"])
        .env("MEMMAP_TUTOR_WORKDIR", &work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(work.join("large_data.dat").exists());
}

#[test]
fn verify_runs_inside_memmap_tutor_workdir_too() {
    // A tmpfs directory shows that the variable chose where verify ran (the default /tmp here is a disk
    // or tmpfs, but the report names the filesystem of the directory used).
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("skipping: no /dev/shm on this machine");
        return;
    }
    let base = tempfile::tempdir_in(shm).unwrap();
    let out = tutor()
        .args(["verify", "numpy-memmap-basics"])
        .env("MEMMAP_TUTOR_WORKDIR", base.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(on tmpfs)"), "{text}");
    // Each lesson's directory inside it is removed afterwards.
    assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 0);
}

#[test]
fn show_prints_the_embedded_yaml_and_new_writes_a_lesson_that_checks() {
    let out = tutor().args(["show", "eviction"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string("scenarios/eviction.yaml").unwrap()
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mine.yaml");
    let out = tutor().arg("new").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tmp.path().join("lesson.schema.json").exists());
    let check = tutor().arg("check").arg(&file).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let verify = tutor().arg("verify").arg(&file).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // Never over an existing file.
    let again = tutor().arg("new").arg(&file).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    // check takes a directory, as verify does.
    let dir = tutor().args(["check", "scenarios"]).output().unwrap();
    assert!(
        dir.status.success(),
        "{}",
        String::from_utf8_lossy(&dir.stderr)
    );
    assert!(String::from_utf8_lossy(&dir.stdout).contains("eviction.yaml"));
}

#[test]
fn json_fills_in_the_dirty_expire_placeholder_like_text() {
    let trace = common::run_json(&[]);
    let text = trace["lesson"]["text"].to_string();
    assert!(!text.contains("{dirty_expire_seconds}"), "{text}");
}

#[test]
fn check_reports_every_error_with_the_op_s_own_keys_and_the_quote_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n    colour: red\n  \
         - op: flush\n    colr: 1\n",
    )
    .unwrap();
    let out = tutor().arg("check").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains(":7:5: step 1: unknown key `colour`"), "{err}");
    assert!(err.contains("step 2: unknown key `colr`"), "{err}");
    // A flush step's keys only, not an open step's.
    assert!(
        err.contains("(valid keys for this step's op: var, op, action"),
        "{err}"
    );
    assert!(!err.contains("valid keys here"), "{err}");

    let meaning = tmp.path().join("meaning.yaml");
    std::fs::write(
        &meaning,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n  - op: assign\n    \
         value: 1\n    size: 3\n  - op: read\n    index: \"[0]\"\n    length: 3\nquiz:\n  - question: q\n    \
         choices: [a]\n    answer: Z\n",
    )
    .unwrap();
    let out = tutor().arg("check").arg(&meaning).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for says in [
        "step 2, field `size`",
        "step 3, field `length`",
        "quiz question 1, field `answer`",
    ] {
        assert!(err.contains(says), "{says}: {err}");
    }

    let unquoted = tmp.path().join("unquoted.yaml");
    std::fs::write(
        &unquoted,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n  - op: assign\n    \
         index: [:]\n    value: 1\n",
    )
    .unwrap();
    let out = tutor().arg("check").arg(&unquoted).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":8:") && err.contains("put an index or value in quotes"),
        "{err}"
    );
}

#[test]
fn watch_runs_again_when_the_lesson_changes() {
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let lesson = tmp.path().join("w.yaml");
    let text = "title: first\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n";
    std::fs::write(&lesson, text).unwrap();
    let mut child = Command::new(bin())
        .args(["run", "--view", "flow", "--watch"])
        .arg(&lesson)
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Wait for the first run, change the file, wait for the second run; then stop the watcher.
    let wait_for = |stderr: &mut std::process::ChildStderr, n: usize| {
        let mut seen = String::new();
        let mut buf = [0u8; 256];
        while seen.matches("Watching").count() < n {
            let k = stderr.read(&mut buf).unwrap();
            assert!(k > 0, "watcher ended early: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..k]));
        }
    };
    wait_for(&mut stderr, 1);
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::fs::write(&lesson, text.replace("first", "second")).unwrap();
    wait_for(&mut stderr, 1);
    child.kill().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child.wait().unwrap();
    assert!(
        out.contains("Concept Flow - first") && out.contains("Concept Flow - second"),
        "{out}"
    );
}

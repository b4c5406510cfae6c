//! Path confinement, `--overwrite`, and clean-up on Ctrl-C/SIGTERM, through the real binary.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{listing, tutor};

/// Run `memmap-tutor run lesson.yaml --workdir WORK [extra]` from `cwd`; (exit code, stderr).
fn run_in(cwd: &Path, work: &Path, yaml: &str, extra: &[&str]) -> (i32, String) {
    std::fs::write(cwd.join("lesson.yaml"), yaml).unwrap();
    let out = tutor()
        .current_dir(cwd)
        .args(["run", "lesson.yaml", "--format", "json", "--workdir"])
        .arg(work)
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "panicked: {stderr}");
    (code, stderr)
}

fn open_step(file: &str, mode: &str) -> String {
    format!("title: x\nsteps:\n  - op: open\n    file: {file}\n    dtype: uint8\n    mode: {mode}\n    shape: 4\n  - op: assign\n    value: 7\n  - op: flush\n")
}

#[test]
fn dotdot_and_absolute_paths_exit_2_and_touch_nothing() {
    for cmd in ["run", "step", "quiz", "check"] {
        for file in ["../outside.dat", "/etc/passwd", "./a/../../outside.dat"] {
            let cwd = tempfile::tempdir().unwrap();
            let work = cwd.path().join("work");
            let before = std::fs::metadata("/etc/passwd")
                .and_then(|m| m.modified())
                .ok();
            std::fs::write(cwd.path().join("lesson.yaml"), open_step(file, "w+")).unwrap();
            let out = tutor()
                .current_dir(cwd.path())
                .args([cmd, "lesson.yaml"])
                .args(if cmd == "check" {
                    vec![]
                } else {
                    vec!["--workdir", "work"]
                })
                .write_stdin("")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd} {file}: {err}");
            // `check` gives the line and column of the key too.
            let at = if cmd == "check" {
                "lesson.yaml:4:5: step 1, field `file`"
            } else {
                "lesson.yaml: step 1, field `file`"
            };
            assert!(
                err.contains(at) && err.contains(file),
                "{cmd} {file}: {err}"
            );
            assert_eq!(listing(cwd.path()), ["lesson.yaml"], "{cmd} {file}");
            assert!(!work.exists());
            assert_eq!(
                std::fs::metadata("/etc/passwd")
                    .and_then(|m| m.modified())
                    .ok(),
                before
            );
        }
    }
}

#[test]
fn symlink_leading_out_of_the_workdir_exits_2_before_anything_runs() {
    let cwd = tempfile::tempdir().unwrap();
    let outside = cwd.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.dat"), b"keep me").unwrap();
    let work = cwd.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::os::unix::fs::symlink(&outside, work.join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.dat"), work.join("data.dat")).unwrap();
    // A step that would be fine comes first: the refusal happens before it runs.
    let first = "  - op: open\n    var: ok\n    file: fine.dat\n    mode: w+\n    shape: 2\n";
    for (file, mode) in [
        ("link/new.dat", "w+"),
        ("link/secret.dat", "r+"),
        ("data.dat", "r+"),
        ("data.dat", "w+"),
    ] {
        let yaml = format!(
            "title: x\nsteps:\n{first}  - op: open\n    file: {file}\n    mode: {mode}\n    shape: 4\n"
        );
        let (code, err) = run_in(cwd.path(), &work, &yaml, &["--overwrite"]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(
            err.contains("step 2, field `file`")
                && err.contains(file)
                && err.contains("is a symlink")
                && err.contains("without following symlinks"),
            "{file}: {err}"
        );
        assert_eq!(listing(&outside), ["secret.dat"], "{file}");
        assert_eq!(
            std::fs::read(outside.join("secret.dat")).unwrap(),
            b"keep me"
        );
        assert_eq!(listing(&work), ["data.dat", "link"], "{file}: fine.dat ran");
    }
}

/// Files are opened by descriptor without following symlinks (README: Untrusted lessons), so even
/// a symlink that stays inside the work directory is refused, before the first step.
#[test]
fn a_symlink_inside_the_workdir_is_refused_too() {
    let cwd = tempfile::tempdir().unwrap();
    let work = cwd.path().join("work");
    std::fs::create_dir_all(work.join("real")).unwrap();
    std::os::unix::fs::symlink(work.join("real"), work.join("alias")).unwrap();
    let (code, err) = run_in(cwd.path(), &work, &open_step("alias/a.dat", "w+"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("step 1, field `file`") && err.contains("`alias` is a symlink"),
        "{err}"
    );
    assert_eq!(listing(&work.join("real")), Vec::<String>::new());
}

#[test]
fn w_plus_on_a_users_file_needs_overwrite() {
    let cwd = tempfile::tempdir().unwrap();
    let work = cwd.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("results.dat"), b"a user's precious data").unwrap();
    let yaml = open_step("results.dat", "w+");

    let (code, err) = run_in(cwd.path(), &work, &yaml, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("lesson.yaml: step 1, field `mode`")
            && err.contains("results.dat")
            && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(work.join("results.dat")).unwrap(),
        b"a user's precious data"
    );
    assert_eq!(listing(&work), ["results.dat"]);
    assert_eq!(listing(cwd.path()), ["lesson.yaml", "work"]);

    // With --overwrite NumPy's truncation happens, as the user asked.
    let (code, err) = run_in(cwd.path(), &work, &yaml, &["--overwrite"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(work.join("results.dat")).unwrap(),
        [7, 7, 7, 7]
    );
}

#[test]
fn w_plus_twice_on_a_file_the_lesson_created_is_fine() {
    let cwd = tempfile::tempdir().unwrap();
    let work = cwd.path().join("work");
    let yaml = format!(
        "{}  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n",
        open_step("a.dat", "w+")
    );
    let (code, err) = run_in(cwd.path(), &work, &yaml, &[]);
    assert_eq!(code, 0, "{err}");
    // The second w+ truncated it (NumPy's semantics) and made it 2 bytes.
    assert_eq!(std::fs::read(work.join("a.dat")).unwrap(), [0, 0]);
    // Run again: now a.dat exists before the run, so it is the user's.
    let (code, err) = run_in(cwd.path(), &work, &yaml, &[]);
    assert_eq!(code, 2, "{err}");
    // r+ on a file that was there before the run needs --overwrite too: NumPy can change it.
    let (code, err) = run_in(cwd.path(), &work, &open_step("a.dat", "r+"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("step 1, field `mode`") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(std::fs::read(work.join("a.dat")).unwrap(), [0, 0]);
    let (code, err) = run_in(
        cwd.path(),
        &work,
        &open_step("a.dat", "r+"),
        &["--overwrite"],
    );
    assert_eq!(code, 0, "{err}");
}

/// Start the real binary with `args` in a private TMPDIR; stdin is a pipe kept open.
fn spawn(tmp: &Path, cwd: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_memmap-tutor"))
        .current_dir(cwd)
        .env("TMPDIR", tmp)
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until `ready` holds (at most 60 s).
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Send `sig`, wait for the exit, return its code.
fn signal_and_wait(child: &mut Child, sig: i32) -> Option<i32> {
    // SAFETY: kill(2) with the pid of a child this test spawned and still owns.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "did not exit after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_while_step_waits_for_enter_removes_the_temp_dir_and_exits_130() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let mut child = spawn(tmp.path(), cwd.path(), &["step"]);
        // The temporary work directory exists while the tutor waits for Enter.
        wait_for("temp workdir", || !listing(tmp.path()).is_empty());
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(signal_and_wait(&mut child, sig), Some(130), "signal {sig}");
        assert!(
            listing(tmp.path()).is_empty(),
            "left behind: {:?}",
            listing(tmp.path())
        );
        assert_eq!(listing(cwd.path()), Vec::<String>::new());
    }
}

#[test]
fn ctrl_c_during_a_long_fill_removes_the_temp_dir_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    // 1 GiB of float32 filled element by element: seconds of work, long enough to interrupt.
    // Several fills, so even an optimised build is still busy when the signal arrives.
    let fill = "  - op: assign\n    value: np.arange(268435456)\n  - op: assign\n    value: 1.5\n";
    let yaml = format!(
        "title: long\nsteps:\n  - op: open\n    file: big.dat\n    dtype: float32\n    mode: w+\n    shape: 268435456\n{}  - op: flush\n",
        fill.repeat(8)
    );
    std::fs::write(cwd.path().join("long.yaml"), yaml).unwrap();
    let mut child = spawn(tmp.path(), cwd.path(), &["run", "long.yaml"]);
    // Wait until the file exists inside the temporary work directory: the fill is under way.
    wait_for("big.dat", || {
        listing(tmp.path())
            .first()
            .is_some_and(|d| tmp.path().join(d).join("big.dat").exists())
    });
    std::thread::sleep(Duration::from_millis(200));
    let code = signal_and_wait(&mut child, libc::SIGINT);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
    assert_eq!(listing(cwd.path()), ["long.yaml"]);
}

#[test]
fn ctrl_c_with_workdir_keeps_the_users_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let mut child = spawn(tmp.path(), cwd.path(), &["step", "--workdir", "mine"]);
    wait_for("workdir", || cwd.path().join("mine").exists());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(signal_and_wait(&mut child, libc::SIGINT), Some(130));
    assert!(cwd.path().join("mine").is_dir());
    assert!(listing(tmp.path()).is_empty());
}

#[test]
fn file_shrunk_by_another_process_between_steps_is_an_error_not_sigbus() {
    // `step` waits for Enter between steps, so this test can truncate the mapped file in between,
    // as another process would.
    let cwd = tempfile::tempdir().unwrap();
    let yaml = "title: shrink\nsteps:\n  - op: open\n    file: s.dat\n    mode: w+\n    shape: 8192\n  - op: assign\n    value: 7\n  - op: read\n    index: \"[8000]\"\n  - op: flush\n";
    std::fs::write(cwd.path().join("s.yaml"), yaml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_memmap-tutor"))
        .current_dir(cwd.path())
        .env("NO_COLOR", "1")
        .args(["step", "s.yaml", "--workdir", "w"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    use std::io::Write;
    stdin.write_all(b"\n").unwrap();
    let file = cwd.path().join("w/s.dat");
    wait_for("s.dat", || {
        std::fs::metadata(&file).is_ok_and(|m| m.len() == 8192)
    });
    std::thread::sleep(Duration::from_millis(200));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(100)
        .unwrap();
    stdin.write_all(b"\n\n\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exited normally (a SIGBUS would leave no exit code) and said what happened.
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    assert!(
        stdout.contains("truncated to 100 bytes while mapped"),
        "{stdout}"
    );
}

#[test]
fn files_in_tmpdir_itself_are_not_the_lessons_concern() {
    // Without --workdir the lesson runs in a fresh subdirectory of TMPDIR: a same-named file
    // directly in TMPDIR is neither overwritten nor a reason to refuse.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.dat"), b"not yours").unwrap();
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("l.yaml"), open_step("a.dat", "w+")).unwrap();
    let out = tutor()
        .current_dir(cwd.path())
        .env("TMPDIR", tmp.path())
        .args(["run", "l.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listing(tmp.path()), ["a.dat"]);
    assert_eq!(
        std::fs::read(tmp.path().join("a.dat")).unwrap(),
        b"not yours"
    );
}

#[test]
fn a_panic_removes_the_temp_dir() {
    // Debug builds panic right after creating the temporary work directory when asked to.
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let out = tutor()
        .current_dir(cwd.path())
        .env("TMPDIR", tmp.path())
        .env("MEMMAP_TUTOR_TEST_PANIC", "1")
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.contains("simulated bug") {
        // A release build has no panic point; nothing to check.
        assert!(out.status.success(), "{stderr}");
        return;
    }
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("this is a bug"), "{stderr}");
    assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
    assert!(listing(cwd.path()).is_empty());
}

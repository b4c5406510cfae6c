//! Hostile lessons and bad luck, through the real binary: each promise of README's "Untrusted
//! lessons" section is named by one test here (or in `bad_input.rs`, `bad_input_paths.rs`,
//! `export_escaping.rs`, `hostile_fuzz.rs`).

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{listing, tutor};

/// Run the binary in `cwd` with `args`; (exit code, stdout, stderr). A signal death is -1.
fn run(cwd: &Path, tmp: &Path, args: &[&str]) -> (i32, String, String) {
    let out = tutor()
        .current_dir(cwd)
        .env("TMPDIR", tmp)
        .args(args)
        .write_stdin("")
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "panicked: {stderr}");
    assert_ne!(code, -1, "died of a signal: {stderr}");
    (code, stdout, stderr)
}

/// A `memmap-tutor step` driven line by line, its output collected by a thread.
struct Stepper {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<String>>,
}

impl Stepper {
    fn start(cwd: &Path, tmp: &Path, args: &[&str]) -> Stepper {
        let mut child = Command::new(env!("CARGO_BIN_EXE_memmap-tutor"))
            .current_dir(cwd)
            .env("TMPDIR", tmp)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .arg("step")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("stdout");
        let out = Arc::new(Mutex::new(String::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Stepper { child, stdin, out }
    }

    fn text(&self) -> String {
        self.out.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Wait until the output contains `what` (at most 60 s).
    fn wait_for(&self, what: &str) {
        let start = Instant::now();
        while !self.text().contains(what) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what:?}; output so far:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn enter(&mut self) {
        if let Some(s) = self.stdin.as_mut() {
            let _ = s.write_all(b"\n");
            let _ = s.flush();
        }
    }

    /// Press Enter until the end; (exit code, stdout, stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(&b"\n".repeat(64));
        }
        let status = self.child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(100));
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        assert_ne!(status.code(), Some(101), "panicked: {err}");
        (status.code(), self.text(), err)
    }
}

/// A tmpfs of `size` mounted on a fresh directory (root only); None, with the reason printed,
/// where mounting is not allowed. Unmounted when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> Option<SmallFs> {
        let dir = tempfile::tempdir().ok()?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallFs { dir }),
            Ok(o) => {
                eprintln!(
                    "skip: cannot mount a {size} tmpfs here (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skip: no mount(8) here: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fill the filesystem holding `dir` until write(2) says ENOSPC.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0xabu8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

fn has_raw_controls(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

const HOSTILE_TEXT: &str =
    "T\u{1b}[2J\u{1b}]52;c;aGk=\u{7}\u{1b}]8;;http://x\u{1b}\\link\r\0\u{9b}31m\u{202e}";

/// A YAML double-quoted scalar holding exactly `s`.
fn yq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[test]
fn terminal_text_never_carries_control_characters_and_json_stays_exact() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = yq(HOSTILE_TEXT);
    let file = yq("e\u{1b}[31mx.dat");
    let yaml = format!(
        "title: {t}\nsummary: {t}\nsteps:\n  - op: open\n    file: {file}\n    mode: w+\n    shape: 4\n    action: {t}\n    note: {t}\n  - op: read\n    index: '[9]'\n    note: {t}\nkey_moments:\n  - question: {t}\n    answer: {t}\nquiz:\n  - question: {t}\n    choices: [{t}, b]\n    answer: A\n    hint: {t}\n    explanation: {t}\n"
    );
    std::fs::write(cwd.path().join("h.yaml"), &yaml).unwrap();
    for args in [
        vec!["run", "h.yaml", "--color", "always"],
        vec!["run", "h.yaml", "--format", "markdown"],
        vec!["run", "h.yaml", "--view", "table", "--view", "steps"],
        vec!["quiz", "h.yaml", "--answers", "A"],
        vec!["step", "h.yaml"],
        vec!["check", "h.yaml"],
    ] {
        let (code, out, err) = run(cwd.path(), tmp.path(), &args);
        assert!(code == 0 || code == 1, "{args:?}: {code} {err}");
        assert!(
            !has_raw_controls(&out) || args.contains(&"always") && !out.contains('\u{7}'),
            "{args:?} printed raw controls"
        );
        if !args.contains(&"always") {
            assert!(!has_raw_controls(&out), "{args:?}: raw control characters");
        } else {
            // The tutor's own bold is the only escape sequence allowed.
            let stripped = out.replace("\u{1b}[1m", "").replace("\u{1b}[0m", "");
            assert!(
                !has_raw_controls(&stripped),
                "{args:?}: raw control characters"
            );
        }
        assert!(!has_raw_controls(&err), "{args:?}: raw controls on stderr");
        if args[0] != "check" {
            assert!(out.contains("\\x1b[2J"), "{args:?}: shown escaped:\n{out}");
        }
    }
    // JSON stays exact: the title round-trips byte for byte.
    let (code, out, _) = run(
        cwd.path(),
        tmp.path(),
        &["run", "h.yaml", "--format", "json"],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["lesson"]["title"].as_str(), Some(HOSTILE_TEXT));
    // An error message that echoes the lesson (an unknown key) shows it escaped.
    std::fs::write(
        cwd.path().join("k.yaml"),
        "title: x\nsteps:\n  - op: open\n    \"fi\\e]52;c;aGk=\\ale\": a.dat\n",
    )
    .unwrap();
    let (code, _, err) = run(cwd.path(), tmp.path(), &["run", "k.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("k.yaml:4:5:") && err.contains("\\x1b]52"),
        "{err}"
    );
    assert!(!has_raw_controls(&err), "{err:?}");
}

/// Files that were in --workdir before the run are read-only to the lesson unless --overwrite.
#[test]
fn files_that_were_there_are_read_only_without_overwrite() {
    let open_rw = |mode: &str| {
        format!("  - op: open\n    var: u\n    file: user.dat\n    dtype: uint8\n    mode: {mode}\n    shape: 16\n")
    };
    let cases: Vec<(String, usize, &str)> = vec![
        (open_rw("r+"), 1, "mode"),
        (open_rw("w+"), 1, "mode"),
        (
            "  - op: truncate\n    file: user.dat\n    size: 0\n".to_string(),
            1,
            "file",
        ),
        (
            "  - op: external_write\n    file: user.dat\n    offset: 0\n    bytes: \"41 41\"\n"
                .to_string(),
            1,
            "file",
        ),
        // Reading is fine; writing through another process is not.
        (
            format!(
                "{}  - op: external_write\n    var: u\n    offset: 0\n    bytes: \"41\"\n",
                open_rw("r")
            ),
            2,
            "var",
        ),
    ];
    for (steps, step, field) in cases {
        let cwd = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let work = cwd.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let precious = b"a user's line: export PATH=~/bin\n".to_vec();
        std::fs::write(work.join("user.dat"), &precious).unwrap();
        let first = "  - op: open\n    var: mine\n    file: mine.dat\n    mode: w+\n    shape: 2\n";
        let yaml = format!("title: x\nsteps:\n{first}{steps}");
        std::fs::write(cwd.path().join("l.yaml"), &yaml).unwrap();
        let (code, _, err) = run(
            cwd.path(),
            tmp.path(),
            &["run", "l.yaml", "--format", "json", "--workdir", "work"],
        );
        assert_eq!(code, 2, "{yaml}\n{err}");
        let want = format!("l.yaml: step {}, field `{field}`", step + 1);
        assert!(
            err.contains(&want) && err.contains("--overwrite"),
            "{yaml}\n{err}"
        );
        assert_eq!(std::fs::read(work.join("user.dat")).unwrap(), precious);
        assert_eq!(
            listing(&work),
            ["user.dat"],
            "a step ran before the refusal"
        );
        let (code, _, err) = run(
            cwd.path(),
            tmp.path(),
            &[
                "run",
                "l.yaml",
                "--format",
                "json",
                "--workdir",
                "work",
                "--overwrite",
            ],
        );
        assert_eq!(code, 0, "{yaml}\n{err}");
    }
}

#[test]
fn crash_honours_the_variables_mode() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let yaml = |mode: &str| {
        format!("title: x\nsteps:\n  - op: open\n    var: w\n    file: f.dat\n    mode: w+\n    shape: 4\n  - op: flush\n    var: w\n  - op: open\n    var: a\n    file: f.dat\n    mode: {mode}\n    shape: 4\n  - op: crash\n    var: a\n    index: '[1]'\n    value: 9\n  - op: close\n    var: a\n  - op: external_read\n    file: f.dat\n    offset: 0\n    length: 4\n")
    };
    for (mode, error, byte) in [
        ("r+", None, "00090000"),
        ("c", None, "00000000"),
        ("r", Some("assignment destination is read-only"), "00000000"),
    ] {
        std::fs::write(cwd.path().join("c.yaml"), yaml(mode)).unwrap();
        let (code, out, err) = run(
            cwd.path(),
            tmp.path(),
            &["run", "c.yaml", "--format", "json"],
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let crash = &v["steps"][3];
        match error {
            Some(e) => assert!(crash["error"].as_str().unwrap_or("").contains(e), "{crash}"),
            None => assert!(crash["error"].is_null(), "{mode}: {crash}"),
        }
        assert_eq!(
            v["steps"][5]["child"]["read"].as_str(),
            Some(byte),
            "mode {mode}: {}",
            v["steps"][5]
        );
    }
}

/// `external_read` needs no write permission: it works on a read-only filesystem.
#[test]
fn external_read_opens_read_only() {
    let Some(fs) = SmallFs::mount("1m") else {
        return;
    };
    let work = fs.path().join("w");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("r.dat"), [1u8, 2, 3, 4]).unwrap();
    let ro = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(fs.path())
        .status();
    if !ro.map(|s| s.success()).unwrap_or(false) {
        eprintln!("skip: cannot remount read-only here");
        return;
    }
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("r.yaml"),
        "title: x\nsteps:\n  - op: open\n    file: r.dat\n    mode: r\n  - op: external_read\n    file: r.dat\n    offset: 0\n    length: 4\n",
    )
    .unwrap();
    let work_arg = work.to_str().unwrap();
    let (code, out, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "r.yaml", "--format", "json", "--workdir", work_arg],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["steps"][1]["error"].is_null(), "{}", v["steps"][1]);
    assert_eq!(v["steps"][1]["child"]["read"].as_str(), Some("01020304"));
}

/// A second tutor on the same work directory refuses clearly (flock), and changes nothing.
#[test]
fn a_second_tutor_on_the_same_workdir_refuses() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: x\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 4\n",
    )
    .unwrap();
    let first = Stepper::start(cwd.path(), tmp.path(), &["l.yaml", "--workdir", "w"]);
    first.wait_for("Next: step 1");
    let (code, _, err) = run(cwd.path(), tmp.path(), &["run", "l.yaml", "--workdir", "w"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another memmap-tutor is running in"), "{err}");
    assert_eq!(listing(&cwd.path().join("w")), Vec::<String>::new());
    let (code, _, err) = first.finish();
    assert_eq!(code, Some(0), "{err}");
    // Once the first is done, the directory is free again (and a.dat is now the user's).
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "l.yaml", "--workdir", "w", "--overwrite"],
    );
    assert_eq!(code, 0, "{err}");
}

/// A lesson file swapped for a symlink between steps (a shared --workdir) is never followed:
/// nothing outside the work directory is printed, written or truncated.
#[test]
fn a_file_swapped_for_a_symlink_mid_run_is_not_followed() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let outside = cwd.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let secret = outside.join("secret.dat");
    std::fs::write(&secret, b"SECRET-SECRET-SECRET").unwrap();
    let yaml = "title: swap\nsteps:\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    shape: 16\n  - op: assign\n    var: a\n    value: 7\n  - op: flush\n    var: a\n  - op: external_write\n    file: a.dat\n    offset: 0\n    bytes: \"41 41\"\n  - op: external_read\n    file: a.dat\n    offset: 0\n    length: 16\n  - op: truncate\n    file: a.dat\n    size: 0\n  - op: open\n    var: b\n    file: a.dat\n    mode: r\n";
    std::fs::write(cwd.path().join("s.yaml"), yaml).unwrap();
    let mut st = Stepper::start(cwd.path(), tmp.path(), &["s.yaml", "--workdir", "w"]);
    st.wait_for("Next: step 1");
    st.enter();
    st.wait_for("Next: step 2");
    st.enter();
    st.wait_for("Next: step 3");
    // Another user of the shared directory swaps the file for a symlink to a file outside.
    let a = cwd.path().join("w/a.dat");
    std::fs::rename(&a, cwd.path().join("w/moved.dat")).unwrap();
    std::os::unix::fs::symlink(&secret, &a).unwrap();
    let (code, out, err) = st.finish();
    eprintln!("--- step output after the swap ---\n{out}\n--- stderr ---\n{err}");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read(&secret).unwrap(), b"SECRET-SECRET-SECRET");
    assert!(
        !out.contains("SECRET"),
        "printed a file outside the work directory"
    );
    assert!(!out.contains("53 45 43"), "printed its bytes");
    assert!(out.contains("without following symlinks"), "{out}");
}

/// A file the lesson created, swapped mid-run (between `step`s) for a hard link to a file outside
/// the work directory or for another process's file, is never written or truncated: the lesson's
/// files are known by identity (device, inode), and a file with two names is never changed.
#[test]
fn a_file_swapped_for_a_hard_link_or_another_file_mid_run_is_not_changed() {
    for swap in ["hard link", "other file"] {
        let cwd = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let outside = cwd.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let secret = outside.join("secret.dat");
        std::fs::write(&secret, b"SECRET-SECRET-SECRET").unwrap();
        let yaml = "title: swap\nsteps:\n  - {op: open, var: a, file: a.dat, mode: w+, shape: 16}\n  - {op: assign, var: a, value: 7}\n  - {op: external_write, file: a.dat, offset: 0, bytes: \"41 41\"}\n  - {op: truncate, file: a.dat, size: 0}\n  - {op: open, var: b, file: a.dat, mode: r+, shape: 4}\n  - {op: open, var: c, file: a.dat, mode: w+, shape: 4}\n";
        std::fs::write(cwd.path().join("s.yaml"), yaml).unwrap();
        let mut st = Stepper::start(cwd.path(), tmp.path(), &["s.yaml", "--workdir", "w"]);
        st.wait_for("Next: step 1");
        st.enter();
        st.wait_for("Next: step 2");
        st.enter();
        st.wait_for("Next: step 3");
        let a = cwd.path().join("w/a.dat");
        std::fs::rename(&a, cwd.path().join("w/moved.dat")).unwrap();
        if swap == "hard link" {
            std::fs::hard_link(&secret, &a).unwrap();
        } else {
            std::fs::write(&a, b"ANOTHER PROCESS'S DATA").unwrap();
        }
        let (code, out, err) = st.finish();
        eprintln!("--- {swap}: step output after the swap ---\n{out}\n--- stderr ---\n{err}");
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(
            std::fs::read(&secret).unwrap(),
            b"SECRET-SECRET-SECRET",
            "{swap}"
        );
        let says = if swap == "hard link" {
            "it has 2 names"
        } else {
            "another process replaced the file"
        };
        // Steps 3 to 6 each raise it (the closing table may repeat them).
        assert!(
            out.matches(says).count() >= 4,
            "{swap}: every write is refused\n{out}"
        );
        if swap == "other file" {
            assert_eq!(std::fs::read(&a).unwrap(), b"ANOTHER PROCESS'S DATA");
        }
    }
}

/// The pre-flight sums what every step can grow or dirty, across all files (r+ growth and
/// truncate included), and refuses before anything is created.
#[test]
fn a_lesson_bigger_than_a_small_disk_is_refused_before_anything_runs() {
    let Some(fs) = SmallFs::mount("256k") else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = fs.path().join("w");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("old.dat"), b"").unwrap();
    let work_arg = work.to_str().unwrap().to_string();
    // Two files of 160 KiB each, written whole (one grown by r+): each alone fits, together they
    // do not; the truncate after them adds nothing.
    let three = "title: x\nsteps:\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    shape: 163840\n  - op: assign\n    var: a\n    value: 1\n  - op: open\n    var: b\n    file: old.dat\n    mode: r+\n    shape: 163840\n  - op: assign\n    var: b\n    value: 2\n  - op: truncate\n    file: c.dat\n    size: 0\n";
    std::fs::write(cwd.path().join("t.yaml"), three).unwrap();
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "t.yaml", "--workdir", &work_arg, "--overwrite"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("t.yaml: step 4, field `index`") && err.contains("free on the work directory"),
        "{err}"
    );
    assert_eq!(listing(&work), ["old.dat"]);
    // The same in the default temporary directory on that filesystem: nothing is left there.
    std::fs::remove_file(work.join("old.dat")).unwrap();
    let (code, _, err) = run(cwd.path(), fs.path(), &["run", "t.yaml"]);
    assert!(code == 2 || code == 0, "{err}");
    assert_eq!(listing(fs.path()), ["w"]);
}

/// A disk that fills up between two steps (another process) makes the next store an error step:
/// no SIGBUS, the trace is printed, exit 0, and the temporary directory is removed.
#[test]
fn a_disk_filled_between_steps_is_an_error_step_not_sigbus() {
    let Some(fs) = SmallFs::mount("256k") else {
        return;
    };
    for with_workdir in [true, false] {
        let cwd = tempfile::tempdir().unwrap();
        let work = fs.path().join("w");
        let tmp = fs.path().join("t");
        std::fs::create_dir_all(&tmp).unwrap();
        let yaml = "title: full\nsteps:\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    shape: 65536\n  - op: assign\n    var: a\n    value: 1\n  - op: read\n    var: a\n    index: '[0]'\n";
        std::fs::write(cwd.path().join("f.yaml"), yaml).unwrap();
        let work_arg = work.to_str().unwrap().to_string();
        let args: Vec<&str> = if with_workdir {
            vec!["f.yaml", "--workdir", &work_arg]
        } else {
            vec!["f.yaml"]
        };
        let mut st = Stepper::start(cwd.path(), &tmp, &args);
        st.wait_for("Next: step 1");
        st.enter();
        st.wait_for("Next: step 2");
        let filler = fill(fs.path());
        let (code, out, err) = st.finish();
        eprintln!("--- full disk, workdir {with_workdir} ---\n{out}\n{err}");
        // The store is an error step; a later read of a hole on the full tmpfs is one too, or
        // (where the kernel faults a page the tutor did not populate) a caught SIGBUS: exit 3
        // with its message. Never a death by the signal.
        assert!(code == Some(0) || code == Some(3), "{err}\n{out}");
        if code == Some(3) {
            assert!(
                err.contains("SIGBUS: a mapped file could not be backed"),
                "{err}"
            );
        }
        assert!(out.contains("No space left on device"), "{out}");
        assert!(
            out.contains("NumPy would be killed by SIGBUS here"),
            "{out}"
        );
        std::fs::remove_file(filler).unwrap();
        if with_workdir {
            std::fs::remove_dir_all(&work).unwrap();
        } else {
            assert_eq!(
                listing(&tmp),
                Vec::<String>::new(),
                "temporary directory left"
            );
        }
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

/// A SIGBUS that still arrives (another process truncated at the wrong moment) is caught: a
/// clear message, the temporary directory removed, exit 3. Other catchable signals clean up too.
#[test]
fn caught_signals_remove_the_temp_dir_with_documented_codes() {
    for (sig, code, says) in [
        (
            libc::SIGBUS,
            3,
            "the file shrank under its mapping or the filesystem is full",
        ),
        (libc::SIGUSR1, 128 + libc::SIGUSR1, "stopped by a signal"),
        (libc::SIGALRM, 128 + libc::SIGALRM, "stopped by a signal"),
        (libc::SIGQUIT, 128 + libc::SIGQUIT, "stopped by a signal"),
        (libc::SIGHUP, 130, "interrupted"),
    ] {
        let cwd = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut st = Stepper::start(cwd.path(), tmp.path(), &[]);
        st.wait_for("Next: step 1");
        st.enter();
        st.wait_for("Next: step 2");
        assert_eq!(listing(tmp.path()).len(), 1);
        // SAFETY: kill(2) of the child this test spawned and still owns.
        assert_eq!(unsafe { libc::kill(st.child.id() as i32, sig) }, 0);
        let status = st.child.wait().unwrap();
        let mut err = String::new();
        st.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(code), "signal {sig}: {err}");
        assert!(err.contains(says), "signal {sig}: {err}");
        assert_eq!(listing(tmp.path()), Vec::<String>::new(), "signal {sig}");
    }
}

/// The temporary directory is private (0700) and says whose it is; directories of tutors that
/// are gone (SIGKILL) are removed at the next start-up, live ones are kept.
#[test]
fn temp_dir_is_private_and_stale_ones_are_removed_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let st = Stepper::start(cwd.path(), tmp.path(), &[]);
    st.wait_for("Next: step 1");
    let names = listing(tmp.path());
    assert_eq!(names.len(), 1);
    let dir = tmp.path().join(&names[0]);
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let pid: u32 = std::fs::read_to_string(dir.join(".memmap-tutor.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pid, st.child.id());
    // SIGKILL cannot be caught: the directory stays …
    let mut child = st.child;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(dir.exists());
    // … and a live tutor's directory is never touched by the next one.
    let live = Stepper::start(cwd.path(), tmp.path(), &[]);
    live.wait_for("Next: step 1");
    let (code, _, err) = run(cwd.path(), tmp.path(), &["run", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let left = listing(tmp.path());
    assert!(!dir.exists(), "stale directory kept: {left:?}");
    assert_eq!(left.len(), 1, "{left:?}");
    let _ = live.finish();
}

#[test]
fn a_lesson_saved_with_a_bom_is_accepted() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("b.yaml"),
        "\u{feff}title: bom\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n",
    )
    .unwrap();
    for cmd in ["check", "run"] {
        let (code, _, err) = run(cwd.path(), tmp.path(), &[cmd, "b.yaml"]);
        assert_eq!(code, 0, "{cmd}: {err}");
    }
}

#[test]
fn step_and_variable_caps_exit_2_with_a_location() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut many = String::from(
        "title: many\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n",
    );
    many.push_str(&"  - op: flush\n".repeat(10_000));
    std::fs::write(cwd.path().join("m.yaml"), &many).unwrap();
    let (code, _, err) = run(cwd.path(), tmp.path(), &["run", "m.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("m.yaml: steps:") && err.contains("at most 10000"),
        "{err}"
    );
    let mut vars = String::from("title: vars\nsteps:\n");
    for i in 0..1001 {
        vars.push_str(&format!(
            "  - op: open\n    var: v{i}\n    file: f{i}.dat\n    mode: w+\n    shape: 1\n"
        ));
    }
    std::fs::write(cwd.path().join("v.yaml"), &vars).unwrap();
    let (code, _, err) = run(cwd.path(), tmp.path(), &["check", "v.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        // `check` gives the line and column of the key too.
        err.contains("v.yaml:5004:5: step 1001, field `var`") && err.contains("at most 1000"),
        "{err}"
    );
}

/// A huge note is bounded before the table wraps it (the wrap grows faster than linearly).
#[test]
fn a_huge_note_is_bounded_in_the_table() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let note = "x".repeat(500_000);
    std::fs::write(
        cwd.path().join("n.yaml"),
        format!("title: n\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n    note: {note}\n"),
    )
    .unwrap();
    let (code, out, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "n.yaml", "--view", "table", "--format", "markdown"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("496000 more characters"),
        "{}",
        &out[..out.len().min(2000)]
    );
}

/// `verify` on tmpfs skips what tmpfs cannot answer instead of failing; `--workdir` picks the
/// filesystem.
#[test]
fn verify_is_honest_on_tmpfs_and_takes_a_workdir() {
    let Some(fs) = SmallFs::mount("64m") else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let fs_arg = fs.path().to_str().unwrap().to_string();
    let (code, out, err) = run(
        cwd.path(),
        tmp.path(),
        &["verify", "eviction", "--workdir", &fs_arg],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("on tmpfs") && out.contains("skipped"), "{out}");
    assert_eq!(listing(fs.path()), Vec::<String>::new());
}

/// The `xxd` hint of `step` can be pasted into a shell as is.
#[test]
fn step_prints_a_shell_quoted_path() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("q.yaml"),
        "title: q\nsteps:\n  - op: open\n    file: \"it's here.dat\"\n    mode: w+\n    shape: 2\n",
    )
    .unwrap();
    let st = Stepper::start(cwd.path(), tmp.path(), &["q.yaml", "--workdir", "my dir"]);
    let (code, out, err) = st.finish();
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("/my dir/it'\\''s here.dat'`"), "{out}");
}

/// A `w+` of a file that was absent creates it with O_EXCL: a file that appears in the work directory after the
/// pre-flight (another user of a shared `--workdir`) is never truncated; the step raises instead.
#[test]
fn a_file_that_appears_before_its_w_plus_open_is_never_truncated() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let yaml = "title: appears\nsteps:\n  - op: open\n    var: b\n    file: b.dat\n    mode: w+\n    shape: 4\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    shape: 16\n  - op: assign\n    var: a\n    value: 7\n";
    std::fs::write(cwd.path().join("e.yaml"), yaml).unwrap();
    let mut st = Stepper::start(cwd.path(), tmp.path(), &["e.yaml", "--workdir", "w"]);
    st.wait_for("Next: step 1");
    st.enter();
    st.wait_for("Next: step 2");
    let a = cwd.path().join("w/a.dat");
    std::fs::write(&a, b"USER-DATA").unwrap();
    let (code, out, err) = st.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read(&a).unwrap(), b"USER-DATA", "{out}");
    assert!(out.contains("raised"), "step 2 must raise: {out}");
}

/// A `--workdir` is the user's: after a run (success or an invalid lesson) it is still there, with the files the
/// lesson made; only the tutor's own temporary directory is ever removed.
#[test]
fn a_workdir_is_never_removed() {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = cwd.path().join("mine");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("notes.txt"), b"mine").unwrap();
    let work_arg = work.to_str().unwrap().to_string();
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &[
            "run",
            "numpy-memmap-basics",
            "--workdir",
            &work_arg,
            "--view",
            "flow",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listing(&work), ["large_data.dat", "notes.txt"]);
    std::fs::write(cwd.path().join("bad.yaml"), "title: x\nsteps: 3\n").unwrap();
    let (code, _, _) = run(
        cwd.path(),
        tmp.path(),
        &["run", "bad.yaml", "--workdir", &work_arg],
    );
    assert_eq!(code, 2);
    assert_eq!(listing(&work), ["large_data.dat", "notes.txt"]);
    assert!(listing(tmp.path()).is_empty());
}

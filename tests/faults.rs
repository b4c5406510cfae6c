//! Run-time faults and the environment, through the real binary: a fixed cheap subset of the random
//! fault campaign (`tests/faults/campaign.py`: full disks, outside truncation, file and work-directory
//! swaps, signals, a second tutor, a closed or full stdout, at random moments), and one test per
//! `--workdir` and stale-directory rule. `FAULT_CASES=500 FAULT_SEED=N cargo test --test faults`
//! runs a longer campaign. Mounting small filesystems needs root: those cases are skipped (the
//! campaign prints why) elsewhere.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use common::{listing, tutor};

/// Run the binary in `cwd` with TMPDIR `tmp`; (exit code, stdout, stderr). Never a panic or a signal.
fn run(cwd: &Path, tmp: &Path, args: &[&str]) -> (i32, String, String) {
    let out = tutor()
        .current_dir(cwd)
        .env("TMPDIR", tmp)
        .env_remove("MEMMAP_TUTOR_WORKDIR")
        .args(args)
        .write_stdin("")
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "panicked: {stderr}");
    assert_ne!(code, -1, "died of a signal: {stderr}");
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn random_faults_at_random_moments_keep_every_promise() {
    if Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!("fault campaign: skipped (python3 cannot be run here)");
        return;
    }
    let cases = std::env::var("FAULT_CASES").unwrap_or_else(|_| "24".to_string());
    let seed = std::env::var("FAULT_SEED").unwrap_or_else(|_| "12".to_string());
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/faults/campaign.py"
        ))
        .args(["--tutor", env!("CARGO_BIN_EXE_memmap-tutor")])
        .args(["--cases", &cases, "--seed", &seed])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("broke an invariant"),
        "the campaign did not finish"
    );
    assert!(out.status.success(), "a fault broke a promise (above)");
}

/// `--workdir` creates only its last component, as mkdir does: a missing parent (a typo) is exit 2
/// with a message naming it, and nothing is created.
#[test]
fn a_workdir_with_a_missing_parent_is_refused_and_nothing_is_created() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "--format", "json", "--workdir", "no/such/deep/w"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("its parent no/such/deep does not exist"),
        "{err}"
    );
    assert_eq!(listing(cwd.path()), Vec::<String>::new());
    assert_eq!(listing(tmp.path()), Vec::<String>::new());
    // The same for verify's --workdir (the base of its temporary directories).
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &["verify", "numpy-memmap-basics", "--workdir", "no/such/w"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(listing(cwd.path()), Vec::<String>::new());
    // A missing last component is created, and kept.
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &["run", "--format", "json", "--workdir", "w"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(listing(&cwd.path().join("w")), vec!["large_data.dat"]);
}

/// A work directory on a kernel pseudo-filesystem (procfs, sysfs) is named as such, exit 2, not
/// refused for "0 bytes free".
#[test]
fn a_workdir_on_a_pseudo_filesystem_is_refused_for_what_it_is() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    for (dir, kind) in [
        ("/proc/self", "procfs"),
        ("/proc/memmap-tutor-x", "procfs"),
        ("/sys/kernel", "sysfs"),
    ] {
        if !Path::new(dir).parent().is_some_and(|p| p.is_dir()) {
            eprintln!("skip {dir}: not mounted here");
            continue;
        }
        let (code, _, err) = run(
            cwd.path(),
            tmp.path(),
            &["run", "--format", "json", "--workdir", dir],
        );
        assert_eq!(code, 2, "{dir}: {err}");
        assert!(
            err.contains(kind) && err.contains("pseudo-filesystem"),
            "{dir}: {err}"
        );
        assert!(!err.contains("bytes free"), "{dir}: {err}");
    }
}

/// A stale temporary directory (its tutor died by SIGKILL) is removed by the next tutor even when
/// its pid now belongs to another, live process (pid reuse): what decides is that nobody holds its
/// lock. A symlink named like one, a directory without a pid file and another user's directory are
/// left alone.
#[test]
fn stale_temp_dirs_are_judged_by_their_lock_not_by_a_reusable_pid() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("keep.dat"), b"keep").expect("write");
    // pid 1 always exists (init of this pid namespace) and is never a tutor: a reused pid.
    let reused = tmp.path().join("memmap-tutor-reused");
    std::fs::create_dir(&reused).expect("mkdir");
    std::fs::write(reused.join(".memmap-tutor.pid"), "1\n").expect("pid");
    std::fs::write(reused.join("a.dat"), b"x").expect("write");
    // A symlink to an outside directory that looks stale: never followed, never removed.
    std::fs::write(outside.path().join(".memmap-tutor.pid"), "4194305\n").expect("pid");
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("memmap-tutor-link")).expect("ln");
    // No pid file: a tutor may be creating it right now.
    let nopid = tmp.path().join("memmap-tutor-nopid");
    std::fs::create_dir(&nopid).expect("mkdir");
    // Another user's (root only: chown).
    let other = tmp.path().join("memmap-tutor-other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join(".memmap-tutor.pid"), "4194305\n").expect("pid");
    let chowned = std::os::unix::fs::chown(&other, Some(65534), Some(65534)).is_ok();
    if !chowned {
        eprintln!("skip the other user's directory: chown needs root");
        std::fs::remove_dir_all(&other).expect("rm");
    }
    let (code, _, err) = run(cwd.path(), tmp.path(), &["run", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let mut expect = vec!["memmap-tutor-link", "memmap-tutor-nopid"];
    if chowned {
        expect.push("memmap-tutor-other");
        assert_eq!(std::fs::metadata(&other).expect("kept").uid(), 65534);
    }
    assert_eq!(listing(tmp.path()), expect);
    assert_eq!(
        listing(outside.path()),
        vec![".memmap-tutor.pid", "keep.dat"]
    );
}

/// `-o FILE` on a full disk: the error names the file, and an earlier output there is left whole
/// (written to a temporary file beside it and renamed only when complete); no partial file stays.
#[test]
fn an_output_file_on_a_full_disk_is_left_as_it_was() {
    let Some(fs) = common_small_fs("256k") else {
        return;
    };
    let cwd = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = fs.join("trace.json");
    std::fs::write(&out, b"{\"earlier\": true}\n").expect("write");
    let before = std::fs::metadata(&out).expect("stat");
    fill(&fs);
    for args in [
        vec!["run", "--format", "json", "-o"],
        vec!["run", "--view", "table", "-o"],
        vec!["export", "python", "numpy-memmap-basics", "-o"],
    ] {
        let mut a = args.clone();
        a.push(out.to_str().expect("utf-8"));
        let (code, _, err) = run(cwd.path(), tmp.path(), &a);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("No space left on device") && err.contains("trace.json"),
            "{args:?}: {err}"
        );
        assert!(err.contains("left as it was"), "{err}");
        assert_eq!(
            std::fs::read(&out).expect("read"),
            b"{\"earlier\": true}\n",
            "{args:?}"
        );
        let now = std::fs::metadata(&out).expect("stat");
        assert_eq!(
            (now.ino(), now.mtime(), now.mtime_nsec()),
            (before.ino(), before.mtime(), before.mtime_nsec())
        );
        assert_eq!(listing(&fs), vec![".filler", "trace.json"], "{args:?}");
        // A new file on the full disk: not created at all.
        let mut a = args.clone();
        let fresh = fs.join("new.json");
        a.push(fresh.to_str().expect("utf-8"));
        let (code, _, err) = run(cwd.path(), tmp.path(), &a);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(!fresh.exists(), "{args:?}: a partial file was left");
    }
    std::fs::remove_file(fs.join(".filler")).expect("rm");
    let (code, _, err) = run(
        cwd.path(),
        tmp.path(),
        &[
            "run",
            "--format",
            "json",
            "-o",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.starts_with('{') && text.contains("\"steps\""),
        "{text}"
    );
    assert_eq!(listing(&fs), vec!["trace.json"]);
}

/// A `crash` child that cannot get a page of a full filesystem says so in NumPy's words (ENOSPC),
/// not as a raw `[Errno 14] Bad address` from the populate; `fork_write`'s worker dies of SIGBUS
/// as NumPy's would, and the step says why. The disk is filled by another process between steps.
#[test]
fn stores_by_other_processes_into_a_full_disk_are_error_steps() {
    let Some(fs) = common_small_fs("256k") else {
        return;
    };
    let cwd = tempfile::tempdir().expect("tempdir");
    let work = fs.join("w");
    std::fs::create_dir(&work).expect("mkdir");
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: t\nsteps:\n  - {op: open, file: a.dat, mode: w+, shape: 65536}\n  \
         - {op: crash, index: '[0:20000]', value: 9}\n  \
         - {op: fork_write, index: '[30000:50000]', value: 7}\n  - {op: read, index: '[60000]'}\n",
    )
    .expect("lesson");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_memmap-tutor"))
        .current_dir(cwd.path())
        .env("NO_COLOR", "1")
        .args(["step", "l.yaml", "--workdir", work.to_str().expect("utf-8")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let mut text = String::new();
    let wait_for = |what: &str, text: &mut String| {
        let start = std::time::Instant::now();
        while !text.contains(what) {
            assert!(start.elapsed().as_secs() < 120, "no {what:?} in:\n{text}");
            if let Ok(s) = rx.recv_timeout(std::time::Duration::from_millis(50)) {
                text.push_str(&s);
            }
        }
    };
    use std::io::Write;
    wait_for("Next: step 1", &mut text);
    stdin.write_all(b"\n").expect("enter");
    wait_for("Next: step 2", &mut text);
    fill(&fs);
    stdin.write_all(&b"\n".repeat(8)).expect("enter");
    drop(stdin);
    let status = child.wait().expect("wait");
    wait_for("All steps done", &mut text);
    assert_eq!(status.code(), Some(0), "{text}");
    let crash = text.split("Step 2 ·").nth(1).expect("step 2");
    assert!(
        crash.contains("[Errno 28] No space left on device"),
        "{crash}"
    );
    assert!(!crash.contains("Bad address"), "{crash}");
    let fork = text.split("Step 3 ·").nth(1).expect("step 3");
    assert!(
        fork.contains("killed by SIGBUS") && fork.contains("could not give it a page"),
        "{fork}"
    );
    assert!(!work.join(".memmap-tutor.pid").exists());
}

/// A small tmpfs mounted for one test (root only; None with the reason printed elsewhere). It is
/// unmounted when the test process ends (lazily, so an open file cannot keep it).
fn common_small_fs(size: &str) -> Option<std::path::PathBuf> {
    let dir = tempfile::tempdir().ok()?.keep();
    let out = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0755"),
            "tmpfs",
        ])
        .arg(&dir)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            MOUNTS.with(|m| m.borrow_mut().push(Unmount(dir.clone())));
            Some(dir)
        }
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

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

thread_local! {
    /// Each test runs on its own thread: its mounts go when the thread ends.
    static MOUNTS: std::cell::RefCell<Vec<Unmount>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Fill the (small, test-mounted) filesystem holding `dir` until write(2) says ENOSPC.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join(".filler")).expect("filler");
    let chunk = vec![0xabu8; 4096];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&[0xab]).is_ok() {}
    let _ = f.sync_all();
}

/// A file-size limit (`ulimit -f`) is an error, never a death by SIGXFSZ: a `w+` open growing the
/// file past it is an error step with Python's `[Errno 27] File too large` (CPython ignores
/// SIGXFSZ too), and an output file past it is exit 1 naming it, with no partial file and the
/// temporary directory removed.
#[test]
fn a_file_size_limit_is_an_error_not_a_death_by_sigxfsz() {
    use std::os::unix::process::CommandExt;
    let cwd = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: t\nsteps:\n  - {op: open, file: big.dat, mode: w+, shape: 100000}\n  - {op: open, var: b, file: small.dat, mode: w+, shape: 100}\n",
    )
    .expect("lesson");
    let limited = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_memmap-tutor"));
        cmd.current_dir(cwd.path())
            .env("TMPDIR", tmp.path())
            .env("NO_COLOR", "1")
            .args(args);
        // SAFETY: setrlimit(2) only, between fork and exec (async-signal-safe).
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: 16384,
                    rlim_max: 16384,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            None,
            "died of a signal: {err}"
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            err,
        )
    };
    let (code, out, err) = limited(&["run", "l.yaml", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let trace: serde_json::Value = serde_json::from_str(&out).expect("json");
    let e = trace["steps"][0]["error"].as_str().unwrap_or_default();
    assert!(e.contains("[Errno 27] File too large"), "{e}");
    assert_eq!(trace["steps"][1]["ok"], true, "{}", trace["steps"][1]);
    assert_eq!(listing(tmp.path()), Vec::<String>::new());
    // The default lesson's JSON is larger than 16 KiB.
    let (code, _, err) = limited(&["run", "--format", "json", "-o", "out.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("File too large") && err.contains("out.json"),
        "{err}"
    );
    assert_eq!(listing(cwd.path()), vec!["l.yaml"]);
    assert_eq!(listing(tmp.path()), Vec::<String>::new());
}

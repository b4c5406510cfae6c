//! The lesson library and `export python`: every built-in lesson listed, valid and exportable; the crash and
//! truncation lessons show what they promise.

mod common;

use common::{run_json, tutor};
use memmap_tutor::lesson::builtin::LESSONS;

const LIBRARY: [&str; 9] = [
    "skip-flush",
    "read-only",
    "missing-file",
    "persistence",
    "two-mappings",
    "crash",
    "eviction",
    "byte-layout",
    "truncation",
];

fn stdout_of(args: &[&str]) -> (i32, String, String) {
    let out = tutor().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_shows_every_library_lesson_with_its_summary() {
    let (code, out, err) = stdout_of(&["list"]);
    assert_eq!(code, 0, "{err}");
    for name in LIBRARY {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from list:\n{out}"));
        let summary = line[name.len()..].trim();
        assert!(
            summary.len() > 20 && !summary.starts_with("(invalid"),
            "{line}"
        );
    }
    assert_eq!(out.lines().count(), LESSONS.len(), "{out}");
}

#[test]
fn every_built_in_lesson_is_valid() {
    let (code, out, err) = stdout_of(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("ok: ").count(), LESSONS.len(), "{out}");
}

#[test]
fn export_python_writes_stdout_or_a_file() {
    let (code, out, err) = stdout_of(&["export", "python", "numpy-memmap-basics"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\nimport numpy as np\n"), "{out}");
    assert!(
        out.contains("arr = np.memmap('large_data.dat', dtype='float32', mode='w+', shape=(3, 3))"),
        "{out}"
    );
    assert!(
        !out.contains("@@STEP"),
        "instrumentation only on request:\n{out}"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("basics.py");
    let path = file.to_str().expect("utf-8");
    let (code, to_stdout, err) =
        stdout_of(&["export", "python", "numpy-memmap-basics", "-o", path]);
    assert_eq!(code, 0, "{err}");
    assert!(to_stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).expect("written"), out);
}

#[test]
fn export_of_an_unknown_lesson_is_exit_2() {
    let (code, out, err) = stdout_of(&["export", "python", "no-such-lesson"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("no-such-lesson"), "{err}");
}

#[test]
fn export_uses_os_for_what_numpy_cannot_do() {
    let script = |name: &str| stdout_of(&["export", "python", name]).1;
    let crash = script("crash");
    assert!(
        crash.contains("os.fork()") && crash.contains("signal.SIGKILL"),
        "{crash}"
    );
    let evict = script("eviction");
    assert!(evict.contains("os.POSIX_FADV_DONTNEED"), "{evict}");
    assert!(evict.contains("mmap.MADV_DONTNEED"), "{evict}");
    let wait = script("skip-flush");
    assert!(wait.contains("kernel_writeback_delay()"), "{wait}");
    assert!(
        wait.contains("Python cannot see one file's dirty pages"),
        "{wait}"
    );
    let trunc = script("truncation");
    assert!(trunc.contains("os.ftruncate(fd, 4096)"), "{trunc}");
    assert!(trunc.contains("NumPy has no such check"), "{trunc}");
    let two = script("two-mappings");
    assert!(two.contains("os.pwrite(fd, np.array(7"), "{two}");
    assert!(two.contains("os.pread(fd, 32, 0)"), "{two}");
}

#[test]
fn every_exported_script_is_valid_python() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    if std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `{python}` cannot be run");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    for (name, _) in LESSONS {
        for instrument in [false, true] {
            let file = dir.path().join(format!("{name}-{instrument}.py"));
            let path = file.to_str().expect("utf-8");
            let mut args = vec!["export", "python", name, "-o", path];
            if instrument {
                args.push("--instrument");
            }
            let (code, _, err) = stdout_of(&args);
            assert_eq!(code, 0, "{name}: {err}");
            let out = std::process::Command::new(&python)
                .args(["-m", "py_compile", path])
                .output()
                .expect("python runs");
            assert!(
                out.status.success(),
                "{name} (instrument {instrument}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_crash_lesson_keeps_the_stores_after_sigkill() {
    let trace = run_json(&["crash"]);
    let step = &trace["steps"][2];
    assert_eq!(step["op"], "crash");
    assert_eq!(step["child"]["signal_name"], "SIGKILL", "{step}");
    assert_eq!(step["file"]["str"], "[ 0  0 42  0]", "{step}");
}

#[test]
fn the_truncation_lesson_ends_with_exit_0_and_a_sigbus_in_the_child() {
    let trace = run_json(&["truncation"]);
    let steps = trace["steps"].as_array().expect("steps");
    assert_eq!(steps[3]["child"]["signal_name"], "SIGBUS", "{}", steps[3]);
    assert!(steps[3]["outcome"]
        .as_str()
        .unwrap_or("")
        .contains("SIGBUS"));
    for s in &steps[4..7] {
        assert!(
            s["error"].as_str().unwrap_or("").contains("truncated"),
            "{s}"
        );
    }
    assert_eq!(steps.last().expect("a step")["ok"], true);
}

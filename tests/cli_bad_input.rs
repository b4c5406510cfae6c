//! Bad lessons through the real binary: exit code 2, a located message, and no file created anywhere.

mod common;

use common::{listing, tutor};

/// Run `memmap-tutor run LESSON --workdir W` from a fresh directory; return (code, stderr) and
/// assert that neither the work directory nor any other file was created.
fn run_bad(yaml: &str) -> (i32, String) {
    let cwd = tempfile::tempdir().unwrap();
    let lesson = cwd.path().join("lesson.yaml");
    std::fs::write(&lesson, yaml).unwrap();
    let work = cwd.path().join("work");
    let out = tutor()
        .current_dir(cwd.path())
        .args(["run", "lesson.yaml", "--workdir"])
        .arg(&work)
        .output()
        .unwrap();
    assert_eq!(listing(cwd.path()), ["lesson.yaml"], "a file was created");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (out.status.code().unwrap_or(-1), stderr)
}

const GOOD_OPEN: &str =
    "  - op: open\n    file: a.dat\n    dtype: float32\n    mode: w+\n    shape: [3, 3]\n";

#[test]
fn invalid_yaml_syntax_gives_line_and_column() {
    let (code, err) = run_bad("title: x\nsteps: [\n  - op: open\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lesson.yaml:"), "{err}");
    assert!(err.matches(':').count() >= 3, "no line:column in {err}");
}

#[test]
fn unknown_top_level_key_names_it_and_suggests() {
    let (code, err) = run_bad(&format!("title: x\nstesp: []\nsteps:\n{GOOD_OPEN}"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lesson.yaml:2:"), "{err}");
    assert!(err.contains("stesp"), "{err}");
    assert!(err.contains("steps"), "{err}");
}

#[test]
fn unknown_step_key_names_it_and_suggests() {
    let (code, err) = run_bad(&format!("title: x\nsteps:\n{GOOD_OPEN}    dtyp: float32\n"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lesson.yaml:8:"), "{err}");
    assert!(err.contains("dtyp") && err.contains("dtype"), "{err}");
}

#[test]
fn unknown_op_is_rejected() {
    let (code, err) = run_bad(&format!("title: x\nsteps:\n{GOOD_OPEN}  - op: flsh\n"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lesson.yaml:8:"), "{err}");
    assert!(err.contains("flsh") && err.contains("flush"), "{err}");
}

#[test]
fn unknown_dtype_gives_step_and_field() {
    // On `open` (and in values) it is NumPy's TypeError when the step runs (tests/fixtures/bad/cases.txt
    // `bad_dtype`); the tutor's own outside-process ops refuse it at load.
    let yaml = format!(
        "title: x\nsteps:\n{GOOD_OPEN}  - op: external_read\n    file: a.dat\n    dtype: flaot32\n"
    );
    let (code, err) = run_bad(&yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("step 2") && err.contains("dtype"), "{err}");
    assert!(err.contains("float32"), "no suggestion in {err}");
}

// An unknown mode and a step on a name never bound are NumPy's ValueError / NameError when the
// step runs (the lesson loads): tests/fixtures/bad/cases.txt (`bad_mode`, `step_on_unknown_variable`)
// checks the run records them.

#[test]
fn shape_that_is_not_integers_gives_step_and_field() {
    let yaml = "title: x\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: [3, x]\n";
    let (code, err) = run_bad(yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shape"), "{err}");
}

#[test]
fn shape_whose_product_overflows_is_rejected() {
    let yaml = "title: x\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: [4294967296, 4294967296, 4294967296]\n";
    let (code, err) = run_bad(yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("step 1") && err.contains("shape"), "{err}");
}

#[test]
fn index_that_does_not_parse_gives_step_and_field() {
    let yaml = format!(
        "title: x\nsteps:\n{GOOD_OPEN}  - op: assign\n    index: \"[1,, 2]\"\n    value: 5\n"
    );
    let (code, err) = run_bad(&yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("step 2") && err.contains("index"), "{err}");
}

#[test]
fn value_that_does_not_parse_gives_step_and_field() {
    let yaml = format!("title: x\nsteps:\n{GOOD_OPEN}  - op: assign\n    value: \"np.arange(\"\n");
    let (code, err) = run_bad(&yaml);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("step 2") && err.contains("value"), "{err}");
}

#[test]
fn missing_lesson_file_is_invalid_usage() {
    let (code, err) = {
        let cwd = tempfile::tempdir().unwrap();
        let out = tutor()
            .current_dir(cwd.path())
            .args(["run", "no-such-lesson.yaml"])
            .output()
            .unwrap();
        assert!(listing(cwd.path()).is_empty());
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-lesson.yaml"), "{err}");
}

#[test]
fn numpy_runtime_error_is_recorded_and_the_run_continues() {
    let cwd = tempfile::tempdir().unwrap();
    let yaml = "title: x\nsteps:\n  - op: open\n    file: missing.dat\n    mode: r+\n    expect_error: FileNotFoundError\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 2\n";
    std::fs::write(cwd.path().join("l.yaml"), yaml).unwrap();
    let work = cwd.path().join("w");
    let out = tutor()
        .current_dir(cwd.path())
        .args(["run", "l.yaml", "--format", "json", "--workdir"])
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(trace["steps"][0]["ok"], false);
    assert_eq!(
        trace["steps"][0]["error"],
        "FileNotFoundError: [Errno 2] No such file or directory: 'missing.dat'"
    );
    assert_eq!(trace["steps"][1]["ok"], true);
    assert!(!work.join("missing.dat").exists());
}

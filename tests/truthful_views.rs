//! Views say what the run shows: errors in the table row and tracker, `verify` failing an unexpected error,
//! close rows that say Closed, read rows with the value read, citations that name their variable.

mod common;

use common::tutor;

const RAISES: &str = "title: errors
steps:
  - {op: open, file: a.dat, dtype: uint8, mode: w+, shape: 3}
  - {op: assign, index: 'arr[0]', value: 300}
  - {op: read, index: 'arr[5]'}
  - {op: read, index: 'arr[1]'}
  - {op: close}
";

fn lesson(dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("l.yaml");
    std::fs::write(&p, text).expect("write lesson");
    p.display().to_string()
}

#[test]
fn verify_fails_a_step_that_raised_without_expect_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(dir.path(), RAISES);
    let out = tutor().args(["verify", &l]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("step 2 raised OverflowError: Python integer 300 out of bounds for uint8 and has no expect_error"),
        "{text}"
    );
    assert!(
        text.contains("step 3 raised IndexError: index 5 is out of bounds"),
        "{text}"
    );
    // The same lesson with the errors expected passes.
    let fixed = RAISES
        .replace("value: 300}", "value: 300, expect_error: OverflowError}")
        .replace(
            "index: 'arr[5]'}",
            "index: 'arr[5]', expect_error: IndexError}",
        );
    let l = lesson(dir.path(), &fixed);
    let out = tutor().args(["verify", &l]).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn rows_show_errors_reads_and_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(dir.path(), RAISES);
    let out = tutor()
        .args([
            "run", &l, "--view", "table", "--view", "tracker", "--format", "markdown",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let row = |n: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("| {n} |")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("2").contains(
            "raised OverflowError: Python integer 300 out of bounds for uint8; arr = [0 0 0]"
        ),
        "{text}"
    );
    assert!(row("3").contains("raised IndexError"), "{text}");
    assert!(row("4").contains("arr[1] = 0; arr = [0 0 0]"), "{text}");
    assert!(row("5").contains("Closed (held [0 0 0])"), "{text}");
    let tracker = text
        .lines()
        .find(|l| l.starts_with("| arr |"))
        .unwrap_or_default();
    assert!(
        tracker.contains("[0 0 0] (step 2 raised OverflowError)"),
        "{tracker}"
    );
    assert!(
        tracker.contains("[0 0 0] (step 3 raised IndexError)"),
        "{tracker}"
    );
}

#[test]
fn citations_name_the_variable_when_there_are_several() {
    let out = tutor()
        .args([
            "run",
            "copy-on-write",
            "--view",
            "moments",
            "--format",
            "markdown",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let cites: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Measured in this run"))
        .collect();
    assert!(!cites.is_empty(), "{text}");
    assert!(cites.iter().all(|c| c.contains(" of `")), "{cites:#?}");
    assert!(
        cites
            .iter()
            .any(|c| c.contains("Array Content of `private` (mode c) = [99  2  3  4]")),
        "{cites:#?}"
    );
}

#[test]
fn a_wait_for_writeback_says_how_long_the_page_had_been_dirty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(
        dir.path(),
        "title: wait
steps:
  - {op: open, file: a.dat, dtype: uint8, mode: w+, shape: 3}
  - {op: assign, value: 7}
  - {op: wait_writeback, timeout: 1}
",
    );
    let work = dir.path().join("w");
    let t = common::run_json(&[&l, "--workdir", work.to_str().expect("utf-8")]);
    if t["environment"]["has_disk"] != true {
        eprintln!("SKIPPED: no disk behind the page cache here, nothing is ever dirty");
        return;
    }
    let w = &t["steps"][2];
    let dirty_for = w["dirty_for_ms"].as_u64().expect("dirty_for_ms");
    let waited = w["writeback_wait_ms"].as_u64().expect("writeback_wait_ms");
    assert_eq!(w["dirtied_at_step"], 1, "{w}");
    assert!(
        dirty_for >= waited,
        "dirty for {dirty_for} ms, waited {waited} ms"
    );
    let outcome = w["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("the file had been dirty for"), "{outcome}");
    assert!(outcome.contains("since step 1 dirtied it"), "{outcome}");
}

const CLAIMED: &str = "title: claims
steps:
  - {op: open, file: a.dat, dtype: uint8, mode: w+, shape: 3, note: Zeros}
  - {op: assign, value: 7, note: Stored in memory only}
snapshot:
  - The file changes only when you flush
claims:
  - on: note 2
    corrects: true
    says: read(2) of the file already returns the 7s
    step: 2
    expect: {file: '[7 7 7]'}
    cites: {step: 2, column: file}
  - on: snapshot 1
    says: the file still holds zeros after the store
    step: 2
    expect: {file: '[0 0 0]'}
";

#[test]
fn verify_fails_a_claim_the_run_disproves_and_counts_claims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(dir.path(), CLAIMED);
    let out = tutor().args(["verify", &l]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("(2 of them claims about the lesson's text)"),
        "{text}"
    );
    assert!(
        text.contains("claim on snapshot 1 (\"the file still holds zeros after the store\"): the run disproves it"),
        "{text}"
    );
    assert!(
        !text.contains("claim on note 2"),
        "the true claim passes: {text}"
    );
}

#[test]
fn a_correcting_claim_is_shown_beside_its_line_with_the_live_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(dir.path(), CLAIMED);
    let out = tutor()
        .args([
            "run", &l, "--view", "table", "--view", "steps", "--format", "markdown",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Note of step 2 — Measured: read(2) of the file already returns the 7s (step 2, File (read(2)) = [7 7 7])"),
        "{text}"
    );
}

#[test]
fn a_claim_on_a_missing_line_is_an_invalid_lesson() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = lesson(
        dir.path(),
        &CLAIMED.replace("on: snapshot 1", "on: snapshot 4"),
    );
    let out = tutor().args(["check", &l]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("claim 2") && err.contains("snapshot 4"),
        "{err}"
    );
}

#[test]
fn default_lesson_question_3_is_graded_by_the_measurement() {
    // A disk-backed directory: on tmpfs question 3 is not graded (tests/cli_quiz.rs covers that).
    let dir = env!("CARGO_TARGET_TMPDIR");
    let out = tutor()
        .env("TMPDIR", dir)
        .args(["quiz", "--width", "2000", "--answers", "A,C,A"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Not graded") {
        eprintln!("SKIPPED: {dir} has no disk here");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Score: 3/3"), "{text}");
    assert!(
        text.contains("Measured: after step 2 the file as read(2) sees it already holds 0 to 8"),
        "{text}"
    );
    assert!(text.contains("step 2, Dirty pages = "), "{text}");
    let out = tutor()
        .env("TMPDIR", dir)
        .args(["quiz", "--answers", "A,C,B"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Score: 2/3"));
}

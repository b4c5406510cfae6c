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

//! Derived questions that compare measurements (`derive: compare`, `first_since`) through the real binary:
//! graded from the run in `quiz`, checked by `verify`, not graded where a probe cannot answer, and refused at
//! load with the step and field when malformed.

mod common;

use common::tutor;
use std::path::Path;

/// A lesson whose questions compare two steps: one decided on any filesystem (a value another process changed),
/// one that needs a disk (dirty pages before and after a flush) and one first-step question.
const LESSON: &str = r#"title: compared
steps:
  - {op: open, var: a, file: c.dat, dtype: int32, mode: w+, shape: 4}
  - {op: assign, index: "a[0]", value: 5}
  - {op: external_write, var: a, offset: 4, value: 9}
  - {op: flush, var: a}
quiz:
  - question: Did another process's write at step 3 change a[1]?
    choices: ["No, a keeps its own copy", "Yes, a sees it at once"]
    answer: B
    derive:
      - choice: "No, a keeps its own copy"
        compare: [{left: {step: 2, measure: value, index: "a[1]"}, is: equal, right: {step: 3, measure: value, index: "a[1]"}}]
        says: a[1] kept its value
      - choice: "Yes, a sees it at once"
        compare: [{left: {step: 2, measure: value, index: "a[1]"}, is: differs, right: {step: 3, measure: value, index: "a[1]"}}]
        says: a[1] changed although the program stored nothing
  - question: Were there more dirty pages after step 2 or after step 4?
    choices: [After step 2, After step 4]
    answer: A
    derive:
      - choice: After step 2
        compare: [{left: {step: 2, measure: dirty}, is: greater, right: {step: 4, measure: dirty}}]
        says: the flush cleaned the dirty page
      - choice: After step 4
        compare: [{left: {step: 2, measure: dirty}, is: less, right: {step: 4, measure: dirty}}]
        says: the flush dirtied pages
  - question: Which step first wrote the file to disk?
    choices: [Step 2, Step 4]
    answer: B
    derive:
      - {choice: Step 2, step: 2, first_since: 2, expect: {disk_write: true}, says: the store wrote}
      - {choice: Step 4, step: 4, first_since: 2, expect: {disk_write: true}, says: the flush wrote}
"#;

fn write_lesson(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Run the tutor with `TMPDIR` set to `tmp`; (exit code, stdout, stderr).
fn tutor_in(tmp: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = tutor().env("TMPDIR", tmp).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A directory on a filesystem with a disk (the target dir), or why there is none.
fn disk_dir() -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).map_err(|e| e.to_string())?;
    let out = tutor()
        .env("TMPDIR", dir.path())
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    if common::has_disk(&trace) {
        Ok(dir)
    } else {
        Err(format!("{} has no disk", dir.path().display()))
    }
}

/// /dev/shm when it is tmpfs, or why not.
fn tmpfs_dir() -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir_in("/dev/shm").map_err(|e| format!("no /dev/shm: {e}"))?;
    let out = tutor()
        .env("TMPDIR", dir.path())
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    match trace["environment"]["filesystem"].as_str() {
        Some("tmpfs") => Ok(dir),
        other => Err(format!("/dev/shm is {other:?}, not tmpfs")),
    }
}

#[test]
fn a_comparison_is_graded_right_and_wrong_from_the_run() {
    let dir = match disk_dir() {
        Ok(d) => d,
        Err(why) => return eprintln!("SKIPPED: {why}"),
    };
    let lesson = write_lesson(dir.path(), "c.yaml", LESSON);
    let (code, out, err) = tutor_in(
        dir.path(),
        &["quiz", &lesson, "--width", "2000", "--answers", "B,A,B"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Score: 3/3\n"), "{out}");
    // The measured cells of both sides are named, with what the run measured.
    assert!(
        out.contains("Measured: a[1] changed although the program stored nothing (step 2, a[1] = 0; step 3, a[1] = 9)"),
        "{out}"
    );
    assert!(
        out.contains("step 2: 1 dirty page; step 4: 0 dirty pages"),
        "{out}"
    );
    let (code, out, _) = tutor_in(
        dir.path(),
        &["quiz", &lesson, "--width", "2000", "--answers", "A,B,A"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Score: 0/3\n"), "{out}");
    assert!(
        out.contains("✘ Wrong — the answer is B (Yes, a sees it at once)"),
        "{out}"
    );
    assert!(out.contains("✘ Wrong — the answer is B (Step 4)"), "{out}");
    // verify checks the declared keys against the same derivations.
    let (code, out, err) = tutor_in(dir.path(), &["verify", &lesson]);
    assert_eq!(code, Some(0), "{out}{err}");
    let wrong = LESSON.replace(
        "answer: B\n    derive:\n      - {choice: Step 2",
        "answer: A\n    derive:\n      - {choice: Step 2",
    );
    assert_ne!(wrong, LESSON);
    let lesson = write_lesson(dir.path(), "wrong.yaml", &wrong);
    let (code, out, err) = tutor_in(dir.path(), &["verify", &lesson]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("quiz question 3: declared A (Step 2) but the run decides B (Step 4)"),
        "{out}"
    );
}

#[test]
fn on_tmpfs_a_disk_comparison_is_not_graded_and_says_why() {
    let dir = match tmpfs_dir() {
        Ok(d) => d,
        Err(why) => return eprintln!("SKIPPED: {why}"),
    };
    let lesson = write_lesson(dir.path(), "c.yaml", LESSON);
    let (code, out, err) = tutor_in(
        dir.path(),
        &["quiz", &lesson, "--width", "2000", "--answers", "B,A,B"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    // Only the value comparison is graded; the dirty-page and disk-write questions say why they are not.
    assert!(out.contains("Score: 1/1 (2 questions not graded"), "{out}");
    assert_eq!(
        out.matches(
            "○ Not graded: cannot be measured here: tmpfs has no disk behind the page cache"
        )
        .count(),
        2,
        "{out}"
    );
    let (code, out, err) = tutor_in(dir.path(), &["verify", &lesson]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("SKIPPED"), "{out}");
}

#[test]
fn a_malformed_comparison_is_refused_with_its_question_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, want) in [
        (
            "measure: dirty}, is: greater",
            "measure: dirtty}, is: greater",
            "quiz question 2, derive 1, compare 1, left, field `measure`: unknown measure `dirtty`",
        ),
        ("is: greater", "is: bigger", "unknown comparison `bigger`"),
        (
            "left: {step: 2, measure: dirty}",
            "left: {step: 9, measure: dirty}",
            "step 9 does not exist (the lesson has steps 1 to 4)",
        ),
        (
            "left: {step: 2, measure: dirty}, is: greater",
            "left: {step: 2, measure: error}, is: greater",
            "`error` is text: compare it with `equal` or `differs`",
        ),
        (
            "{step: 2, measure: value, index: \"a[1]\"}, is: equal",
            "{step: 2, measure: value}, is: equal",
            "`value` needs the element to read",
        ),
        (
            "left: {step: 2, measure: dirty}, is: greater",
            "left: {step: 2, measure: dirty, var: a}, is: greater",
            "`dirty` is measured of the step's own variable: drop `var`",
        ),
        (
            "step: 4, first_since: 2",
            "step: 4, first_since: 5",
            "field `first_since`",
        ),
        (
            "quiz:\n",
            "claims:\n  - {on: quiz 1, says: x, step: 1, compare: [{left: {step: 1, measure: sise}, is: equal, right: {text: 4}}]}\nquiz:\n",
            "claim 1, compare 1, left, field `measure`: unknown measure `sise`",
        ),
        (
            "quiz:\n",
            "claims:\n  - {on: quiz 1, says: x, step: 1}\nquiz:\n",
            "claim 1, field `expect`: the claim checks nothing",
        ),
        (
            "{choice: Step 2, step: 2, first_since: 2, expect: {disk_write: true}, says: the store wrote}",
            "{choice: Step 2, says: the store wrote}",
            "the condition checks nothing",
        ),
    ] {
        let bad = LESSON.replacen(from, to, 1);
        assert_ne!(bad, LESSON, "{from}");
        let lesson = write_lesson(dir.path(), "bad.yaml", &bad);
        let before = common::listing(dir.path());
        let (code, out, err) = tutor_in(dir.path(), &["check", &lesson]);
        assert_eq!(code, Some(2), "{to}: {out}{err}");
        assert!(err.contains(want), "{to}: wanted `{want}` in {err}");
        assert_eq!(common::listing(dir.path()), before, "no file touched");
    }
}

#[test]
fn verify_fails_a_lesson_whose_claim_the_run_disproves() {
    let dir = tempfile::tempdir().unwrap();
    let claim = "claims:\n  - on: quiz 1\n    says: a[1] still holds 0 after step 3\n    step: 3\n    expect: {array: \"[5 0 0 0]\"}\n";
    let lesson = write_lesson(dir.path(), "claim.yaml", &format!("{LESSON}{claim}"));
    let (code, out, err) = tutor_in(dir.path(), &["verify", &lesson]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("claim on quiz 1 (\"a[1] still holds 0 after step 3\"): the run disproves it: step 3, array: expected [5 0 0 0], measured [5 9 0 0]"),
        "{out}"
    );
    // A claim decided by a comparison: the size of the file, against a given value.
    for (size, passes) in [("16", true), ("8", false)] {
        let claim = format!(
            "claims:\n  - on: quiz 1\n    says: the file is {size} bytes\n    step: 1\n    compare: [{{left: {{step: 1, measure: size}}, is: equal, right: {{text: {size}}}}}]\n"
        );
        let lesson = write_lesson(dir.path(), "size.yaml", &format!("{LESSON}{claim}"));
        let (code, out, err) = tutor_in(dir.path(), &["verify", &lesson]);
        if passes {
            assert!(!out.contains("claim on quiz 1"), "{out}");
            assert!(out.contains("(1 of them a claim"), "{out}{err}");
        } else {
            assert_eq!(code, Some(1), "{out}{err}");
            assert!(
                out.contains(
                    "the run disproves it: compare 1: not equal: step 1: 16 bytes in the file"
                ),
                "{out}"
            );
        }
    }
}

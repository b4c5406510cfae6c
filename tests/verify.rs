//! `memmap-tutor verify`: expectations and answer keys checked against a live run of the real binary.

mod common;

use std::path::Path;

use common::tutor;

const FIX: &str = "tests/fixtures/verify";

/// Run `verify` with args (and optional env), returning (exit code, stdout, stderr).
fn verify(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = tutor();
    cmd.arg("verify").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("")
}

/// `N passed, M failed[, K skipped]` → (N, M, K).
fn counts(line: &str) -> (usize, usize, usize) {
    let nums: Vec<usize> = line
        .split(", ")
        .map(|part| {
            part.split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a summary line: {line}"))
        })
        .collect();
    (nums[0], nums[1], nums.get(2).copied().unwrap_or(0))
}

/// True when the default temporary directory is on a filesystem with a disk (ext4 here).
fn tmp_has_disk() -> bool {
    let trace = common::run_json(&[]);
    common::has_disk(&trace)
}

#[test]
fn scenarios_all_pass() {
    // The lesson library is the tutor's regression suite: every expectation must hold here.
    let (code, out, err) = verify(&["scenarios/"], &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let (passed, failed, _) = counts(last_line(&out));
    assert!(passed > 0, "{out}");
    assert_eq!(failed, 0, "{out}");
    assert!(
        last_line(&out).starts_with(&format!("{passed} passed, 0 failed")),
        "{out}"
    );
    assert!(
        out.contains("PASS scenarios/numpy-memmap-basics.yaml"),
        "{out}"
    );
    assert!(!out.contains("README"), "{out}");
}

#[test]
fn built_in_lessons_verify_by_name() {
    // `verify` with no arguments runs every built-in lesson, including the 1 GiB one; the suite names
    // the built-ins that are small instead (scenarios/ is verified as a directory elsewhere).
    let (code, out, err) = verify(&["numpy-memmap-basics", "copy-on-write", "read-only"], &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("PASS numpy-memmap-basics"), "{out}");
    assert_eq!(counts(last_line(&out)).1, 0);
}

#[test]
fn a_directory_means_its_yaml_files_and_a_lesson_with_many_keys_passes() {
    let dir = format!("{FIX}/good");
    let (code, out, err) = verify(&[&dir], &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("many-checks.yaml"), "{out}");
    assert!(!out.contains("README"), "{out}");
    let (passed, failed, skipped) = counts(last_line(&out));
    assert_eq!(failed, 0);
    // Two quiz keys, expect_error, and 14 expect keys; a disk-less tmp skips the dirty ones.
    assert_eq!(passed + skipped, 17, "{out}");
}

#[test]
fn wrong_expectations_fail_with_the_measured_value() {
    if !tmp_has_disk() {
        eprintln!("skipped: the temporary directory has no disk, so dirty pages are not counted");
        return;
    }
    let (code, out, _) = verify(&[&format!("{FIX}/wrong-expect.yaml")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL tests/fixtures/verify/wrong-expect.yaml"),
        "{out}"
    );
    assert!(
        out.contains("step 2, dirty: expected 0, measured 1 (cachestat)"),
        "{out}"
    );
    assert!(
        out.contains("step 2, array: expected [[1. 2.] [3. 5.]], measured [[1. 2.] [3. 4.]]"),
        "{out}"
    );
    assert_eq!(last_line(&out), "1 passed, 2 failed");
}

#[test]
fn a_wrong_declared_answer_fails_with_the_measured_value() {
    let (code, out, _) = verify(&[&format!("{FIX}/wrong-answer.yaml")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("quiz question 1: declared A (3.0) but the run measured 5.0 (B)"),
        "{out}"
    );
    assert!(
        out.contains("quiz question 2: the run measured 1.0, which is none of the choices"),
        "{out}"
    );
    assert_eq!(last_line(&out), "0 passed, 2 failed");
}

#[test]
fn an_invalid_expect_key_is_exit_2_with_step_and_suggestion() {
    let (code, out, err) = verify(&[&format!("{FIX}/bad-key.yaml")], &[]);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("step 2, expect: unknown key `dirtty`"),
        "{out}"
    );
    assert!(out.contains("did you mean `dirty`?"), "{out}");
    // stderr names the location too, like every command.
    assert!(
        err.starts_with(
            "memmap-tutor: tests/fixtures/verify/bad-key.yaml:11:7: step 2, expect: unknown key `dirtty`"
        ),
        "{err}"
    );
    // `check` reports it the same way, without running anything.
    let check = tutor()
        .args(["check", &format!("{FIX}/bad-key.yaml")])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(2));
}

#[test]
fn an_invalid_lesson_among_valid_ones_is_still_exit_2() {
    let (code, out, _) = verify(
        &[
            &format!("{FIX}/good/many-checks.yaml"),
            &format!("{FIX}/bad-key.yaml"),
        ],
        &[],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("INVALID"), "{out}");
    assert!(
        out.contains("PASS tests/fixtures/verify/good/many-checks.yaml"),
        "{out}"
    );
}

#[test]
fn semantic_expect_errors_name_step_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("l.yaml");
    std::fs::write(
        &path,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n    expect: {read: '0'}\n",
    )
    .expect("write");
    let (code, out, _) = verify(&[&path.display().to_string()], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("step 1, field `expect.read`"), "{out}");
    std::fs::write(
        &path,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n    expect: {dirty: {min: 3, max: 1}}\n",
    )
    .expect("write");
    let (code, out, _) = verify(&[&path.display().to_string()], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("step 1, expect, dirty"), "{out}");
    assert!(out.contains("greater than `max`"), "{out}");
}

#[test]
fn on_tmpfs_disk_checks_are_skipped_with_the_reason() {
    let shm = Path::new("/dev/shm");
    let is_tmpfs = std::fs::read_to_string("/proc/mounts")
        .map(|m| {
            m.lines()
                .any(|l| l.split(' ').nth(1) == Some("/dev/shm") && l.contains(" tmpfs "))
        })
        .unwrap_or(false);
    if !shm.is_dir() || !is_tmpfs {
        eprintln!("skipped: /dev/shm is not a tmpfs here");
        return;
    }
    // The tutor's work directory comes from tempfile, which honours TMPDIR.
    let (code, out, err) = verify(&["numpy-memmap-basics"], &[("TMPDIR", "/dev/shm")]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("(on tmpfs)"), "{out}");
    assert!(
        out.contains("SKIPPED numpy-memmap-basics: step 2, dirty: tmpfs has no disk"),
        "{out}"
    );
    assert!(
        out.contains("SKIPPED numpy-memmap-basics: step 3, allocated:"),
        "{out}"
    );
    // The seed's "which step writes to disk" question cannot be decided without a disk.
    assert!(
        out.contains("SKIPPED numpy-memmap-basics: quiz question 2:"),
        "{out}"
    );
    let (passed, failed, skipped) = counts(last_line(&out));
    assert!(passed > 0 && skipped > 0 && failed == 0, "{out}");
    assert_eq!(
        last_line(&out),
        format!("{passed} passed, 0 failed, {skipped} skipped")
    );
}

#[test]
fn a_directory_without_lessons_is_invalid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = verify(&[&dir.path().display().to_string()], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no lesson files"), "{err}");
}

#[test]
fn readme_expect_example_loads_and_verifies() {
    let readme = std::fs::read_to_string("scenarios/README.md").expect("README");
    let (_, rest) = readme
        .split_once("## Expectations and `memmap-tutor verify`")
        .expect("section");
    let (_, rest) = rest.split_once("```yaml\n").expect("yaml block");
    let (example, _) = rest.split_once("```").expect("block end");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("example.yaml");
    std::fs::write(&path, format!("title: README example\n{example}")).expect("write");
    let (code, out, err) = verify(&[&path.display().to_string()], &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(counts(last_line(&out)).1, 0, "{out}");
}

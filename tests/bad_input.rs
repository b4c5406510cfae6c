//! The bad-input suite: every malformed lesson in `tests/fixtures/bad/` (table: `cases.txt`) run
//! through the real binary, plus generated monsters (10 MB line, deep nesting). Each case checks the
//! exit code, the location in the message, no panic, and that nothing was created anywhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{listing, tutor};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

/// One row of `cases.txt`.
struct Case {
    name: String,
    code: i32,
    location: String,
    contains: String,
}

fn cases() -> Vec<Case> {
    let table = std::fs::read_to_string(fixtures().join("cases.txt")).expect("cases.txt");
    table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(cols.len(), 4, "bad row in cases.txt: {l}");
            Case {
                name: cols[0].to_string(),
                code: cols[1].parse().expect("exit code"),
                location: cols[2].to_string(),
                contains: cols[3].to_string(),
            }
        })
        .collect()
}

/// What one run left behind.
struct Run {
    out: Output,
    /// Names in the current directory afterwards.
    cwd_after: Vec<String>,
    /// Names in the private TMPDIR afterwards.
    tmp_after: Vec<String>,
    work_exists: bool,
}

/// Run `memmap-tutor run FILE --format json` from a fresh temporary cwd holding only the lesson,
/// with TMPDIR pointed at an empty private directory, and `--workdir cwd/work` when asked.
fn run_lesson(file_name: &str, bytes: &[u8], with_workdir: bool, extra: &[&str]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join(file_name), bytes).unwrap();
    let work = cwd.path().join("work");
    let mut cmd = tutor();
    cmd.current_dir(cwd.path())
        .env("TMPDIR", tmp.path())
        .args(["run", file_name, "--format", "json"])
        .args(extra);
    if with_workdir {
        cmd.arg("--workdir").arg(&work);
    }
    let out = cmd.output().unwrap();
    Run {
        cwd_after: listing(cwd.path()),
        tmp_after: listing(tmp.path()),
        work_exists: work.exists(),
        out,
    }
}

/// Check one case both ways (with and without `--workdir`); return a description of what failed.
fn check_case(c: &Case) -> Result<(), String> {
    let file_name = format!("{}.yaml", c.name);
    let bytes = std::fs::read(fixtures().join(&file_name)).map_err(|e| format!("{e}"))?;
    for with_workdir in [true, false] {
        let r = run_lesson(&file_name, &bytes, with_workdir, &[]);
        let stderr = String::from_utf8_lossy(&r.out.stderr).into_owned();
        let how = if with_workdir {
            "with --workdir"
        } else {
            "in a temporary workdir"
        };
        let fail = |what: String| Err(format!("{file_name} ({how}): {what}\nstderr: {stderr}"));
        let code = r.out.status.code().unwrap_or(-1);
        if code == 101 || stderr.contains("panicked") {
            return fail("panicked".into());
        }
        if code != c.code {
            return fail(format!("exit code {code}, expected {}", c.code));
        }
        // Lesson text echoed in a message never reaches the terminal raw (README: Untrusted lessons).
        if let Some(ch) = stderr.chars().find(|ch| ch.is_control() && *ch != '\n') {
            return fail(format!("raw control character {ch:?} on stderr"));
        }
        // The temporary work directory is gone whatever happened.
        if !r.tmp_after.is_empty() {
            return fail(format!("left in TMPDIR: {:?}", r.tmp_after));
        }
        // One `memmap-tutor: ` per line: lesson text echoed in a message cannot start a line.
        if let Some(line) = stderr.lines().find(|l| !l.starts_with("memmap-tutor: ")) {
            return fail(format!("a stderr line without `memmap-tutor: `: {line:?}"));
        }
        if c.code == 2 {
            let prefix = format!("memmap-tutor: {file_name}{}", c.location);
            if !stderr.starts_with(&prefix) {
                return fail(format!("message does not start with `{prefix}`"));
            }
            if !stderr.contains(&c.contains) {
                return fail(format!("message does not contain `{}`", c.contains));
            }
            if !r.out.stdout.is_empty() {
                return fail("printed to stdout".into());
            }
            if r.cwd_after != [file_name.clone()] || r.work_exists {
                return fail(format!("created something: {:?}", r.cwd_after));
            }
        } else {
            // NumPy raises at run time: the trace records its error at that step, the run goes on.
            let trace: serde_json::Value = serde_json::from_slice(&r.out.stdout)
                .map_err(|e| format!("{file_name}: bad JSON: {e}"))?;
            let step: usize = c
                .location
                .strip_prefix("step ")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("{file_name}: location must be `step N`"))?;
            let rec = &trace["steps"][step - 1];
            let err = rec["error"].as_str().unwrap_or("");
            if rec["ok"] != false || !err.contains(&c.contains) {
                return fail(format!("step {step} error is {:?}", rec["error"]));
            }
            // Only the work directory the user asked for (nothing else, nothing in cwd otherwise).
            let expected: Vec<String> = if with_workdir {
                vec![file_name.clone(), "work".into()]
            } else {
                vec![file_name.clone()]
            };
            if r.cwd_after != expected {
                return fail(format!("cwd holds {:?}", r.cwd_after));
            }
        }
    }
    Ok(())
}

#[test]
fn every_bad_lesson_fails_cleanly_with_a_location() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    // Every fixture is in the table and every row has a fixture.
    let mut on_disk: Vec<String> = listing(&fixtures())
        .into_iter()
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut named: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    named.sort();
    assert_eq!(on_disk, named, "fixtures and cases.txt disagree");

    let failures: Vec<String> = cases.iter().filter_map(|c| check_case(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A generated lesson must fail with exit 2, a message starting with `prefix` and containing
/// `contains`, quickly, leaving nothing behind.
fn generated(name: &str, text: &[u8], prefix: &str, contains: &str) {
    let file_name = format!("{name}.yaml");
    for with_workdir in [true, false] {
        let r = run_lesson(&file_name, text, with_workdir, &[]);
        let stderr = String::from_utf8_lossy(&r.out.stderr).into_owned();
        assert_eq!(r.out.status.code(), Some(2), "{name}: {stderr}");
        let want = format!("memmap-tutor: {file_name}{prefix}");
        assert!(stderr.starts_with(&want), "{name}: want `{want}`: {stderr}");
        assert!(
            stderr.contains(contains),
            "{name}: want `{contains}`: {stderr}"
        );
        // Messages quote the start of a huge input, never all of it.
        assert!(stderr.len() < 2000, "{name}: {} byte message", stderr.len());
        assert_eq!(r.cwd_after, std::slice::from_ref(&file_name), "{name}");
        assert!(!r.work_exists && r.tmp_after.is_empty(), "{name}");
    }
}

#[test]
fn ten_megabyte_single_line_is_refused_by_size() {
    let mut text = b"title: ".to_vec();
    text.resize(10 * 1024 * 1024, b'x');
    generated("ten_mb_line", &text, ": the file is", "limited to");
}

#[test]
fn long_single_line_under_the_limit_still_gets_a_location() {
    // A 3.5 MB title on one line, then a mistake on line 2: located past the long line.
    let mut text = b"title: \"".to_vec();
    text.resize(3_500_000, b'x');
    text.extend_from_slice(b"\"\nsteps: 5\n");
    generated("long_line", &text, ":2:8:", "expected a sequence");
    // A long flow list of numbers (many tokens) on one line.
    let mut text = b"title: x\nsteps: [".to_vec();
    while text.len() < 300_000 {
        text.extend_from_slice(b"1, ");
    }
    text.extend_from_slice(b"1]\n");
    generated("long_list", &text, ":2:9:", "step 1");
}

#[test]
fn deeply_nested_yaml_flow_is_refused() {
    let depth = 100_000;
    let text = format!(
        "title: x\nsteps: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    generated(
        "deep_flow",
        text.as_bytes(),
        ":2:",
        "recursion limit exceeded",
    );
}

#[test]
fn deeply_nested_yaml_blocks_are_refused() {
    let mut text = String::from("title: x\nsteps:\n");
    for d in 0..2000 {
        text.push_str(&" ".repeat(2 + d));
        text.push_str("a:\n");
    }
    generated(
        "deep_block",
        text.as_bytes(),
        ":",
        "recursion limit exceeded",
    );
}

#[test]
fn deeply_nested_expressions_are_refused_with_a_short_message() {
    let open = "title: x\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n";
    let paren = format!(
        "{open}  - op: assign\n    value: \"{}1{}\"\n",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    generated(
        "deep_parens",
        paren.as_bytes(),
        ": step 2, field `value`",
        "nested too deeply",
    );
    let long = format!(
        "{open}  - op: read\n    index: \"[{}0{}]\"\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    generated(
        "long_index",
        long.as_bytes(),
        ": step 2, field `index`",
        "too long",
    );
    // Python parses up to 200 nested brackets, so a 120-deep list is NumPy's run-time error.
    let list = format!(
        "{open}  - op: assign\n    value: {}1{}\n",
        "[".repeat(120),
        "]".repeat(120)
    );
    let r = run_lesson("deep_list.yaml", list.as_bytes(), true, &[]);
    let stdout = String::from_utf8_lossy(&r.out.stdout);
    assert_eq!(r.out.status.code(), Some(0), "deep_list: {stdout}");
    assert!(
        stdout.contains("would exceed the maximum number of dimension of 1."),
        "deep_list: {stdout}"
    );
}

#[test]
fn check_touches_nothing_either() {
    // `check` on every fixture: same exit code for load-time errors, never a file.
    for c in cases() {
        let cwd = tempfile::tempdir().unwrap();
        let file_name = format!("{}.yaml", c.name);
        std::fs::copy(fixtures().join(&file_name), cwd.path().join(&file_name)).unwrap();
        let out = tutor()
            .current_dir(cwd.path())
            .args(["check", &file_name])
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert_ne!(code, 101, "{file_name} panicked");
        // Run-time NumPy errors and the free-space refusal need a run; the rest fail in `check`.
        let expected = if c.code == 0 || c.name == "huge_file_beyond_free_space" {
            0
        } else {
            2
        };
        assert_eq!(code, expected, "{file_name}");
        assert_eq!(listing(cwd.path()), [file_name], "check created a file");
    }
}

//! `memmap-tutor check` reports every structure error (each at file:line:column) and every meaning error of a
//! lesson in one run, exit 2.

use assert_cmd::Command;

fn check(yaml: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("l.yaml");
    std::fs::write(&path, yaml).expect("write");
    let out = Command::cargo_bin("memmap-tutor")
        .expect("binary")
        .current_dir(tmp.path())
        .args(["check", "l.yaml"])
        .output()
        .expect("runs");
    // `check` touches nothing: the work directory still holds only the lesson.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["l.yaml"], "check wrote a file");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const OPEN: &str =
    "  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n    dtype: float32\n";

#[test]
fn three_mistakes_of_three_kinds_are_reported_in_one_run() {
    // Lines: 1 title, 2 summry (unknown top-level key), 3 steps, 4-8 open, 9-12 assign with `colour`,
    // 13-14 flush with a list as `var`, 15-16 assign whose value does not parse (step 4).
    let yaml = format!(
        "title: t\nsummry: oops\nsteps:\n{OPEN}  - op: assign\n    index: \"[0]\"\n    value: 1\n    \
         colour: red\n  - op: flush\n    var: [x]\n  - op: assign\n    value: \"np.arange(\"\n"
    );
    let (code, err) = check(&yaml);
    assert_eq!(code, 2, "{err}");
    for says in [
        "l.yaml:2:1: unknown key `summry`",
        "l.yaml:12:5: step 2: unknown key `colour`",
        "l.yaml:14:10: step 3, var: invalid type: sequence, expected a string",
        // A meaning error carries the line and column of its key too.
        "l.yaml:16:5: step 4, field `value`: cannot parse the value",
    ] {
        assert!(err.contains(says), "missing {says:?} in:\n{err}");
    }
    // Structure errors come in the order of the text, before the meaning errors.
    let at = |s: &str| err.find(s).unwrap_or(usize::MAX);
    assert!(
        at(":2:1:") < at(":12:5:")
            && at(":12:5:") < at(":14:10:")
            && at(":14:10:") < at("step 4, field")
    );
}

#[test]
fn every_structure_error_carries_its_line_and_column() {
    // One bad key in each of five steps, plus a bad quiz question: six located errors.
    let mut yaml = format!("title: t\nsteps:\n{OPEN}");
    let mut lines = Vec::new();
    for k in 0..5 {
        lines.push(yaml.lines().count() + 3);
        yaml.push_str(&format!("  - op: flush\n    note: n\n    bad{k}: 1\n"));
    }
    yaml.push_str("quiz:\n  - question: q\n    choices: [a, b]\n    answr: A\n");
    let quiz_line = yaml.lines().count();
    let (code, err) = check(&yaml);
    assert_eq!(code, 2, "{err}");
    for (k, line) in lines.iter().enumerate() {
        let says = format!("l.yaml:{line}:5: step {}: unknown key `bad{k}`", k + 2);
        assert!(err.contains(&says), "missing {says:?} in:\n{err}");
    }
    let says = format!("l.yaml:{quiz_line}:5: quiz question 1: unknown key `answr`");
    assert!(err.contains(&says), "missing {says:?} in:\n{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("unknown key")).count(),
        6,
        "{err}"
    );
}

#[test]
fn steps_after_a_broken_open_are_not_judged_but_the_quiz_is() {
    // The open step does not parse, so `arr` is unknown afterwards: no "no variable `arr`" noise, but the
    // quiz's meaning error is still reported.
    let yaml = "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 3\n    colour: red\n  \
                - op: flush\nquiz:\n  - question: q\n    choices: [a]\n    answer: Z\n";
    let (code, err) = check(yaml);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("l.yaml:7:5: step 1: unknown key `colour`"),
        "{err}"
    );
    assert!(
        err.contains("l.yaml:12:5: quiz question 1, field `answer`"),
        "{err}"
    );
    assert!(!err.contains("no variable"), "{err}");
}

#[test]
fn a_valid_lesson_still_checks() {
    let yaml = format!("title: t\nsteps:\n{OPEN}  - op: flush\n");
    let (code, err) = check(&yaml);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_unquoted_bracket_value_does_not_hide_the_other_errors() {
    // Line 9 `index: [:]` is a YAML syntax error; before, it was the only error reported. It is reported (with
    // the hint to quote it), then read as quoted, and the errors after it come too: an unknown key on line 12
    // and a second unquoted index on line 14.
    let yaml = format!(
        "title: t\nsteps:\n{OPEN}  - op: assign\n    index: [:]\n    value: 1\n  - op: flush\n    \
         colour: red\n  - op: read\n    index: [::2]   # every other\n"
    );
    let (code, err) = check(&yaml);
    assert_eq!(code, 2, "{err}");
    for says in [
        "l.yaml:9:13:",
        "put an index or value in quotes",
        "l.yaml:12:5: step 3: unknown key `colour`",
        "l.yaml:14:13:",
    ] {
        assert!(err.contains(says), "missing {says:?} in:\n{err}");
    }
    let at = |s: &str| err.find(s).unwrap_or(usize::MAX);
    assert!(
        at(":9:13:") < at(":12:5:") && at(":12:5:") < at(":14:13:"),
        "{err}"
    );
}

#[test]
fn a_step_with_an_unknown_key_or_op_does_not_stop_the_checks_of_later_steps() {
    // The open (step 1) has an unknown key: read without it, it still binds `arr`. Step 2's op is no op's
    // name and nothing like `open`. Step 3's timeout is out of range: reported in the same run.
    let yaml = "title: t\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 8\n    \
                flavour: x\n  - op: frobnicate\n  - op: wait_writeback\n    timeout: 500\n";
    let (code, err) = check(yaml);
    assert_eq!(code, 2, "{err}");
    for says in [
        "l.yaml:7:5: step 1: unknown key `flavour`",
        "unknown op `frobnicate`",
        "step 3, field `timeout`",
    ] {
        assert!(err.contains(says), "missing {says:?} in:\n{err}");
    }
    // A misspelt binding op may have bound a variable: the steps after it are not judged.
    let yaml = "title: t\nsteps:\n  - op: opne\n    file: a.dat\n  - op: wait_writeback\n    timeout: 500\n";
    let (_, err) = check(yaml);
    assert!(err.contains("did you mean `open`"), "{err}");
    assert!(!err.contains("timeout"), "{err}");
}

#[test]
fn a_lesson_with_thousands_of_bad_steps_shows_the_first_hundred_errors_and_counts_the_rest() {
    // 1,500 steps with an index that does not parse, and 40 with an unquoted `[...]` (repaired to read on):
    // every error cannot be located (each lookup walks the text), so check shows 100 and counts the rest.
    let mut yaml = format!("title: t\nsteps:\n{OPEN}");
    for i in 0..1540 {
        let index = if i < 40 { "[:]" } else { "\"99\"" };
        yaml.push_str(&format!(
            "  - op: assign\n    index: {index}\n    value: 1\n"
        ));
    }
    let (code, err) = check(&yaml);
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 101, "{}", &err[..err.len().min(2000)]);
    let located = lines[..100]
        .iter()
        .filter(|l| {
            let l = l.trim_start_matches("memmap-tutor: ");
            l.strip_prefix("l.yaml:")
                .and_then(|r| r.split(':').next())
                .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(located, 100, "every shown error has its line: {err}");
    assert!(
        lines[100].contains("more errors not shown"),
        "{}",
        lines[100]
    );
    // 40 repairs + 1,500 meaning errors, 100 shown.
    let more: usize = lines[100]
        .trim_start_matches("memmap-tutor: ")
        .split(": ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(more >= 1400, "{}", lines[100]);
}

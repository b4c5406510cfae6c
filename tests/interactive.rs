//! `quiz` and `step` driven through a pseudo-terminal as a person would use them.

mod common;

use std::process::Command;

use rexpect::session::spawn_command;

/// The binary in a pseudo-terminal, with its temporary files under `tmpdir`.
fn spawn(args: &[&str], tmpdir: &std::path::Path) -> rexpect::session::PtySession {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("memmap-tutor"));
    cmd.args(args).env("NO_COLOR", "1").env("TMPDIR", tmpdir);
    spawn_command(cmd, Some(20_000)).expect("spawn in a pty")
}

/// The default lesson's JSON trace with its temporary files under `tmpdir` (the same filesystem as the walk).
fn run_json_in(tmpdir: &std::path::Path) -> serde_json::Value {
    let out = common::tutor()
        .env("TMPDIR", tmpdir)
        .args(["run", "--format", "json"])
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// rexpect reads the terminal byte by byte as Latin-1; spell UTF-8 text the same way to match it.
fn l1(s: &str) -> String {
    s.bytes().map(char::from).collect()
}

#[test]
fn quiz_marks_a_wrong_answer_gives_a_hint_and_quits_midway() {
    let tmp = tempfile::tempdir().unwrap();
    // Wide enough that the long explanation stays on one line (quiz wraps to the terminal).
    let mut p = spawn(&["quiz", "--width", "200"], tmp.path());
    // The question looks at the table at step 2: the table up to step 2 comes first.
    p.exp_string(&l1("Execution Table")).unwrap();
    let before = p
        .exp_string(&l1(
            "1. Look at the execution_table at step 2, what is the value of arr[1,2]?",
        ))
        .unwrap();
    assert!(
        before.contains(&l1("Assign values 0 to 8 reshaped")),
        "{before}"
    );
    assert!(!before.contains("Flush changes to disk"), "{before}");
    p.exp_string(&l1("Your answer (A-D, h hint, t table, q quit): "))
        .unwrap();
    // `t` shows the whole table at any time, then asks again.
    p.send_line("t").unwrap();
    p.exp_string(&l1("Execution Table")).unwrap();
    p.exp_string(&l1("Flush changes to disk")).unwrap();
    p.exp_string(&l1("Close memmap object")).unwrap();
    p.exp_string(&l1("Your answer (A-D, h hint, t table, q quit): "))
        .unwrap();
    p.send_line("b").unwrap();
    p.exp_string(&l1("✘ Wrong — the answer is A (5.0)."))
        .unwrap();
    // The explanation cites the measured cell.
    p.exp_string(&l1("At step 2 the Array Content column shows [[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]], so arr[1, 2] = 5.0."))
        .unwrap();
    p.exp_string(&l1("2. At which step are the changes saved to disk?"))
        .unwrap();
    p.exp_string(&l1("Your answer")).unwrap();
    p.send_line("h").unwrap();
    p.exp_string(&l1(
        "Hint: Look at the Disk Write column in execution_table",
    ))
    .unwrap();
    p.exp_string(&l1("Your answer")).unwrap();
    p.send_line("x").unwrap();
    p.exp_string(&l1("Please type a letter from A to D"))
        .unwrap();
    p.send_line("C").unwrap();
    p.exp_string(&l1("✔ Right.")).unwrap();
    p.exp_string(&l1("3. If we skip calling flush()")).unwrap();
    p.exp_string(&l1("Your answer")).unwrap();
    p.send_line("q").unwrap();
    p.exp_string(&l1("Quiz ended.")).unwrap();
    p.exp_string(&l1("Score: 1/3")).unwrap();
    p.exp_eof().unwrap();
    let status = format!("{:?}", p.process().wait().unwrap());
    assert!(
        status.contains("Exited") && status.ends_with(", 1)"),
        "{status}"
    );
    assert!(
        common::listing(tmp.path()).is_empty(),
        "left behind: {:?}",
        common::listing(tmp.path())
    );
}

#[test]
fn step_walks_predicts_and_quits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = spawn(&["step", "--width", "100"], tmp.path());
    p.exp_string(&l1("Next: step 1 · Create memmap array with zeros"))
        .unwrap();
    p.exp_string(&l1("[Enter] perform the step, t table, q quit: "))
        .unwrap();
    // Nothing has run yet: the table is empty, and anything but Enter, t or q is asked again.
    p.send_line("t").unwrap();
    p.exp_string(&l1("No step has run yet")).unwrap();
    p.send_line("go").unwrap();
    p.exp_string(&l1(
        "Press Enter to perform the step, t for the table or q to quit.",
    ))
    .unwrap();
    p.send_line("").unwrap();
    p.exp_string(&l1("Step 1 · Create memmap array with zeros"))
        .unwrap();
    p.exp_string(&l1("File on disk: ")).unwrap();
    let path = p.exp_string(&l1(" (try `xxd")).unwrap();
    let path = std::path::PathBuf::from(path.trim());
    assert!(path.ends_with("large_data.dat"), "{path:?}");
    // While the lesson is live, the file exists for a learner to inspect.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 36);

    // Step 2 has a quiz question about its outcome: predict first, then the run checks it.
    p.exp_string(&l1("Next: step 2 · Assign values 0 to 8 reshaped"))
        .unwrap();
    // Phrased about the step to come, not about a table row that does not exist yet.
    p.exp_string(&l1(
        "Predict: step 2 is about to run — what will arr[1, 2] be once it has run?",
    ))
    .unwrap();
    let prompt = "Your prediction (A-D, h hint, t table, Enter skip, q quit): ";
    p.exp_string(&l1(prompt)).unwrap();
    // The keys of the quiz: h shows the hint, t the table so far, an invalid letter is asked again.
    p.send_line("h").unwrap();
    p.exp_string(&l1("Hint: Check the array content column at step 2"))
        .unwrap();
    p.exp_string(&l1(prompt)).unwrap();
    p.send_line("t").unwrap();
    p.exp_string(&l1("Execution Table")).unwrap();
    let table = p.exp_string(&l1("Page map: the step's file")).unwrap();
    // The table so far: step 1's row (its note), nothing of step 2 yet.
    assert!(table.contains("Array backed"), "{table}");
    assert!(!table.contains("Values set"), "{table}");
    // Nor a footer or correction about steps that have not run.
    assert!(!table.contains("not in this run"), "{table}");
    p.exp_string(&l1(prompt)).unwrap();
    p.send_line("x").unwrap();
    p.exp_string(&l1("Please type a letter from A to D"))
        .unwrap();
    p.exp_string(&l1(prompt)).unwrap();
    p.send_line("c").unwrap();
    p.exp_string(&l1("[Enter] perform the step, t table, q quit: "))
        .unwrap();
    p.send_line("").unwrap();
    p.exp_string(&l1("[[0. 1. 2.]")).unwrap();
    p.exp_string(&l1("✘ Not quite — the run measured A (5.0)."))
        .unwrap();
    // Question 3 is derived from step 2's record and the kernel's settings: asked once step 2 has run, graded
    // from the run exactly as `quiz` grades it (the JSON trace carries the same answer).
    p.exp_string(&l1("A question the run has answered (decided by step 2):"))
        .unwrap();
    p.exp_string(&l1("3. If we skip calling flush()")).unwrap();
    p.exp_string(&l1(
        "Your answer (A-D, h hint, t table, Enter skip, q quit): ",
    ))
    .unwrap();
    p.send_line("A").unwrap();
    let trace = run_json_in(tmp.path());
    match trace["quiz"][2]["answer_index"].as_u64() {
        Some(0) => p.exp_string(&l1("✔ Right.")).unwrap(),
        Some(k) => p
            .exp_string(&l1(&format!(
                "✘ Wrong — the answer is {}",
                (b'A' + k as u8) as char
            )))
            .unwrap(),
        None => p.exp_string(&l1("○ Not graded: ")).unwrap(),
    };

    p.exp_string(&l1("Next: step 3 · Flush changes to disk"))
        .unwrap();
    p.exp_string(&l1("[Enter] perform the step, t table, q quit: "))
        .unwrap();
    p.send_line("q").unwrap();
    p.exp_string(&l1("Mappings closed. Temporary files removed."))
        .unwrap();
    p.exp_eof().unwrap();
    let status = format!("{:?}", p.process().wait().unwrap());
    assert!(
        status.contains("Exited") && status.ends_with(", 0)"),
        "{status}"
    );
    assert!(!path.exists(), "{path:?} left behind");
    assert!(
        common::listing(tmp.path()).is_empty(),
        "left behind: {:?}",
        common::listing(tmp.path())
    );
}

/// Questions about the run that no step asks as a prediction (the first disk write of the whole run) are asked
/// when every step has run, graded from the run; Enter skips one and shows the answer.
#[test]
fn step_asks_the_remaining_questions_about_the_run_at_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = run_json_in(tmp.path());
    let mut p = spawn(&["step", "--width", "100"], tmp.path());
    let go = "[Enter] perform the step, t table, q quit: ";
    let skip = "Enter skip, q quit): ";
    // Step 1; the prediction before step 2 (skipped); step 2; question 3 (skipped); steps 3 and 4.
    for wait in [go, skip, go, skip, go, go] {
        p.exp_string(&l1(wait)).unwrap();
        p.send_line("").unwrap();
    }
    p.exp_string(&l1("All steps done.")).unwrap();
    p.exp_string(&l1(
        "A question the run has answered (the run has decided it):",
    ))
    .unwrap();
    p.exp_string(&l1("2. At which step are the changes saved to disk?"))
        .unwrap();
    p.exp_string(&l1(skip)).unwrap();
    p.send_line("C").unwrap();
    match trace["quiz"][1]["answer_index"].as_u64() {
        Some(2) => p.exp_string(&l1(
            "✔ Right. The Disk Write column is first measured Yes at step 3",
        )),
        Some(_) => p.exp_string(&l1("✘ Wrong — the answer is")),
        None => p.exp_string(&l1("○ Not graded: cannot be measured here")),
    }
    .unwrap();
    p.exp_string(&l1("[Enter] to finish: ")).unwrap();
    p.send_line("").unwrap();
    p.exp_string(&l1("Mappings closed. Temporary files removed."))
        .unwrap();
    p.exp_eof().unwrap();
}

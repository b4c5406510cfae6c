//! `quiz --answers`: scripted answers, marks, score and exit code.

mod common;

use common::tutor;

#[test]
fn all_right_scores_three_and_exits_zero() {
    let out = tutor()
        .args(["quiz", "--answers", "A,C,A"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("✔ Right.").count(), 3, "{text}");
    assert!(text.contains("Score: 3/3"), "{text}");
    // The third answer is the measured behaviour; its explanation says when "unchanged" (B) holds, with this
    // machine's setting.
    assert!(text.contains("vm.dirty_expire_centisecs"), "{text}");
    assert!(!text.contains("{dirty_expire_seconds}"), "{text}");
}

/// The default lesson in a temporary directory of `dir` (`TMPDIR`), answered with `answers`.
fn quiz_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = tutor().env("TMPDIR", dir).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code(), text)
}

/// The filesystem of `dir` as the tutor reports it (`run --format json`).
fn has_disk(dir: &std::path::Path) -> bool {
    let out = tutor()
        .env("TMPDIR", dir)
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::has_disk(&trace)
}

#[test]
fn question_3_is_derived_from_the_run_and_cites_the_measured_cells() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if !has_disk(&dir) {
        eprintln!(
            "SKIPPED: {} has no disk (the tmpfs test covers it)",
            dir.display()
        );
        return;
    }
    let (code, text) = quiz_in(&dir, &["quiz", "--width", "2000", "--answers", "A,C,A"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Score: 3/3\n"), "{text}");
    let q3 = &text[text.find("3. If we skip calling flush()").unwrap()..];
    // The derivation's own sentence with the cells it cites, as measured in this run.
    assert!(
        q3.contains("Measured: after step 2 the file as read(2) sees it already holds 0 to 8"),
        "{q3}"
    );
    assert!(
        q3.contains(
            "(step 2, File (read(2)) = [[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]; step 2, Dirty pages = "
        ),
        "{q3}"
    );
    let (code, text) = quiz_in(&dir, &["quiz", "--width", "2000", "--answers", "A,C,B"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("✘ Wrong — the answer is A (Data on disk updates automatically)."),
        "{text}"
    );
    assert!(text.contains("Score: 2/3\n"), "{text}");
}

#[test]
fn on_tmpfs_disk_questions_are_not_graded_and_say_why() {
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("SKIPPED: no /dev/shm here");
        return;
    };
    if has_disk(dir.path()) {
        eprintln!("SKIPPED: /dev/shm is not tmpfs here");
        return;
    }
    // Question 2 (first disk write) and 3 (derived from the dirty page and the flusher) need a disk.
    let (code, text) = quiz_in(dir.path(), &["quiz", "--answers", "A,C,A"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text.matches(
            "○ Not graded: cannot be measured here: tmpfs has no disk behind the page cache"
        )
        .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("✘"), "{text}");
    assert!(
        text.contains(
            "Score: 1/1 (2 questions not graded: this run could not measure their answers)"
        ),
        "{text}"
    );
    // Whatever is answered to an ungraded question, the score counts only graded ones.
    let (code, text) = quiz_in(dir.path(), &["quiz", "--answers", "A,D,D"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Score: 1/1 "), "{text}");
    let (code, text) = quiz_in(dir.path(), &["quiz", "--answers", "B,C,A"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Score: 0/1 "), "{text}");
}

/// Each question's paragraphs: the question text, its printed choices, and what follows the verdict.
fn answered(text: &str) -> Vec<(String, Vec<String>, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let Some((n, q)) = l.split_once(". ") else {
            continue;
        };
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let choices: Vec<String> = lines[i + 1..]
            .iter()
            .take_while(|c| c.starts_with("   "))
            .map(|c| c.trim().to_string())
            .collect();
        let verdict = lines[i + 1 + choices.len()..]
            .iter()
            .skip_while(|v| v.starts_with("Your answer"))
            .take_while(|v| !v.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        out.push((q.to_string(), choices, verdict));
    }
    out
}

#[test]
fn after_shuffle_verdicts_and_explanations_name_choices_by_text() {
    let width = ["--width", "2000"];
    let (_, plain) = quiz_in(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
        &[&["quiz", "--answers", "D,D,D"][..], &width].concat(),
    );
    let reference = answered(&plain);
    assert_eq!(reference.len(), 3, "{plain}");
    // What follows `✔ Right.` or `✘ Wrong — the answer is X (text).`
    let explanation = |verdict: &str| match verdict.strip_prefix("✔ Right.") {
        Some(rest) => rest.trim().to_string(),
        None => verdict
            .split_once(").")
            .map(|(_, rest)| rest.trim().to_string())
            .unwrap_or_else(|| verdict.to_string()),
    };
    for seed in 0..24 {
        let seed = seed.to_string();
        let (_, text) = quiz_in(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
            &[
                &["quiz", "--shuffle", "--seed", &seed, "--answers", "D,D,D"][..],
                &width,
            ]
            .concat(),
        );
        let shuffled = answered(&text);
        assert_eq!(shuffled.len(), 3, "seed {seed}: {text}");
        for (q, choices, verdict) in &shuffled {
            let (_, ref_choices, ref_verdict) = reference
                .iter()
                .find(|(rq, _, _)| rq == q)
                .unwrap_or_else(|| panic!("seed {seed}: {q} not asked unshuffled"));
            // The same choices, in another order; the explanation does not depend on the order.
            let mut a = choices
                .iter()
                .map(|c| c[3..].to_string())
                .collect::<Vec<_>>();
            let mut b = ref_choices
                .iter()
                .map(|c| c[3..].to_string())
                .collect::<Vec<_>>();
            a.sort();
            b.sort();
            assert_eq!(a, b, "seed {seed}");
            assert_eq!(
                explanation(verdict),
                explanation(ref_verdict),
                "seed {seed}: {q}"
            );
            // A wrong answer names the right choice by its letter AND its text, and they agree.
            if let Some(rest) = verdict.strip_prefix("✘ Wrong — the answer is ") {
                let letter = &rest[..1];
                let named = rest[3..].split_once(").").map(|(t, _)| t).unwrap();
                let listed = choices
                    .iter()
                    .find(|c| c.starts_with(letter))
                    .map(|c| c[3..].to_string())
                    .unwrap();
                assert_eq!(named, listed, "seed {seed}: {verdict}");
            }
        }
    }
}

#[test]
fn one_wrong_scores_two_and_exits_one() {
    let out = tutor()
        .args(["quiz", "--answers", "B,C,A"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✘ Wrong — the answer is A (5.0)."), "{text}");
    assert!(text.contains("Score: 2/3"), "{text}");
}

#[test]
fn bad_scripted_answers_are_refused_before_any_question() {
    // An invalid letter, and more answers than questions: exit 2 with a message, no score.
    for (answers, says) in [
        ("z,A", "question 1 takes a letter from A to D"),
        ("A,C,B,D", "gives 4 answers but the quiz has 3 questions"),
        ("A,,B", "answer 2 ``"),
        ("A,q,B", "nothing may follow q"),
    ] {
        let out = tutor()
            .args(["quiz", "--answers", answers])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{answers}: {err}");
        assert!(err.contains(says), "{answers}: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("Score"));
    }
}

#[test]
fn fewer_answers_end_the_quiz_and_keep_the_score() {
    let out = tutor().args(["quiz", "--answers", "h,A"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Score: 1/3"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn shuffle_is_reproducible_and_keeps_answers_right() {
    let run = |seed: &str| {
        let out = tutor()
            .args(["quiz", "--shuffle", "--seed", seed, "--answers", "A,A,A"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run("3"), run("3"));
    let text = run("3");
    // Each question still has exactly one right answer among its letters.
    assert!(text.contains("Score: "), "{text}");
}

#[test]
fn quiz_on_stdin_without_terminal_ends_at_end_of_input() {
    let out = tutor().arg("quiz").write_stdin("A\nC\n").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Score: 2/3"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_trace_question_without_choices_gets_distractors_from_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("q.yaml");
    std::fs::write(
        &lesson,
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    dtype: int16\n    mode: w+\n    shape: 3\n  \
         - op: assign\n    value: [4, 5, 6]\n  - op: flush\nquiz:\n  - question: What is arr[1] after step 2?\n    \
         about: {kind: value, step: 2, index: \"arr[1]\"}\n  - question: First disk write?\n    \
         about: {kind: first_disk_write}\n",
    )
    .unwrap();
    let out = tutor()
        .current_dir(dir.path())
        .args(["quiz", "q.yaml", "--answers", "q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // Four generated choices, one of which is the measured value 5.
    // Choice lines: `   A  text` (the step shown before the question has other indented lines).
    let choices: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.len() > 6
                && l.starts_with("   ")
                && l.as_bytes()[3].is_ascii_uppercase()
                && &l[4..6] == "  "
        })
        .collect();
    assert_eq!(choices.len(), 4, "{text}");
    assert!(
        choices.iter().any(|c| c.trim_end().ends_with("  5")),
        "{text}"
    );
    // Answering by the measured value scores it.
    let letter = choices
        .iter()
        .find(|c| c.trim_end().ends_with("  5"))
        .map(|c| c.trim().chars().next().unwrap())
        .unwrap();
    let out = tutor()
        .current_dir(dir.path())
        .args(["quiz", "q.yaml", "--answers", &format!("{letter},q")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✔ Right."), "{text}");
}

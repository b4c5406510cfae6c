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

#[test]
fn one_wrong_scores_two_and_exits_one() {
    let out = tutor()
        .args(["quiz", "--answers", "B,C,A"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("✘ Wrong — the answer is A."), "{text}");
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
    let choices: Vec<&str> = text.lines().filter(|l| l.starts_with("   ")).collect();
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

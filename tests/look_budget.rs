//! A lesson that leaves more files dirty than the per-step look budget: each step asks the kernel about at
//! most the budget of them (beyond the files it touches), the rest are carried and say from which step, and
//! `MEMMAP_TUTOR_OBSERVE_ALL` still asks about every file. Through the real binary; the looks are counted in
//! the JSON (`probed.files`, `probed.deferred`), never timed.

mod common;

use common::tutor;
use serde_json::Value;

/// Files in the lesson: three times the budget the runner reports (`probed.budget`, 32).
const FILES: usize = 96;
/// Steps at the end that touch only `v0`'s file.
const TAIL: usize = 6;

/// `FILES` variables, each opened `w+` on its own file and stored to once (never flushed: dirty until the
/// kernel's flusher writes them back, ~30 s later), then `TAIL` reads of `v0`.
fn lesson() -> String {
    let mut s = String::from("title: many dirty files\nsteps:\n");
    for k in 0..FILES {
        s.push_str(&format!(
            "  - op: open\n    var: v{k}\n    file: f{k}.dat\n    mode: w+\n    dtype: uint8\n    shape: 16\n\
             \x20 - op: assign\n    var: v{k}\n    index: '[0]'\n    value: {}\n",
            k % 250
        ));
    }
    for k in 0..TAIL {
        s.push_str(&format!("  - op: read\n    var: v0\n    index: '[{k}]'\n"));
    }
    s
}

fn run(observe_all: bool, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lesson_path = dir.path().join("l.yaml");
    std::fs::write(&lesson_path, lesson()).unwrap();
    let mut cmd = tutor();
    cmd.arg("run")
        .arg(&lesson_path)
        .args(args)
        .env("TMPDIR", dir.path());
    if observe_all {
        cmd.env("MEMMAP_TUTOR_OBSERVE_ALL", "1");
    } else {
        cmd.env_remove("MEMMAP_TUTOR_OBSERVE_ALL");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn steps(text: &str) -> Vec<Value> {
    let trace: Value = serde_json::from_str(text).unwrap();
    trace["steps"].as_array().unwrap().clone()
}

fn num(v: &Value) -> usize {
    v.as_u64().expect("a number") as usize
}

/// Files whose page map at step `s` is still dirty (`D`) in the map shown.
fn dirty_maps(s: &Value) -> usize {
    s["page_map"]
        .as_object()
        .unwrap()
        .values()
        .filter(|m| m["cells"].as_str().is_some_and(|c| c.contains('D')))
        .count()
}

#[test]
fn at_most_the_budget_of_untouched_dirty_files_is_asked_per_step_and_the_rest_carried() {
    let steps = steps(&run(false, &["--format", "json"]));
    let budget = num(&steps[0]["probed"]["budget"]);
    assert!(budget > 0 && budget < FILES / 2, "budget {budget}");
    let mut deferred_steps = 0;
    for s in &steps {
        let n = num(&s["step"]);
        let p = &s["probed"];
        let maps = s["page_map"].as_object().unwrap();
        // Honest carrying: a map from an earlier step is counted as carried, none is from a later step.
        let mut carried = 0;
        for (file, m) in maps {
            let at = num(&m["probed_at_step"]);
            assert!(at <= n, "step {n}: {file} probed at a later step {at}");
            carried += usize::from(at < n);
        }
        assert_eq!(num(&p["carried"]), carried, "step {n}: {p}");
        if n == 1 {
            continue; // the first step asks about everything there is (one file)
        }
        // The step touches at most its own file (an open also binds it: the same file).
        assert!(num(&p["touched"]) <= 1, "step {n}: {p}");
        assert!(
            num(&p["files"]) <= budget + 1,
            "step {n} asked about {} files, more than the budget {budget} + the step's own: {p}",
            p["files"]
        );
        if num(&p["deferred"]) > 0 {
            deferred_steps += 1;
            // Only files that may have changed are deferred, and they are more than the budget.
            assert_eq!(num(&p["files"]), budget + 1, "step {n}: {p}");
        }
        // The step's own file is measured at its step.
        let own = s["file"]["path"].as_str().expect("the step's file");
        assert_eq!(num(&maps[own]["probed_at_step"]), n, "step {n}: {own}");
    }
    let last = steps.last().unwrap();
    if deferred_steps == 0 {
        // Without dirty files beyond the budget there is nothing to defer: the kernel cleaned them first.
        assert!(
            dirty_maps(last) <= budget,
            "{} dirty maps shown but nothing deferred: {}",
            dirty_maps(last),
            last["probed"]
        );
        eprintln!(
            "skip: the files were written back before more than {budget} were dirty (dirty maps at the end: {})",
            dirty_maps(last)
        );
        return;
    }
    eprintln!(
        "steps with files deferred: {deferred_steps}; last step: {}",
        last["probed"]
    );
}

#[test]
fn observe_all_still_asks_about_every_file_at_every_step() {
    let steps = steps(&run(true, &["--format", "json"]));
    for s in steps.iter().skip(2 * FILES) {
        let p = &s["probed"];
        assert_eq!(num(&p["files"]), FILES, "step {}: {p}", s["step"]);
        assert_eq!(num(&p["deferred"]), 0, "step {}: {p}", s["step"]);
        assert_eq!(num(&p["carried"]), count_carried(s), "{p}");
    }
}

fn count_carried(s: &Value) -> usize {
    let n = num(&s["step"]);
    s["page_map"]
        .as_object()
        .unwrap()
        .values()
        .filter(|m| num(&m["probed_at_step"]) < n)
        .count()
}

#[test]
fn the_steps_and_table_views_say_a_deferred_map_is_from_an_earlier_step() {
    let text = run(
        false,
        &[
            "--view",
            "steps",
            "--view",
            "table",
            "--color",
            "never",
            "--width",
            "120",
            "--no-pager",
        ],
    );
    // The last step: v0's map is measured now; the other files' maps come from earlier steps.
    let last = format!("Step {} ·", 2 * FILES + TAIL);
    let at = text.find(&last).expect("the last step is shown");
    let tail = &text[at..];
    assert!(tail.contains("Page map of f0.dat:"), "{tail}");
    assert!(
        tail.contains(".dat (taken at step "),
        "a carried map not marked:\n{tail}"
    );
    assert!(
        text.contains("it asks at most 32 per step, the longest unasked first"),
        "the footnote names the budget"
    );
}

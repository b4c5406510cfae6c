//! A page map the runner did not probe again is never shown as measured at that step: the JSON says at which
//! step it was probed (`probed_at_step`) and the step how many were carried (`probed`); the steps view marks
//! it and says why. Through the real binary.

mod common;

use common::tutor;
use serde_json::Value;

/// `a.dat` written and flushed (clean from then on), then steps that touch only `b.dat`.
const LESSON: &str = "title: carried maps
steps:
  - op: open
    var: a
    file: a.dat
    mode: w+
    dtype: uint8
    shape: 4096
  - op: assign
    var: a
    index: '[0]'
    value: 7
  - op: flush
    var: a
  - op: open
    var: b
    file: b.dat
    mode: w+
    dtype: uint8
    shape: 16
  - op: read
    var: b
    index: '[0]'
  - op: read
    var: b
    index: '[1]'
  - op: read
    var: b
    index: '[2]'
";

/// Reclaim and drop_caches counted so far (/proc/vmstat), as the runner sums them.
fn reclaim() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/vmstat").ok()?;
    Some(
        text.lines()
            .filter(|l| l.starts_with("pgsteal_") || l.starts_with("drop_pagecache "))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum(),
    )
}

fn run(args: &[&str]) -> (String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("l.yaml");
    std::fs::write(&lesson, LESSON).unwrap();
    let before = reclaim();
    let out = tutor()
        .arg("run")
        .arg(&lesson)
        .args(args)
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let quiet = before.is_some() && before == reclaim();
    (String::from_utf8(out.stdout).unwrap(), quiet)
}

#[test]
fn json_says_which_maps_are_carried_and_from_which_step() {
    let (text, quiet) = run(&["--format", "json"]);
    let trace: Value = serde_json::from_str(&text).unwrap();
    let mut carried_seen = 0;
    for s in trace["steps"].as_array().unwrap() {
        let n = s["step"].as_u64().unwrap();
        let maps = s["page_map"].as_object().unwrap();
        let mut carried = 0;
        for (file, m) in maps {
            let Some(at) = m["probed_at_step"].as_u64() else {
                continue; // unavailable here (says why)
            };
            assert!(at <= n, "step {n}: {file} probed at a later step {at}");
            if at < n {
                carried += 1;
            }
        }
        assert_eq!(
            s["probed"]["carried"].as_u64(),
            Some(carried),
            "step {n}: {}",
            s["probed"]
        );
        if n == 1 {
            assert!(
                s["probed"]["all_because"].is_string(),
                "the first step probes everything"
            );
        }
        // The step's own file is measured at its step.
        if let Some(f) = s["file"]["path"].as_str() {
            if let Some(at) = maps.get(f).and_then(|m| m["probed_at_step"].as_u64()) {
                assert_eq!(at, n, "step {n}: its own file {f} carried");
            }
        }
        carried_seen += carried;
    }
    if carried_seen == 0 {
        assert!(
            !quiet,
            "no map carried although /proc/vmstat saw no reclaim during the run"
        );
        eprintln!("skip: reclaim happened during the run: every file was probed at every step");
    }
}

#[test]
fn the_steps_view_marks_a_carried_map_and_says_why() {
    let (text, quiet) = run(&["--view", "steps", "--color", "never", "--width", "120"]);
    if !text.contains("(taken at step ") {
        assert!(
            !quiet,
            "no carried map shown although /proc/vmstat saw no reclaim:\n{text}"
        );
        eprintln!("skip: reclaim happened during the run: nothing was carried");
        return;
    }
    assert!(
        text.contains("Page map of a.dat (taken at step 3*)"),
        "{text}"
    );
    assert!(
        text.contains("* taken at that step and not again: a step asks the kernel"),
        "{text}"
    );
}

//! `trace` of every small built-in lesson's exported NumPy script against `run` of the lesson: at every lesson
//! step the array and file text, the page cache (cached, dirty, writeback) and Disk Write must agree.
//! The only exceptions are named, with the reason: fields that depend on the kernel's timing (the flusher, the
//! split between dirty and writeback, how far read-ahead reached: see `common::KernelTiming`).
//! Skips with a printed reason where NumPy is missing (CI installs it).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use common::{tutor, KernelTiming, Verdict};
use memmap_tutor::lesson::builtin::LESSONS;
use serde_json::Value;

/// Lessons that fill gigabytes: they would write them twice, and belong to the benchmarks.
const LARGE: [&str; 3] = ["large-array", "bigger-than-ram", "memory-grows"];

/// Ops whose page counts and Disk Write depend on when the kernel's flusher runs, not on the program:
/// `wait_writeback` waits for it (cut to 1 s here, so whether it came is timing).
const FLUSHER_TIMED: [&str; 1] = ["wait_writeback"];

fn numpy_missing() -> Option<String> {
    match Process::new("python3")
        .args(["-c", "import numpy"])
        .output()
    {
        Err(e) => Some(format!("python3 cannot be run ({e})")),
        Ok(o) if !o.status.success() => Some("python3 has no NumPy".to_string()),
        Ok(_) => None,
    }
}

/// The lesson text with every `timeout:` cut to 1 s (both runs then wait the same short time).
fn shorten_waits(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("timeout:") {
            Some(i) => format!("{}timeout: 1", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn json_of(out: std::process::Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Script line -> lesson step, from the export's `# Step n:` comments (0 before the first).
fn step_of_lines(script: &str) -> Vec<usize> {
    let mut current = 0;
    let mut out = vec![0];
    for line in script.lines() {
        if let Some(n) = line
            .strip_prefix("# Step ")
            .and_then(|r| r.split(':').next())
            .and_then(|d| d.parse().ok())
        {
            current = n;
        }
        out.push(current);
    }
    out
}

/// (cached, dirty, writeback) of a step, or None when unavailable.
fn pages(step: &Value) -> Option<(u64, u64, u64)> {
    let p = &step["pages"];
    Some((
        p["cached"].as_u64()?,
        p["dirty"].as_u64()?,
        p["writeback"].as_u64()?,
    ))
}

fn compare_lesson(name: &str, yaml: &str, dir: &Path) -> (usize, Vec<String>) {
    let lesson_path = dir.join(format!("{name}.yaml"));
    std::fs::write(&lesson_path, shorten_waits(yaml)).expect("write lesson");
    let run = json_of(
        tutor()
            .args(["run", "--format", "json"])
            .arg(&lesson_path)
            .output()
            .expect("runs"),
        "run",
    );
    let script = String::from_utf8(
        tutor()
            .args(["export", "python"])
            .arg(&lesson_path)
            .output()
            .expect("exports")
            .stdout,
    )
    .expect("utf-8");
    let work = dir.join(format!("{name}-work"));
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::write(work.join("lesson.py"), &script).expect("write script");
    let traced = json_of(
        tutor()
            .current_dir(&work)
            .args([
                "trace",
                "--format",
                "json",
                "--max-steps",
                "10000",
                "lesson.py",
            ])
            .output()
            .expect("runs"),
        "trace",
    );
    let line_step = step_of_lines(&script);
    // The last traced line of each lesson step is the state after that step.
    let mut after: BTreeMap<usize, &Value> = BTreeMap::new();
    let mut diffs = Vec::new();
    for s in traced["steps"].as_array().expect("steps") {
        // The tutor's own display reads must leave nothing behind in any traced step.
        let o = &s["observer"];
        if o["cached_pages"] != 0 || o["resident_kb"] != 0 {
            diffs.push(format!(
                "{name} traced step {}: the display reads left a footprint {o}",
                s["step"]
            ));
        }
        let line = s["script"]["line"].as_u64().unwrap_or(0) as usize;
        if s["script"]["function"] != "<module>" {
            continue;
        }
        if let Some(&n) = line_step.get(line) {
            if n > 0 {
                after.insert(n, s);
            }
        }
    }
    let mut compared = 0;
    let mut timing = KernelTiming::for_dir(&work);
    for r in run["steps"].as_array().expect("steps") {
        let n = r["step"].as_u64().unwrap_or(0) as usize;
        let op = r["op"].as_str().unwrap_or("");
        let Some(t) = after.get(&n) else {
            diffs.push(format!("{name} step {n} ({op}): no traced line"));
            continue;
        };
        compared += 1;
        let differ = |diffs: &mut Vec<String>, what: &str, a: &Value, b: &Value| {
            if a != b {
                diffs.push(format!(
                    "{name} step {n} ({op}) {what}: run {a} vs trace {b}"
                ));
            }
        };
        for (var, state) in r["arrays"].as_object().expect("arrays") {
            if state["state"] == "open" {
                differ(
                    &mut diffs,
                    &format!("arrays.{var}.str"),
                    &state["str"],
                    &t["arrays"][var]["str"],
                );
            }
        }
        let var = r["var"].as_str().unwrap_or("");
        if r["arrays"][var]["state"] == "open" && t["var"] == r["var"] {
            differ(&mut diffs, "file.str", &r["file"]["str"], &t["file"]["str"]);
            if FLUSHER_TIMED.contains(&op) {
                eprintln!("{name} step {n} ({op}): pages and Disk Write not compared: the flusher's timing");
                continue;
            }
            match (pages(r), pages(t)) {
                (Some(rp), Some(tp)) => match timing.judge(var, op, rp, tp) {
                    Verdict::Same => {}
                    Verdict::Timing(why) => eprintln!(
                        "{name} step {n} ({op}) pages: run {rp:?} vs trace {tp:?}: not counted (kernel timing): {why}"
                    ),
                    Verdict::Different => diffs.push(format!(
                        "{name} step {n} ({op}) pages: run {rp:?} vs trace {tp:?}"
                    )),
                },
                (None, None) => {}
                (rp, tp) => diffs.push(format!(
                    "{name} step {n} ({op}) pages: run {rp:?} vs trace {tp:?}"
                )),
            }
            differ(&mut diffs, "disk_write", &r["disk_write"], &t["disk_write"]);
        }
    }
    (compared, diffs)
}

#[test]
fn trace_of_each_exported_lesson_agrees_with_run() {
    if let Some(why) = numpy_missing() {
        eprintln!("skip: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
    let mut steps = 0;
    let mut lessons = 0;
    for (name, yaml) in LESSONS {
        if LARGE.contains(name) {
            continue;
        }
        let (mut n, mut diffs) = compare_lesson(name, yaml, dir.path());
        if !diffs.is_empty() {
            // Once more before failing: the kernel's timing beyond what `KernelTiming` names (a page read back
            // under memory pressure while the machine is loaded) does not repeat; a real difference does.
            eprintln!("{name}: differed, run again:\n  {}", diffs.join("\n  "));
            let again = dir.path().join("again");
            std::fs::create_dir_all(&again).expect("mkdir");
            (n, diffs) = compare_lesson(name, yaml, &again);
        }
        lessons += 1;
        steps += n;
        all.extend(diffs);
    }
    eprintln!(
        "compared {lessons} lessons, {steps} steps: {} differences",
        all.len()
    );
    assert!(all.is_empty(), "{}", all.join("\n"));
}

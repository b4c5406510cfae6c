//! `trace SCRIPT.py` asks the kernel only about the files a line touched and, within the per-step budget,
//! the files that may have changed on their own; the rest are carried and say from which step. A file the
//! script writes with write(2) (no array named, no fault in a mapping) is seen through inotify at that step;
//! `MEMMAP_TUTOR_OBSERVE_ALL` asks about every file. Through the real binary with real NumPy (skipped with a
//! printed reason where NumPy is missing); looks are counted in the JSON, never timed.

mod common;

use common::{numpy_missing, tutor};
use serde_json::Value;

/// Files the script maps: more than the budget (32).
const FILES: usize = 40;

/// `FILES` memmaps, each stored to once and left dirty except the last (flushed: clean), then a loop that
/// touches only `a0`, then a write(2) to the clean file, then one more line.
fn script() -> String {
    format!(
        "import numpy as np
for k in range({FILES}):
    globals()[f\"a{{k}}\"] = np.memmap(f\"f{{k}}.dat\", dtype=np.uint8, mode=\"w+\", shape=(16,))
    globals()[f\"a{{k}}\"][0] = k
a{last}.flush()
for i in range(6):
    a0[i] = i
with open(\"f{last}.dat\", \"r+b\", buffering=0) as fh:
    fh.write(b\"\\x09\")
a0[7] = 1
",
        last = FILES - 1
    )
}

fn trace(observe_all: bool) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.py"), script()).unwrap();
    let mut cmd = tutor();
    cmd.current_dir(dir.path())
        .args(["trace", "--format", "json", "many.py"]);
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
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["steps"].as_array().unwrap().clone()
}

fn num(v: &Value) -> usize {
    v.as_u64().expect("a number") as usize
}

/// Maps of the script's own files (`f*.dat`; the interpreter's shared libraries are mapped too).
fn own_maps(s: &Value) -> Vec<(&String, &Value)> {
    s["page_map"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(f, _)| f.ends_with(".dat"))
        .collect()
}

#[test]
fn a_traced_script_asks_about_touched_files_and_the_budget_of_the_others() {
    if let Some(why) = numpy_missing() {
        eprintln!("skip: {why}");
        return;
    }
    let steps = trace(false);
    let budget = num(&steps[0]["probed"]["budget"]);
    assert!(budget > 0 && budget < FILES, "budget {budget}");
    let mut deferred = 0;
    for s in &steps {
        let n = num(&s["step"]);
        let p = &s["probed"];
        let maps = s["page_map"].as_object().unwrap();
        let carried = maps
            .values()
            .filter(|m| {
                m["probed_at_step"]
                    .as_u64()
                    .is_some_and(|at| (at as usize) < n)
            })
            .count();
        assert_eq!(num(&p["carried"]), carried, "step {n}: {p}");
        assert!(
            maps.values().all(|m| m["probed_at_step"]
                .as_u64()
                .is_none_or(|at| at as usize <= n)),
            "step {n}: a map from a later step"
        );
        // Touched: the line's variable's file, a file new to the trace, files with events (the new file's
        // open); a line names no other array. The rest are within the budget.
        assert!(num(&p["touched"]) <= 4, "step {n}: {p}");
        assert!(
            num(&p["files"]) - num(&p["touched"]) <= budget,
            "step {n} ({}) asked about {} files: {p}",
            s["action"],
            p["files"]
        );
        deferred += usize::from(num(&p["deferred"]) > 0);
        // The step's own file is measured at its step.
        if let Some(f) = s["file"]["path"].as_str() {
            if let Some(at) = maps.get(f).and_then(|m| m["probed_at_step"].as_u64()) {
                assert_eq!(at as usize, n, "step {n}: its own file {f} carried");
            }
        }
    }
    // A write(2) to an untouched, clean file is seen at its line (inotify), not carried.
    let last = format!("f{}.dat", FILES - 1);
    let write = steps
        .iter()
        .find(|s| s["action"].as_str().is_some_and(|a| a.contains("fh.write")))
        .expect("the write line is a step");
    let n = num(&write["step"]);
    let m = &write["page_map"][&last];
    assert_eq!(
        m["probed_at_step"].as_u64(),
        Some(n as u64),
        "step {n}: {last} written with write(2) but not asked about: {m}"
    );
    let dirty = own_maps(steps.last().unwrap())
        .iter()
        .filter(|(_, m)| m["cells"].as_str().is_some_and(|c| c.contains('D')))
        .count();
    if deferred == 0 {
        assert!(
            dirty <= budget,
            "{dirty} dirty maps but nothing was ever deferred"
        );
        eprintln!(
            "skip: fewer than {budget} files stayed dirty (writeback came first): nothing to defer"
        );
    } else {
        eprintln!("steps with files deferred: {deferred} of {}", steps.len());
    }
}

#[test]
fn observe_all_asks_about_every_file_of_a_traced_script() {
    if let Some(why) = numpy_missing() {
        eprintln!("skip: {why}");
        return;
    }
    let steps = trace(true);
    let last = steps.last().unwrap();
    let p = &last["probed"];
    assert_eq!(num(&p["deferred"]), 0, "{p}");
    assert_eq!(
        num(&p["files"]),
        last["page_map"].as_object().unwrap().len(),
        "{p}"
    );
    assert!(own_maps(last).len() >= FILES, "{}", own_maps(last).len());
    assert_eq!(num(&p["carried"]), 0, "{p}");
}

#[test]
fn trace_refuses_more_steps_than_a_lesson_may_have() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.py"), "x = 1\n").unwrap();
    let out = tutor()
        .current_dir(dir.path())
        .args(["trace", "--max-steps", "10001", "x.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1..=10000"), "{err}");
}

//! The default lesson end to end through the real binary: text output, JSON contract, files left behind.

mod common;

use common::{has_disk, run_json, tutor};

#[test]
fn default_lesson_prints_four_steps_with_numpy_arrays() {
    let out = tutor().output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for n in 1..=4 {
        assert!(
            text.contains(&format!("Step {n} · ")),
            "step {n} missing:\n{text}"
        );
    }
    assert!(text.contains("Step 2 · Assign values 0 to 8 reshaped"));
    assert!(text.contains("[[0. 1. 2.]"), "{text}");
    assert!(text.contains(" [3. 4. 5.]"), "{text}");
    assert!(text.contains(" [6. 7. 8.]]"), "{text}");
}

#[test]
fn json_trace_has_the_contract_keys_and_measured_disk_writes() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("w");
    let trace = run_json(&["--workdir", work.to_str().unwrap()]);
    let steps = trace["steps"].as_array().expect("steps array");
    assert_eq!(steps.len(), 4);
    assert!(trace["lesson"].is_object());
    for (i, s) in steps.iter().enumerate() {
        for key in [
            "step",
            "action",
            "op",
            "ok",
            "error",
            "arrays",
            "file",
            "pages",
            "disk_write",
            "note",
        ] {
            assert!(s.get(key).is_some(), "step {} lacks {key}", i + 1);
        }
        assert_eq!(s["step"], (i + 1) as u64);
        assert_eq!(s["ok"], true);
        let arr = &s["arrays"]["arr"];
        for key in ["dtype", "shape", "mode", "state", "str"] {
            assert!(arr.get(key).is_some(), "arrays.arr lacks {key}");
        }
        for key in ["path", "size", "str"] {
            assert!(s["file"].get(key).is_some(), "file lacks {key}");
        }
    }
    let ops: Vec<&str> = steps.iter().map(|s| s["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["open", "assign", "flush", "close"]);
    assert_eq!(
        steps[0]["arrays"]["arr"]["str"],
        "[[0. 0. 0.]\n [0. 0. 0.]\n [0. 0. 0.]]"
    );
    let full = "[[0. 1. 2.]\n [3. 4. 5.]\n [6. 7. 8.]]";
    assert_eq!(steps[1]["arrays"]["arr"]["str"], full);
    // MAP_SHARED: read(2) sees the stores before any flush.
    assert_eq!(steps[1]["file"]["str"], full);
    assert_eq!(steps[3]["arrays"]["arr"]["state"], "closed");
    assert_eq!(steps[3]["file"]["str"], full);

    // The file left in the work directory: 36 bytes, little-endian float32 0..8.
    let bytes = std::fs::read(work.join("large_data.dat")).unwrap();
    let expected: Vec<u8> = (0..9).flat_map(|i| (i as f32).to_le_bytes()).collect();
    assert_eq!(bytes, expected);

    if !has_disk(&trace) {
        eprintln!(
            "skipping disk assertions: work directory is on {} (no disk behind it)",
            trace["environment"]["filesystem"]
        );
        return;
    }
    let dirty: Vec<u64> = steps
        .iter()
        .map(|s| {
            s["pages"]["dirty"]
                .as_u64()
                .expect("cachestat available on this kernel")
        })
        .collect();
    assert!(dirty[0] >= 1, "dirty after create: {dirty:?}");
    assert!(dirty[1] >= 1, "dirty after assign: {dirty:?}");
    assert_eq!(dirty[2], 0, "dirty after flush: {dirty:?}");
    let writes: Vec<bool> = steps
        .iter()
        .map(|s| s["disk_write"].as_bool().unwrap())
        .collect();
    assert_eq!(writes, [false, false, true, false]);
}

#[test]
fn default_run_leaves_no_temporary_directory() {
    let tmp = tempfile::tempdir().unwrap();
    tutor().env("TMPDIR", tmp.path()).assert().success();
    assert!(
        common::listing(tmp.path()).is_empty(),
        "{:?}",
        common::listing(tmp.path())
    );
}

#[test]
fn list_shows_the_default_lesson() {
    let out = tutor().arg("list").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("numpy-memmap-basics"));
}

#[test]
fn piping_into_a_closed_reader_exits_quietly() {
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("memmap-tutor");
    let mut child = Command::new(bin)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end of the pipe at once, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let piped = tutor().args(["run", "--view", "flow"]).output().unwrap();
    assert!(
        !piped.stdout.contains(&0x1b),
        "escape codes in piped output"
    );
    let always = tutor()
        .args(["run", "--view", "flow", "--color", "always"])
        .output()
        .unwrap();
    assert!(
        always.stdout.contains(&0x1b),
        "no escape codes with --color always"
    );
    let never = tutor()
        .args(["run", "--view", "flow", "--color", "never"])
        .output()
        .unwrap();
    assert!(!never.stdout.contains(&0x1b));
}

#[test]
fn text_output_fits_the_requested_width() {
    for width in ["60", "100"] {
        let out = tutor()
            .args([
                "run", "--view", "table", "--view", "steps", "--width", width,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let w: usize = width.parse().unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= w, "line wider than {w}: {line}");
        }
    }
}

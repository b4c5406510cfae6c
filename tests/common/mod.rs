//! Helpers shared by the CLI tests: run the real binary, parse its JSON, list directories.

#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// The memmap-tutor binary, with colour off and a fixed width so output is stable.
pub fn tutor() -> Command {
    let mut cmd = Command::cargo_bin("memmap-tutor").expect("binary builds");
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    cmd
}

/// Run `memmap-tutor run --format json` with extra args and parse the trace.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = tutor()
        .arg("run")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Names in a directory, sorted (to show nothing was created).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// True when the trace ran on a filesystem with a disk behind it (ext4 here; not tmpfs).
pub fn has_disk(trace: &serde_json::Value) -> bool {
    trace["environment"]["has_disk"].as_bool() == Some(true)
}

/// Bytes a lesson's whole-array assignments write (and its scans read), from the lesson alone (to leave out lessons too large to
/// run in `cargo test` before running them).
pub fn filled_bytes(name: &str, text: &str) -> u128 {
    let Ok(lesson) = memmap_tutor::lesson::load_str(name, text) else {
        return 0;
    };
    let mut sizes = std::collections::BTreeMap::new();
    let mut filled = 0u128;
    for step in &lesson.steps {
        match &step.action {
            memmap_tutor::lesson::Action::Open(spec)
            | memmap_tutor::lesson::Action::Reopen(spec) => {
                if let Some(shape) = &spec.shape {
                    let n: u128 = shape.iter().map(|&d| d.max(0) as u128).product();
                    sizes.insert(spec.var.clone(), n * spec.dtype.size as u128);
                }
            }
            memmap_tutor::lesson::Action::Assign { var, index, .. } => {
                let whole = index.items.iter().all(|i| {
                    matches!(
                        i,
                        memmap_tutor::expr::index::IndexItem::Ellipsis
                            | memmap_tutor::expr::index::IndexItem::Slice {
                                start: None,
                                stop: None,
                                step: None
                            }
                    )
                });
                if whole {
                    filled += sizes.get(var).copied().unwrap_or(0);
                }
            }
            // A scan reads the array whole: as much work as filling it.
            memmap_tutor::lesson::Action::Scan(s) => {
                filled += sizes.get(&s.var).copied().unwrap_or(0);
            }
            _ => {}
        }
    }
    filled
}

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

/// Why `python3` with NumPy cannot run here, or None when it can (tests that need it skip, saying why).
pub fn numpy_missing() -> Option<String> {
    match std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
    {
        Err(e) => Some(format!("python3 cannot be run ({e})")),
        Ok(o) if !o.status.success() => Some("python3 has no NumPy".to_string()),
        Ok(_) => None,
    }
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

/// Ops after which the page cache may hold pages the kernel read ahead of the program: any op that makes the
/// kernel read the file (a fault on a mapping, read(2), a partial-page write, `MADV_WILLNEED`). The ops left out
/// (open, flush, close, evict, truncate, the waits) read nothing.
pub const READ_AHEAD_OPS: [&str; 11] = [
    "assign",
    "read",
    "scan",
    "crash",
    "fork_write",
    "external_read",
    "external_write",
    "reopen",
    "load",
    "open_memmap",
    "madvise",
];

/// Page counts (cached, dirty, writeback) of one file at one step.
pub type PageCounts = (u64, u64, u64);

/// How two runs of the same program compare at one step.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Same,
    /// Different, in a way the kernel's timing explains: the reason names the field.
    Timing(String),
    Different,
}

/// Judges differences in page counts between two runs of the same program (the tutor and NumPy, `run` and
/// `trace`). Exact, except where the kernel's own timing decides, each case named:
/// - writeback: pages move from dirty to writeback to clean as the disk completes them;
/// - `wait_writeback`: the flusher decides when it writes a page back;
/// - cached, after an op that reads the file: how far the kernel reads ahead depends on timing (an asynchronous
///   read-ahead starts when a fault meets its marker page, and fault-around maps only the pages whose read has
///   completed), so the counts may differ by at most one read-ahead window of the device; a difference is then
///   carried, unchanged, by the steps after it until the pages go.
pub struct KernelTiming {
    /// The device's read-ahead window in pages (`read_ahead_kb` / 4).
    pub window: u64,
    carried: std::collections::BTreeMap<String, i64>,
}

impl KernelTiming {
    /// The judge for files under `dir`, with the read-ahead window of its device (printed, with its source).
    pub fn for_dir(dir: &Path) -> KernelTiming {
        let window = match memmap_tutor::probe::read_ahead(dir) {
            memmap_tutor::trace::Measured::Value(ra) => {
                eprintln!("read-ahead window: {} kB ({})", ra.kb, ra.source);
                ra.kb / 4
            }
            other => {
                // No disk (tmpfs) reads nothing ahead; an unreadable sysfs leaves the kernel's largest default.
                eprintln!("read-ahead window unknown ({other:?}): assuming 8192 kB");
                2048
            }
        };
        KernelTiming::with_window(window)
    }

    /// A judge with a given read-ahead window in pages.
    pub fn with_window(window: u64) -> KernelTiming {
        KernelTiming {
            window,
            carried: Default::default(),
        }
    }

    /// The verdict for `key` (a file, or a file as one view shows it) after `op`.
    pub fn judge(&mut self, key: &str, op: &str, ours: PageCounts, theirs: PageCounts) -> Verdict {
        if ours == theirs {
            self.carried.remove(key);
            return Verdict::Same;
        }
        let in_flight = ours.0 == theirs.0 && ours.1 + ours.2 == theirs.1 + theirs.2;
        if in_flight && (ours.2 > 0 || theirs.2 > 0) {
            return Verdict::Timing(
                "field writeback: pages move from dirty to writeback to clean as the disk completes them, so the split is timing".into(),
            );
        }
        if op == "wait_writeback" && ours.0 == theirs.0 {
            return Verdict::Timing(
                "fields dirty/writeback: the kernel's flusher decides when it writes the page back (vm.dirty_writeback_centisecs wake-ups)".into(),
            );
        }
        if (ours.1, ours.2) != (theirs.1, theirs.2) {
            return Verdict::Different;
        }
        let diff = ours.0 as i64 - theirs.0 as i64;
        if self.carried.get(key) == Some(&diff) {
            return Verdict::Timing(format!(
                "field cached: the {diff:+} pages read ahead at an earlier step are still cached"
            ));
        }
        if READ_AHEAD_OPS.contains(&op) && diff.unsigned_abs() <= self.window {
            self.carried.insert(key.to_string(), diff);
            return Verdict::Timing(format!(
                "field cached: {diff:+} pages, within one read-ahead window ({} pages): how far the kernel reads ahead is timing",
                self.window
            ));
        }
        Verdict::Different
    }
}

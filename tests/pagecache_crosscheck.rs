//! Page-cache cross-check against real NumPy: every small built-in lesson run by the tutor and, as its exported
//! NumPy script, by Python with an outside observer that takes cachestat (cached, dirty, writeback) of every
//! file after every statement — without reading any file — compared step by step.
//!
//! The script is the plain export (no instrumentation that reads arrays or files); the test only inserts, before
//! each step and at the end, a call that prints `@@SYNC n` and waits for a line on stdin. While the script waits,
//! this process (another process, as any observer would be) asks cachestat through its own long-lived fds.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as Process, Stdio};

use common::{filled_bytes, tutor, KernelTiming, Verdict};
use memmap_tutor::lesson::builtin::LESSONS;
use memmap_tutor::probe::{page_state, release_files};
use memmap_tutor::trace::Measured;
use serde_json::Value;

/// Lessons that fill more than this are not "small": they would write it twice (tutor and NumPy).
const MAX_FILLED_BYTES: u128 = 256 << 20;

/// (cached, dirty, writeback) of one file.
type Counts = (u64, u64, u64);

/// `python3` with NumPy, or why not.
fn python_with_numpy() -> Result<String, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    match Process::new(&python).args(["-c", "import numpy"]).output() {
        Err(e) => Err(format!("`{python}` cannot be run ({e})")),
        Ok(out) if !out.status.success() => Err(format!(
            "`{python} -c 'import numpy'` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => Ok(python),
    }
}

/// The lesson text with every `timeout:` cut to 1 s (both sides then wait the same short time).
fn shorten_waits(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("timeout:") {
            Some(i) => format!("{}timeout: 1", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The exported script with a sync point after every step: `_sync(n)` before `# Step n+1:` and at the end.
fn with_sync_points(script: &str) -> (String, usize) {
    const HELPER: &str = "import sys as _sync_sys\n\n\ndef _sync(n):\n    \"\"\"Let the outside observer measure: say which step ended, wait for its go-ahead.\"\"\"\n    _sync_sys.stdout.write('@@SYNC %d\\n' % n)\n    _sync_sys.stdout.flush()\n    _sync_sys.stdin.readline()\n\n";
    let mut out = String::new();
    let mut last = 0usize;
    let mut helper_done = false;
    for line in script.lines() {
        if let Some(rest) = line.strip_prefix("# Step ") {
            let n: Option<usize> = rest.split(':').next().and_then(|d| d.parse().ok());
            if let Some(n) = n {
                if !helper_done {
                    out.push_str(HELPER);
                    helper_done = true;
                }
                if last > 0 {
                    out.push_str(&format!("_sync({last})\n\n"));
                }
                last = n;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if last > 0 {
        out.push_str(&format!("_sync({last})\n"));
    }
    (out, last)
}

/// Run the script in `dir`, measuring every regular file there at each sync point; step -> file -> counts.
fn observe_numpy(
    python: &str,
    script: &Path,
    dir: &Path,
) -> Result<BTreeMap<usize, BTreeMap<String, Counts>>, String> {
    let mut child = Process::new(python)
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python does not start: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut seen = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let Some(n) = line
            .strip_prefix("@@SYNC ")
            .and_then(|n| n.trim().parse().ok())
        else {
            continue;
        };
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            // cachestat through this process's own fd (opened once, kept open: see probe::handles).
            if let Measured::Value(p) = page_state(&path) {
                files.insert(name, (p.cached, p.dirty, p.writeback));
            }
        }
        seen.insert(n, files);
        stdin.write_all(b"\n").map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    release_files();
    if !out.status.success() {
        return Err(format!(
            "the NumPy script failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(seen)
}

/// The tutor's counts per step: (what shows them, file, counts) — the step's file from its cachestat line, and
/// every file from its page map (one page per cell: `D` dirty, `W` writeback, `D # W` cached), so the strip is
/// held to the same measurement as the line.
fn tutor_counts(step: &Value) -> Vec<(&'static str, String, Counts)> {
    let mut out = Vec::new();
    if let (Some(file), Some(p)) = (step["file"]["path"].as_str(), step["pages"].as_object()) {
        let n = |k: &str| p[k].as_u64().unwrap_or(0);
        out.push((
            "cachestat line",
            file.to_string(),
            (n("cached"), n("dirty"), n("writeback")),
        ));
    }
    if let Some(map) = step["page_map"].as_object() {
        for (file, m) in map {
            let (Some(cells), Some(1)) = (m["cells"].as_str(), m["pages_per_cell"].as_u64()) else {
                continue;
            };
            let count = |set: &str| cells.chars().filter(|c| set.contains(*c)).count() as u64;
            out.push((
                "page map",
                file.clone(),
                (count("D#W"), count("D"), count("W")),
            ));
        }
    }
    out
}

/// What one lesson's comparison found.
#[derive(Default)]
struct Found {
    steps: usize,
    differences: Vec<String>,
    /// Differences the kernel's timing explains, each naming the field and the reason.
    nondeterministic: Vec<String>,
}

fn compare(
    trace: &Value,
    numpy: &BTreeMap<usize, BTreeMap<String, Counts>>,
    timing: &mut KernelTiming,
) -> Found {
    let mut found = Found::default();
    let steps = trace["steps"].as_array().cloned().unwrap_or_default();
    if steps.len() != numpy.len() {
        found.differences.push(format!(
            "the tutor recorded {} steps, the NumPy script reached {} sync points",
            steps.len(),
            numpy.len()
        ));
    }
    for step in &steps {
        let n = step["step"].as_u64().unwrap_or(0) as usize;
        let op = step["op"].as_str().unwrap_or("?");
        let Some(theirs) = numpy.get(&n) else {
            continue;
        };
        found.steps += 1;
        for (shown, file, ours) in tutor_counts(step) {
            let Some(&theirs) = theirs.get(&file) else {
                found
                    .differences
                    .push(format!("step {n} ({op}): {file} exists for the tutor only"));
                continue;
            };
            let line = format!(
                "step {n} ({op}) {file}: tutor's {shown} cached/dirty/writeback {ours:?}, NumPy {theirs:?}"
            );
            match timing.judge(&format!("{shown} {file}"), op, ours, theirs) {
                Verdict::Same => {}
                Verdict::Timing(why) => found.nondeterministic.push(format!("{line} — {why}")),
                Verdict::Different => found.differences.push(line),
            }
        }
    }
    found
}

#[test]
fn page_cache_matches_real_numpy_step_by_step() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED page-cache cross-check: {why} (CI installs numpy; set PYTHON to choose an interpreter)");
            return;
        }
    };
    let root = tempfile::tempdir().expect("temp dir");
    let (mut lessons, mut steps) = (0, 0);
    let mut differences = Vec::new();
    for (name, text) in LESSONS {
        let filled = filled_bytes(name, text);
        if filled > MAX_FILLED_BYTES {
            eprintln!("not compared: {name}: writes {filled} bytes (not a small lesson)");
            continue;
        }
        let dir = root.path().join(name);
        let (d1, d2) = (dir.join("tutor"), dir.join("numpy"));
        for d in [&d1, &d2] {
            std::fs::create_dir_all(d).expect("work dirs");
        }
        let yaml = dir.join(format!("{name}.yaml"));
        std::fs::write(&yaml, shorten_waits(text)).expect("lesson copy");
        let yaml = yaml.to_str().expect("utf-8 path");
        let out = tutor()
            .args(["run", yaml, "--format", "json", "--workdir"])
            .arg(&d1)
            .output()
            .expect("tutor runs");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let trace: Value = serde_json::from_slice(&out.stdout).expect("JSON trace");
        if trace["environment"]["has_disk"] != true {
            eprintln!(
                "SKIPPED page-cache cross-check: the temp dir is on {} (no disk behind the page cache)",
                trace["environment"]["filesystem"]
            );
            return;
        }
        let out = tutor()
            .args(["export", "python", yaml])
            .output()
            .expect("export runs");
        assert!(out.status.success(), "{name}: export failed");
        let (script, _) = with_sync_points(&String::from_utf8_lossy(&out.stdout));
        let script_path = dir.join(format!("{name}.py"));
        std::fs::write(&script_path, script).expect("script");
        let numpy = match observe_numpy(&python, &script_path, &d2) {
            Ok(n) => n,
            Err(e) => {
                differences.push(format!("{name}: {e}"));
                continue;
            }
        };
        let found = compare(&trace, &numpy, &mut KernelTiming::for_dir(&d1));
        for line in &found.nondeterministic {
            eprintln!("  {name}: not counted (kernel timing): {line}");
        }
        eprintln!(
            "{name}: {} steps compared, {} differences",
            found.steps,
            found.differences.len()
        );
        for line in &found.differences {
            eprintln!("  {name}: DIFFERENT: {line}");
        }
        differences.extend(found.differences.iter().map(|d| format!("{name}: {d}")));
        lessons += 1;
        steps += found.steps;
    }
    eprintln!(
        "page-cache cross-check: {lessons} lessons, {steps} steps compared, {} differences",
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert!(lessons > 0 && steps > 0, "nothing was compared");
}

#[test]
fn sync_points_follow_every_step() {
    let (s, last) = with_sync_points(
        "import numpy as np\n\n# Step 1: a\nx = 1\n\n# Step 2: b\n# (note)\ny = 2\n",
    );
    assert_eq!(last, 2);
    let one = s.find("# Step 1:").expect("step 1");
    let sync1 = s.find("_sync(1)\n").expect("sync 1");
    let two = s.find("# Step 2:").expect("step 2");
    assert!(s.find("def _sync").expect("helper") < one);
    assert!(one < sync1 && sync1 < two);
    assert!(s.trim_end().ends_with("_sync(2)"));
}

#[test]
fn the_comparison_reports_a_difference_and_names_timing() {
    let trace = serde_json::json!({"steps": [
        {"step": 1, "op": "open", "file": {"path": "f"}, "pages": {"cached": 1, "dirty": 1, "writeback": 0},
         "page_map": {"f": {"cells": "###D", "pages_per_cell": 1}}},
        {"step": 2, "op": "flush", "file": {"path": "f"}, "pages": {"cached": 1, "dirty": 0, "writeback": 1},
         "page_map": {"f": {"cells": "---W", "pages_per_cell": 1}}}
    ]});
    let mut numpy = BTreeMap::new();
    numpy.insert(1, BTreeMap::from([("f".to_string(), (1, 1, 0))]));
    numpy.insert(2, BTreeMap::from([("f".to_string(), (1, 1, 0))]));
    let found = compare(&trace, &numpy, &mut KernelTiming::with_window(2048));
    assert_eq!(found.steps, 2);
    // Step 1: the cachestat line agrees, the page map (a tutor that cached the holes itself) does not.
    assert_eq!(found.differences.len(), 1, "{:?}", found.differences);
    assert!(found.differences[0].contains("page map"));
    assert!(found.differences[0].contains("step 1"));
    assert_eq!(found.nondeterministic.len(), 2);
    assert!(found.nondeterministic[0].contains("field writeback"));
}

#[test]
fn read_ahead_differences_are_bounded_by_one_window_and_carried_unchanged() {
    let mut t = KernelTiming::with_window(2048);
    // A scan: 16 more pages read ahead in one run than in the other.
    assert!(matches!(
        t.judge("f", "scan", (6160, 0, 0), (6144, 0, 0)),
        Verdict::Timing(w) if w.contains("read-ahead window")
    ));
    // The flush after it carries the same difference; a new one it cannot make.
    assert!(matches!(
        t.judge("f", "flush", (6160, 0, 0), (6144, 0, 0)),
        Verdict::Timing(_)
    ));
    assert_eq!(
        t.judge("f", "flush", (6161, 0, 0), (6144, 0, 0)),
        Verdict::Different
    );
    // More than a window, dirty pages, or an op that reads nothing: a real difference.
    assert_eq!(
        t.judge("g", "read", (4096, 0, 0), (1, 0, 0)),
        Verdict::Different
    );
    assert_eq!(
        t.judge("g", "read", (5, 1, 0), (4, 0, 0)),
        Verdict::Different
    );
    assert_eq!(
        t.judge("h", "open", (4, 0, 0), (1, 0, 0)),
        Verdict::Different
    );
    // Once the counts agree again (the pages were evicted) nothing is carried.
    assert_eq!(t.judge("f", "evict", (0, 0, 0), (0, 0, 0)), Verdict::Same);
    assert_eq!(
        t.judge("f", "flush", (16, 0, 0), (0, 0, 0)),
        Verdict::Different
    );
}

//! NumPy cross-check: every built-in lesson run by the tutor and, as its exported script, by real NumPy,
//! compared step by step (printed arrays, the file as read(2) sees it, errors) and by the final file bytes.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::tutor;
use memmap_tutor::lesson::builtin::LESSONS;
use serde_json::Value;

/// Built-in lessons NumPy cannot express at all, with the reason (none so far: every op has an `os` equivalent).
const NOT_EXPRESSIBLE: &[(&str, &str)] = &[];

/// Lessons whose files outgrow this are not compared: the check reads both copies of every file in full.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// The largest file a lesson's `open` steps ask for (offset + size * itemsize), from the lesson alone.
fn largest_created_file(name: &str, text: &str) -> Option<(String, i128)> {
    let lesson = memmap_tutor::lesson::load_str(name, text).ok()?;
    lesson
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            memmap_tutor::lesson::Action::Open(spec) => {
                let n: i128 = spec.shape.as_ref()?.iter().map(|&d| d as i128).product();
                Some((
                    spec.file.clone(),
                    spec.offset as i128 + n * spec.dtype.size as i128,
                ))
            }
            _ => None,
        })
        .max_by_key(|(_, size)| *size)
}

/// `python3` when it exists and `import numpy` works there; else why not.
fn python_with_numpy() -> Result<String, String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    match Process::new(&python)
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
    {
        Err(e) => Err(format!("`{python}` cannot be run ({e})")),
        Ok(out) if !out.status.success() => Err(format!(
            "`{python} -c 'import numpy'` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => Ok(python),
    }
}

/// The lesson text with every `timeout:` cut to 1 s: the kernel's own writeback (~30 s) is the skip-flush
/// lesson's subject, checked by `verify`; here only arrays and bytes are compared, which the wait does not change.
fn shorten_waits(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("timeout:") {
            Some(i) => format!("{}timeout: 1", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every regular file under `dir`, relative path -> size.
fn files_under(dir: &Path) -> BTreeMap<String, u64> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(m) = p.metadata() {
                let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
                out.insert(rel, m.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// First differing byte offset of two files, read in chunks, or None when equal.
fn first_difference(a: &Path, b: &Path) -> std::io::Result<Option<u64>> {
    use std::io::Read;
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut pos = 0u64;
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if let Some(i) = (0..na.min(nb)).find(|&i| ba[i] != bb[i]) {
            return Ok(Some(pos + i as u64));
        }
        if na != nb {
            return Ok(Some(pos + na.min(nb) as u64));
        }
        if na == 0 {
            return Ok(None);
        }
        pos += na as u64;
    }
    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    }
}

/// The instrumented script's report: one JSON object per step, plus what each step's child read.
fn parse_markers(stdout: &str) -> Vec<(Value, Vec<String>)> {
    let mut steps = Vec::new();
    let mut child_reads = Vec::new();
    for line in stdout.lines() {
        if let Some(hex) = line.strip_prefix("@@CHILDREAD ") {
            child_reads.push(hex.trim().to_string());
        } else if let Some(json) = line.strip_prefix("@@STEP ") {
            let v: Value = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("bad @@STEP line ({e}): {json}"));
            steps.push((v, std::mem::take(&mut child_reads)));
        }
    }
    steps
}

/// Compare the tutor's trace with the script's report; one line per difference.
fn compare(trace: &Value, report: &[(Value, Vec<String>)]) -> Vec<String> {
    let mut diffs = Vec::new();
    let steps = trace["steps"].as_array().cloned().unwrap_or_default();
    if steps.len() != report.len() {
        diffs.push(format!(
            "the tutor recorded {} steps, the NumPy script reported {}",
            steps.len(),
            report.len()
        ));
    }
    for (t, (p, child_reads)) in steps.iter().zip(report) {
        let n = t["step"].as_u64().unwrap_or(0);
        let op = t["op"].as_str().unwrap_or("?");
        let mut diff = |what: String, tutor: &Value, numpy: &Value| {
            diffs.push(format!(
                "step {n} ({op}), {what}:\n      tutor: {tutor}\n      numpy: {numpy}"
            ))
        };
        if t["error"] != p["error"] {
            diff("error".into(), &t["error"], &p["error"]);
        }
        if !t["read"].is_null() && t["read"]["str"] != p["read"] {
            diff("printed value".into(), &t["read"]["str"], &p["read"]);
        }
        if let Some(hex) = t["child"]["read"].as_str() {
            let numpy = Value::from(child_reads.first().cloned());
            if numpy.as_str() != Some(hex) {
                diff(
                    "bytes the other process read".into(),
                    &Value::from(hex),
                    &numpy,
                );
            }
        }
        let empty = serde_json::Map::new();
        let t_arrays = t["arrays"].as_object().unwrap_or(&empty);
        let p_arrays = p["arrays"].as_object().unwrap_or(&empty);
        for name in p_arrays.keys().filter(|k| !t_arrays.contains_key(*k)) {
            diff(format!("variable {name}"), &Value::Null, &p_arrays[name]);
        }
        for (name, ta) in t_arrays {
            let pa = &p_arrays.get(name).cloned().unwrap_or(Value::Null);
            if ta["state"] != pa["state"] {
                diff(format!("{name} state"), &ta["state"], &pa["state"]);
            } else if ta["state"] == "open" && ta["str"] != pa["str"] {
                diff(format!("str({name})"), &ta["str"], &pa["str"]);
            }
        }
        let t_files = t["files"].as_object().unwrap_or(&empty);
        let p_files = p["files"].as_object().unwrap_or(&empty);
        for (name, tf) in t_files {
            let pf = &p_files.get(name).cloned().unwrap_or(Value::Null);
            if tf["size"] != pf["size"] {
                diff(format!("{name}'s file size"), &tf["size"], &pf["size"]);
                continue;
            }
            let t_hex: Vec<&str> = tf["hex"]
                .as_array()
                .map(|ls| ls.iter().filter_map(|l| l["hex"].as_str()).collect())
                .unwrap_or_default();
            let t_hex = Value::from(t_hex.join(" "));
            if t_hex != pf["hex"] {
                diff(format!("{name}'s file bytes (read(2))"), &t_hex, &pf["hex"]);
            }
            // NumPy cannot decode a region the file no longer covers; the bytes above still count.
            if !pf["str"].is_null() && tf["str"] != pf["str"] {
                diff(format!("{name}'s file decoded"), &tf["str"], &pf["str"]);
            }
        }
    }
    diffs
}

/// Run one lesson both ways; Ok(number of steps compared) or Err(differences), or a skip reason.
enum Outcome {
    Compared(usize),
    Differences(Vec<String>),
    Skipped(String),
}

fn cross_check(python: &str, name: &str, text: &str, root: &Path) -> Outcome {
    // Decide from the lesson itself, before running anything: a large lesson must not write its
    // gigabytes only to be skipped afterwards.
    if let Some((file, size)) = largest_created_file(name, text) {
        if size > MAX_FILE_BYTES as i128 {
            return Outcome::Skipped(format!(
                "{file} would be {size} bytes; the cross-check compares files in full and stops at {MAX_FILE_BYTES}"
            ));
        }
    }
    let (d1, d2) = (root.join("tutor"), root.join("numpy"));
    for d in [&d1, &d2] {
        std::fs::create_dir_all(d).expect("work dirs");
    }
    let lesson_path: PathBuf = root.join(format!("{name}.yaml"));
    std::fs::write(&lesson_path, shorten_waits(text)).expect("lesson copy");
    let lesson = lesson_path.to_str().expect("utf-8 temp path");

    let out = tutor()
        .args(["run", lesson, "--format", "json", "--workdir"])
        .arg(&d1)
        .output()
        .expect("tutor runs");
    assert!(
        out.status.success(),
        "{name}: tutor run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace: Value = serde_json::from_slice(&out.stdout).expect("JSON trace");

    let tutor_files = files_under(&d1);
    if let Some((f, size)) = tutor_files.iter().find(|(_, s)| **s > MAX_FILE_BYTES) {
        return Outcome::Skipped(format!(
            "{f} is {size} bytes; the cross-check compares files in full and stops at {MAX_FILE_BYTES}"
        ));
    }

    let script = root.join(format!("{name}.py"));
    let out = tutor()
        .args(["export", "python", lesson, "--instrument", "-o"])
        .arg(&script)
        .output()
        .expect("export runs");
    assert!(
        out.status.success(),
        "{name}: export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Process::new(python)
        .arg(&script)
        .current_dir(&d2)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Outcome::Differences(vec![format!(
            "the NumPy script failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )]);
    }
    let report = parse_markers(&stdout);
    let mut diffs = compare(&trace, &report);

    // The final files, byte for byte.
    let numpy_files = files_under(&d2);
    if tutor_files.keys().ne(numpy_files.keys()) {
        diffs.push(format!(
            "final files differ: tutor {:?}, numpy {:?}",
            tutor_files.keys().collect::<Vec<_>>(),
            numpy_files.keys().collect::<Vec<_>>()
        ));
    }
    for f in tutor_files.keys().filter(|f| numpy_files.contains_key(*f)) {
        match first_difference(&d1.join(f), &d2.join(f)) {
            Ok(None) => {}
            Ok(Some(at)) => diffs.push(format!(
                "final bytes of {f} differ from byte {at} (tutor {} bytes, numpy {} bytes)",
                tutor_files[f], numpy_files[f]
            )),
            Err(e) => diffs.push(format!("cannot compare {f}: {e}")),
        }
    }
    if diffs.is_empty() {
        Outcome::Compared(report.len())
    } else {
        Outcome::Differences(diffs)
    }
}

#[test]
fn every_lesson_matches_real_numpy() {
    let python = match python_with_numpy() {
        Ok(p) => p,
        Err(why) => {
            eprintln!("SKIPPED numpy cross-check: {why} (CI installs numpy; set PYTHON to choose an interpreter)");
            return;
        }
    };
    let root = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, text) in LESSONS {
        if let Some((_, why)) = NOT_EXPRESSIBLE.iter().find(|(n, _)| n == name) {
            eprintln!("not expressible in NumPy: {name}: {why}");
            continue;
        }
        match cross_check(&python, name, text, &root.path().join(name)) {
            Outcome::Compared(steps) => {
                compared += 1;
                eprintln!("same as NumPy: {name} ({steps} steps, final file bytes)");
            }
            Outcome::Skipped(why) => eprintln!("not compared: {name}: {why}"),
            Outcome::Differences(d) => {
                eprintln!("DIFFERENT from NumPy: {name}:");
                for line in &d {
                    eprintln!("  {line}");
                }
                failures.push((name, d.len()));
            }
        }
    }
    eprintln!(
        "numpy cross-check: {compared} lessons compared, {} differences",
        failures.iter().map(|(_, n)| n).sum::<usize>()
    );
    assert!(
        failures.is_empty(),
        "lessons differing from NumPy: {failures:?}"
    );
    assert!(compared > 0, "no lesson was compared");
}

#[test]
fn the_comparison_reports_every_difference() {
    // A check that never fails proves nothing: feed it a trace and a report that disagree.
    let trace = serde_json::json!({"steps": [{
        "step": 1, "op": "assign", "error": null, "read": null,
        "arrays": {"arr": {"state": "open", "str": "[1 2]"}},
        "files": {"arr": {"size": 8, "str": "[1 2]", "hex": [{"offset": 0, "hex": "01 00 00 00 02 00 00 00"}]}}
    }]});
    let report = vec![(
        serde_json::json!({
            "step": 1, "error": "ValueError: x", "read": null,
            "arrays": {"arr": {"state": "open", "str": "[1 3]"}},
            "files": {"arr": {"size": 8, "str": "[1 3]", "hex": "01 00 00 00 03 00 00 00"}}
        }),
        Vec::new(),
    )];
    let diffs = compare(&trace, &report);
    assert_eq!(diffs.len(), 4, "{diffs:#?}");
    assert!(diffs[0].contains("error"), "{diffs:#?}");
}

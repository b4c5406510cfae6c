//! The `madvise` and `scan` ops on the real binary: Python's madvise errors (checked against CPython where
//! python3 runs), scan results against NumPy's `count_nonzero`, per-chunk measurements, bad steps, tmpfs, and the
//! large memory-grows lesson (ignored: run with `cargo test -- --ignored`).

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::tutor;
use serde_json::Value;

/// Run a lesson text in `dir` and return the JSON trace.
fn run_in(dir: &Path, yaml: &str) -> Value {
    let lesson = dir.join("lesson.yaml");
    std::fs::write(&lesson, yaml).expect("write lesson");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).expect("workdir");
    let out = tutor()
        .arg("run")
        .arg(&lesson)
        .args(["--format", "json", "--workdir"])
        .arg(&work)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON trace")
}

fn python() -> Option<String> {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = Process::new(&py)
        .args(["-c", "import numpy, mmap"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(py)
    } else {
        eprintln!(
            "SKIPPED the CPython comparison: `{py} -c 'import numpy'` fails (CI installs numpy)"
        );
        None
    }
}

/// (advice, start, length) cases: valid ones and every error CPython's mmap.madvise raises.
const CASES: &[(&str, Option<i64>, Option<i64>)] = &[
    ("MADV_NORMAL", None, None),
    ("MADV_RANDOM", Some(4096), None),
    ("MADV_SEQUENTIAL", Some(0), Some(1 << 40)),
    ("MADV_WILLNEED", Some(0), Some(0)),
    ("MADV_DONTNEED", Some(8192), Some(4096)),
    ("MADV_NORMAL", Some(1), None),
    ("MADV_NORMAL", Some(12288), None),
    ("MADV_NORMAL", Some(-1), None),
    ("MADV_NORMAL", Some(0), Some(-1)),
    ("MADV_NORMAL", Some(4096), Some(i64::MAX)),
    ("MADV_FREE", None, None),
    ("MADV_BOGUS", Some(99999), None),
];

fn yaml_arg(v: Option<i64>, key: &str) -> String {
    v.map(|v| format!(", {key}: {v}")).unwrap_or_default()
}

#[test]
fn madvise_raises_what_cpython_raises() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut yaml = String::from(
        "title: madvise errors\nsteps:\n  - {op: open, file: m.dat, mode: w+, shape: 12288}\n",
    );
    for (advice, start, length) in CASES {
        yaml.push_str(&format!(
            "  - {{op: madvise, advice: {advice}{}{}}}\n",
            yaml_arg(*start, "start"),
            yaml_arg(*length, "length")
        ));
    }
    let trace = run_in(dir.path(), &yaml);
    let errors: Vec<Option<String>> = trace["steps"].as_array().expect("steps")[1..]
        .iter()
        .map(|s| s["error"].as_str().map(str::to_string))
        .collect();
    // Known answers (CPython 3.11 on Linux), so the test means something without Python too.
    assert_eq!(errors[0], None);
    assert_eq!(errors[4], None);
    assert_eq!(
        errors[5].as_deref(),
        Some("OSError: [Errno 22] Invalid argument")
    );
    assert_eq!(
        errors[6].as_deref(),
        Some("ValueError: madvise start out of bounds")
    );
    assert_eq!(
        errors[7].as_deref(),
        Some("ValueError: madvise start out of bounds")
    );
    assert_eq!(
        errors[8].as_deref(),
        Some("ValueError: madvise length invalid")
    );
    assert_eq!(
        errors[9].as_deref(),
        Some("OverflowError: madvise length too large")
    );
    assert_eq!(
        errors[11].as_deref(),
        Some("AttributeError: module 'mmap' has no attribute 'MADV_BOGUS'")
    );
    let advised = &trace["steps"][5]["advice"];
    assert_eq!(advised["advice"], "MADV_DONTNEED");
    assert_eq!(advised["file_range"], serde_json::json!([8192, 12288]));

    let Some(py) = python() else { return };
    let mut script = String::from(
        "import mmap\nm = mmap.mmap(-1, 12288)\ndef run(name, *args):\n    try:\n        m.madvise(getattr(mmap, name), *args)\n        print('None')\n    except Exception as e:\n        print(type(e).__name__ + ': ' + str(e))\n",
    );
    for (advice, start, length) in CASES {
        let args: Vec<String> = match (start, length) {
            (None, None) => vec![],
            (Some(s), None) => vec![s.to_string()],
            (s, Some(l)) => vec![s.unwrap_or(0).to_string(), l.to_string()],
        };
        let mut call = format!("run('{advice}'");
        for a in args {
            call.push_str(&format!(", {a}"));
        }
        script.push_str(&format!("{call})\n"));
    }
    let out = Process::new(&py)
        .args(["-c", &script])
        .output()
        .expect("python runs");
    let python_said: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(python_said.len(), CASES.len(), "{python_said:?}");
    for (i, said) in python_said.iter().enumerate() {
        // An anonymous map takes MADV_FREE; a file map does not (EINVAL): only that case may differ.
        if CASES[i].0 == "MADV_FREE" {
            continue;
        }
        let ours = errors[i].clone().unwrap_or_else(|| "None".to_string());
        assert_eq!(&ours, said, "case {:?}", CASES[i]);
    }
}

#[test]
fn scan_counts_like_numpy_for_strided_views_and_measures_every_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let views = ["[:]", "[:, 0]", "[::2, 1:3]", "[::-1, ::-3]", "[5]"];
    let mut yaml = String::from(
        "title: scans\nsteps:\n  - {op: open, file: s.dat, dtype: '>i2', mode: w+, shape: [50, 7]}\n  - {op: assign, value: 'np.arange(350).reshape(50, 7)'}\n  - {op: assign, index: '[::3, 2:]', value: 0}\n",
    );
    for v in views {
        yaml.push_str(&format!("  - {{op: scan, index: \"{v}\", chunk: 3}}\n"));
    }
    yaml.push_str("  - {op: scan, index: \"[0, 0]\", chunk: 3, expect_error: len()}\n");
    let trace = run_in(dir.path(), &yaml);
    let steps = trace["steps"].as_array().expect("steps");
    let counts: Vec<String> = steps[3..3 + views.len()]
        .iter()
        .map(|s| s["read"]["str"].as_str().expect("a count").to_string())
        .collect();
    let last = &steps[3 + views.len()];
    // `v[0, 0]` is a NumPy scalar (np.int16), not a 0-d array: NumPy 2.4's message names its type.
    assert_eq!(
        last["error"],
        "TypeError: object of type 'numpy.int16' has no len()"
    );

    // Per-chunk records: one per chunk of 3 rows, covering the rows in order.
    let scan = &steps[4]["scan"];
    assert_eq!(scan["rows"], 50);
    assert_eq!(scan["chunks"], 17);
    let chunks = scan["per_chunk"].as_array().expect("per_chunk");
    assert_eq!(chunks.len(), 17);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c["chunk"], i + 1);
        assert_eq!(c["rows"][0], i * 3);
        assert_eq!(c["rows"][1], (i * 3 + 3).min(50));
    }
    assert_eq!(scan["bytes_used"], 50 * 2);
    assert_eq!(scan["expr"], "arr[:, 0]");

    let Some(py) = python() else {
        // Known count of the whole array: 349 non-zero, minus 17 rows x 5 zeroed.
        assert_eq!(counts[0], "264");
        return;
    };
    let mut script = String::from(
        "import numpy as np\na = np.arange(350).reshape(50, 7).astype('>i2')\na[::3, 2:] = 0\n",
    );
    for v in views {
        script.push_str(&format!("print(np.count_nonzero(a{v}))\n"));
    }
    let out = Process::new(&py)
        .args(["-c", &script])
        .output()
        .expect("python runs");
    let numpy: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(counts, numpy, "tutor vs NumPy count_nonzero");
}

/// `kb` is `expected` kB of resident memory, give or take what the kernel itself can unmap for a moment:
/// compaction and migration replace a page's entry with a migration entry while they move it, and such a page
/// is not counted as resident. 16 pages (64 kB) bounds it; a page the scan did not touch is never counted.
fn resident_about(kb: u64, expected: u64, what: &str) {
    const MIGRATING_KB: u64 = 64;
    assert!(
        kb <= expected && kb + MIGRATING_KB >= expected,
        "{what}: {kb} kB resident, expected {expected} kB (less at most {MIGRATING_KB} kB in migration)"
    );
}

#[test]
fn releasing_chunks_keeps_resident_memory_at_one_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 8 MiB sparse, read in 1 MiB chunks three ways.
    let yaml = "title: release\nsteps:\n  - {op: open, file: r.dat, mode: w+, shape: 8388608}\n  - {op: scan, chunk: 1048576}\n  - {op: madvise, advice: MADV_DONTNEED}\n  - {op: scan, chunk: 1048576, release: dontneed}\n  - {op: scan, chunk: 1048576, release: recreate, summary: true}\n";
    let trace = run_in(dir.path(), yaml);
    let s = &trace["steps"];
    let kb = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("measured: {v}"));
    // keep: resident grows to the whole file, chunk by chunk.
    let keep = s[1]["scan"]["per_chunk"].as_array().expect("chunks");
    resident_about(kb(&keep[7]["rss_kb"]), 8192, "keep, after chunk 8");
    assert!(kb(&keep[0]["rss_kb"]) < kb(&keep[7]["rss_kb"]));
    // madvise(DONTNEED) of the whole mapping: RSS measured before and after.
    resident_about(kb(&s[2]["advice"]["rss_kb_before"]), 8192, "before madvise");
    assert_eq!(kb(&s[2]["advice"]["rss_kb_after"]), 0);
    assert_eq!(s[2]["mapping"]["rss_kb"], 0);
    // dontneed: each chunk is resident after its read, gone after its release.
    for c in s[3]["scan"]["per_chunk"].as_array().expect("chunks") {
        resident_about(kb(&c["rss_kb_read"]), 1024, &format!("dontneed, read: {c}"));
        assert_eq!(kb(&c["rss_kb"]), 0, "{c}");
    }
    // recreate, summary only: no per-chunk records, peak one chunk, nothing left mapped.
    assert_eq!(s[4]["scan"]["per_chunk"], serde_json::json!([]));
    resident_about(kb(&s[4]["scan"]["rss_kb_peak"]), 1024, "recreate, peak");
    assert_eq!(s[4]["mapping"]["rss_kb"], 0);
    // The tutor's own memory stays flat: a scan copies nothing (8 MiB read, far less grown).
    for i in [1, 3, 4] {
        let scan = &s[i]["scan"];
        let grown =
            kb(&scan["tutor_anon_kb_after"]).saturating_sub(kb(&scan["tutor_anon_kb_before"]));
        assert!(
            grown < 2048,
            "step {}: the tutor's heap grew by {grown} kB",
            i + 1
        );
    }
    // The tutor's own display reads left nothing behind.
    for step in s.as_array().expect("steps") {
        assert_eq!(step["observer"]["resident_kb"], 0, "{step}");
    }
}

#[test]
fn bad_madvise_and_scan_steps_are_located_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (step, field) in [
        ("{op: madvise}", "advice"),
        ("{op: madvise, advice: 'MADV_X(); import os'}", "advice"),
        ("{op: madvise, advice: MADV_NORMAL, start: 1.5}", "start"),
        ("{op: madvise, advice: MADV_NORMAL, chunk: 3}", "chunk"),
        ("{op: scan}", "chunk"),
        ("{op: scan, chunk: 0}", "chunk"),
        ("{op: scan, chunk: 4, release: always}", "release"),
        ("{op: scan, chunk: 4, advice: MADV_RANDOM}", "advice"),
        (
            "{op: scan, chunk: 4, expect: {peak_resident: {max: 0}}}",
            "peak_resident",
        ),
        (
            "{op: flush, expect: {peak_resident: {max: 0}}}",
            "peak_resident",
        ),
    ] {
        let path = dir.path().join("bad.yaml");
        let yaml = format!(
            "title: bad\nsteps:\n  - {{op: open, file: b.dat, mode: w+, shape: 8}}\n  - {step}\n"
        );
        std::fs::write(&path, &yaml).expect("write");
        let out = tutor().arg("check").arg(&path).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        if step.contains("peak_resident: {max: 0}}}") && step.starts_with("{op: scan") {
            // A valid expectation on a scan step.
            assert_eq!(out.status.code(), Some(0), "{step}: {err}");
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{step}: {err}");
        assert!(err.contains("step 2"), "{step}: {err}");
        assert!(err.contains(field), "{step}: {err}");
        assert!(!dir.path().join("b.dat").exists(), "check touched a file");
    }
}

#[test]
fn on_tmpfs_read_ahead_says_it_cannot_answer() {
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("SKIPPED: no /dev/shm here");
        return;
    };
    let yaml = "title: tmpfs\nsteps:\n  - {op: open, file: t.dat, mode: w+, shape: 65536}\n  - {op: madvise, advice: MADV_RANDOM}\n  - {op: scan, chunk: 16384}\n";
    let trace = run_in(dir.path(), yaml);
    if trace["environment"]["has_disk"] != false {
        eprintln!("SKIPPED: /dev/shm is not tmpfs here");
        return;
    }
    let why = trace["steps"][1]["advice"]["read_ahead"]["unavailable"]
        .as_str()
        .expect("read-ahead unavailable on tmpfs");
    assert!(why.contains("no disk"), "{why}");
    assert!(trace["steps"][2]["scan"]["read_ahead"]["unavailable"].is_string());
    assert_eq!(trace["steps"][2]["read"]["str"], "0");
}

#[test]
fn export_spells_the_ops_as_numpy_code() {
    let out = tutor()
        .args(["export", "python", "read-ahead"])
        .output()
        .expect("runs");
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("import mmap"), "{script}");
    assert!(
        script.contains("arr._mmap.madvise(mmap.MADV_RANDOM)"),
        "{script}"
    );
    assert!(
        script.contains("total += int(np.count_nonzero(_view[_i:_i + 4194304]))"),
        "{script}"
    );
}

#[test]
#[ignore = "reads a 256 MiB file four times (a few seconds)"]
fn memory_grows_lesson_verifies() {
    let out = tutor()
        .args(["verify", "scenarios/large/memory-grows.yaml"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
}

/// Runs an exported lesson step by step under real NumPy and prints, after each step, the resident kB of
/// every mapping of the lesson's files in that Python process (smaps), one `@@RSS step kb` line per step.
const RSS_DRIVER: &str = r#"
import re, sys
src = open(sys.argv[1]).read()
files = sys.argv[2:]
parts = re.split(r'\n(?=# Step \d+:)', src)
def rss():
    total, ours = 0, False
    for line in open('/proc/self/smaps'):
        p = line.split()
        if not p[0].endswith(':'):
            ours = len(p) >= 6 and any(p[5].endswith('/' + f) for f in files)
        elif ours and p[0] == 'Rss:':
            total += int(p[1])
    return total
g = {'__name__': '__main__'}
exec(parts[0], g)
for part in parts[1:]:
    exec(part, g)
    print('@@RSS', re.match(r'# Step (\d+)', part).group(1), rss(), flush=True)
"#;

/// The tutor's resident kB of the step's mapping vs real NumPy's after the same step of the exported script.
fn rss_matches_numpy(name: &str, files: &[&str]) {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (tutor_dir, numpy_dir) = (dir.path().join("tutor"), dir.path().join("numpy"));
    for d in [&tutor_dir, &numpy_dir] {
        std::fs::create_dir_all(d).expect("dirs");
    }
    let out = tutor()
        .args(["run", name, "--format", "json", "--workdir"])
        .arg(&tutor_dir)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let trace: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    if trace["environment"]["has_disk"] != true {
        eprintln!("SKIPPED: the temp dir has no disk (tmpfs)");
        return;
    }
    let script = tutor()
        .args(["export", "python", name])
        .output()
        .expect("exports");
    std::fs::write(numpy_dir.join("lesson.py"), &script.stdout).expect("script");
    std::fs::write(numpy_dir.join("driver.py"), RSS_DRIVER).expect("driver");
    let run = Process::new(&py)
        .current_dir(&numpy_dir)
        .args(["driver.py", "lesson.py"])
        .args(files)
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let numpy: Vec<(usize, u64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("@@RSS "))
        .filter_map(|l| {
            let mut w = l.split(' ');
            Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect();
    let steps = trace["steps"].as_array().expect("steps");
    assert_eq!(numpy.len(), steps.len(), "{text}");
    for (step, kb) in numpy {
        let ours = &steps[step - 1]["mapping"]["rss_kb"];
        // A closed variable has no mapping; NumPy then has none of the file mapped either.
        let ours = ours.as_u64().unwrap_or(0);
        // Under memory pressure from other processes the kernel may reclaim a few clean pages from either
        // run while it goes on: allow 2% (never more than that).
        let slack = ours.max(kb) / 50;
        assert!(
            ours.abs_diff(kb) <= slack,
            "{name} step {step}: tutor {ours} kB resident, NumPy {kb} kB"
        );
    }
    eprintln!("{name}: resident memory after every step equals real NumPy's (within 2%)");
}

#[test]
fn resident_memory_per_step_matches_real_numpy() {
    rss_matches_numpy("read-ahead", &["sparse.dat"]);
    rss_matches_numpy("one-field-per-record", &["records.dat"]);
}

#[test]
#[ignore = "reads a 256 MiB file four times, in the tutor and in NumPy"]
fn memory_grows_resident_memory_matches_real_numpy() {
    rss_matches_numpy("memory-grows", &["data.bin"]);
}

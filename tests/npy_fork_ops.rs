//! The `.npy` ops (`load`, `open_memmap`) and `fork_write`, run for real through the binary on small lessons:
//! what the trace records, how the lesson validates, and the NumPy code they export.

mod common;

use common::tutor;
use serde_json::Value;

/// Write `yaml` to a temp dir and run `args` on it (the lesson path is appended); (exit code, stdout, stderr).
fn run(yaml: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lesson = dir.path().join("lesson.yaml");
    std::fs::write(&lesson, yaml).expect("write lesson");
    let work = dir.path().join("w");
    let mut cmd = tutor();
    cmd.args(args).arg(&lesson);
    if args.first() == Some(&"run") {
        cmd.arg("--workdir").arg(&work);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn trace(yaml: &str) -> Value {
    let (code, out, err) = run(yaml, &["run", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&out).expect("JSON trace")
}

fn s(t: &Value, n: usize) -> &Value {
    &t["steps"][n - 1]
}

const NPY: &str = "title: npy\nsteps:
  - {op: open_memmap, var: a, file: d.npy, mode: w+, dtype: int16, shape: [2, 3], order: F}
  - {op: assign, index: 'a[:]', value: 'np.arange(6).reshape(2, 3)'}
  - {op: close, var: a}
  - {op: load, var: b, file: d.npy, mode: r}
  - {op: load, var: c, file: d.npy, mode: readwrite, expect_error: invalid mode}
  - {op: close, var: b}
  - {op: reopen, var: b, mode: c}
";

#[test]
fn open_memmap_writes_numpys_header_and_load_maps_after_it() {
    let t = trace(NPY);
    let first = s(&t, 1);
    assert_eq!(first["op"], "open_memmap");
    assert_eq!(first["arrays"]["a"]["offset"], 128);
    assert_eq!(
        first["arrays"]["a"]["mode"], "r+",
        "w+ is mapped r+ once the header is written"
    );
    assert_eq!(first["arrays"]["a"]["order"], "F");
    let header: Vec<&str> = first["file"]["header"]
        .as_array()
        .expect("header lines")
        .iter()
        .map(|l| l["hex"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(header.len(), 8, "a 128-byte header is 8 lines of 16");
    assert!(
        header[0].starts_with("93 4e 55 4d 50 59 01 00 76 00"),
        "{header:?}"
    );
    assert!(
        header[7].ends_with("20 0a"),
        "spaces then a newline: {header:?}"
    );
    let load = s(&t, 4);
    assert_eq!(load["op"], "load");
    assert_eq!(load["arrays"]["b"]["str"], "[[0 1 2]\n [3 4 5]]");
    assert_eq!(load["arrays"]["b"]["mode"], "r");
    assert!(
        load["outcome"]
            .as_str()
            .unwrap_or("")
            .contains("'fortran_order': True"),
        "{}",
        load["outcome"]
    );
    assert_eq!(s(&t, 5)["error"], "ValueError: invalid mode: 'readwriteb'");
    // reopen of a loaded variable loads it again with the new mode.
    assert_eq!(s(&t, 7)["arrays"]["b"]["mode"], "c");
    assert_eq!(s(&t, 7)["arrays"]["b"]["offset"], 128);
}

#[test]
fn a_forked_worker_is_seen_through_shared_maps_only() {
    let t = trace(
        "title: fork\nsteps:
  - {op: open, file: s.dat, dtype: float32, mode: w+, shape: 3}
  - {op: open, var: p, file: s.dat, dtype: float32, mode: c}
  - {op: open, var: r, file: s.dat, dtype: float32, mode: r}
  - {op: assign, index: 'p[2]', value: 5}
  - {op: fork_write, index: 'arr[0]', value: 1.5}
  - {op: fork_write, index: 'p[1]', value: 7}
  - {op: fork_write, index: 'r[1]', value: 7, expect_error: read-only}
  - {op: fork_write, index: 'arr[:]', value: [1, 2], expect_error: broadcast}
",
    );
    let shared = s(&t, 5);
    assert_eq!(shared["op"], "fork_write");
    assert_eq!(shared["arrays"]["arr"]["str"], "[1.5 0.  0. ]");
    assert_eq!(shared["arrays"]["r"]["str"], "[1.5 0.  0. ]");
    assert_eq!(shared["file"]["str"], "[1.5 0.  0. ]");
    assert_eq!(shared["child"]["exit_code"], 0);
    assert_eq!(shared["child"]["wrote"], "0000c03f");
    assert_ne!(shared["child"]["pid"], 0);
    // p copied the page at step 4, so it does not see the shared store; its worker's store died with it.
    assert_eq!(shared["arrays"]["p"]["str"], "[0. 0. 5.]");
    assert_eq!(s(&t, 6)["arrays"]["p"]["str"], "[0. 0. 5.]");
    assert_eq!(s(&t, 6)["arrays"]["arr"]["str"], "[1.5 0.  0. ]");
    assert_eq!(
        s(&t, 7)["error"],
        "ValueError: assignment destination is read-only"
    );
    assert!(
        s(&t, 8)["error"]
            .as_str()
            .unwrap_or("")
            .contains("could not broadcast"),
        "{}",
        s(&t, 8)["error"]
    );
}

#[test]
fn the_ops_validate_strictly() {
    for (yaml, want) in [
        ("  - {op: load, file: d.npy}", "needs `mode`"),
        ("  - {op: load, file: d.npy, mode: r, dtype: float32}", "dtype"),
        ("  - {op: open_memmap, file: d.npy, mode: w+, offset: 3}", "offset"),
        ("  - {op: open, file: d.dat, mode: w+, shape: 2}\n  - {op: fork_write, index: 'arr[0]'}", "value"),
    ] {
        let (code, out, err) = run(&format!("title: t\nsteps:\n{yaml}\n"), &["check"]);
        assert_eq!(code, Some(2), "{yaml}: {out}{err}");
        assert!(format!("{out}{err}").contains(want), "{yaml}: {out}{err}");
    }
}

#[test]
fn export_writes_np_load_open_memmap_and_a_forked_worker() {
    let yaml = format!(
        "{NPY}  - {{op: open, var: x, file: x.dat, dtype: uint8, mode: w+, shape: 2}}\n  - {{op: fork_write, var: x, index: 'x[0]', value: 9}}\n"
    );
    let (code, out, err) = run(&yaml, &["export", "python"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(
        "a = np.lib.format.open_memmap('d.npy', mode='w+', dtype='int16', shape=(2, 3), fortran_order=True)"
    ), "{out}");
    assert!(out.contains("b = np.load('d.npy', mmap_mode='r')"), "{out}");
    assert!(out.contains("b = np.load('d.npy', mmap_mode='c')"), "{out}");
    assert!(out.contains("def in_forked_worker(work):"), "{out}");
    assert!(
        out.contains("    x[0] = 9  # through the mapping inherited from this process\n"),
        "{out}"
    );
    assert!(out.contains("import pickle"), "{out}");
}

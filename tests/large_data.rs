//! Large data stays cheap: probe and print work does not grow with the file, page maps show only
//! touched pages, and the large built-in lessons run (the 1 GiB one only with `--ignored`).

use std::path::Path;

use memmap_tutor::cli::{ColorChoice, Format, OutputArgs, ViewName};
use memmap_tutor::commands::run::render;
use memmap_tutor::lesson::{self, LoadedLesson};
use memmap_tutor::probe::{fs_info, probe_work, ProbeWork};
use memmap_tutor::runner::Runner;
use memmap_tutor::trace::{Measured, Trace};

/// The same work on a float32 array of `n` elements: two slices written, flushed, read back.
fn lesson_text(n: u64) -> String {
    format!(
        r#"title: cost
steps:
  - op: open
    file: a.dat
    dtype: float32
    mode: w+
    shape: {n}
  - op: assign
    index: "[0:1000]"
    value: np.arange(1000)
  - op: assign
    index: "[-1000:]"
    value: 5
  - op: flush
  - op: read
    index: "[995:1005]"
  - op: read
    index: "[-3:]"
  - op: close
"#
    )
}

fn load_text(dir: &Path, name: &str, text: &str) -> LoadedLesson {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write lesson");
    lesson::load(&path.display().to_string()).expect("valid lesson")
}

fn text_output() -> OutputArgs {
    OutputArgs {
        format: Format::Text,
        color: ColorChoice::Never,
        width: Some(120),
    }
}

/// Run a lesson and render every view as text; returns the trace and the work the probes did.
fn run_and_print(lesson: &LoadedLesson, workdir: &Path) -> (Trace, ProbeWork, String) {
    let before = probe_work();
    let trace = Runner::new(lesson, workdir).run_all();
    let out = render(lesson, &trace, &ViewName::ALL, &text_output());
    let after = probe_work();
    let work = ProbeWork {
        preads: after.preads - before.preads,
        pread_bytes: after.pread_bytes - before.pread_bytes,
        cachestat_calls: after.cachestat_calls - before.cachestat_calls,
    };
    (trace, work, out)
}

#[test]
fn probe_and_print_cost_does_not_grow_with_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small_dir = dir.path().join("small");
    let huge_dir = dir.path().join("huge");
    std::fs::create_dir(&small_dir).expect("mkdir");
    std::fs::create_dir(&huge_dir).expect("mkdir");
    // 1 MiB and 16 GiB of float32; the big file is sparse, so it costs a few pages of disk.
    let small = load_text(dir.path(), "small.yaml", &lesson_text(1 << 18));
    let huge = load_text(dir.path(), "huge.yaml", &lesson_text(1 << 32));
    let (ts, ws, _) = run_and_print(&small, &small_dir);
    let (th, wh, out) = run_and_print(&huge, &huge_dir);
    assert!(th.steps.iter().all(|s| s.ok), "{:?}", th.steps[0].error);
    assert_eq!(th.steps[0].file.as_ref().map(|f| f.size), Some(16 << 30));
    // Same work on both files, exactly: the page map has 64 cells either way, printing reads the
    // six elements NumPy shows, hex dumps read their 64 bytes.
    eprintln!("probe work: 1 MiB file {ws:?}, 16 GiB file {wh:?}");
    assert_eq!(ws, wh, "small {ws:?} vs huge {wh:?}");
    assert!(wh.pread_bytes < 64 * 1024, "{wh:?}");
    // Bounded per step: page count + page map cells; 7 steps.
    assert!(wh.cachestat_calls <= 7 * (2 + 64 + 64), "{wh:?}");
    // Summarised as NumPy prints it.
    assert!(out.contains("[0. 1. 2. ... 5. 5. 5.]"), "{out}");
    assert_eq!(ts.steps.len(), th.steps.len());
}

/// First line of a step's page map for `file`.
fn cells(trace: &Trace, step: usize, file: &str) -> String {
    match trace.steps[step - 1].page_map.get(file) {
        Some(Measured::Value(m)) => m.cells.clone(),
        other => panic!("no page map for {file} at step {step}: {other:?}"),
    }
}

#[test]
fn page_map_marks_only_touched_cells_of_a_sparse_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let on_disk = fs_info(dir.path()).value().is_some_and(|f| f.has_disk);
    let lesson = load_text(dir.path(), "l.yaml", &lesson_text(1 << 32));
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let trace = Runner::new(&lesson, &work).run_all();
    let after_writes = cells(&trace, 3, "a.dat");
    assert_eq!(after_writes.chars().count(), 64);
    assert_eq!(after_writes.chars().next(), Some('D'), "{after_writes}");
    assert_eq!(after_writes.chars().last(), Some('D'), "{after_writes}");
    let middle: String = after_writes.chars().skip(1).take(62).collect();
    assert!(!middle.contains('D'), "{after_writes}");
    if on_disk {
        // Never written, never read: holes (no disk blocks, nothing cached).
        assert!(middle.chars().all(|c| c == '-'), "{after_writes}");
    }
    let after_flush = cells(&trace, 4, "a.dat");
    assert!(!after_flush.contains('D'), "{after_flush}");
    let m = match &trace.steps[3].page_map["a.dat"] {
        Measured::Value(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(m.total_pages, 1 << 22);
    assert_eq!(m.pages_per_cell, 1 << 16);
    assert!(m.legend.contains("D dirty"));
}

#[test]
fn views_show_the_page_map_and_legend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lesson = load_text(dir.path(), "l.yaml", &lesson_text(1 << 20));
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let (_, _, out) = run_and_print(&lesson, &work);
    assert!(
        out.contains("Page map of a.dat: 1024 pages, 16 pages (64 KiB) per cell"),
        "{out}"
    );
    assert!(out.contains("Page map"), "{out}");
    assert!(out.contains("- hole (no disk block)"), "{out}");
}

/// `cargo test -- --ignored`: the built-in 1 GiB and 64 GiB lessons (1 GiB of real disk space).
#[test]
#[ignore]
fn large_builtin_lessons_run() {
    for name in ["bigger-than-ram", "large-array"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let lesson = lesson::load(name).expect("built-in");
        let trace = Runner::new(&lesson, dir.path()).run_all();
        assert!(trace.steps.iter().all(|s| s.ok), "{name}");
        let file = trace.steps[0].arrays["arr"].file.clone();
        let written = trace
            .steps
            .iter()
            .find(|s| s.op == "flush")
            .map(|s| cells(&trace, s.step, &file))
            .unwrap_or_default();
        assert!(!written.contains('D'), "{name}: {written}");
        if name == "large-array" {
            assert!(written.chars().all(|c| c == '#'), "{written}");
        }
    }
}

#[test]
fn no_probes_env_turns_the_probes_off_and_says_so() {
    let run = |off: bool| -> serde_json::Value {
        let mut cmd = assert_cmd::Command::cargo_bin("memmap-tutor").expect("binary");
        cmd.args(["run", "--format", "json"]);
        if off {
            cmd.env("MEMMAP_TUTOR_NO_PROBES", "1");
        } else {
            cmd.env_remove("MEMMAP_TUTOR_NO_PROBES");
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        serde_json::from_slice(&out).expect("json")
    };
    let on = run(false);
    let off = run(true);
    let step2 = |v: &serde_json::Value| v["steps"][1].clone();
    assert!(step2(&on)["page_map"]["large_data.dat"]["cells"].is_string());
    assert!(step2(&on)["elapsed_ms"].is_number());
    assert_eq!(step2(&off)["page_map"], serde_json::json!({}));
    assert!(step2(&off)["pages"].is_null());
    assert!(step2(&off)["disk_write_detail"]
        .as_str()
        .is_some_and(|d| d.contains("probes off")));
    // The program's view is still recorded.
    assert_eq!(
        step2(&off)["arrays"]["arr"]["str"],
        step2(&on)["arrays"]["arr"]["str"]
    );
}

/// A fill above the progress threshold (128 MiB): no progress bar when stderr is not a terminal.
#[test]
fn long_fill_draws_no_progress_bar_when_piped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = lesson_text(1 << 25).replace(
        "    index: \"[0:1000]\"\n    value: np.arange(1000)",
        "    index: \"[:]\"\n    value: np.arange(33554432)",
    );
    assert!(text.contains("np.arange(33554432)"));
    let path = dir.path().join("fill.yaml");
    std::fs::write(&path, text).expect("write");
    let out = assert_cmd::Command::cargo_bin("memmap-tutor")
        .expect("binary")
        .args(["run", "--view", "table", "--workdir"])
        .arg(dir.path().join("work"))
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Page map"));
}

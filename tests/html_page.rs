//! `run --format html`: one self-contained page built on the JSON trace (structure only; the browser tests in
//! tests/browser/ drive it in Chromium).

mod common;

use common::{run_json, tutor};
use serde_json::Value;

/// The page of a lesson (default when `lesson` is None), from stdout.
fn page(args: &[&str]) -> String {
    let out = tutor()
        .arg("run")
        .args(args)
        .args(["--format", "html"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 page")
}

/// The text of the `<script type="application/json" id="trace-data">` element.
fn data_text(page: &str) -> &str {
    let open = "<script type=\"application/json\" id=\"trace-data\">";
    let start = page.find(open).expect("data block") + open.len();
    let len = page[start..].find("</script>").expect("data block ends");
    &page[start..start + len]
}

fn data(page: &str) -> Value {
    serde_json::from_str(data_text(page)).expect("the embedded data is JSON")
}

const VIEWS: [(&str, &str); 9] = [
    ("flow", "Concept Flow"),
    ("sample", "Execution Sample"),
    ("steps", "Step-by-Step Trace"),
    ("table", "Execution Table"),
    ("tracker", "Variable Tracker"),
    ("moments", "Key Moments"),
    ("quiz", "Visual Quiz"),
    ("snapshot", "Concept Snapshot"),
    ("transcript", "Full Transcript"),
];

#[test]
fn default_page_has_the_nine_tabs_and_panels_in_lesson_order() {
    let p = page(&[]);
    assert!(p.starts_with("<!DOCTYPE html>"));
    assert!(p.contains("role=\"tablist\""));
    let mut at = 0;
    for (id, title) in VIEWS {
        let tab = format!(
            "<button type=\"button\" role=\"tab\" id=\"tab-{id}\" aria-controls=\"panel-{id}\""
        );
        let pos = p[at..]
            .find(&tab)
            .unwrap_or_else(|| panic!("tab {id} missing or out of order"));
        at += pos;
        assert!(p[at..].contains(&format!(">{title}</button>")), "{title}");
        assert!(
            p.contains(&format!(
                "role=\"tabpanel\" class=\"panel\" id=\"panel-{id}\" aria-labelledby=\"tab-{id}\""
            )),
            "panel {id}"
        );
    }
    assert_eq!(p.matches("role=\"tab\"").count(), 9);
    assert_eq!(p.matches("role=\"tabpanel\"").count(), 9);
}

#[test]
fn default_page_is_self_contained_and_under_100_kb() {
    let p = page(&[]);
    assert!(p.len() < 100_000, "default page is {} bytes", p.len());
    let csp = p
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSP meta");
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline'; script") && !csp.contains("unsafe-eval"));
    let lower = p.to_lowercase();
    for remote in [
        "http://", "https://", "src=", "<link", "@import", "url(", "<iframe", "<img",
    ] {
        assert!(!lower.contains(remote), "the page holds {remote:?}");
    }
    // Exactly the two script elements of the template: the data block and the code.
    assert_eq!(lower.matches("<script").count(), 2);
    assert_eq!(lower.matches("</script").count(), 2);
}

/// The run-independent part of a JSON trace: what the lesson did and what the program and read(2) saw.
fn stable(trace: &Value) -> Value {
    let steps: Vec<Value> = trace["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s["step"], "action": s["action"], "op": s["op"], "code": s["code"], "ok": s["ok"],
                "error": s["error"], "arrays": s["arrays"], "note": s["note"],
                "file": s["file"].as_object().map(|f| serde_json::json!({
                    "path": f["path"], "size": f["size"], "str": f["str"], "hex": f["hex"],
                })),
            })
        })
        .collect();
    let quiz: Vec<Value> = trace["quiz"]
        .as_array()
        .expect("quiz")
        .iter()
        .map(|q| serde_json::json!([q["question"], q["choices"], q["about_step"]]))
        .collect();
    serde_json::json!({
        "lesson": { "source": trace["lesson"]["source"], "title": trace["lesson"]["title"],
                    "text": trace["lesson"]["text"] },
        "steps": steps,
        "quiz": quiz,
    })
}

#[test]
fn embedded_trace_is_the_json_format_of_the_same_lesson() {
    for lesson in ["numpy-memmap-basics", "copy-on-write", "byte-layout"] {
        let d = data(&page(&[lesson]));
        let json = run_json(&[lesson]);
        assert_eq!(stable(&d["trace"]), stable(&json), "{lesson}");
        // The same top-level fields, and every step with the same fields as the json format has.
        let keys = |v: &Value| {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&d["trace"]), keys(&json), "{lesson}");
        for (a, b) in d["trace"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(json["steps"].as_array().unwrap())
        {
            assert_eq!(keys(a), keys(b), "{lesson}");
        }
        // What the page adds is per step of this very trace.
        let n = d["trace"]["steps"].as_array().unwrap().len();
        assert_eq!(d["page"]["steps"].as_array().unwrap().len(), n);
        let rows = d["page"]["table"]["rows"].as_array().unwrap();
        assert_eq!(rows.len(), n);
        for (row, s) in rows.iter().zip(d["trace"]["steps"].as_array().unwrap()) {
            assert_eq!(row[0], Value::String(s["step"].to_string()));
            assert_eq!(row[1], s["action"]);
        }
    }
}

#[test]
fn json_trace_carries_the_quiz_answers_the_terminal_quiz_derives() {
    let trace = run_json(&[]);
    let quiz = trace["quiz"].as_array().expect("quiz array");
    let asked = trace["lesson"]["text"]["quiz"].as_array().unwrap();
    assert_eq!(quiz.len(), asked.len());
    // The first-disk-write question: answered from the Disk Write column of this trace.
    let first_write = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["disk_write"] == true)
        .map(|s| format!("Step {}", s["step"]));
    let q = quiz
        .iter()
        .find(|q| q["measured"]["kind"] == "first_disk_write")
        .expect("the default lesson asks when data reaches the disk");
    assert_eq!(
        q["measured"]["answer"].as_str().map(String::from),
        first_write
    );
    if let Some(i) = q["answer_index"].as_u64() {
        assert_eq!(
            q["choices"][i as usize].as_str().map(String::from),
            first_write
        );
        assert_eq!(
            q["answer"],
            Value::String(((b'A' + i as u8) as char).to_string())
        );
    }
    assert!(q["explanation"]
        .as_str()
        .unwrap()
        .contains("The Disk Write column"));
    // Answering the terminal quiz with the trace's letters scores every graded question.
    let letters: Vec<String> = quiz
        .iter()
        .map(|q| q["answer"].as_str().unwrap_or("A").to_string())
        .collect();
    let graded = quiz.iter().filter(|q| !q["answer"].is_null()).count();
    let out = tutor()
        .args(["quiz", "--answers", &letters.join(",")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Score: {graded}/{graded}")),
        "{text}"
    );
}

const HOSTILE: &str = r#"title: "</script><script>alert(1)</script><!--{{SCRIPT}}{{DATA}}"
subject: "<b>x</b> & </SCRIPT >"
steps:
  - op: open
    var: arr
    file: "h.dat"
    dtype: int16
    mode: w+
    shape: [2]
    action: "<img src=x onerror=alert(2)>"
    note: "</script ><script>alert(3)</script>"
key_moments:
  - question: "<iframe src='https://example.com/'></iframe>"
    answer: "]]> --> <!-- <script>"
snapshot: ["<style>body{display:none}</style>"]
"#;

#[test]
fn markup_in_lesson_text_cannot_leave_the_data_block() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("hostile.yaml");
    std::fs::write(&lesson, HOSTILE).unwrap();
    let p = page(&[lesson.to_str().unwrap()]);
    let lower = p.to_lowercase();
    assert_eq!(lower.matches("<script").count(), 2, "{p}");
    assert_eq!(lower.matches("</script").count(), 2);
    for tag in ["<img", "<iframe", "<style>body", "<b>", "<!--"] {
        assert!(!lower.contains(tag), "{tag} reached the page as markup");
    }
    assert!(!data_text(&p).contains('<'));
    let d = data(&p);
    assert_eq!(
        d["trace"]["lesson"]["title"],
        "</script><script>alert(1)</script><!--{{SCRIPT}}{{DATA}}"
    );
    assert_eq!(
        d["trace"]["steps"][0]["note"],
        "</script ><script>alert(3)</script>"
    );
    // The title element shows the title escaped.
    assert!(p.contains(
        "<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--{{SCRIPT}}{{DATA}} - "
    ));
    // Placeholders spelled by lesson text stay text: the script and the data appear once each.
    assert_eq!(
        p.matches("JSON.parse(document.getElementById(\"trace-data\")")
            .count(),
        1
    );
}

#[test]
fn output_file_option_writes_the_page_there() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("basics.html");
    let out = tutor()
        .args(["run", "--format", "html", "-o", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote "));
    let p = std::fs::read_to_string(&file).unwrap();
    assert!(p.starts_with("<!DOCTYPE html>") && p.trim_end().ends_with("</html>"));
    data(&p);
    // An unwritable path is an error with exit 1, not a panic.
    let bad = dir.path().join("missing-dir").join("x.html");
    tutor()
        .args(["run", "--format", "html", "-o", bad.to_str().unwrap()])
        .assert()
        .code(1);
}

#[test]
fn a_large_array_page_holds_only_what_the_trace_holds() {
    // 16 MiB of float64: the page carries the trace's summaries (NumPy's `...` printing, a bounded hex dump
    // and page map), never the array.
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("big.yaml");
    std::fs::write(
        &lesson,
        "title: big\nsteps:\n  - {op: open, var: a, file: big.dat, dtype: float64, mode: w+, shape: [2048, 1024]}\n  \
         - {op: assign, var: a, index: 'a[:]', value: '1.5'}\n  - {op: flush, var: a}\n",
    )
    .unwrap();
    let p = page(&[lesson.to_str().unwrap()]);
    let d = data(&p);
    let trace_len = serde_json::to_string(&d["trace"]).unwrap().len();
    assert!(
        p.len() < 120_000,
        "a 16 MiB array made a {} byte page",
        p.len()
    );
    assert!(trace_len < 40_000, "trace is {trace_len} bytes");
    assert!(d["trace"]["steps"][1]["arrays"]["a"]["str"]
        .as_str()
        .unwrap()
        .contains("..."));
}

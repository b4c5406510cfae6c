//! `export python` can never carry code: lessons with arbitrary text and file names are exported,
//! and Python's own parser (`ast`) must find exactly the statements of the same lesson with
//! harmless text — never one more. Skips with a printed reason where python3 is missing.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use memmap_tutor::export::python::{python_script, ScriptOptions};
use memmap_tutor::lesson::load_str;
use proptest::prelude::*;

/// The Python side: parse both scripts, blank every string constant, compare the trees.
const COMPARE: &str = r#"
import ast, sys
def shape(path):
    src = open(path, encoding='utf-8').read()
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ''
    return ast.dump(tree)
a, b = shape(sys.argv[1]), shape(sys.argv[2])
if a != b:
    print('DIFFERENT')
    print(a)
    print(b)
    sys.exit(1)
print('same')
"#;

fn python_available() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("import ast")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A YAML double-quoted scalar holding exactly `s` (every non-printable-ASCII char escaped).
fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A lesson using every op that writes lesson text into the export, with `t` as every free text
/// and `f` inside the file name.
fn lesson(t: &str, f: &str) -> String {
    let file = yaml_str(&format!("d{f}.dat"));
    let t = yaml_str(t);
    format!(
        r#"title: {t}
summary: {t}
steps:
  - op: open
    var: arr
    file: {file}
    dtype: float32
    mode: w+
    shape: [4]
    action: {t}
    note: {t}
  - op: assign
    var: arr
    index: "[0]"
    value: 1.5
    note: {t}
  - op: read
    var: arr
    index: "[9]"
    expect_error: {t}
    note: {t}
  - op: external_write
    file: {file}
    offset: 0
    bytes: "01 02"
    action: {t}
  - op: external_read
    file: {file}
    offset: 0
    length: 4
    note: {t}
  - op: crash
    var: arr
    index: "[1]"
    value: 2
    note: {t}
  - op: truncate
    file: {file}
    size: 8
    note: {t}
  - op: close
    var: arr
    note: {t}
quiz:
  - question: {t}
    choices: [{t}, "b"]
    answer: A
"#
    )
}

/// Export `yaml` (loaded as `source`), or None when the lesson is refused (an invalid file name).
fn export(source: &str, yaml: &str, instrument: bool) -> Option<String> {
    let l = load_str(source, yaml).ok()?;
    Some(python_script(&l, ScriptOptions { instrument }))
}

/// Run the comparison; Err with Python's output when the trees differ.
fn same_statements(hostile: &str, benign: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (a, b) = (dir.path().join("a.py"), dir.path().join("b.py"));
    std::fs::write(&a, hostile).map_err(|e| e.to_string())?;
    std::fs::write(&b, benign).map_err(|e| e.to_string())?;
    let mut child = Command::new("python3")
        .arg("-")
        .arg(&a)
        .arg(&b)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(COMPARE.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}\n--- hostile export ---\n{hostile}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Pieces of hostile text: every line terminator Python or a terminal knows, quotes, and code.
const PIECES: &[&str] = &[
    "\r",
    "\n",
    "\r\n",
    "\x0b",
    "\x0c",
    "\0",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{202e}",
    "\u{feff}",
    "\x1b[2J",
    "\x1b]52;c;aGk=\x07",
    "\t",
    "\\",
    "'",
    "\"",
    "'''",
    "#",
    "import os; os.system('touch /tmp/pwned') #",
    "print(1)",
    "\\\r",
    ")",
    "é",
    " ",
    "x",
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|v| v.concat()),
        ".{0,20}".prop_map(|s: String| s),
        prop::collection::vec(any::<char>(), 0..12).prop_map(|v| v.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn exported_lessons_parse_to_exactly_the_expected_statements(
        t in hostile_text(),
        f in hostile_text(),
        source in hostile_text(),
        instrument in any::<bool>(),
    ) {
        if !python_available() {
            eprintln!("skip: python3 is not installed");
            return Ok(());
        }
        // A file name the loader refuses (a `/`, `..`) is not exported at all: nothing to check.
        let Some(hostile) = export(&source, &lesson(&t, &f), instrument) else {
            return Ok(());
        };
        let benign = export("lesson.yaml", &lesson("t", "f"), instrument)
            .expect("the benign lesson loads");
        prop_assert!(same_statements(&hostile, &benign).is_ok(), "{}", same_statements(&hostile, &benign).unwrap_err());
    }
}

/// The issue's payload through the real binary: a CR in a note must not start a statement.
#[test]
fn cr_in_a_note_or_title_stays_in_its_comment() {
    if !python_available() {
        eprintln!("skip: python3 is not installed");
        return;
    }
    let payload = "x\rimport os; os.system('touch pwned') #\r";
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = dir.path().join("hostile.yaml");
    let benign = dir.path().join("benign.yaml");
    std::fs::write(&hostile, lesson(payload, payload)).expect("write");
    std::fs::write(&benign, lesson("t", "f")).expect("write");
    let mut scripts = Vec::new();
    for path in [&hostile, &benign] {
        let out = common::tutor()
            .arg("export")
            .arg("python")
            .arg(path)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(!text.contains('\r'), "a raw CR reached the export");
        scripts.push(text);
    }
    assert!(
        scripts[0].contains("x\\rimport os"),
        "the CR is shown escaped"
    );
    if let Err(e) = same_statements(&scripts[0], &scripts[1]) {
        panic!("{e}");
    }
}

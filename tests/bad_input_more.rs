//! Hostile input found by the mutation fuzzer (`tests/hostile/mutate.py`) and by hand in session
//! 12, each through the real binary: where the location of an error goes (`verify`, non-UTF-8
//! bytes), lesson paths that are not regular files (a FIFO would block, /dev/zero never ends), DEL
//! and C1 controls in an HTML page, and a `--workdir` that is not a directory.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{listing, tutor};

/// (exit code, stdout, stderr) of the binary run in `cwd` with a private TMPDIR; never a panic
/// or a signal death.
fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tutor()
        .current_dir(cwd)
        .env("TMPDIR", tmp.path())
        .args(args)
        .write_stdin("")
        .timeout(Duration::from_secs(300))
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(code, 101, "panicked: {stderr}");
    assert_ne!(code, -1, "died of a signal or timed out: {stderr}");
    assert!(
        listing(tmp.path()).is_empty(),
        "TMPDIR left: {:?}",
        listing(tmp.path())
    );
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// `verify` of an invalid lesson says where on stderr, like every other command (it said only
/// "invalid lesson: l.yaml", the location was on stdout).
#[test]
fn verify_names_the_location_of_an_invalid_lesson_on_stderr() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: t\nsteps:\n  - op: open\n    file: a.dat\n    file: b.dat\n",
    )
    .unwrap();
    std::fs::write(
        cwd.path().join("m.yaml"),
        "title: t\nsteps:\n  - {op: open, file: a.dat, mode: w+, shape: 4, dtype: S4}\n",
    )
    .unwrap();
    let (code, out, err) = run(cwd.path(), &["verify", "l.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("memmap-tutor: l.yaml:3:5: "), "{err}");
    assert!(out.contains("INVALID l.yaml:3:5:"), "{out}");
    let (code, _, err) = run(cwd.path(), &["verify", "l.yaml", "m.yaml"]);
    assert_eq!(code, 2, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("memmap-tutor: l.yaml:3:5: "), "{err}");
    assert!(
        lines[1].starts_with("memmap-tutor: m.yaml: step 1, field `dtype`"),
        "{err}"
    );
}

/// A lesson path that is a FIFO or a device is refused at once (a FIFO blocked the
/// read forever, /dev/zero filled memory); a non-UTF-8 byte is located by line and column.
#[test]
fn a_lesson_must_be_a_regular_utf8_file() {
    let cwd = tempfile::tempdir().unwrap();
    let fifo = std::ffi::CString::new(cwd.path().join("fifo.yaml").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    for (lesson, says) in [
        ("fifo.yaml", "fifo.yaml: is not a regular file"),
        ("/dev/zero", "/dev/zero: is not a regular file"),
    ] {
        for cmd in ["run", "check", "verify"] {
            let (code, _, err) = run(cwd.path(), &[cmd, lesson]);
            assert_eq!(code, 2, "{cmd} {lesson}: {err}");
            assert!(err.contains(says), "{cmd} {lesson}: {err}");
        }
    }
    std::fs::write(
        cwd.path().join("latin1.yaml"),
        b"title: caf\xe9\nsteps:\n  - {op: flush}\n",
    )
    .unwrap();
    let (code, _, err) = run(cwd.path(), &["check", "latin1.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("memmap-tutor: latin1.yaml:1:11: not UTF-8 text (invalid byte 0xe9"),
        "{err}"
    );
}

/// An HTML page carries no raw DEL, C1 control or bidi override from the lesson (the embedded
/// JSON escapes them; the page may be `cat`ed), and the data keeps them exactly.
#[test]
fn an_html_page_carries_no_raw_control_character() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: \"del\\x7f c1\\x9b31m bidi\\u202e\"\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 4\n    note: \"n\\x7f\\x85\\u2028\"\n",
    )
    .unwrap();
    let (code, _, err) = run(
        cwd.path(),
        &["run", "l.yaml", "--format", "html", "-o", "p.html"],
    );
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(cwd.path().join("p.html")).unwrap();
    let bad: Vec<char> = page
        .chars()
        .filter(|&c| memmap_tutor::term_safe::is_unsafe(c) && c != '\t')
        .collect();
    assert!(bad.is_empty(), "raw controls in the page: {bad:?}");
    assert!(
        page.contains("del\\u007f c1\\u009b31m bidi\\u202e"),
        "the title's escapes"
    );
}

/// A `--workdir` that is a file, a FIFO or a device is refused with a message naming it (it said
/// "File exists (os error 17)"), and nothing is changed.
#[test]
fn a_workdir_that_is_not_a_directory_is_named() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("file"), b"mine").unwrap();
    for (dir, says) in [
        ("file", "file: it exists and is not a directory"),
        ("/dev/null", "/dev/null: it exists and is not a directory"),
    ] {
        let (code, _, err) = run(cwd.path(), &["run", "--workdir", dir, "--format", "json"]);
        assert_eq!(code, 1, "{dir}: {err}");
        assert!(
            err.starts_with("memmap-tutor: cannot prepare the work directory: ")
                && err.contains(says),
            "{dir}: {err}"
        );
    }
    assert_eq!(std::fs::read(cwd.path().join("file")).unwrap(), b"mine");
    assert_eq!(listing(cwd.path()), ["file"]);
}

/// `run --format markdown` carries no raw HTML and no link from the lesson outside code spans
/// (a Markdown renderer would run `<script>`, `<img onerror>` or a `javascript:` link): `<`
/// before a tag becomes `&lt;`, an inline link's `](` becomes `]\(`. Code spans stay exact.
#[test]
fn markdown_notes_carry_no_html_or_links() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("l.yaml"),
        "title: \"<script>alert(1)</script> T\"\nsummary: \"[x](javascript:alert(1))\"\nsteps:\n  - op: open\n    file: a.dat\n    mode: w+\n    shape: 4\n    note: \"<img src=x onerror=alert(1)> and `dtype='<f4'`\"\n    action: \"[a](javascript:alert(2)) <b>bold</b>\"\n",
    )
    .unwrap();
    let (code, out, err) = run(cwd.path(), &["run", "l.yaml", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    // Fenced blocks (the concept-flow picture, code) are shown verbatim by Markdown: left out.
    let prose: String = out.split("```").step_by(2).collect::<Vec<_>>().join("\n");
    for raw in ["<script", "<img", "<b>", "](javascript"] {
        assert!(!prose.contains(raw), "raw {raw:?} in the Markdown:\n{out}");
    }
    assert!(out.contains("&lt;script>alert(1)&lt;/script> T"), "{out}");
    assert!(
        out.contains("`dtype='<f4'`"),
        "code spans stay exact:\n{out}"
    );
}

//! A hostile-lesson generator: random lessons assembled from every op with fields chosen to hurt
//! (paths out of the work directory, symlinks, a FIFO, the user's own file, negative and huge
//! shapes, 65 dimensions, bad indexes, escape sequences), run through the real binary in a
//! `--workdir` that holds a user's file, a symlink leading out and a FIFO. Every run must:
//! exit 0 (run-time faults are error steps) or 2 with a location, never panic or die of a signal,
//! touch nothing outside the work directory, and leave the user's file as it was.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{listing, tutor};
use proptest::prelude::*;

const FILES: &[&str] = &[
    "a.dat",
    "b.dat",
    "./a.dat",
    "sub/c.dat",
    "user.dat",
    "link/x.dat",
    "out.dat",
    "fifo",
    "../escape.dat",
    "/etc/passwd",
    "sub/../../escape.dat",
    "",
    ".",
    "e\u{1b}[2J.dat",
    "sub",
];
const MODES: &[&str] = &["r", "r+", "w+", "c", "w+", "r+", "rw", "readwrite"];
const DTYPES: &[&str] = &[
    "uint8", "float32", "int64", "<i2", ">f8", "bool", "f3", "V8",
];
const SHAPES: &[&str] = &[
    "4",
    "[2, 3]",
    "16",
    "0",
    "-1",
    "[-2, 3]",
    "1125899906842624",
    "[65536, 65536, 65536]",
    "9223372036854775807",
    "[]",
    "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    "x",
];
const INDEXES: &[&str] = &[
    "'[0]'",
    "'[:]'",
    "'[-1]'",
    "'[99]'",
    "'[::2]'",
    "'[1:0]'",
    "'[..., None]'",
    "'[0, 0]'",
    "'[9223372036854775807]'",
    "'[::0]'",
    "'[[[['",
    "'\u{1b}[2J'",
];
const VALUES: &[&str] = &[
    "1",
    "300",
    "-1",
    "2.5",
    "nan",
    "'np.arange(4)'",
    "'np.arange(16).reshape(4, 4)'",
    "'np.ones((65536, 65536))'",
    "[1, 2, 3]",
    "True",
    "'1 +'",
    "99999999999999999999999",
];
const OFFSETS: &[&str] = &["0", "1", "4096", "-1", "9223372036854775807"];
const VARS: &[&str] = &["a", "b", "c", "arr", "1x", "a b"];

/// Mostly one of the first `good` entries (a lesson that runs and meets run-time faults), now
/// and then anything in the list (a lesson the loader or pre-flight must refuse).
fn pick(v: &'static [&'static str], good: usize) -> BoxedStrategy<&'static str> {
    prop_oneof![
        6 => prop::sample::select(&v[..good]),
        1 => prop::sample::select(v),
    ]
    .boxed()
}

/// One random step as YAML lines.
fn step() -> impl Strategy<Value = String> {
    (
        0..12usize,
        pick(VARS, 1),
        pick(FILES, 4),
        pick(MODES, 6),
        pick(DTYPES, 6),
        pick(SHAPES, 4),
        pick(INDEXES, 7),
        pick(VALUES, 10),
        pick(OFFSETS, 3),
        any::<bool>(),
    )
        .prop_map(|(op, var, file, mode, dtype, shape, index, value, offset, flag)| {
            let file = format!("\"{}\"", file.replace('\u{1b}', "\\e"));
            let index = index.replace('\u{1b}', "\\e");
            match op {
                0 | 1 => format!("  - op: open\n    var: {var}\n    file: {file}\n    mode: {mode}\n    dtype: '{dtype}'\n    shape: {shape}\n{}", if flag { format!("    offset: {offset}\n") } else { String::new() }),
                2 => format!("  - op: assign\n    var: {var}\n    index: {index}\n    value: {value}\n"),
                3 => format!("  - op: read\n    var: {var}\n    index: {index}\n"),
                4 => format!("  - op: external_write\n    file: {file}\n    offset: {offset}\n    bytes: \"41 42 43\"\n"),
                5 => format!("  - op: external_read\n    file: {file}\n    offset: {offset}\n    length: 8\n"),
                6 => format!("  - op: truncate\n    file: {file}\n    size: {}\n    touch: {flag}\n", if flag { "0" } else { "3" }),
                7 => format!("  - op: crash\n    var: {var}\n    index: {index}\n    value: {value}\n"),
                8 => format!("  - op: close\n    var: {var}\n"),
                9 => format!("  - op: flush\n    var: {var}\n"),
                10 => format!("  - op: evict\n    var: {var}\n"),
                _ => format!("  - op: flush_range\n    var: {var}\n    offset: {offset}\n    length: 8\n"),
            }
        })
}

fn lesson() -> impl Strategy<Value = String> {
    prop::collection::vec(step(), 1..8).prop_map(|steps| {
        format!(
            // A valid first open, so most lessons run and meet their faults at run time.
            "title: \"hostile \\e]52;c;aGk=\\a\"\nsteps:\n  - op: open\n    var: a\n    file: a.dat\n    mode: w+\n    shape: 16\n{}",
            steps.concat()
        )
    })
}

/// (size, mtime, bytes) of a file, or None.
fn fingerprint(p: &Path) -> Option<(u64, i64, Vec<u8>)> {
    let m = std::fs::symlink_metadata(p).ok()?;
    Some((
        m.len(),
        m.mtime_nsec() + m.mtime() * 1_000_000_000,
        std::fs::read(p).ok()?,
    ))
}

/// True when stderr names a location: `file:line:column`, `step N, field`, or a section.
fn has_location(err: &str) -> bool {
    let Some(rest) = err.strip_prefix("memmap-tutor: l.yaml") else {
        return false;
    };
    let line_col = rest.starts_with(':')
        && rest[1..]
            .split(':')
            .take(2)
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    line_col
        || rest.starts_with(": step ")
        || rest.starts_with(": steps:")
        || rest.starts_with(": title:")
}

fn check(yaml: &str, overwrite: bool) -> Result<(), String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (cwd, tmp, outside) = (
        root.path().join("cwd"),
        root.path().join("tmp"),
        root.path().join("outside"),
    );
    for d in [&cwd, &tmp, &outside] {
        std::fs::create_dir(d).map_err(|e| e.to_string())?;
    }
    let work = cwd.join("work");
    std::fs::create_dir(&work).map_err(|e| e.to_string())?;
    std::fs::create_dir(work.join("sub")).map_err(|e| e.to_string())?;
    std::fs::write(work.join("user.dat"), b"the user's data, 32 bytes long!!")
        .map_err(|e| e.to_string())?;
    std::fs::write(outside.join("secret.dat"), b"outside").map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(&outside, work.join("link")).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(outside.join("secret.dat"), work.join("out.dat"))
        .map_err(|e| e.to_string())?;
    let fifo = std::ffi::CString::new(work.join("fifo").as_os_str().as_encoded_bytes())
        .map_err(|e| e.to_string())?;
    // SAFETY: mkfifo with a NUL-terminated path.
    unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) };
    std::fs::write(cwd.join("l.yaml"), yaml).map_err(|e| e.to_string())?;
    let user_before = fingerprint(&work.join("user.dat"));
    let secret_before = fingerprint(&outside.join("secret.dat"));
    let mut cmd = tutor();
    cmd.current_dir(&cwd)
        .env("TMPDIR", &tmp)
        .args(["run", "l.yaml", "--format", "json", "--workdir", "work"])
        .timeout(std::time::Duration::from_secs(120));
    if overwrite {
        cmd.arg("--overwrite");
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if std::env::var_os("HOSTILE_FUZZ_VERBOSE").is_some() {
        eprintln!(
            "exit {:?} {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    let err = String::from_utf8_lossy(&out.stderr);
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = out.status.signal() {
        return Err(format!("died of signal {sig}: {err}"));
    }
    match out.status.code() {
        Some(0) => {
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .map_err(|e| format!("exit 0 but no JSON trace: {e}"))?;
        }
        Some(2) if has_location(&err) => {}
        Some(2) => return Err(format!("exit 2 without a location: {err}")),
        other => return Err(format!("exit {other:?}: {err}")),
    }
    if err.chars().any(|c| c == '\u{1b}' || c == '\u{7}') {
        return Err(format!("raw control characters on stderr: {err:?}"));
    }
    if fingerprint(&outside.join("secret.dat")) != secret_before {
        return Err("the file outside the work directory changed".to_string());
    }
    if listing(&outside) != ["secret.dat"] || listing(root.path()) != ["cwd", "outside", "tmp"] {
        return Err(format!(
            "something was created outside: {:?} {:?}",
            listing(&outside),
            listing(root.path())
        ));
    }
    if !listing(&tmp).is_empty() {
        return Err(format!("TMPDIR not clean: {:?}", listing(&tmp)));
    }
    if listing(&cwd) != ["l.yaml", "work"] {
        return Err(format!("cwd changed: {:?}", listing(&cwd)));
    }
    if !overwrite && fingerprint(&work.join("user.dat")) != user_before {
        return Err("the user's file changed without --overwrite".to_string());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn hostile_lessons_never_hurt_the_user(yaml in lesson(), overwrite in prop::bool::weighted(0.2)) {
        if let Err(why) = check(&yaml, overwrite) {
            prop_assert!(false, "{why}\n--- lesson (overwrite {overwrite}) ---\n{yaml}");
        }
    }
}

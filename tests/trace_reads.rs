//! What a traced step shows of an array is what Python itself prints at that moment: the script prints
//! `repr()` of its arrays after changing them (stores, an element across a page boundary, a copy-on-write
//! map, an in-place reshape, a name bound again to a new map of another dtype), and every step's `repr` must
//! equal what that line printed. Guards the tracer's caches (the shim's per-object metadata, the tutor's
//! per-step page reads and VMA listing) against showing anything stale.

mod common;

use common::{numpy_missing, tutor};
use serde_json::Value;

const SCRIPT: &str = r#"import numpy as np
a = np.memmap('d.bin', dtype='float64', mode='w+', shape=(1030,))
a[:] = np.arange(1030) * 0.5
print(repr(a))
b = np.memmap('d.bin', dtype='<f8', mode='r+', offset=4092, shape=(4,))
print(repr(b))
b[0] = -1.25
print(repr(b))
a.shape = (2, 515)
print(repr(a))
c = np.memmap('d.bin', dtype='float64', mode='c', shape=(1030,))
c[1000] = 7.0
c[3] = -3.0
print(repr(c))
print(repr(a))
del a
a = np.memmap('d.bin', dtype='float32', mode='r', shape=(8,))
print(repr(a))
def grow(m):
    v = m[2:6]
    v[1] = 99.0
    print(repr(v))
    return v
w = grow(b)
print(repr(w))
"#;

/// The array a `print(repr(NAME))` line prints.
fn printed_name(code: &str) -> Option<&str> {
    code.strip_prefix("print(repr(")?.strip_suffix("))")
}

#[test]
fn every_printed_repr_equals_the_traced_repr_of_that_step() {
    if let Some(why) = numpy_missing() {
        eprintln!("skip: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("reads.py"), SCRIPT).expect("write script");
    let out = tutor()
        .current_dir(dir.path())
        .args(["trace", "--format", "json", "reads.py"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "trace failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let steps = v["steps"].as_array().expect("steps");
    let mut compared = Vec::new();
    for s in steps {
        let code = s["code"].as_str().unwrap_or_default();
        let Some(name) = printed_name(code) else {
            continue;
        };
        let printed = s["script"]["stdout"].as_str().unwrap_or_default();
        let shown = s["arrays"][name]["repr"].as_str().unwrap_or_default();
        assert_eq!(
            shown.trim_end(),
            printed.trim_end(),
            "step {} (`{code}`): the trace shows `{name}` otherwise than Python printed it",
            s["step"]
        );
        compared.push(name.to_string());
    }
    // Every print line was traced and compared (the function body's included).
    assert_eq!(
        compared,
        ["a", "b", "b", "a", "c", "a", "a", "v", "w"],
        "{compared:?}"
    );
    // The reshape and the new binding are seen (shape, dtype and mode of the new object, not the old one's).
    let at = |code: &str| {
        steps
            .iter()
            .find(|s| s["code"] == code)
            .unwrap_or_else(|| panic!("no step for `{code}`"))
    };
    assert_eq!(
        at("a.shape = (2, 515)")["arrays"]["a"]["shape"],
        serde_json::json!([2, 515])
    );
    let rebound =
        &at("a = np.memmap('d.bin', dtype='float32', mode='r', shape=(8,))")["arrays"]["a"];
    assert_eq!(rebound["dtype"], "float32", "{rebound}");
    assert_eq!(rebound["mode"], "r", "{rebound}");
    assert_eq!(rebound["shape"], serde_json::json!([8]), "{rebound}");
}

//! `.npy` files against real NumPy: every case of tests/fixtures/npy/cases.json (made by tests/gen_npy_fixtures.py
//! with NumPy 2.4) replayed through the engine — np.load(mmap_mode=...) and open_memmap(mode=...) on good and
//! malformed files, and the headers open_memmap(mode='w+') writes — comparing the error text, the memmap's mode,
//! offset, dtype, shape, str and repr, and every byte of the file afterwards.

use memmap_tutor::engine::Engine;
use memmap_tutor::lesson::{Action, Mode, NpyCall, OpenSpec};
use memmap_tutor::numpy::dtype::DType;
use memmap_tutor::numpy::print::{array_repr, array_str};
use serde_json::Value as J;

/// Cases the tutor answers differently on purpose, with the reason.
fn deliberate(case: &J) -> Option<&'static str> {
    (case["file"] == "zip" && case["call"] == "load").then_some(
        "np.load of a zip archive returns an NpzFile (arrays read into memory, never a memmap); the tutor refuses it",
    )
}

fn fixtures() -> J {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/npy/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture file"))
        .expect("fixture JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Run one open in a fresh directory holding `file` (or nothing); the differences from `want`.
fn replay(label: &str, spec: OpenSpec, file: Option<&[u8]>, want: &J) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(&spec.file);
    if let Some(bytes) = file {
        std::fs::write(&path, bytes).expect("write fixture file");
    }
    let mut engine = Engine::new(dir.path());
    // The fixture's file stands for one the lesson made: NumPy may change it, so may the engine.
    engine.allow_overwrite(true);
    let out = engine.perform(&Action::Open(spec));
    let mut diffs = Vec::new();
    let mut check = |what: &str, got: J, want: &J| {
        if &got != want {
            diffs.push(format!("{label}: {what}: tutor {got}, numpy {want}"));
        }
    };
    check("error", J::from(out.error.clone()), &want["error"]);
    if out.error.is_none() && want["error"].is_null() {
        let v = engine.variable("m").expect("bound");
        check("mode", J::from(v.mode.as_str()), &want["mode"]);
        check("offset", J::from(v.offset), &want["offset"]);
        check("dtype", J::from(v.dtype.code()), &want["dtype"]);
        check("shape", J::from(v.shape.clone()), &want["shape"]);
        check("str", J::from(array_str(v)), &want["str"]);
        check("repr", J::from(array_repr(v, "memmap")), &want["repr"]);
    }
    drop(engine);
    let after = std::fs::read(&path).ok();
    let changed = match (&after, file) {
        (Some(a), Some(b)) if a == b => None,
        (None, None) => None,
        (a, _) => Some(a.as_deref().map(hex)),
    };
    let want_after = match &want["after"] {
        J::Null => None,
        J::String(s) => Some(Some(s.clone())),
        _ => Some(None),
    };
    if changed != want_after {
        diffs.push(format!(
            "{label}: the file afterwards: tutor {changed:?}, numpy {want_after:?}"
        ));
    }
    diffs
}

#[test]
fn npy_reads_and_writes_match_numpy() {
    let fx = fixtures();
    let files = fx["files"].as_object().expect("files");
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() > 200, "fixture has {} cases", cases.len());
    let (mut compared, mut diffs) = (0, Vec::new());
    for case in cases {
        if let Some(why) = deliberate(case) {
            println!("not compared ({why}): {case}");
            continue;
        }
        if let Some(w) = case["write"].as_array() {
            let dtype = DType::parse(w[0].as_str().expect("dtype")).expect("dtype parses");
            let shape: Vec<i64> = w[1]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_i64().expect("dim"))
                .collect();
            let fortran = w[2].as_bool().expect("fortran");
            if let Some(h) = case["header"].as_str() {
                // Too large to create: only the header NumPy writes is compared.
                let (ours, _) = memmap_tutor::numpy::npy::header_bytes(&dtype, fortran, &shape);
                if hex(&ours) != h {
                    diffs.push(format!("header for {w:?}: tutor {}, numpy {h}", hex(&ours)));
                }
                compared += 1;
                continue;
            }
            let spec = OpenSpec {
                var: "m".into(),
                file: "w.npy".into(),
                dtype,
                mode: Mode::Write,
                shape: Some(shape),
                offset: 0,
                order: if fortran { "F" } else { "C" }.into(),
                npy: Some(NpyCall {
                    load: false,
                    mode: "w+".into(),
                    dtype_given: true,
                }),
                bad_mode: None,
                bad_dtype: None,
            };
            diffs.extend(replay(&format!("open_memmap w+ {w:?}"), spec, None, case));
            compared += 1;
            continue;
        }
        let name = case["file"].as_str().expect("file name");
        let bytes = unhex(files[name].as_str().expect("file hex"));
        let mode = case["mode"].as_str().expect("mode");
        let load = case["call"] == "load";
        let spec = OpenSpec {
            var: "m".into(),
            file: "f.npy".into(),
            dtype: DType::UINT8,
            mode: Mode::parse(mode).expect("a mode NumPy knows"),
            shape: None,
            offset: 0,
            order: "C".into(),
            npy: Some(NpyCall {
                load,
                mode: mode.into(),
                dtype_given: false,
            }),
            bad_mode: None,
            bad_dtype: None,
        };
        let label = format!("{} {name} mode {mode}", case["call"]);
        diffs.extend(replay(&label, spec, Some(&bytes), case));
        compared += 1;
    }
    println!("{compared} .npy cases compared with NumPy {}", fx["numpy"]);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

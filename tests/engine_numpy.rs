//! Replays scenarios recorded with real NumPy 2.4.6 (`tests/gen_engine_fixtures.py`) through the engine.

use std::collections::BTreeMap;
use std::path::Path;

use memmap_tutor::engine::{Engine, ReadResult};
use memmap_tutor::expr::index::{parse_index, IndexExpr, IndexItem};
use memmap_tutor::expr::value::parse_value_str;
use memmap_tutor::expr::value::{BinOp, ValueExpr};
use memmap_tutor::lesson::{Action, Mode, OpenSpec};
use memmap_tutor::numpy::dtype::{DType, Scalar};
use memmap_tutor::numpy::print::ElementSource;
use memmap_tutor::numpy::print::{array_repr, array_str, scalar_repr, scalar_str};
use serde_json::Value as J;

fn scalar(j: &J) -> Scalar {
    let (k, v) = j.as_object().unwrap().iter().next().unwrap();
    match k.as_str() {
        "bool" => Scalar::Bool(v.as_bool().unwrap()),
        "int" => match v.as_i64() {
            Some(i) => Scalar::Int(i),
            None => Scalar::UInt(v.as_u64().unwrap()),
        },
        "float" => Scalar::Float(match v.as_str() {
            Some("nan") => f64::NAN,
            Some("inf") => f64::INFINITY,
            Some("-inf") => f64::NEG_INFINITY,
            Some(other) => panic!("float {other}"),
            None => v.as_f64().unwrap(),
        }),
        other => panic!("scalar kind {other}"),
    }
}

fn value(j: &J) -> ValueExpr {
    let (k, a) = j.as_object().unwrap().iter().next().unwrap();
    match k.as_str() {
        "scalar" => ValueExpr::Scalar(scalar(a)),
        "list" => ValueExpr::List(a.as_array().unwrap().iter().map(value).collect()),
        "arange" => {
            let a = a.as_array().unwrap();
            ValueExpr::Arange {
                start: scalar(&a[0]),
                stop: scalar(&a[1]),
                step: scalar(&a[2]),
            }
        }
        "linspace" => ValueExpr::Linspace {
            start: a[0].as_f64().unwrap(),
            stop: a[1].as_f64().unwrap(),
            num: a[2].as_u64().unwrap(),
            endpoint: a[3].as_bool().unwrap(),
        },
        "full" => ValueExpr::Full {
            shape: a[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect(),
            fill: scalar(&a[1]),
        },
        "reshape" => ValueExpr::Reshape(
            Box::new(value(&a[0])),
            a[1].as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_i64().unwrap())
                .collect(),
        ),
        // The generator evaluates these with `np.asarray(...)` first: a list is `np.array(list)`.
        "astype" => ValueExpr::AsType(
            Box::new(as_array(value(&a[0]))),
            DType::parse(a[1].as_str().unwrap()).unwrap(),
        ),
        "bin" => {
            let op = match a[0].as_str().unwrap() {
                "+" => BinOp::Add,
                "-" => BinOp::Sub,
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                o => panic!("op {o}"),
            };
            ValueExpr::Binary(
                op,
                Box::new(as_array(value(&a[1]))),
                Box::new(as_array(value(&a[2]))),
            )
        }
        // A value written in the lesson syntax; the generator `eval`s the same text with NumPy.
        "expr" => {
            parse_value_str(a.as_str().unwrap()).unwrap_or_else(|e| panic!("{a}: {}", e.message))
        }
        other => panic!("value kind {other}"),
    }
}

/// `np.array(list)` for a list, anything else unchanged.
fn as_array(v: ValueExpr) -> ValueExpr {
    match v {
        ValueExpr::List(_) => ValueExpr::Array(Box::new(v)),
        other => other,
    }
}

fn index(j: &J) -> IndexExpr {
    let items = j
        .as_array()
        .unwrap()
        .iter()
        .map(|it| match it {
            J::String(s) if s == "..." => IndexItem::Ellipsis,
            J::String(s) if s == "newaxis" => IndexItem::NewAxis,
            // An integer beyond int64 is written as its text: the tutor's parser reads it.
            J::Object(o) if o.contains_key("int") => match &o["int"] {
                J::String(text) => parse_index(&format!("[{text}]")).unwrap().items.remove(0),
                n => IndexItem::Int(n.as_i64().unwrap()),
            },
            J::Object(o) => {
                let s = o["slice"].as_array().unwrap();
                let text = |p: &J| match p {
                    J::Null => String::new(),
                    J::String(t) => t.clone(),
                    n => n.to_string(),
                };
                let parsed = format!("[{}:{}:{}]", text(&s[0]), text(&s[1]), text(&s[2]));
                parse_index(&parsed).unwrap().items.remove(0)
            }
            other => panic!("index item {other}"),
        })
        .collect();
    IndexExpr { var: None, items }
}

fn action(op: &J) -> Option<Action> {
    let var = || op["var"].as_str().unwrap().to_string();
    Some(match op["op"].as_str().unwrap() {
        "open" => Action::Open(OpenSpec {
            var: var(),
            file: op["file"].as_str().unwrap().to_string(),
            dtype: DType::parse(op["dtype"].as_str().unwrap()).unwrap(),
            mode: Mode::parse(op["mode"].as_str().unwrap()).unwrap(),
            shape: op["shape"]
                .as_array()
                .map(|s| s.iter().map(|d| d.as_i64().unwrap()).collect()),
            offset: op["offset"].as_i64().unwrap(),
            order: op["order"].as_str().unwrap().to_string(),
            bad_mode: None,
            bad_dtype: None,
            npy: None,
        }),
        "assign" => Action::Assign {
            var: var(),
            index: index(&op["index"]),
            value: value(&op["value"]),
        },
        "read" => Action::Read {
            var: var(),
            index: index(&op["index"]),
        },
        "flush" => Action::Flush { var: var() },
        "close" => Action::Close { var: var() },
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Rebuild a file from the fixture's sparse form `[len, [[offset, hex], ...]]`.
fn unsparse(j: &J) -> Vec<u8> {
    let mut out = vec![0u8; j[0].as_u64().unwrap() as usize];
    for span in j[1].as_array().unwrap() {
        let off = span[0].as_u64().unwrap() as usize;
        let b = unhex(span[1].as_str().unwrap());
        out[off..off + b.len()].copy_from_slice(&b);
    }
    out
}

fn dir_state(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            out.insert(
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    out
}

fn source_hex(src: &dyn ElementSource) -> String {
    let shape = src.shape().to_vec();
    let dt = src.dtype();
    let mut out = Vec::new();
    if shape.iter().product::<usize>() == 0 {
        return String::new();
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        let mut b = [0u8; 32];
        dt.encode(src.get(&idx), &mut b);
        out.extend_from_slice(&b[..dt.size]);
        let mut ax = shape.len();
        loop {
            if ax == 0 {
                return hex(&out);
            }
            ax -= 1;
            idx[ax] += 1;
            if idx[ax] < shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
}

fn run_case(case: &J) -> Vec<String> {
    let name = case["name"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::new(dir.path());
    // The case's files were written by the test itself, as NumPy's script wrote them: the
    // engine may change them (the CLI says so with --overwrite).
    engine.allow_overwrite(true);
    let mut failures = Vec::new();
    let mut expected_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let ops = case["ops"].as_array().unwrap();
    let expect = case["expect"].as_array().unwrap();
    for (n, (op, exp)) in ops.iter().zip(expect).enumerate() {
        let mut fail = |what: String| failures.push(format!("[{name}] op {n} {op}: {what}"));
        let mut error: Option<String> = None;
        let mut read = None;
        match op["op"].as_str().unwrap() {
            "setup" => std::fs::write(
                dir.path().join(op["file"].as_str().unwrap()),
                unhex(op["hex"].as_str().unwrap()),
            )
            .unwrap(),
            "mkdir" => std::fs::create_dir(dir.path().join(op["dir"].as_str().unwrap())).unwrap(),
            _ => {
                let out = engine.perform(&action(op).unwrap());
                error = out.error;
                read = out.read;
            }
        }
        let want_err = exp["error"].as_str().map(|s| s.to_string());
        if error != want_err {
            fail(format!("error {error:?}, NumPy {want_err:?}"));
        }
        if let Some(files) = exp.get("files") {
            expected_files = files
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), unsparse(v)))
                .collect();
        }
        let got = dir_state(dir.path());
        if got != expected_files {
            let show = |m: &BTreeMap<String, Vec<u8>>| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", hex(&v[..v.len().min(64)])))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            fail(format!(
                "files {} , NumPy {}",
                show(&got),
                show(&expected_files)
            ));
        }
        if let Some(state) = exp.get("state") {
            let var = engine.variable(op["var"].as_str().unwrap()).unwrap();
            let shape: Vec<usize> = state["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let strides: Vec<isize> = state["strides"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_i64().unwrap() as isize)
                .collect();
            if var.shape != shape {
                fail(format!("shape {:?}, NumPy {shape:?}", var.shape));
            }
            // NumPy reports arbitrary strides for empty arrays; compare when non-empty.
            if shape.iter().product::<usize>() > 0 && var.strides != strides {
                fail(format!("strides {:?}, NumPy {strides:?}", var.strides));
            }
            if var.offset != state["offset"].as_u64().unwrap() {
                fail(format!("offset {}", var.offset));
            }
            if var.mode.as_str() != state["mode"].as_str().unwrap() {
                fail(format!("mode {}", var.mode.as_str()));
            }
            if var.mapping_len() as u64 != state["mmap_len"].as_u64().unwrap() {
                fail(format!("mmap len {}", var.mapping_len()));
            }
        }
        if let (Some(r), Some(got)) = (exp.get("read"), &read) {
            let (s, rp) = match got {
                ReadResult::Scalar(v, dt) => {
                    (scalar_str(v.clone(), *dt), scalar_repr(v.clone(), *dt))
                }
                ReadResult::View(v) => (
                    array_str(v.as_ref()),
                    array_repr(v.as_ref(), got.class_name()),
                ),
                ReadResult::PyInt(i) => (i.to_string(), i.to_string()),
            };
            if let Some(want) = r.get("repr").and_then(|x| x.as_str()) {
                if rp != want {
                    fail(format!("repr {rp:?}, NumPy {want:?}"));
                }
            }
            if let Some(want) = r.get("str").and_then(|x| x.as_str()) {
                if s != want {
                    fail(format!("str {s:?}, NumPy {want:?}"));
                }
            }
        }
        match (exp.get("read"), read) {
            (None, None) => {}
            (Some(r), Some(ReadResult::Scalar(s, dt))) => {
                let mut b = [0u8; 32];
                dt.encode(s.clone(), &mut b);
                if !r["scalar"].as_bool().unwrap() || hex(&b[..dt.size]) != r["hex"] {
                    fail(format!("scalar {s:?}, NumPy {r}"));
                }
            }
            (Some(r), Some(ReadResult::View(v))) => {
                let shape: Vec<usize> = r["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect();
                if r["scalar"].as_bool().unwrap() || v.shape() != shape.as_slice() {
                    fail(format!("view shape {:?}, NumPy {r}", v.shape()));
                } else if source_hex(v.as_ref()) != r["hex"].as_str().unwrap() {
                    fail(format!(
                        "view {} , NumPy {}",
                        source_hex(v.as_ref()),
                        r["hex"]
                    ));
                }
            }
            (want, got) => fail(format!(
                "read presence differs: NumPy {:?}, engine {}",
                want,
                got.is_some()
            )),
        }
    }
    failures
}

#[test]
fn engine_matches_numpy_fixtures() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine/cases.json"),
    )
    .unwrap();
    let data: J = serde_json::from_str(&text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 60);
    let failures: Vec<String> = cases.iter().flat_map(run_case).collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- allocation measurement for big fills ---------------------------------------------------

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts the bytes live on the current thread (other tests run on other threads).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as isize);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as isize));
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Fill a float32 memmap of `n` elements with arange and with a scalar; return the peak
/// number of bytes allocated on this thread during the assignments.
fn fill_peak(n: i64) -> isize {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let out = e.perform(&Action::Open(OpenSpec {
        var: "a".into(),
        file: "big.dat".into(),
        dtype: DType::parse("float32").unwrap(),
        mode: Mode::Write,
        shape: Some(vec![n]),
        offset: 0,
        order: "C".into(),
        bad_mode: None,
        bad_dtype: None,
        npy: None,
    }));
    assert!(out.error.is_none());
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    for value in [
        ValueExpr::Arange {
            start: Scalar::Int(0),
            stop: Scalar::Int(n),
            step: Scalar::Int(1),
        },
        ValueExpr::Scalar(Scalar::Float(1.5)),
    ] {
        let out = e.perform(&Action::Assign {
            var: "a".into(),
            index: IndexExpr {
                var: None,
                items: vec![IndexItem::Slice {
                    start: None,
                    stop: None,
                    step: None,
                }],
            },
            value,
        });
        assert!(out.error.is_none());
    }
    let peak = PEAK.with(|p| p.get()) - base;
    let v = e.variable("a").unwrap();
    assert_eq!(v.get(&[(n - 1) as usize]), Scalar::Float(1.5));
    peak
}

#[test]
fn big_fill_does_not_allocate_the_array() {
    // 64 MiB of float32: a materialised arange would need 128 MiB (int64).
    let peak = fill_peak(16 << 20);
    assert!(peak < 64 << 10, "peak allocation {peak} bytes");
}

#[test]
#[ignore = "writes 1 GiB into the page cache; run with --ignored"]
fn one_gib_float32_fill_does_not_allocate() {
    let peak = fill_peak(1 << 28);
    assert!(peak < 64 << 10, "peak allocation {peak} bytes");
}

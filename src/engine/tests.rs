//! Engine-level unit tests: truncation guard, close, confinement, laziness of big fills.

use super::*;
use crate::expr::index::{IndexExpr, IndexItem};
use crate::expr::value::ValueExpr;
use crate::lesson::OpenSpec;

fn open(var: &str, file: &str, mode: Mode, dtype: &str, shape: Option<Vec<i64>>) -> Action {
    Action::Open(OpenSpec {
        var: var.to_string(),
        file: file.to_string(),
        dtype: DType::parse(dtype).unwrap(),
        mode,
        shape,
        offset: 0,
        order: "C".to_string(),
        bad_mode: None,
        bad_dtype: None,
        npy: None,
    })
}

fn read_all(var: &str) -> Action {
    Action::Read {
        var: var.to_string(),
        index: IndexExpr::all(),
    }
}

#[test]
fn truncated_file_is_an_error_not_sigbus() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let out = e.perform(&open(
        "a",
        "t.dat",
        Mode::Write,
        "uint8",
        Some(vec![3 * 4096]),
    ));
    assert!(out.error.is_none());
    // Someone else shrinks the file while it is mapped.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("t.dat"))
        .unwrap();
    f.set_len(100).unwrap();
    let msg = "the file was truncated to 100 bytes while mapped; touching the mapping past EOF would raise SIGBUS";
    assert_eq!(e.perform(&read_all("a")).error.as_deref(), Some(msg));
    let scalar = Action::Read {
        var: "a".into(),
        index: IndexExpr {
            var: None,
            items: vec![IndexItem::Int(-1)],
        },
    };
    assert_eq!(e.perform(&scalar).error.as_deref(), Some(msg));
    let assign = Action::Assign {
        var: "a".into(),
        index: IndexExpr::all(),
        value: ValueExpr::Scalar(Scalar::Int(1)),
    };
    assert_eq!(e.perform(&assign).error.as_deref(), Some(msg));
    assert_eq!(
        e.perform(&Action::Flush { var: "a".into() })
            .error
            .as_deref(),
        Some(msg)
    );
    assert_eq!(
        e.variable("a").unwrap().check_mapped_range().unwrap_err(),
        msg
    );
    // Growing it back makes the mapping usable again.
    f.set_len(3 * 4096).unwrap();
    assert!(e.perform(&read_all("a")).error.is_none());
}

#[test]
fn close_unmaps_and_later_steps_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    assert!(e
        .perform(&open(
            "a",
            "c.dat",
            Mode::Write,
            "float32",
            Some(vec![3, 3])
        ))
        .error
        .is_none());
    let v = e.variable("a").unwrap();
    assert!(v.is_open());
    assert_eq!(v.mapping_addr().unwrap() % 4096, 0);
    assert_eq!(v.mapping_len(), 36);
    assert_eq!(v.array_byte_range(), (0, 36));
    assert!(e
        .perform(&Action::Flush { var: "a".into() })
        .error
        .is_none());
    assert!(e
        .perform(&Action::Close { var: "a".into() })
        .error
        .is_none());
    let v = e.variable("a").unwrap();
    assert!(v.closed && !v.is_open());
    assert!(v.mapping_addr().is_none());
    // `close` is `del a`: the name is gone, as NumPy's script would find it.
    let err = e.perform(&read_all("a")).error.unwrap();
    assert_eq!(err, "NameError: name 'a' is not defined");
    let err = e.perform(&Action::Flush { var: "a".into() }).error.unwrap();
    assert_eq!(err, "NameError: name 'a' is not defined");
    let err = e.perform(&Action::Close { var: "a".into() }).error.unwrap();
    assert_eq!(err, "NameError: name 'a' is not defined");
    assert_eq!(
        e.perform(&read_all("nope")).error.as_deref(),
        Some("NameError: name 'nope' is not defined")
    );
}

#[test]
fn refuses_paths_outside_workdir() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let err = e
        .perform(&open(
            "a",
            "../escape.dat",
            Mode::Write,
            "uint8",
            Some(vec![1]),
        ))
        .error
        .unwrap();
    assert!(err.contains("outside the work directory"), "{err}");
    assert!(!dir.path().parent().unwrap().join("escape.dat").exists());
}

#[test]
fn read_view_is_lazy_and_shares_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    e.perform(&open("a", "v.dat", Mode::Write, "int16", Some(vec![4])));
    let view = match e.perform(&read_all("a")).read {
        Some(ReadResult::View(v)) => v,
        _ => panic!("expected a view"),
    };
    // A write after the read shows through the view: it reads the mapping, not a copy.
    e.perform(&Action::Assign {
        var: "a".into(),
        index: IndexExpr::all(),
        value: ValueExpr::Scalar(Scalar::Int(7)),
    });
    assert_eq!(view.get(&[3]), Scalar::Int(7));
}

#[test]
fn big_fill_writes_straight_into_the_mapping() {
    // 64 MiB float32 (the fast path is the same for 1 GiB; see the ignored test in
    // tests/engine_numpy.rs for the allocation measurement).
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let n = 16 * 1024 * 1024;
    e.perform(&open("a", "big.dat", Mode::Write, "float32", Some(vec![n])));
    let out = e.perform(&Action::Assign {
        var: "a".into(),
        index: IndexExpr::all(),
        value: ValueExpr::Arange {
            start: Scalar::Int(0),
            stop: Scalar::Int(n),
            step: Scalar::Int(1),
        },
    });
    assert!(out.error.is_none());
    let v = e.variable("a").unwrap();
    assert_eq!(
        v.get(&[(n - 1) as usize]),
        Scalar::Float((n - 1) as f32 as f64)
    );
}

#[test]
fn shape_product_overflow_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let big = 1i64 << 40;
    let err = e
        .perform(&open(
            "a",
            "o.dat",
            Mode::Write,
            "float64",
            Some(vec![big, big]),
        ))
        .error
        .unwrap();
    assert!(err.starts_with("ValueError: array is too big"), "{err}");
    // A full() value whose shape product overflows is an error too, not a panic.
    e.perform(&open("b", "p.dat", Mode::Write, "uint8", Some(vec![2])));
    let err = e
        .perform(&Action::Assign {
            var: "b".into(),
            index: IndexExpr::all(),
            value: ValueExpr::Full {
                shape: vec![u64::MAX, 4],
                fill: Scalar::Int(1),
            },
        })
        .error
        .unwrap();
    assert!(err.contains("too big"), "{err}");
}

#[test]
fn a_long_fill_reports_progress_to_the_engines_hook_and_a_short_one_does_not() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::new(dir.path());
    let seen: Rc<RefCell<Vec<(u64, u64)>>> = Rc::default();
    let log = seen.clone();
    e.set_fill_progress(Some(Box::new(move |d, t| log.borrow_mut().push((d, t)))));
    let fill = |var: &str| Action::Assign {
        var: var.into(),
        index: IndexExpr::all(),
        value: ValueExpr::Scalar(Scalar::Int(1)),
    };
    let short = open("s", "s.dat", Mode::Write, "uint8", Some(vec![4096]));
    assert!(e.perform(&short).error.is_none());
    assert!(e.perform(&fill("s")).error.is_none());
    assert!(seen.borrow().is_empty(), "{:?}", seen.borrow());
    // A sparse file: the fill dirties its pages, the test's tempdir removes it.
    let n = assign::PROGRESS_MIN_BYTES as i64 + 1;
    let long = open("l", "l.dat", Mode::Write, "uint8", Some(vec![n]));
    assert!(e.perform(&long).error.is_none());
    assert!(e.perform(&fill("l")).error.is_none());
    let t = n as u64;
    let c = assign::PROGRESS_CHUNK_BYTES as u64;
    assert_eq!(*seen.borrow(), vec![(c, t), (t, t)]);
}

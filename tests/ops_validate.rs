//! Strict validation and generated text of the new ops: unused fields, required fields, did-you-mean,
//! variable lifetimes, and the Action/code lines codegen writes.

use memmap_tutor::lesson::{load_str, Action, LessonError, Mode, Target};

const OPEN: &str = "\
title: t
steps:
  - {op: open, file: a.dat, dtype: float32, mode: w+, shape: [3, 3]}
";

fn lesson(extra: &str) -> String {
    format!("{OPEN}{extra}")
}

fn step_err(yaml: &str) -> (usize, String, String) {
    match load_str("t.yaml", yaml) {
        Err(LessonError::Step {
            step,
            field,
            message,
            ..
        }) => (step, field, message),
        other => panic!("expected a step error for:\n{yaml}\ngot {other:?}"),
    }
}

fn ok(yaml: &str) -> memmap_tutor::lesson::LoadedLesson {
    match load_str("t.yaml", yaml) {
        Ok(l) => l,
        Err(e) => panic!("expected valid:\n{yaml}\n{e}"),
    }
}

#[test]
fn fields_an_op_does_not_use_are_errors() {
    for (line, field) in [
        ("{op: evict, index: '[0]'}", "index"),
        ("{op: flush_async, value: 1}", "value"),
        ("{op: wait_writeback, offset: 0}", "offset"),
        ("{op: flush_range, length: 4, size: 3}", "size"),
        ("{op: truncate, size: 0, length: 3}", "length"),
        ("{op: crash, value: 1, touch: true}", "touch"),
        ("{op: external_read, bytes: '00'}", "bytes"),
        ("{op: flush, timeout: 3}", "timeout"),
        ("{op: read, index: '[0]', touch: true}", "touch"),
    ] {
        let (n, f, msg) = step_err(&lesson(&format!("  - {line}\n")));
        assert_eq!((n, f.as_str()), (2, field), "{line}: {msg}");
        assert!(msg.contains("does not apply"), "{msg}");
    }
}

#[test]
fn misspelt_new_op_gets_a_suggestion() {
    let e = load_str("t.yaml", &lesson("  - {op: evcit}\n")).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("did you mean `evict`"), "{text}");
    let e = load_str("t.yaml", &lesson("  - {op: wait_writebak}\n")).unwrap_err();
    assert!(
        e.to_string().contains("did you mean `wait_writeback`"),
        "{e}"
    );
}

#[test]
fn reopen_needs_an_opened_variable_and_keeps_its_spec() {
    // A name still open is bound again (`arr = np.memmap(...)` rebinds it in Python).
    let l = ok(&lesson("  - {op: reopen, mode: r}\n"));
    assert!(matches!(&l.steps[1].action, Action::Reopen(_)));
    let (n, f, msg) = step_err(&lesson("  - {op: reopen, var: b}\n"));
    assert_eq!((n, f.as_str()), (2, "var"));
    assert!(msg.contains("no variable `b`"), "{msg}");
    // A mode NumPy rejects is its ValueError when the step runs.
    let l = ok(&lesson("  - {op: close}\n  - {op: reopen, mode: rw}\n"));
    match &l.steps[2].action {
        Action::Reopen(spec) => assert_eq!(spec.bad_mode.as_deref(), Some("rw")),
        other => panic!("{other:?}"),
    }
    let l = ok(&lesson(
        "  - {op: close}\n  - {op: reopen}\n  - {op: read, index: '[0]'}\n",
    ));
    match &l.steps[2].action {
        Action::Reopen(spec) => {
            assert_eq!(spec.mode, Mode::ReadWrite);
            assert_eq!(spec.shape, Some(vec![3, 3]));
            assert_eq!(spec.file, "a.dat");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.steps[2].action_text,
        "Reopen arr as float32 on a.dat, mode r+"
    );
}

#[test]
fn external_write_values_and_bytes() {
    let l = ok(&lesson(
        "  - {op: external_write, offset: 4, value: 99}\n  - {op: external_write, file: a.dat, bytes: '00 ff'}\n",
    ));
    match &l.steps[1].action {
        Action::ExternalWrite {
            target,
            offset,
            data,
            ..
        } => {
            assert_eq!(
                target,
                &Target::Var {
                    var: "arr".into(),
                    file: "a.dat".into()
                }
            );
            assert_eq!(*offset, 4);
            assert_eq!(data, &99f32.to_le_bytes().to_vec());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.steps[1].code,
        "# another process: fd = os.open('a.dat', os.O_WRONLY); os.pwrite(fd, np.array(99, dtype='float32').tobytes(), 4)"
    );
    assert_eq!(
        l.steps[2].code,
        "# another process: fd = os.open('a.dat', os.O_WRONLY); os.pwrite(fd, bytes.fromhex('00ff'), 0)"
    );
    let (_, f, _) = step_err(&lesson("  - {op: external_write, file: a.dat, value: 1}\n"));
    assert_eq!(f, "dtype");
    let (_, f, _) = step_err(&lesson("  - {op: external_write, bytes: '0', value: 1}\n"));
    assert_eq!(f, "bytes");
    let (_, f, msg) = step_err(&lesson("  - {op: external_write, bytes: 'zz'}\n"));
    assert_eq!(f, "bytes");
    assert!(msg.contains("hex"), "{msg}");
    let (_, f, _) = step_err(&lesson("  - {op: external_write, bytes: '012'}\n"));
    assert_eq!(f, "bytes");
    let (_, f, _) = step_err(&lesson("  - {op: external_write}\n"));
    assert_eq!(f, "value");
    let (_, f, _) = step_err(&lesson("  - {op: external_write, offset: -1, value: 1}\n"));
    assert_eq!(f, "offset");
    let (_, f, _) = step_err(&lesson(
        "  - {op: external_write, var: arr, file: a.dat, value: 1}\n",
    ));
    assert_eq!(f, "file");
    let (_, f, _) = step_err(&lesson(
        "  - {op: external_write, file: ../x, bytes: '00'}\n",
    ));
    assert_eq!(f, "file");
}

#[test]
fn steps_after_close_or_on_unbound_names_load() {
    // Outside steps act on the closed variable's file; the others are NameError at run time.
    ok(&lesson(
        "  - {op: close}\n  - {op: external_read}\n  - {op: crash, index: '[0, 0]', value: 1}\n  - {op: evict}\n  - {op: wait_writeback}\n  - {op: truncate, size: 0}\n",
    ));
    for op in ["flush_async", "flush_range, length: 4"] {
        ok(&lesson(&format!("  - {{op: close}}\n  - {{op: {op}}}\n")));
    }
    ok(&lesson("  - {op: evict, var: nope}\n"));
}

#[test]
fn numbers_of_the_new_ops_are_checked() {
    let (_, f, msg) = step_err(&lesson("  - {op: wait_writeback, timeout: 500}\n"));
    assert_eq!(f, "timeout");
    assert!(msg.contains("at most 120"), "{msg}");
    let (_, f, _) = step_err(&lesson("  - {op: wait_writeback, timeout: 0}\n"));
    assert_eq!(f, "timeout");
    let l = ok(&lesson(
        "  - {op: wait_writeback, timeout: 0.5}\n  - {op: wait_writeback}\n",
    ));
    assert!(matches!(
        l.steps[1].action,
        Action::WaitWriteback {
            timeout_ms: 500,
            ..
        }
    ));
    assert!(matches!(
        l.steps[2].action,
        Action::WaitWriteback {
            timeout_ms: 40_000,
            ..
        }
    ));
    let (_, f, _) = step_err(&lesson("  - {op: flush_range, offset: 0}\n"));
    assert_eq!(f, "length");
    let (_, f, _) = step_err(&lesson("  - {op: flush_range, length: 0}\n"));
    assert_eq!(f, "length");
    let (_, f, _) = step_err(&lesson("  - {op: truncate}\n"));
    assert_eq!(f, "size");
    let (_, f, _) = step_err(&lesson("  - {op: truncate, size: 1.5}\n"));
    assert_eq!(f, "size");
    let (_, f, _) = step_err(&lesson("  - {op: external_read, length: 100000}\n"));
    assert_eq!(f, "length");
    let (_, f, _) = step_err(&lesson("  - {op: crash, index: '[0, 0]'}\n"));
    assert_eq!(f, "value");
}

#[test]
fn generated_action_text_and_code() {
    let l = ok(&lesson(
        "  - {op: crash, index: 'arr[1, 2]', value: 5}\n  - {op: flush_async}\n  - {op: flush_range, offset: 4, length: 8}\n  - {op: truncate, size: 0, touch: true}\n  - {op: evict}\n  - {op: wait_writeback, timeout: 2}\n  - {op: external_read, offset: 8, length: 4}\n",
    ));
    let s = |i: usize| (&l.steps[i].action_text[..], &l.steps[i].code[..]);
    assert_eq!(
        s(1).0,
        "A child process stores arr[1, 2] = 5 and is killed (SIGKILL) before any flush"
    );
    assert!(s(1).1.lines().all(|l| l.starts_with('#')), "{}", s(1).1);
    assert_eq!(s(2).0, "Flush arr asynchronously (MS_ASYNC)");
    assert_eq!(s(3).0, "Flush bytes 4..12 of arr only");
    assert_eq!(
        s(4).0,
        "Another process truncates a.dat (the file of arr) to 0 bytes and touches its old mapping past the end"
    );
    assert!(s(4)
        .1
        .starts_with("# another process: os.truncate('a.dat', 0)"));
    assert_eq!(s(5).0, "Drop the page cache of arr's file");
    assert_eq!(
        s(6).0,
        "Wait (up to 2 s) for the kernel to write arr's dirty pages back"
    );
    assert_eq!(
        s(7).1,
        "# another process: fd = os.open('a.dat', os.O_RDONLY); print(os.pread(fd, 4, 8))"
    );
    // Comment-only steps stay valid Python in the exported script, even with expect_error.
    let script = memmap_tutor::export::python::numpy_script(&l);
    assert!(script.contains("# Step 5: Another process truncates"));
    assert!(!script.contains("try:\n    # another"));
}

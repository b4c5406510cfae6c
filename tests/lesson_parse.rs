//! Lesson loading and validation: the default lesson, and one test per error class.

use memmap_tutor::export::python;
use memmap_tutor::expr::index::{IndexExpr, IndexItem};
use memmap_tutor::expr::value::ValueExpr;
use memmap_tutor::lesson::{builtin, load, load_str, resolve_source, Action, LessonError, Mode};
use memmap_tutor::numpy::dtype::DType;

const MINIMAL: &str = "\
title: t
steps:
  - op: open
    file: a.dat
    dtype: float32
    mode: w+
    shape: [3, 3]
";

/// MINIMAL plus extra step lines.
fn with_steps(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

fn err(yaml: &str) -> LessonError {
    match load_str("t.yaml", yaml) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e,
    }
}

fn syntax(yaml: &str) -> (usize, usize, String) {
    match err(yaml) {
        LessonError::Syntax {
            line,
            column,
            message,
            ..
        } => (line, column, message),
        other => panic!("expected Syntax, got {other:?}"),
    }
}

fn step_err(yaml: &str) -> (usize, String, String) {
    match err(yaml) {
        LessonError::Step {
            step,
            field,
            message,
            ..
        } => (step, field, message),
        other => panic!("expected Step, got {other:?}"),
    }
}

#[test]
fn default_lesson_loads() {
    let l = load(builtin::DEFAULT).unwrap();
    assert_eq!(l.source, "numpy-memmap-basics");
    assert_eq!(
        l.lesson.title,
        "Memory-mapped arrays for large data in NumPy"
    );
    assert_eq!(l.lesson.subject.as_deref(), Some("NumPy data"));
    assert_eq!(l.lesson.duration.as_deref(), Some("~10 mins"));
    assert_eq!(l.steps.len(), 4);
    match &l.steps[0].action {
        Action::Open(spec) => {
            assert_eq!(spec.var, "arr");
            assert_eq!(spec.file, "large_data.dat");
            assert_eq!(spec.dtype, DType::parse("float32").unwrap());
            assert_eq!(spec.mode, Mode::Write);
            assert_eq!(spec.shape, Some(vec![3, 3]));
            assert_eq!(spec.offset, 0);
            assert_eq!(spec.order, "C");
        }
        other => panic!("{other:?}"),
    }
    match &l.steps[1].action {
        Action::Assign { var, index, value } => {
            assert_eq!(var, "arr");
            assert_eq!(*index, IndexExpr::all());
            assert!(matches!(value, ValueExpr::Reshape(_, d) if *d == vec![3, 3]));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&l.steps[2].action, Action::Flush { var } if var == "arr"));
    assert!(matches!(&l.steps[3].action, Action::Close { var } if var == "arr"));
    let texts: Vec<(&str, &str)> = l
        .steps
        .iter()
        .map(|s| (s.action_text.as_str(), s.note.as_str()))
        .collect();
    assert_eq!(
        texts,
        vec![
            (
                "Create memmap array with zeros",
                "Array backed by file, initially zeros"
            ),
            (
                "Assign values 0 to 8 reshaped",
                "Values set in memmap array in memory"
            ),
            ("Flush changes to disk", "Data written to file on disk"),
            ("Close memmap object", "File closed, data saved"),
        ]
    );
    let code: Vec<&str> = l.steps.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        code,
        vec![
            "arr = np.memmap('large_data.dat', dtype='float32', mode='w+', shape=(3, 3))",
            "arr[:] = np.arange(9).reshape(3, 3)",
            "arr.flush()",
            "del arr",
        ]
    );
    assert_eq!(
        l.lesson.table_footer.as_deref(),
        Some("All data written to disk and memmap closed")
    );
    let flow = l.lesson.concept_flow.as_ref().unwrap();
    assert_eq!(flow.boxes.len(), 6);
    assert_eq!(flow.boxes[5], "Close file");
    assert!(flow
        .caption
        .as_deref()
        .unwrap()
        .ends_with("without loading all into memory."));
    let sample = l.lesson.sample.as_ref().unwrap();
    assert_eq!(sample.language.as_deref(), Some("NumPy"));
    assert!(sample
        .code
        .contains("arr = np.memmap(filename, dtype='float32', mode='w+', shape=(3,3))\n"));
    assert_eq!(l.lesson.key_moments.len(), 3);
    assert_eq!(l.lesson.key_moments[0].cites.as_ref().unwrap().step, 3);
    assert_eq!(
        l.lesson.key_moments[0].cites.as_ref().unwrap().column,
        "disk_write"
    );
    assert!(l.lesson.key_moments[1].cites.is_none());
    assert_eq!(
        l.lesson.key_moments[2].cites.as_ref().unwrap().column,
        "array"
    );
    assert!(l.lesson.key_moments[2]
        .answer
        .ends_with("backed by a file in step 1."));
    let answers: Vec<&str> = l
        .lesson
        .quiz
        .iter()
        .map(|q| q.answer.as_deref().unwrap())
        .collect();
    // Question 3 is keyed to what the run measures (the kernel writes dirty pages back without flush()).
    assert_eq!(answers, vec!["A", "C", "A"]);
    assert_eq!(l.lesson.quiz[0].choices, vec!["5.0", "3.0", "8.0", "0.0"]);
    let about = l.lesson.quiz[0].about.as_ref().unwrap();
    assert_eq!((about.kind.as_str(), about.step), ("value", Some(2)));
    assert_eq!(about.index.as_deref(), Some("arr[1, 2]"));
    assert_eq!(
        l.lesson.quiz[1].about.as_ref().unwrap().kind,
        "first_disk_write"
    );
    assert!(l.lesson.quiz[2].about.is_none());
    assert_eq!(l.lesson.snapshot.len(), 5);
    assert!(l
        .lesson
        .transcript
        .as_deref()
        .unwrap()
        .starts_with("Memory-mapped arrays allow numpy to work with large data files"));
    let script = python::numpy_script(&l);
    assert!(script.contains("\nimport numpy as np\n"));
    assert!(script.contains("\narr.flush()\n"));
}

#[test]
fn resolve_source_builtin_path_and_unknown() {
    let (name, text) = resolve_source("numpy-memmap-basics").unwrap();
    assert_eq!(name, "numpy-memmap-basics");
    assert!(text.contains("title:"));
    let (name, _) = resolve_source("scenarios/numpy-memmap-basics.yaml").unwrap();
    assert_eq!(name, "scenarios/numpy-memmap-basics.yaml");
    match resolve_source("numpy-memmap-basic").unwrap_err() {
        LessonError::Unreadable { message, .. } => {
            assert!(message.contains("numpy-memmap-basics"), "{message}");
            assert!(message.contains("did you mean"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        resolve_source(dir.path().to_str().unwrap()),
        Err(LessonError::Unreadable { .. })
    ));
    let bin = dir.path().join("garbage.yaml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x01, 0x80, 0x9f]).unwrap();
    // Not UTF-8: located at the first invalid byte.
    assert!(matches!(
        load(bin.to_str().unwrap()),
        Err(LessonError::Syntax {
            line: 1,
            column: 1,
            ..
        })
    ));
}

#[test]
fn unknown_top_level_key() {
    let (line, col, msg) = syntax(&format!("{MINIMAL}titel: x\n"));
    assert_eq!((line, col), (8, 1));
    assert!(msg.contains("unknown key `titel`"), "{msg}");
    assert!(msg.contains("did you mean `title`?"), "{msg}");
}

#[test]
fn unknown_step_key() {
    let (line, col, msg) = syntax(&with_steps("  - op: flush\n    flsh: true\n"));
    assert_eq!((line, col), (9, 5));
    assert!(msg.starts_with("step 2: unknown key `flsh`"), "{msg}");
    let (_, _, msg) = syntax(&with_steps("  - op: open\n    dtyp: float32\n"));
    assert!(msg.contains("did you mean `dtype`?"), "{msg}");
}

#[test]
fn unknown_op() {
    let (line, col, msg) = syntax(&with_steps("  - op: flsh\n"));
    assert_eq!(line, 8);
    assert!(col >= 5, "{col}");
    assert!(msg.contains("unknown op `flsh`"), "{msg}");
    assert!(msg.contains("did you mean `flush`?"), "{msg}");
}

#[test]
fn bad_dtype_is_numpys_error_at_run_time() {
    // np.memmap raises TypeError when it runs (after opening the file); the lesson loads and the
    // step records it, and the code shows the dtype as written.
    let l = load_str("t.yaml", &MINIMAL.replace("float32", "flaot32")).unwrap();
    match &l.steps[0].action {
        Action::Open(spec) => assert_eq!(spec.bad_dtype.as_deref(), Some("flaot32")),
        other => panic!("{other:?}"),
    }
    assert!(
        l.steps[0].code.contains("dtype='flaot32'"),
        "{}",
        l.steps[0].code
    );
    // A kind NumPy has but the tutor does not model is still refused at load, by name.
    let (step, field, msg) = step_err(&MINIMAL.replace("float32", "S4"));
    assert_eq!((step, field.as_str()), (1, "dtype"));
    assert!(msg.contains("does not support"), "{msg}");
}

#[test]
fn bad_mode_is_numpys_error_at_run_time() {
    // np.memmap raises ValueError when it runs; the lesson loads and the step records it.
    let l = load_str("t.yaml", &MINIMAL.replace("mode: w+", "mode: rw")).unwrap();
    match &l.steps[0].action {
        Action::Open(spec) => {
            assert_eq!(spec.bad_mode.as_deref(), Some("rw"));
            assert_eq!(spec.mode_text(), "rw");
        }
        other => panic!("{other:?}"),
    }
    assert!(l.steps[0].code.contains("mode='rw'"), "{}", l.steps[0].code);
}

#[test]
fn bad_shape_type() {
    let (step, field, msg) = step_err(&MINIMAL.replace("[3, 3]", "2.5"));
    assert_eq!((step, field.as_str()), (1, "shape"));
    assert!(msg.contains("float"), "{msg}");
    let (_, field, _) = step_err(&MINIMAL.replace("[3, 3]", "[3, x]"));
    assert_eq!(field, "shape");
    let (_, field, _) = step_err(&MINIMAL.replace("[3, 3]", "{a: 1}"));
    assert_eq!(field, "shape");
}

#[test]
fn shape_forms_accepted() {
    for (shape, want) in [("9", vec![9]), ("'(3, 3)'", vec![3, 3]), ("[]", vec![])] {
        let l = load_str("t", &MINIMAL.replace("[3, 3]", shape)).unwrap();
        match &l.steps[0].action {
            Action::Open(s) => assert_eq!(s.shape.as_ref(), Some(&want)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn overflowing_shape() {
    let (step, field, msg) = step_err(&MINIMAL.replace("[3, 3]", "[4294967296, 4294967296, 16]"));
    assert_eq!((step, field.as_str()), (1, "shape"));
    assert!(msg.contains("overflow"), "{msg}");
    let (_, field, msg) = step_err(&MINIMAL.replace("[3, 3]", "[18446744073709551615]"));
    assert_eq!(field, "shape");
    assert!(msg.contains("64-bit"), "{msg}");
}

#[test]
fn bad_index_text() {
    let (step, field, msg) = step_err(&with_steps("  - op: read\n    index: 'arr[1, x]'\n"));
    assert_eq!((step, field.as_str()), (2, "index"));
    assert!(msg.contains("column 8"), "{msg}");
    assert!(
        msg.contains("expected an integer, `:` or `...`, found `x`"),
        "{msg}"
    );
    let (_, field, _) = step_err(&with_steps("  - op: read\n"));
    assert_eq!(field, "index");
}

#[test]
fn bad_value_text() {
    let (step, field, msg) = step_err(&with_steps("  - op: assign\n    value: np.arang(9)\n"));
    assert_eq!((step, field.as_str()), (2, "value"));
    assert!(msg.contains("column 4"), "{msg}");
    assert!(msg.contains("did you mean `arange`?"), "{msg}");
    let (_, field, _) = step_err(&with_steps("  - op: assign\n"));
    assert_eq!(field, "value");
}

#[test]
fn step_on_unknown_or_closed_var_loads() {
    // NumPy raises NameError when the step runs (tests/bad_input.rs checks the run); a lesson
    // that uses a name never bound, or after `close` (`del`), is valid input.
    for extra in [
        "  - op: flush\n    var: arr2\n",
        "  - op: close\n  - op: close\n",
        "  - op: close\n  - op: read\n    index: '[0]'\n",
    ] {
        assert!(load_str("t.yaml", &with_steps(extra)).is_ok(), "{extra}");
    }
}

#[test]
fn step_after_close_is_a_run_time_name_error() {
    // `close` is `del arr`: the next use is NumPy's NameError when the step runs.
    assert!(load_str("t.yaml", &with_steps("  - op: close\n  - op: flush\n")).is_ok());
}

#[test]
fn unused_field_is_an_error() {
    let (step, field, msg) = step_err(&with_steps("  - op: flush\n    dtype: float32\n"));
    assert_eq!((step, field.as_str()), (2, "dtype"));
    assert!(msg.contains("does not apply to a `flush` step"), "{msg}");
}

#[test]
fn absolute_path() {
    let (step, field, msg) = step_err(&MINIMAL.replace("a.dat", "/etc/passwd"));
    assert_eq!((step, field.as_str()), (1, "file"));
    assert!(msg.contains("absolute"), "{msg}");
}

#[test]
fn dotdot_path() {
    let (step, field, msg) = step_err(&MINIMAL.replace("a.dat", "data/../../x.dat"));
    assert_eq!((step, field.as_str()), (1, "file"));
    assert!(msg.contains("`..`"), "{msg}");
}

#[test]
fn empty_yaml() {
    for text in ["", "   \n", "# only a comment\n"] {
        let (line, col, msg) = syntax(text);
        assert_eq!((line, col), (1, 1));
        assert!(msg.contains("empty"), "{msg}");
    }
    assert!(matches!(
        err("title: t\nsteps: []\n"),
        LessonError::Other { .. }
    ));
    let (_, _, msg) = syntax("title: t\n");
    assert!(msg.contains("missing field `steps`"), "{msg}");
}

#[test]
fn invalid_yaml_syntax() {
    let (line, col, msg) = syntax("title: t\nsteps:\n  - op: open\n   file: [a\n");
    assert!(line >= 3, "{line}:{col} {msg}");
    assert!(!msg.contains(" at line "), "{msg}");
    let (line, _, _) = syntax("title: 'unterminated\nsteps: []\n");
    assert!(line >= 1);
}

#[test]
fn deeply_nested_list() {
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let (_, _, msg) = syntax(&with_steps(&format!("  - op: assign\n    value: {deep}\n")));
    assert!(msg.contains("recursion limit"), "{msg}");
    // Within serde's limit and Python's (200 levels): it loads; NumPy's dimension limit is
    // a run-time error of the step.
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(load_str(
        "t.yaml",
        &with_steps(&format!("  - op: assign\n    value: {deep}\n"))
    )
    .is_ok());
    // Beyond Python's parser limit as an expression string: a clean error.
    let deep = format!("'{}1{}'", "[".repeat(3_000), "]".repeat(3_000));
    let (_, field, _) = step_err(&with_steps(&format!("  - op: assign\n    value: {deep}\n")));
    assert_eq!(field, "value");
}

#[test]
fn binary_garbage() {
    let garbage: String = (0u8..=255).cycle().take(4096).map(|b| b as char).collect();
    assert!(matches!(err(&garbage), LessonError::Syntax { .. }));
    assert!(matches!(err("\u{0}\u{1}\u{2}"), LessonError::Syntax { .. }));
    assert!(matches!(
        err("- just\n- a list\n"),
        LessonError::Syntax { .. }
    ));
}

#[test]
fn quiz_and_key_moment_checks() {
    let q = |answer: &str| {
        format!("{MINIMAL}quiz:\n  - question: q\n    choices: [a, b]\n    answer: {answer}\n")
    };
    assert!(load_str("t", &q("B")).is_ok());
    match err(&q("C")) {
        LessonError::Other {
            location, message, ..
        } => {
            assert_eq!(location, "quiz question 1, field `answer`");
            assert!(message.contains("A to B"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let km = format!("{MINIMAL}key_moments:\n  - question: q\n    answer: a\n    cites: {{step: 5, column: array}}\n");
    assert!(matches!(err(&km), LessonError::Other { .. }));
    let km = format!("{MINIMAL}key_moments:\n  - question: q\n    answer: a\n    cites: {{step: 1, column: arary}}\n");
    match err(&km) {
        LessonError::Other { message, .. } => assert!(message.contains("did you mean `array`?")),
        other => panic!("{other:?}"),
    }
    let about = format!(
        "{MINIMAL}quiz:\n  - question: q\n    about: {{kind: value, step: 1, index: 'arr[1,'}}\n"
    );
    assert!(matches!(err(&about), LessonError::Other { .. }));
}

#[test]
fn generated_text_and_code() {
    let l = load_str(
        "t",
        &with_steps(
            "  - op: read\n    index: 'arr[1, 2]'\n  - op: assign\n    index: '[0:2, ::2]'\n    value: 5\n  - op: open\n    var: b\n    file: sub/b.dat\n    mode: r\n    offset: 8\n    order: F\n",
        ),
    )
    .unwrap();
    assert_eq!(
        l.steps[0].action_text,
        "Open a.dat as float32 (3, 3), mode w+"
    );
    assert_eq!(l.steps[1].code, "print(arr[1, 2])");
    assert_eq!(l.steps[1].action_text, "Read arr[1, 2]");
    assert_eq!(l.steps[2].code, "arr[0:2, ::2] = 5");
    assert_eq!(
        l.steps[3].code,
        "b = np.memmap('sub/b.dat', dtype='uint8', mode='r', offset=8, order='F')"
    );
    match &l.steps[1].action {
        Action::Read { index, .. } => {
            assert_eq!(index.items, vec![IndexItem::Int(1), IndexItem::Int(2)])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn w_plus_without_shape_loads_and_is_numpys_run_time_error() {
    // NumPy raises `ValueError: shape must be given if mode == 'w+'` when the call runs: the step
    // records it (tests/fixtures/bad/cases.txt: w_plus_without_shape), the lesson loads.
    let no_shape = MINIMAL.replace("    shape: [3, 3]\n", "");
    assert!(no_shape.contains("w+") && !no_shape.contains("shape"));
    assert!(load_str("t", &no_shape).is_ok());
    let expected = format!("{no_shape}    expect_error: shape must be given\n");
    assert!(load_str("t", &expected).is_ok());
}

#[test]
fn readme_example_and_all_scenarios_load() {
    let readme = std::fs::read_to_string("scenarios/README.md").unwrap();
    let (_, rest) = readme.split_once("## Complete example").unwrap();
    let (_, rest) = rest.split_once("```yaml\n").unwrap();
    let (example, _) = rest.split_once("```").unwrap();
    let l = load_str("README example", example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.steps.len(), 9);
    assert_eq!(l.steps[4].code, "b[0] = 99");
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            load(path.to_str().unwrap()).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// A small deterministic PRNG so the no-panic sweeps are reproducible.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn parsers_never_panic_on_token_soup() {
    use memmap_tutor::expr::index::parse_index;
    use memmap_tutor::expr::value::parse_value_str;
    let pieces = [
        "arr",
        "[",
        "]",
        "(",
        ")",
        ",",
        ":",
        "...",
        "-",
        "+",
        "*",
        "/",
        "1",
        "-1",
        "2.5",
        "1e",
        "np",
        ".",
        "arange",
        "reshape",
        "astype",
        "'f4'",
        "None",
        "newaxis",
        "=",
        "endpoint",
        "False",
        "nan",
        "linspace",
        "full",
        "zeros",
        "9223372036854775808",
        " ",
        "'",
        "np.float32",
        "ü",
        "\0",
    ];
    let mut s = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..20_000 {
        let n = (xorshift(&mut s) % 12) as usize;
        let text: String = (0..n)
            .map(|_| pieces[(xorshift(&mut s) % pieces.len() as u64) as usize])
            .collect();
        let _ = parse_index(&text);
        if let Ok(v) = parse_value_str(&text) {
            // Whatever parses must print as code that parses again.
            let printed = v.to_python();
            assert!(parse_value_str(&printed).is_ok(), "{text} -> {printed}");
        }
    }
}

#[test]
fn loader_never_panics_on_mutated_lessons() {
    let (_, text) = resolve_source(builtin::DEFAULT).unwrap();
    let bytes = text.as_bytes();
    let mut s = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        let mut b = bytes.to_vec();
        for _ in 0..3 {
            let i = (xorshift(&mut s) % b.len() as u64) as usize;
            match xorshift(&mut s) % 3 {
                0 => {
                    b.remove(i);
                }
                1 => b[i] = b" :-[]{}'\"\n#&*!|>0x"[(xorshift(&mut s) % 18) as usize],
                _ => b.insert(i, b"\n  - "[(xorshift(&mut s) % 5) as usize]),
            }
        }
        if let Ok(t) = String::from_utf8(b) {
            let _ = load_str("mutated", &t);
        }
    }
}

#[test]
fn order_is_checked_when_the_step_runs() {
    // NumPy takes `c` as `C`, and raises ValueError for `X` only when np.memmap runs (after w+ created the
    // file): every order loads (tests/fixtures/bad/cases.txt: bad_order is a run-time error).
    for order in ["c", "F", "k", "X"] {
        assert!(
            load_str("t", &format!("{MINIMAL}    order: {order}\n")).is_ok(),
            "{order}"
        );
    }
}

//! Property tests: the lesson loader and the index/value expression parsers never panic, on any
//! text and on text assembled from their own vocabulary (which reaches far deeper than noise).

use memmap_tutor::export::python::numpy_script;
use memmap_tutor::expr::{index::parse_index, value::parse_value_str};
use memmap_tutor::lesson::load_str;
use proptest::prelude::*;

/// Pieces of index and value expressions, so generated text is often almost valid.
const TOKENS: &[&str] = &[
    "arr",
    "np.",
    "numpy.",
    "arange",
    "linspace",
    "zeros",
    "ones",
    "full",
    "array",
    "reshape",
    "astype",
    "float32",
    "'int16'",
    "dtype=",
    "endpoint=False",
    "None",
    "newaxis",
    "True",
    "nan",
    "inf",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "::",
    "...",
    ".",
    "-",
    "+",
    "*",
    "/",
    "**",
    "%",
    "0",
    "1",
    "-1",
    "2.5",
    "1e308",
    "1e-5",
    "9223372036854775807",
    "18446744073709551616",
    "-0",
    " ",
    "=",
    "'",
    "\"",
    "\\",
    "é",
    "_",
];

fn expr_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        prop::collection::vec(prop::sample::select(TOKENS), 0..30).prop_map(|v| v.concat()),
    ]
}

/// YAML-ish lesson text: a valid frame with generated values spliced in.
fn lesson_text() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "op",
        "var",
        "file",
        "dtype",
        "mode",
        "shape",
        "offset",
        "order",
        "index",
        "value",
        "expect_error",
        "action",
    ]);
    let vals = prop_oneof![
        expr_text(),
        prop::sample::select(vec![
            "open",
            "assign",
            "read",
            "flush",
            "close",
            "w+",
            "r+",
            "c",
            "r",
            "float32",
            "<f4",
            ">i2",
            "[3, 3]",
            "-1",
            "a.dat",
            "../x",
            "/etc/passwd",
            "{}",
            "[]",
            "~",
            "!!binary aGk=",
            "&a 1",
            "*a",
            "|\n      x",
            "'[1, 2]'",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(prop::collection::vec((keys, vals), 1..6), 0..5).prop_map(|steps| {
        let mut s = String::from("title: t\nsteps:\n");
        for step in steps {
            for (i, (k, v)) in step.iter().enumerate() {
                s.push_str(if i == 0 { "  - " } else { "    " });
                s.push_str(&format!("{k}: {v}\n"));
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parse_index_never_panics(s in expr_text()) {
        if let Ok(ix) = parse_index(&s) {
            let _ = ix.to_python("arr");
        }
    }

    #[test]
    fn parse_value_never_panics(s in expr_text()) {
        if let Ok(v) = parse_value_str(&s) {
            let _ = v.to_python();
        }
    }

    #[test]
    fn load_str_never_panics_on_any_text(s in ".{0,200}") {
        let _ = load_str("p.yaml", &s).map(|l| numpy_script(&l)).map_err(|e| e.to_string());
    }

    #[test]
    fn load_str_never_panics_on_lesson_like_text(s in lesson_text()) {
        match load_str("p.yaml", &s) {
            Ok(l) => drop(numpy_script(&l)),
            // Every error names the file.
            Err(e) => prop_assert!(e.to_string().starts_with("p.yaml"), "{}", e),
        }
    }
}

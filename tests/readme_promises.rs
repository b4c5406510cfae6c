//! README's "Untrusted lessons" section names the test that keeps each promise: every name it cites must exist.

use std::fs;
use std::path::Path;

/// The text of README's `## Untrusted lessons` section, up to the next `## ` heading.
fn untrusted_section() -> String {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .unwrap_or_else(|e| panic!("README.md: {e}"));
    let start = readme
        .find("\n## Untrusted lessons")
        .unwrap_or_else(|| panic!("README.md has no `## Untrusted lessons` section"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

/// Every `backticked` span of the text.
fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// A test function name as README cites it: lower snake case with at least three words.
fn is_test_name(s: &str) -> bool {
    s.split('_').filter(|w| !w.is_empty()).count() >= 3
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with('_')
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_test_readme_cites_for_untrusted_lessons_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let section = untrusted_section();
    let spans = code_spans(&section);

    let mut files = Vec::new();
    rust_files(&root.join("tests"), &mut files);
    rust_files(&root.join("src"), &mut files);
    let sources: Vec<String> = files
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .collect();
    let cases = fs::read_to_string(root.join("tests/fixtures/bad/cases.txt")).unwrap_or_default();
    let case_names: Vec<&str> = cases
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split('|').next())
        .map(str::trim)
        .collect();

    let mut cited_tests = 0;
    let mut missing = Vec::new();
    for span in &spans {
        if let Some(file) = span.strip_suffix(".rs") {
            // A cited test file: tests/NAME.rs, or a path from the repository's root.
            let found = root.join("tests").join(span).is_file() || root.join(span).is_file();
            if !found && !file.contains(' ') {
                missing.push(format!("file `{span}`"));
            }
        } else if is_test_name(span) {
            cited_tests += 1;
            let as_fn = format!("fn {span}(");
            let found =
                sources.iter().any(|s| s.contains(&as_fn)) || case_names.contains(&span.as_str());
            if !found {
                missing.push(format!("test `{span}`"));
            }
        }
    }
    // The section cites dozens of tests; a parser that finds none would make this check empty.
    assert!(
        cited_tests >= 20,
        "only {cited_tests} test names found in the section: {spans:?}"
    );
    assert!(
        missing.is_empty(),
        "README's Untrusted lessons section cites what does not exist: {missing:?}"
    );
}

#[test]
fn the_name_check_tells_test_names_from_other_code() {
    assert!(is_test_name("a_workdir_is_never_removed"));
    assert!(is_test_name("bom_then_runtime_error"));
    assert!(!is_test_name("file:line:column"));
    assert!(!is_test_name("--overwrite"));
    assert!(!is_test_name("O_EXCL"));
    assert!(!is_test_name(
        "openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)"
    ));
    assert_eq!(
        code_spans("a `b` c `d_e` f"),
        vec!["b".to_string(), "d_e".to_string()]
    );
}

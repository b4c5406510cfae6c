//! The layering rule of the source, checked on `src/` itself: shipped code (not `#[cfg(test)]`) refers only to
//! modules of its own layer or lower (`crate::…`, `use crate::{…}` and `super::` paths that leave the
//! module), the top-level modules import each other without cycles, every module is placed in a layer, and
//! every source file opens with a `//!` line saying what it owns. `python3 bench/layers.py` prints the same
//! graph with line counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first (README "Layout", issue 10): a module may refer to its own layer (without a
/// cycle) or to a lower one. Data flows up: lesson (or script) → engine + probes → typed trace →
/// presentation → views.
const LAYERS: &[&[&str]] = &[
    &[
        "trace",
        "expr",
        "numpy",
        "python",
        "signals",
        "confine",
        "term_safe",
    ],
    &["lesson", "probe", "script"],
    &["export", "engine"],
    &["runner", "workdir"],
    &["present", "views"],
    &["quiz", "verify"],
    &["cli", "commands"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// A source file: its path below `src/` (with `/`) and its text.
struct Source {
    rel: String,
    text: String,
}

/// The module path of a file: `engine/open.rs` → `[engine, open]`, `engine/mod.rs` → `[engine]`,
/// `lib.rs` → `[]`.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The part of a file that is shipped: everything before its first `#[cfg(test)]`.
fn shipped(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or("")
}

/// Names of the child modules a file declares under `#[cfg(test)]` (`#[cfg(test)] mod tests;`): whole
/// files of tests.
fn test_children(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        rest = &rest[at + "#[cfg(test)]".len()..];
        let decl = rest.trim_start();
        let decl = decl.strip_prefix("pub(crate) ").unwrap_or(decl);
        if let Some(after) = decl.strip_prefix("mod ") {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if after[name.len()..].trim_start().starts_with(';') {
                out.push(name);
            }
        }
    }
    out
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level modules a piece of code refers to from module `path`.
fn referenced_top_modules(code: &str, path: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let preceded_by_ident =
            i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !preceded_by_ident && rest.starts_with("crate::") {
            let after = &rest["crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                // `use crate::{a::X, b}`: the first name of each item at depth 0.
                let mut depth = 0;
                let mut start = true;
                for (k, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if start && (c.is_ascii_alphabetic() || c == '_') => {
                            out.insert(ident_at(&group[k..]));
                            start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                let name = ident_at(after);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            i += "crate::".len();
            continue;
        }
        if !preceded_by_ident && rest.starts_with("super::") {
            let mut ups = 0;
            let mut tail = rest;
            while let Some(t) = tail.strip_prefix("super::") {
                ups += 1;
                tail = t;
            }
            // `super::` from `[a, b]` is `[a]`; leaving the crate's top level names a top-level module.
            if ups >= path.len() {
                let name = ident_at(tail);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            i += "super::".len() * ups;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The import graph between top-level modules, from shipped code only.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let test_only: BTreeSet<Vec<String>> = sources
        .iter()
        .flat_map(|s| {
            let parent = module_path(&s.rel);
            test_children(&s.text).into_iter().map(move |c| {
                let mut p = parent.clone();
                p.push(c);
                p
            })
        })
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let path = module_path(&s.rel);
        if test_only.contains(&path) {
            continue;
        }
        let Some(top) = path.first() else {
            continue; // lib.rs and main.rs: the crate root and the binary sit above every layer
        };
        for dep in referenced_top_modules(shipped(&s.text), &path) {
            if &dep != top {
                edges.entry(top.clone()).or_default().insert(dep);
            }
        }
    }
    edges
}

/// Every violation of the rule: an unplaced module, an upward import, a cycle.
fn problems(edges: &BTreeMap<String, BTreeSet<String>>, modules: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for m in modules {
        if layer(m).is_none() {
            out.push(format!(
                "module `{m}` is in no layer: add it to LAYERS (and to bench/layers.py)"
            ));
        }
    }
    for (m, deps) in edges {
        for d in deps {
            if let (Some(lm), Some(ld)) = (layer(m), layer(d)) {
                if ld > lm {
                    out.push(format!(
                        "upward import: `{m}` (layer {lm}) uses `{d}` (layer {ld})"
                    ));
                }
            }
        }
    }
    // Cycles: depth-first search, reporting each back edge.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        out: &mut Vec<String>,
    ) {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for d in edges.get(n).into_iter().flatten() {
            match state.get(d.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == d).unwrap_or(0);
                    out.push(format!(
                        "import cycle: {} -> {d}",
                        stack[from..].join(" -> ")
                    ));
                }
                Some(_) => {}
                None => visit(d, edges, state, stack, out),
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n.as_str()) {
            visit(n, edges, &mut state, &mut Vec::new(), &mut out);
        }
    }
    out
}

fn read_sources(dir: &Path, root: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_sources(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            out.push(Source { rel, text });
        }
    }
}

fn src() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    read_sources(&root, &root, &mut out);
    assert!(
        out.len() > 50,
        "found only {} source files under src/",
        out.len()
    );
    out
}

fn top_modules(sources: &[Source]) -> BTreeSet<String> {
    sources
        .iter()
        .filter_map(|s| module_path(&s.rel).first().cloned())
        .collect()
}

#[test]
fn layers_only_point_down_and_have_no_cycles() {
    let sources = src();
    let edges = graph(&sources);
    for (m, deps) in &edges {
        let names: Vec<&str> = deps.iter().map(String::as_str).collect();
        println!("{m:10} -> {}", names.join(", "));
    }
    let found = problems(&edges, &top_modules(&sources));
    assert!(found.is_empty(), "layer rule broken:\n{}", found.join("\n"));
}

#[test]
fn every_source_file_opens_with_a_module_doc_line() {
    let missing: Vec<String> = src()
        .into_iter()
        .filter(|s| {
            let first = s.text.lines().next().unwrap_or("");
            !(first.starts_with("//!") && first.trim_start_matches("//!").trim().len() > 3)
        })
        .map(|s| s.rel)
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` line saying what they own: {missing:?}"
    );
}

/// The checker itself finds what it must: without this, a parser that saw no imports would pass.
#[test]
fn the_checker_catches_upward_imports_cycles_and_unplaced_modules() {
    let sources = vec![
        Source {
            rel: "trace.rs".into(),
            text: "//! t\nuse crate::views::render;\n#[cfg(test)]\nmod tests { use crate::commands::x; }\n".into(),
        },
        Source {
            rel: "lesson/mod.rs".into(),
            text: "//! l\nuse crate::{probe::FsInfo, expr};\n".into(),
        },
        Source {
            rel: "probe/pages.rs".into(),
            text: "//! p\nfn f() { super::super::lesson::load(); super::other(); }\n".into(),
        },
        Source {
            rel: "engine/mod.rs".into(),
            text: "//! e\n#[cfg(test)]\nmod tests;\n".into(),
        },
        Source {
            rel: "engine/tests.rs".into(),
            text: "//! tests\nuse crate::commands::run;\n".into(),
        },
        Source {
            rel: "newthing.rs".into(),
            text: "//! n\n".into(),
        },
        Source {
            rel: "views/mod.rs".into(),
            text: "//! v\n".into(),
        },
    ];
    let edges = graph(&sources);
    assert_eq!(
        edges
            .get("lesson")
            .map(|d| d.iter().cloned().collect::<Vec<_>>()),
        Some(vec!["expr".to_string(), "probe".to_string()])
    );
    assert_eq!(
        edges
            .get("probe")
            .map(|d| d.iter().cloned().collect::<Vec<_>>()),
        Some(vec!["lesson".to_string()])
    );
    // Test code (a `#[cfg(test)]` block, a test-only file) is not counted.
    assert!(!edges.contains_key("engine"));
    assert!(!edges["trace"].contains("commands"));
    let found = problems(&edges, &top_modules(&sources));
    assert!(
        found.iter().any(|p| p.contains("upward import: `trace`")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("import cycle") && p.contains("lesson") && p.contains("probe")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("`newthing` is in no layer")),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

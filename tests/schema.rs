//! The lesson JSON Schema: generated from the lesson types, committed as scenarios/lesson.schema.json,
//! referenced from every built-in lesson, and (with Python's jsonschema) accepting every built-in lesson
//! while rejecting an unknown key and an unknown op.

mod common;

use std::process::Command;

use common::tutor;
use memmap_tutor::lesson::builtin;

fn schema_text() -> String {
    let out = tutor().arg("schema").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string("scenarios/lesson.schema.json").unwrap();
    assert!(
        committed == schema_text(),
        "scenarios/lesson.schema.json is stale: memmap-tutor schema > scenarios/lesson.schema.json"
    );
}

#[test]
fn every_built_in_lesson_names_the_schema_on_its_first_line() {
    for (name, yaml) in builtin::LESSONS {
        let first = yaml.lines().next().unwrap_or("");
        assert!(
            first.starts_with("# yaml-language-server: $schema=")
                && first.ends_with("lesson.schema.json"),
            "{name}: {first}"
        );
    }
}

/// Python with jsonschema and PyYAML, or the reason it cannot be used.
fn python_validator() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import jsonschema, yaml"])
        .output()
        .map_err(|e| format!("no python3 ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 lacks jsonschema or PyYAML (pip install jsonschema pyyaml): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

const VALIDATE: &str = r#"
import json, re, sys, yaml, jsonschema
# YAML 1.2 booleans, as the tutor's parser and yaml-language-server read them (PyYAML's 1.1 rules
# would turn a `on:` key into True).
class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    errors = sorted(e.message for e in v.iter_errors(yaml.load(open(path), Loader=Loader)))
    print(path + "\t" + ("ok" if not errors else "; ".join(errors)))
"#;

#[test]
fn built_in_lessons_validate_and_mistakes_do_not() {
    if let Err(why) = python_validator() {
        eprintln!("skipping schema validation: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("lesson.schema.json");
    std::fs::write(&schema, schema_text()).unwrap();
    let mut files = Vec::new();
    for (name, yaml) in builtin::LESSONS {
        let f = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&f, yaml).unwrap();
        files.push(f);
    }
    let starter = tmp.path().join("starter.yaml");
    assert!(tutor()
        .arg("new")
        .arg(&starter)
        .output()
        .unwrap()
        .status
        .success());
    files.push(starter);
    let basics = builtin::LESSONS[0].1;
    let unknown_key = tmp.path().join("bad-key.yaml");
    std::fs::write(
        &unknown_key,
        basics.replace("    var: arr\n", "    var: arr\n    colour: red\n"),
    )
    .unwrap();
    let unknown_op = tmp.path().join("bad-op.yaml");
    std::fs::write(
        &unknown_op,
        basics.replacen("  - op: flush\n", "  - op: explode\n", 1),
    )
    .unwrap();
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(&schema)
        .args(&files)
        .arg(&unknown_key)
        .arg(&unknown_op)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in report.lines() {
        let (path, verdict) = line.split_once('\t').unwrap();
        if path.ends_with("bad-key.yaml") {
            assert!(verdict.contains("colour"), "{line}");
        } else if path.ends_with("bad-op.yaml") {
            assert!(verdict.contains("explode"), "{line}");
        } else {
            assert_eq!(verdict, "ok", "{path}");
        }
    }
    assert_eq!(report.lines().count(), files.len() + 2);
}

//! The built-in lessons' prose names only what the views show: every "the X column" is a column of the
//! execution table, every "the X line" a line the lesson's own step-by-step trace prints.

mod common;

use common::tutor;
use memmap_tutor::lesson::builtin;

/// Every piece of teaching text of a lesson (hints, explanations, notes, key moments, snapshot, transcript,
/// captions, footer, claims and derivations).
fn texts(name: &str) -> Vec<String> {
    let l = memmap_tutor::lesson::load(name).expect("built-in lesson");
    let l = l.lesson;
    let mut out: Vec<String> = Vec::new();
    out.extend(l.steps.iter().filter_map(|s| s.note.clone()));
    for m in &l.key_moments {
        out.push(m.question.clone());
        out.push(m.answer.clone());
    }
    for q in &l.quiz {
        out.push(q.question.clone());
        out.extend(q.hint.clone());
        out.extend(q.explanation.clone());
        for d in &q.derive {
            out.push(d.says.clone());
            out.extend(d.explanation.clone());
        }
    }
    out.extend(l.snapshot.clone());
    out.extend(l.transcript.clone());
    out.extend(l.table_footer.clone());
    if let Some(f) = &l.concept_flow {
        out.extend(f.caption.clone());
    }
    out.extend(l.claims.iter().map(|c| c.says.clone()));
    out
}

/// The names a text gives before `word` ("the Disk Write column" -> "Disk Write"): the words after the last
/// "the " before it, in that sentence.
fn named_before(text: &str, word: &str) -> Vec<String> {
    let mut out = Vec::new();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = flat.as_str();
    while let Some(i) = rest.find(word) {
        let before = &rest[..i];
        if let Some(j) = before.rfind("the ") {
            let name = before[j + 4..].trim();
            if !name.is_empty() && name.split(' ').count() <= 3 && !name.contains(['.', ',', ';']) {
                out.push(name.to_string());
            }
        }
        rest = &rest[i + word.len()..];
    }
    out
}

#[test]
fn hints_and_prose_name_columns_and_lines_that_exist() {
    let mut checked = 0;
    for (name, _) in builtin::LESSONS {
        // The large lessons write hundreds of MB; their text is checked by hand (see the closing note).
        let large = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("scenarios/large/{name}.yaml"))
            .exists();
        if large {
            continue;
        }
        let out = tutor()
            .args([
                "run", name, "--view", "steps", "--view", "table", "--width", "400",
            ])
            .output()
            .expect("runs");
        let both = String::from_utf8_lossy(&out.stdout).into_owned();
        let (steps, table) = both
            .split_once("Execution Table")
            .unwrap_or_else(|| panic!("{name}: no table in {both}"));
        // The header may wrap over several lines: join each column's pieces.
        let header: Vec<Vec<String>> = table
            .lines()
            .skip_while(|l| !l.starts_with('┌'))
            .skip(1)
            .take_while(|l| !l.starts_with('╞'))
            .map(|l| l.split(['│', '┆']).map(|c| c.trim().to_string()).collect())
            .collect();
        let width = header.iter().map(Vec::len).max().unwrap_or(0);
        let columns: Vec<String> = (0..width)
            .map(|k| {
                header
                    .iter()
                    .filter_map(|cells| cells.get(k))
                    .filter(|c| !c.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            })
            .filter(|c| !c.is_empty())
            .collect();
        assert!(
            columns.contains(&"disk write".to_string()),
            "{name}: {columns:?}"
        );
        for text in texts(name) {
            for col in named_before(&text, " column") {
                let c = col.to_lowercase();
                // "the File column" for "File (read(2))": a name may leave out a parenthesised part.
                let exists = columns
                    .iter()
                    .any(|h| *h == c || h.starts_with(&format!("{c} (")));
                assert!(
                    exists,
                    "{name}: \"{text}\" names a column `{col}`; the table has {columns:?}"
                );
                checked += 1;
            }
            for label in named_before(&text, " line") {
                if !label.starts_with(|c: char| c.is_ascii_uppercase()) {
                    continue; // "the last line": not a label
                }
                let label = label.trim_end_matches('s');
                let shown = steps.lines().any(|l| l.trim_start().starts_with(label));
                assert!(
                    shown,
                    "{name}: \"{text}\" names a line `{label}` its step-by-step trace never prints"
                );
                checked += 1;
            }
        }
    }
    println!("{checked} column and line names checked in the built-in lessons' text");
    assert!(
        checked > 10,
        "the check found almost nothing to check ({checked})"
    );
}

#[test]
fn names_are_found_in_prose() {
    assert_eq!(
        named_before("Look at the Disk Write column at step 3", " column"),
        vec!["Disk Write"]
    );
    assert_eq!(
        named_before("the Page faults line of step 5", " line"),
        vec!["Page faults"]
    );
    assert!(named_before("the scan times, in their Outcome lines", " line").is_empty());
}

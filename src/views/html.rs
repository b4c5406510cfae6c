//! The lesson as one self-contained web page: the JSON trace inlined, an inline script renders the nine modes.
//!
//! The page is built ON the JSON trace (`run --format json`): it embeds that same value, plus the sentences the
//! presentation functions make from it (table cells, facts, narration, cited cells), so the page says exactly
//! what the terminal says. Lesson text is untrusted: it only ever reaches the page as JSON data, with every `<`
//! escaped so no string can close the data block, and the script shows it with `textContent`.

mod sha256;

use serde_json::{json, Value};

use super::{table, tracker, Block, View, ViewContext};
use crate::present::{cells, cite, facts, narrate};
use crate::trace::{DiskWrite, Measured};

const TEMPLATE: &str = include_str!("html/page.html");
const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/app.js");

/// The whole page for a run: the JSON trace exactly as `run --format json` prints it, plus [`extras`].
pub fn page(ctx: &ViewContext) -> String {
    let data = json!({ "trace": super::json::value(ctx), "page": extras(ctx) });
    let data = script_safe_json(&data);
    let script_hash = sha256::base64_digest(SCRIPT.as_bytes());
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'"
    );
    let tabs: String = View::ALL
        .iter()
        .map(|v| {
            let id = view_id(*v);
            format!(
                "<button type=\"button\" role=\"tab\" id=\"tab-{id}\" aria-controls=\"panel-{id}\" \
                 aria-selected=\"false\" tabindex=\"-1\">{}</button>",
                escape_html(super::title(*v))
            )
        })
        .collect();
    let panels: String = View::ALL
        .iter()
        .map(|v| {
            let id = view_id(*v);
            format!(
                "<section role=\"tabpanel\" class=\"panel\" id=\"panel-{id}\" aria-labelledby=\"tab-{id}\" \
                 tabindex=\"0\" hidden></section>"
            )
        })
        .collect();
    let title = escape_html(&ctx.trace.lesson.title);
    fill(
        TEMPLATE,
        &[
            ("CSP", &csp),
            ("TITLE", &title),
            ("STYLE", STYLE),
            ("TABS", &tabs),
            ("PANELS", &panels),
            ("SCRIPT", SCRIPT),
            ("DATA", &data),
        ],
    )
}

/// The template with each `{{NAME}}` replaced by its value. Only the template is scanned, never an inserted
/// value, so lesson text that spells a placeholder (a title of `{{SCRIPT}}`) stays text.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| {
            values
                .iter()
                .find(|(name, _)| *name == &after[..end])
                .map(|v| (end, v.1))
        }) {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The id the page uses for a view (tab `tab-<id>`, panel `panel-<id>`): the `--view` name.
fn view_id(v: View) -> &'static str {
    match v {
        View::Flow => "flow",
        View::Sample => "sample",
        View::Steps => "steps",
        View::Table => "table",
        View::Tracker => "tracker",
        View::Moments => "moments",
        View::Quiz => "quiz",
        View::Snapshot => "snapshot",
        View::Transcript => "transcript",
    }
}

/// What the page needs beyond the JSON trace: the sentences and cells the views make from it.
fn extras(ctx: &ViewContext) -> Value {
    let views: Vec<Value> = View::ALL
        .iter()
        .map(|v| json!({ "id": view_id(*v), "title": super::title(*v) }))
        .collect();
    let steps: Vec<Value> = ctx
        .trace
        .steps
        .iter()
        .map(|s| {
            json!({
                "cells": {
                    "array": cells::array_content(s, &s.var),
                    "disk_write": cells::disk_write(s),
                    "file": cells::file_content(s, &s.var),
                    "dirty": cells::dirty(s),
                },
                "disk_write_state": disk_write_state(&s.disk_write),
                "facts": facts::facts(s),
                "narration": narrate::narrate(s),
            })
        })
        .collect();
    let moments: Vec<Value> = ctx
        .lesson
        .lesson
        .key_moments
        .iter()
        .map(|m| match &m.cites {
            Some(c) => json!(cite::cited_cell(ctx.trace, c)),
            None => Value::Null,
        })
        .collect();
    let flow = match &ctx.lesson.lesson.concept_flow {
        Some(f) if !f.boxes.is_empty() => json!({ "boxes": f.boxes, "caption": f.caption }),
        // No flow written: the terminal view draws the steps themselves; so does the page.
        _ => json!({
            "boxes": ctx.lesson.steps.iter().map(|s| s.action_text.clone()).collect::<Vec<_>>(),
            "caption": "The lesson's steps in order.",
        }),
    };
    json!({
        "generator": concat!("memmap-tutor ", env!("CARGO_PKG_VERSION")),
        "views": views,
        "steps": steps,
        "table": table_json(ctx),
        "tracker": first_table(tracker::build(ctx)),
        "moments": moments,
        "flow": flow,
    })
}

/// How the Disk Write badge looks: `yes`, `no`, or `na` (no disk behind the filesystem, or not measured).
fn disk_write_state(verdict: &Measured<DiskWrite>) -> &'static str {
    match verdict {
        Measured::Value(d) if d.wrote() => "yes",
        Measured::Value(DiskWrite::NoDisk { .. }) | Measured::Unavailable { .. } => "na",
        Measured::Value(_) => "no",
    }
}

/// The execution table exactly as the terminal prints it, with a key per column so cells can be cited.
fn table_json(ctx: &ViewContext) -> Value {
    let blocks = table::build(ctx);
    let mut out = first_table(blocks.clone());
    let keys: Vec<&str> = out["headers"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|t| match t.as_str().unwrap_or("") {
                    "Step" => "step",
                    "Action" => "action",
                    "Array Content" => "array",
                    "Disk Write" => "disk_write",
                    "Notes" => "note",
                    "File (read(2))" => "file",
                    "Dirty pages" => "dirty",
                    "Page map" => "page_map",
                    _ => "other",
                })
                .collect()
        })
        .unwrap_or_default();
    out["keys"] = json!(keys);
    out["notes"] = json!(blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.clone()),
            _ => None,
        })
        .collect::<Vec<_>>());
    out
}

/// The first table of a view's blocks as `{headers, rows}` (empty when it has none).
fn first_table(blocks: Vec<Block>) -> Value {
    blocks
        .into_iter()
        .find_map(|b| match b {
            Block::Table { headers, rows } => Some(json!({ "headers": headers, "rows": rows })),
            _ => None,
        })
        .unwrap_or_else(|| json!({ "headers": [], "rows": [] }))
}

/// JSON that is safe inside a `<script>` element: `<`, `>` and `&` appear only inside JSON strings, so
/// escaping them as `\u003c`, `\u003e`, `\u0026` keeps the value identical and no text can end the element.
pub fn script_safe_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            // DEL, C1 controls, bidi overrides, U+2028/9: JSON escapes keep the value and no raw
            // control character reaches a terminal that `cat`s the page (serde escapes only C0).
            c if crate::term_safe::is_unsafe(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Control characters are shown escaped (`\x1b`), as on a terminal: the page may be `cat`ed.
    for c in crate::term_safe::clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_keeps_the_value_and_hides_markup() {
        let v = json!({ "title": "</script><script>alert(1)</script> & <!--", "n": 1 });
        let s = script_safe_json(&v);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn script_safe_json_escapes_every_terminal_unsafe_character() {
        let v = json!({ "t": "del\u{7f} csi\u{9b}31m bidi\u{202e} ls\u{2028} bom\u{feff}" });
        let s = script_safe_json(&v);
        assert!(!s.chars().any(crate::term_safe::is_unsafe), "{s}");
        assert!(s.contains("\\u007f") && s.contains("\\u009b"), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            escape_html("<b a=\"x\">'&'</b>"),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn template_has_each_placeholder_once() {
        for p in [
            "{{CSP}}",
            "{{TITLE}}",
            "{{STYLE}}",
            "{{TABS}}",
            "{{PANELS}}",
            "{{SCRIPT}}",
            "{{DATA}}",
        ] {
            assert_eq!(TEMPLATE.matches(p).count(), 1, "{p}");
        }
    }

    #[test]
    fn fill_scans_only_the_template() {
        let t = "<title>{{TITLE}}</title><script>{{SCRIPT}}</script>{{NOT_A_KEY}}";
        let out = fill(t, &[("TITLE", "{{SCRIPT}}"), ("SCRIPT", "code")]);
        assert_eq!(
            out,
            "<title>{{SCRIPT}}</title><script>code</script>{{NOT_A_KEY}}"
        );
    }
}

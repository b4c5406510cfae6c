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
         img-src data:; base-uri 'none'; form-action 'none'"
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
    // Each placeholder is replaced once, in an order where no inserted text can hold a later placeholder:
    // the lesson's own text is only in DATA, which goes in last.
    TEMPLATE
        .replacen("{{CSP}}", &csp, 1)
        .replacen("{{TITLE}}", &escape_html(&ctx.trace.lesson.title), 1)
        .replacen("{{STYLE}}", STYLE, 1)
        .replacen("{{TABS}}", &tabs, 1)
        .replacen("{{PANELS}}", &panels, 1)
        .replacen("{{SCRIPT}}", SCRIPT, 1)
        .replacen("{{DATA}}", &data, 1)
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
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
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
        // The script must not hold a placeholder that a later replacement would fill.
        assert!(!SCRIPT.contains("{{DATA}}") && !STYLE.contains("{{"));
    }
}

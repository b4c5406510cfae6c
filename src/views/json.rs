//! The JSON document: the typed trace as serde writes it, plus the sentences `present` makes from it
//! (`outcome`, `disk_write_detail`), so JSON goes through the same presentation as text and Markdown.

use serde_json::{json, Value};

use super::ViewContext;
use crate::present;

/// `{"lesson": {...}, "environment": {...}, "steps": [...]}`, pretty printed, ending in a newline.
pub fn document(ctx: &ViewContext) -> String {
    let trace = ctx.trace;
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|step| {
            let mut v = serde_json::to_value(step).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert(
                    "disk_write_detail".to_string(),
                    Value::String(present::disk_write_detail(&step.disk_write)),
                );
                if let Some(outcome) = present::step_outcome(step) {
                    map.insert("outcome".to_string(), Value::String(outcome));
                }
            }
            v
        })
        .collect();
    let value = json!({
        "lesson": {
            "source": trace.lesson.source,
            "title": trace.lesson.title,
            "workdir": trace.lesson.workdir,
            "text": ctx.lesson.lesson,
        },
        "environment": trace.environment,
        "steps": steps,
    });
    let mut s =
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

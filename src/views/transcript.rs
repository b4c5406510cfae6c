//! Full Transcript: the lesson's prose, then a narrative of what this run measured, step by step.

use super::{cells, Block, ViewContext};
use crate::trace::StepRecord;

/// Blocks of the `transcript` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(
        super::title(crate::cli::ViewName::Transcript).to_string(),
    )];
    if let Some(t) = &ctx.lesson.lesson.transcript {
        blocks.push(Block::Text(t.trim().to_string()));
    }
    let env = &ctx.trace.environment;
    let mut story = vec![format!(
        "What this run measured (on {}, Linux {}):",
        env.filesystem, env.kernel
    )];
    story.extend(ctx.trace.steps.iter().map(narrate));
    blocks.push(Block::Text(story.join("\n")));
    blocks
}

/// One sentence or two about a step, from its measurements only.
pub fn narrate(step: &StepRecord) -> String {
    let mut s = format!(
        "Step {} ({}): `{}`",
        step.step,
        step.action,
        step.code.replace('\n', " ")
    );
    if let Some(outcome) = &step.report.outcome {
        s.push_str(&format!(" — {outcome}"));
    }
    if let Some(e) = &step.error {
        s.push_str(&format!(" raised {e}"));
        if step.expected_error {
            s.push_str(", as the lesson expects");
        }
        s.push('.');
        return s;
    }
    let array = step.arrays.get(&step.var);
    match array {
        Some(a) if a.state == "closed" => s.push_str(&format!(
            " — `{}` is closed (unmapped without msync)",
            step.var
        )),
        Some(a) => s.push_str(&format!(
            " — `{}` reads {}",
            step.var,
            cells::one_line(&a.str)
        )),
        None => {}
    }
    if let Some(f) = step.files.get(&step.var) {
        let same = array.map(|a| a.str == f.str).unwrap_or(false);
        if f.str.is_empty() {
            s.push_str(&format!("; the file is {} bytes", f.size));
        } else if same {
            s.push_str(&format!(
                "; the file ({} bytes) already reads the same through read(2)",
                f.size
            ));
        } else {
            s.push_str(&format!(
                "; read(2) of the file ({} bytes) gives {}",
                f.size,
                cells::one_line(&f.str)
            ));
        }
    }
    match &step.pages {
        Some(p) => s.push_str(&format!(
            "; {} page{} cached, {} dirty",
            p.cached,
            if p.cached == 1 { "" } else { "s" },
            p.dirty
        )),
        None => {
            if let Some(why) = &step.pages_unavailable {
                s.push_str(&format!("; page cache unavailable ({why})"));
            }
        }
    }
    if step.disk_write {
        s.push_str(&format!(
            "; written to disk during this step ({})",
            step.disk_write_detail
        ));
    } else if step.pages.map(|p| p.dirty > 0).unwrap_or(false) {
        s.push_str("; not yet on disk");
    } else {
        s.push_str(&format!("; disk write: {}", step.disk_write_detail));
    }
    s.push('.');
    s
}

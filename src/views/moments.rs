//! Key Moments: the questions learners ask, with answers and the measured cell each answer cites.

use super::{cells, Block, ViewContext};
use crate::lesson::model::Cite;
use crate::trace::Trace;

/// Blocks of the `moments` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let moments = &ctx.lesson.lesson.key_moments;
    let mut blocks = vec![Block::Heading(format!(
        "{} - {} Insight{}",
        super::title(crate::cli::ViewName::Moments),
        moments.len(),
        if moments.len() == 1 { "" } else { "s" }
    ))];
    for (i, m) in moments.iter().enumerate() {
        blocks.push(Block::Subheading(format!("{}. {}", i + 1, m.question)));
        blocks.push(Block::Text(m.answer.clone()));
        if let Some(cite) = &m.cites {
            blocks.push(Block::Text(format!(
                "Measured in this run: {}",
                cited_cell(ctx.trace, cite)
            )));
        }
    }
    blocks
}

/// The live value of a cited cell, e.g. `step 3, Disk Write = Yes (1 page)`.
pub fn cited_cell(trace: &Trace, cite: &Cite) -> String {
    let Some(step) = trace.steps.iter().find(|s| s.step == cite.step) else {
        return format!("step {} is not in this run", cite.step);
    };
    let var = cite.var.clone().unwrap_or_else(|| step.var.clone());
    let (column, value) = match cite.column.as_str() {
        "array" => ("Array Content", cells::array_content(step, &var)),
        "file" => ("File (read(2))", cells::file_content(step, &var)),
        "disk_write" => (
            "Disk Write",
            format!("{} — {}", cells::disk_write(step), step.disk_write_detail),
        ),
        "dirty" => ("Dirty pages", cells::dirty(step)),
        "cached" => (
            "Cached pages",
            step.pages
                .map(|p| p.cached.to_string())
                .unwrap_or_else(|| cells::dirty(step)),
        ),
        "error" => (
            "Error",
            step.error.clone().unwrap_or_else(|| "none".to_string()),
        ),
        other => (other, "unknown column".to_string()),
    };
    format!("step {}, {column} = {value}", step.step)
}

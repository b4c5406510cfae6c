//! Concept Snapshot: the lesson's summary lines.

use super::{Block, ViewContext};
use crate::lesson::model::TextRef;
use crate::present::claims::measured_lines;

/// Blocks of the `snapshot` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(
        super::title(super::View::Snapshot).to_string(),
    )];
    let lines = &ctx.lesson.lesson.snapshot;
    if lines.is_empty() {
        blocks.push(Block::Text(
            "This lesson has no concept snapshot.".to_string(),
        ));
    } else {
        // Each line, followed by what the run shows where it contradicts or qualifies it.
        let mut text = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            text.push(line.clone());
            let on = TextRef::Snapshot(i + 1);
            text.extend(measured_lines(&ctx.lesson.lesson, ctx.trace, on));
        }
        blocks.push(Block::Text(text.join("\n")));
    }
    blocks
}

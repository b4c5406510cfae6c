//! Concept Snapshot: the lesson's summary lines.

use super::{Block, ViewContext};

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
        blocks.push(Block::Text(lines.join("\n")));
    }
    blocks
}

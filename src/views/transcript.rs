//! Full Transcript: the lesson's prose, then a narrative of what this run measured, step by step.

use super::{Block, ViewContext};
use crate::lesson::model::TextRef;
use crate::present::claims::measured_lines;
use crate::present::narrate::narrate;

/// Blocks of the `transcript` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(
        super::title(super::View::Transcript).to_string(),
    )];
    if let Some(t) = &ctx.lesson.lesson.transcript {
        blocks.push(Block::Text(t.trim().to_string()));
        for line in measured_lines(&ctx.lesson.lesson, ctx.trace, TextRef::Transcript) {
            blocks.push(Block::Text(line));
        }
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

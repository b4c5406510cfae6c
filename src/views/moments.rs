//! Key Moments: the questions learners ask, with answers and the measured cell each answer cites.

use super::{Block, ViewContext};
use crate::lesson::model::TextRef;
use crate::present::cite::cited_cell;
use crate::present::claims::measured_lines;

/// Blocks of the `moments` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let moments = &ctx.lesson.lesson.key_moments;
    let mut blocks = vec![Block::Heading(format!(
        "{} - {} Insight{}",
        super::title(super::View::Moments),
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
        for line in measured_lines(&ctx.lesson.lesson, ctx.trace, TextRef::Moment(i + 1)) {
            blocks.push(Block::Text(line));
        }
    }
    blocks
}

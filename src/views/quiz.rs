//! Visual Quiz as a printed handout: questions, choices and hints, never the answers.

use super::{Block, ViewContext};
use crate::quiz;

/// Blocks of the `quiz` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let questions = quiz::questions(ctx.lesson, ctx.trace);
    let mut blocks = vec![
        Block::Heading(format!(
            "{} - {} Question{}",
            super::title(crate::cli::ViewName::Quiz),
            questions.len(),
            if questions.len() == 1 { "" } else { "s" }
        )),
        Block::Text("Test your understanding".to_string()),
    ];
    for (i, q) in questions.iter().enumerate() {
        blocks.push(Block::Subheading(format!("{}. {}", i + 1, q.question)));
        let choices: Vec<(String, String)> = q
            .choices
            .iter()
            .enumerate()
            .map(|(j, c)| (quiz::letter(j).to_string(), c.clone()))
            .collect();
        blocks.push(Block::Facts(choices));
        if let Some(h) = &q.hint {
            blocks.push(Block::Text(format!("💡 Hint: {h}")));
        }
    }
    blocks
}

//! Visual Quiz as a printed handout: questions, choices and hints, never the answers.

use super::{Block, ViewContext};

/// Blocks of the `quiz` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let questions = ctx.quiz;
    let mut blocks = vec![
        Block::Heading(format!(
            "{} - {} Question{}",
            super::title(super::View::Quiz),
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
            .map(|(j, c)| (crate::present::letter(j).to_string(), c.clone()))
            .collect();
        blocks.push(Block::Facts(choices));
        if let Some(h) = &q.hint {
            blocks.push(Block::Text(format!("💡 Hint: {h}")));
        }
    }
    blocks
}

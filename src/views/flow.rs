//! Concept Flow: the lesson's idea as boxes joined by arrows, with its caption.

use super::{Block, ViewContext};

/// Blocks of the `flow` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(heading(ctx))];
    match &ctx.lesson.lesson.concept_flow {
        Some(flow) if !flow.boxes.is_empty() => {
            blocks.push(Block::Pre(picture(&flow.boxes)));
            if let Some(c) = &flow.caption {
                blocks.push(Block::Text(c.clone()));
            }
        }
        _ => {
            // No flow written: draw the steps themselves.
            let boxes: Vec<String> = ctx
                .lesson
                .steps
                .iter()
                .map(|s| s.action_text.clone())
                .collect();
            blocks.push(Block::Pre(picture(&boxes)));
            blocks.push(Block::Text("The lesson's steps in order.".to_string()));
        }
    }
    blocks
}

fn heading(ctx: &ViewContext) -> String {
    format!(
        "{} - {}",
        super::title(crate::cli::ViewName::Flow),
        ctx.lesson.lesson.title
    )
}

/// Boxes stacked top to bottom, all one width, joined by arrows.
pub fn picture(boxes: &[String]) -> String {
    let inner = boxes.iter().map(|b| b.chars().count()).max().unwrap_or(0) + 2;
    let mid = (inner + 2) / 2;
    let mut out = String::new();
    for (i, b) in boxes.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{}│\n{}▼\n", " ".repeat(mid), " ".repeat(mid)));
        }
        let pad = inner - 2 - b.chars().count();
        out.push_str(&format!("┌{}┐\n", "─".repeat(inner)));
        out.push_str(&format!("│ {b}{} │\n", " ".repeat(pad)));
        out.push_str(&format!("└{}┘\n", "─".repeat(inner)));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn boxes_are_joined_by_arrows() {
        let p = super::picture(&["Open".to_string(), "Flush it".to_string()]);
        assert_eq!(
            p,
            "┌──────────┐\n│ Open     │\n└──────────┘\n      │\n      ▼\n┌──────────┐\n│ Flush it │\n└──────────┘\n"
        );
    }
}

//! Concept Flow: the lesson's idea as boxes joined by arrows, with its caption.

use super::{Block, ViewContext};

/// Blocks of the `flow` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(heading(ctx))];
    match &ctx.lesson.lesson.concept_flow {
        Some(flow) if !flow.boxes.is_empty() => {
            blocks.push(Block::Flow(flow.boxes.clone()));
            if let Some(c) = &flow.caption {
                blocks.push(Block::Text(c.clone()));
                let on = crate::lesson::model::TextRef::Caption;
                for line in
                    crate::present::claims::measured_lines(&ctx.lesson.lesson, ctx.trace, on)
                {
                    blocks.push(Block::Text(line));
                }
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
            blocks.push(Block::Flow(boxes));
            blocks.push(Block::Text("The lesson's steps in order.".to_string()));
        }
    }
    blocks
}

fn heading(ctx: &ViewContext) -> String {
    format!(
        "{} - {}",
        super::title(super::View::Flow),
        ctx.lesson.lesson.title
    )
}

/// Boxes stacked top to bottom, all one width, joined by arrows; box text wraps to fit `width`.
pub(crate) fn picture(boxes: &[String], width: usize) -> String {
    let text_width = boxes
        .iter()
        .map(|b| super::layout::max_line_width(b))
        .max()
        .unwrap_or(0);
    let text_width = text_width.min(width.saturating_sub(4)).max(16);
    let inner = text_width + 2;
    let mid = (inner + 2) / 2;
    let mut out = String::new();
    for (i, b) in boxes.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{}│\n{}▼\n", " ".repeat(mid), " ".repeat(mid)));
        }
        out.push_str(&format!("┌{}┐\n", "─".repeat(inner)));
        for line in super::render::wrap_exact(b, text_width) {
            let pad = text_width.saturating_sub(super::layout::width(&line));
            out.push_str(&format!("│ {line}{} │\n", " ".repeat(pad)));
        }
        out.push_str(&format!("└{}┘\n", "─".repeat(inner)));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn boxes_are_joined_by_arrows() {
        let p = super::picture(&["Open".to_string(), "Flush it".to_string()], 80);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], format!("┌{}┐", "─".repeat(18)));
        assert_eq!(lines[1], format!("│ Open{} │", " ".repeat(12)));
        assert_eq!(lines[3], format!("{}│", " ".repeat(10)));
        assert_eq!(lines[4], format!("{}▼", " ".repeat(10)));
        assert_eq!(lines[6], format!("│ Flush it{} │", " ".repeat(8)));
    }

    #[test]
    fn long_box_text_wraps_to_the_width() {
        let p = super::picture(&["word ".repeat(30)], 40);
        assert!(
            p.lines().all(|l| super::super::layout::width(l) <= 40),
            "{p}"
        );
        assert!(p.lines().count() > 3);
    }
}

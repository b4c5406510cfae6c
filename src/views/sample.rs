//! Execution Sample: the lesson's code and caption, or NumPy code generated from its steps.

use super::{Block, ViewContext};

/// Blocks of the `sample` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(
        super::title(super::View::Sample).to_string(),
    )];
    match &ctx.lesson.lesson.sample {
        Some(s) => {
            blocks.push(Block::Code {
                language: s.language.clone().unwrap_or_else(|| "NumPy".to_string()),
                code: s.code.trim_end().to_string(),
            });
            if let Some(c) = &s.caption {
                blocks.push(Block::Text(c.clone()));
            }
        }
        None => {
            blocks.push(Block::Code {
                language: "NumPy".to_string(),
                code: generated_code(ctx),
            });
            blocks.push(Block::Text(
                "The NumPy code equivalent to this lesson's steps (generated).".to_string(),
            ));
        }
    }
    blocks
}

/// `import numpy as np` followed by each step's NumPy line.
pub(crate) fn generated_code(ctx: &ViewContext) -> String {
    let mut code = String::from("import numpy as np\n");
    for s in &ctx.lesson.steps {
        code.push_str(&s.code);
        code.push('\n');
    }
    code.trim_end().to_string()
}

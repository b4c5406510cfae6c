//! Execution Table: the seed's columns (Step, Action, Array Content, Disk Write, Notes) plus measured columns.

use super::{cells, Block, ViewContext};

/// Blocks of the `table` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let rows = ctx
        .trace
        .steps
        .iter()
        .map(|s| {
            vec![
                s.step.to_string(),
                s.action.clone(),
                cells::array_content(s, &s.var),
                cells::disk_write(s),
                s.note.clone(),
                cells::file_content(s, &s.var),
                cells::dirty(s),
            ]
        })
        .collect();
    let mut blocks = vec![
        Block::Heading(super::title(crate::cli::ViewName::Table).to_string()),
        Block::Table {
            headers: [
                "Step",
                "Action",
                "Array Content",
                "Disk Write",
                "Notes",
                "File (read(2))",
                "Dirty pages",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        },
    ];
    if let Some(f) = &ctx.lesson.lesson.table_footer {
        blocks.push(Block::Text(format!("💡 {f}")));
    }
    blocks.push(Block::Text(
        "Disk Write is measured: Yes when dirty pages of the file were written back during the step \
         (cachestat), or its delayed allocation received disk blocks (FIEMAP)."
            .to_string(),
    ));
    blocks
}

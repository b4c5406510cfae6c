//! Execution Table: the seed's columns (Step, Action, Array Content, Disk Write, Notes) plus measured columns.

use super::{Block, ViewContext};
use crate::present::cells;
use crate::trace::{Measured, StepRecord};

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
                page_map_cell(s),
            ]
        })
        .collect();
    let mut blocks = vec![
        Block::Heading(super::title(super::View::Table).to_string()),
        Block::Table {
            headers: [
                "Step",
                "Action",
                "Array Content",
                "Disk Write",
                "Notes",
                "File (read(2))",
                "Dirty pages",
                "Page map",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        },
    ];
    if let Some(f) = &ctx.lesson.lesson.table_footer {
        blocks.push(Block::Text(format!("💡 {f}")));
    }
    // Where the run contradicts or qualifies a step's note or the footer, say so under the table.
    let lesson = &ctx.lesson.lesson;
    let refs = (1..=lesson.steps.len())
        .map(crate::lesson::model::TextRef::Note)
        .chain([crate::lesson::model::TextRef::Footer]);
    for on in refs {
        for line in crate::present::claims::measured_lines(lesson, ctx.trace, on) {
            let which = match on {
                crate::lesson::model::TextRef::Note(n) => format!("Note of step {n}"),
                _ => "Footer".to_string(),
            };
            blocks.push(Block::Text(format!("{which} — {line}")));
        }
    }
    if let Some(legend) = ctx
        .trace
        .steps
        .iter()
        .flat_map(|s| s.page_map.values())
        .find_map(|m| m.value().map(|m| m.legend.clone()))
    {
        blocks.push(Block::Text(format!(
            "Page map: the step's file from start to end in at most {TABLE_CELLS} cells ({legend})."
        )));
    }
    blocks.push(Block::Text(
        "Disk Write is measured: Yes when dirty pages of the file were written back during the step \
         (cachestat), or its delayed allocation received disk blocks (FIEMAP)."
            .to_string(),
    ));
    blocks
}

/// Cells of the page map in the table: narrower than the steps view's strip, so the table fits.
const TABLE_CELLS: usize = 16;

/// The step's file's page map, merged down to at most [`TABLE_CELLS`] cells.
fn page_map_cell(step: &StepRecord) -> String {
    let file = step.arrays.get(&step.var).map(|a| a.file.as_str());
    let Some(m) = file.and_then(|f| step.page_map.get(f)) else {
        return String::new();
    };
    match m {
        Measured::Value(m) => format!("[{}]", merge_cells(&m.cells, TABLE_CELLS)),
        Measured::Unavailable { unavailable } => crate::present::unavailable(unavailable),
    }
}

/// Merge a strip into at most `n` cells; a merged cell shows the most notable state of its parts
/// (dirty, then writeback, then cached), as the probe does for pages within a cell.
pub(crate) fn merge_cells(cells: &str, n: usize) -> String {
    let chars: Vec<char> = cells.chars().collect();
    if chars.len() <= n || n == 0 {
        return cells.to_string();
    }
    let per = chars.len().div_ceil(n);
    chars
        .chunks(per)
        .map(|group| {
            let all = |c: char| group.iter().all(|&g| g == c);
            let any = |c: char| group.contains(&c);
            if any('D') {
                'D'
            } else if any('W') {
                'W'
            } else if all('#') {
                '#'
            } else if any('#') || any('+') {
                '+'
            } else if any('.') {
                '.'
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_the_most_notable_state() {
        assert_eq!(merge_cells("D---", 2), "D-");
        assert_eq!(merge_cells("##+#", 2), "#+");
        assert_eq!(merge_cells("-.--", 2), ".-");
        assert_eq!(merge_cells("#W", 4), "#W");
        assert_eq!(merge_cells(&"-".repeat(64), 16), "-".repeat(16));
    }
}

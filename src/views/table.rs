//! Execution Table: the seed's columns (Step, Action, Array Content, Disk Write, Notes) plus measured columns.

use super::{Block, ViewContext};
use crate::present::cells;
use crate::trace::{Measured, StepRecord};

/// Blocks of the `table` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    build_upto(ctx, None)
}

/// The table's rows up to and including step `upto` (every row for `None`), as the quiz shows it before a
/// question about a step.
pub fn build_upto(ctx: &ViewContext, upto: Option<usize>) -> Vec<Block> {
    let rows = ctx
        .trace
        .steps
        .iter()
        .filter(|s| upto.is_none_or(|n| s.step <= n))
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
    blocks.extend(super::scan_table::blocks(ctx.trace));
    // The footer sums up the whole run: not under a table that stops at a step.
    if let Some(f) = ctx
        .lesson
        .lesson
        .table_footer
        .as_ref()
        .filter(|_| upto.is_none())
    {
        blocks.push(Block::Text(format!("💡 {f}")));
    }
    // Where the run contradicts or qualifies a step's note or the footer, say so under the table.
    let lesson = &ctx.lesson.lesson;
    let refs = (1..=upto.unwrap_or(usize::MAX).min(lesson.steps.len()))
        .map(crate::lesson::model::TextRef::Note)
        .chain(
            upto.is_none()
                .then_some(crate::lesson::model::TextRef::Footer),
        );
    for on in refs {
        for line in crate::present::claims::measured_lines(lesson, ctx.trace, ctx.claims, on) {
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
        // Carried from an earlier step (not probed at this one): the cell says from which.
        Measured::Value(m) if m.probed_at_step < step.step => format!(
            "[{}] (step {})",
            merge_cells(&m.cells, TABLE_CELLS),
            m.probed_at_step
        ),
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

    // A real run of the lesson at many widths: no word or number of any cell is split, no line is
    // wider than asked (display width), in columns and in the stacked layout alike.
    /// The table view of a real run of `lesson` at each width, rendered by the library.
    fn tables(name: &str, widths: &[u16]) -> Vec<(u16, String, Vec<String>)> {
        let l = crate::lesson::load(name).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let trace = crate::runner::Runner::new(&l, tmp.path()).run_all();
        let ctx = crate::views::ViewContext {
            lesson: &l,
            trace: &trace,
            quiz: &[],
            claims: &[],
        };
        let blocks = crate::views::build(crate::views::View::Table, &ctx);
        // Every token the cells and headers hold: a rendered token must be one of these (or a piece
        // of a call broken after its `(`, or the `...` of a summarised array).
        let mut tokens = Vec::new();
        for b in &blocks {
            if let crate::views::Block::Table { headers, rows } = b {
                tokens.extend(headers.iter().cloned());
                tokens.extend(rows.iter().flatten().cloned());
            }
        }
        widths
            .iter()
            .map(|&w| {
                let text = crate::views::render_blocks(
                    &blocks,
                    &crate::views::RenderOptions {
                        format: crate::views::Format::Text,
                        width: w,
                        color: false,
                    },
                );
                (w, text, tokens.clone())
            })
            .collect()
    }

    /// Words of a cell, with calls also split after `(` (the one break the renderer adds).
    fn allowed(cells: &[String]) -> std::collections::HashSet<String> {
        let mut set: std::collections::HashSet<String> =
            std::collections::HashSet::from(["...".to_string()]);
        for c in cells {
            for word in c.split_whitespace() {
                set.insert(word.to_string());
                let mut rest = word;
                while let Some(i) = rest.find('(') {
                    let (head, tail) = rest.split_at(i + 1);
                    if tail.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                        set.insert(head.to_string());
                        set.insert(tail.to_string());
                    }
                    rest = tail;
                }
            }
        }
        set
    }

    /// The table part of rendered text (between the heading and the footer), with borders removed.
    fn table_words(text: &str) -> Vec<String> {
        text.lines()
            .skip(3)
            .take_while(|l| {
                !l.starts_with('💡')
                    && !l.starts_with("Page map:")
                    && !l.starts_with("Disk Write is")
            })
            .flat_map(|l| {
                l.split(|c: char| c.is_whitespace() || "│┆┌┐└┘├┤┬┴┼─═╞╡╪".contains(c))
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn no_word_or_number_is_split_and_no_line_is_too_wide() {
        let widths: Vec<u16> = (40..=160).step_by(7).chain([80, 100]).collect();
        for name in [
            "numpy-memmap-basics",
            "eviction",
            "byte-layout",
            "copy-on-write",
        ] {
            for (w, text, cells) in tables(name, &widths) {
                let ok = allowed(&cells);
                for line in text.lines() {
                    assert!(
                        unicode_width::UnicodeWidthStr::width(line) <= w as usize,
                        "{name} at {w}: line too wide: {line}\n{text}"
                    );
                }
                for word in table_words(&text) {
                    // Stacked rows start with the header as a title and the headers as keys.
                    assert!(
                        ok.contains(&word) || word.parse::<usize>().is_ok(),
                        "{name} at {w}: `{word}` is not a whole word of any cell\n{text}"
                    );
                }
            }
        }
    }
}

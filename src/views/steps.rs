//! The step-by-step trace: after every step, the array beside the file's bytes and the measured page/disk state.

use super::{Block, ViewContext};
use crate::lesson::model::TextRef;
use crate::present::claims::measured_lines;
use crate::present::facts::{facts, page_map_text};
use crate::trace::{ArrayLife, FileState, StepRecord};

/// Blocks of the `steps` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let t = ctx.trace;
    let mut blocks = vec![
        Block::Heading(super::title(super::View::Steps).to_string()),
        Block::Text(format!(
            "Work directory {} on {} (kernel {}, page size {} bytes){}.",
            t.lesson.workdir,
            t.environment.filesystem,
            t.environment.kernel,
            t.environment.page_size,
            if t.environment.has_disk {
                ""
            } else {
                ": no disk behind this filesystem, so nothing here is ever written to disk"
            }
        )),
    ];
    let mut legend_shown = false;
    for step in &t.steps {
        blocks.extend(step_blocks(step, &mut legend_shown));
        let note = TextRef::Note(step.step);
        for line in measured_lines(&ctx.lesson.lesson, t, note) {
            blocks.push(Block::Text(line));
        }
    }
    blocks
}

/// The blocks of one step (also used live by `memmap-tutor step`); the page-map legend is shown
/// with the first map only, and `legend_shown` remembers that it was.
pub(crate) fn step_blocks(step: &StepRecord, legend_shown: &mut bool) -> Vec<Block> {
    let mut blocks = vec![
        Block::Subheading(format!("Step {} · {}", step.step, step.action)),
        Block::Code {
            language: "python".to_string(),
            code: step.code.clone(),
        },
    ];
    if let Some(err) = &step.error {
        let tag = if step.expected_error {
            "raised, as the lesson expects"
        } else {
            "raised"
        };
        blocks.push(Block::Text(format!("{tag}: {err}")));
    }
    if !step.arrays.is_empty() {
        let rows = step
            .arrays
            .iter()
            .map(|(name, a)| {
                let label = format!(
                    "{name}\nmode {} · {}\nshape {}",
                    a.mode,
                    a.dtype,
                    shape_text(&a.shape)
                );
                let array = match a.state {
                    ArrayLife::Closed => "Closed".to_string(),
                    _ => a.str.clone(),
                };
                let file = match step.files.get(name) {
                    Some(f) => file_text(f),
                    None => "(no file)".to_string(),
                };
                vec![label, array, file]
            })
            .collect();
        blocks.push(Block::Table {
            headers: vec![
                "variable".to_string(),
                "array (what the program sees)".to_string(),
                "file (what read(2) sees)".to_string(),
            ],
            rows,
        });
        for f in dedup_files(step) {
            blocks.push(Block::Pre(hex_text(f)));
        }
    }
    if let Some((maps, legend)) = page_map_text(step) {
        blocks.push(Block::Pre(maps));
        if let Some(legend) = legend.filter(|_| !*legend_shown) {
            *legend_shown = true;
            // Prose, so it wraps to the width; the strips above must stay verbatim.
            blocks.push(Block::Text(format!("Page map legend: {legend}")));
        }
    }
    blocks.push(Block::Facts(facts(step)));
    blocks
}

/// `(3, 3)` like Python prints a shape tuple.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    crate::python::tuple(shape)
}

fn file_text(f: &FileState) -> String {
    format!("{}, {} bytes\n{}", f.path, f.size, f.str)
}

/// Each file once, even when several variables map it.
fn dedup_files(step: &StepRecord) -> Vec<&FileState> {
    let mut seen: Vec<&FileState> = Vec::new();
    for f in step.files.values() {
        if !seen.iter().any(|s| {
            s.path == f.path && s.hex.first().map(|l| l.offset) == f.hex.first().map(|l| l.offset)
        }) {
            seen.push(f);
        }
    }
    seen
}

/// The array region's first bytes as read(2) returns them, xxd style.
fn hex_text(f: &FileState) -> String {
    let mut s = format!("{} bytes as read(2) returns them:", f.path);
    if !f.header.is_empty() {
        s.push_str("\n  .npy header (magic, version, header length, dict, padding):");
        for line in &f.header {
            s.push_str(&format!("\n  {:08x}  {}", line.offset, line.hex));
        }
        s.push_str("\n  array data:");
    }
    for line in &f.hex {
        s.push_str(&format!("\n  {:08x}  {}", line.offset, line.hex));
    }
    if f.hex_truncated {
        s.push_str("\n  …");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_like_python_tuples() {
        assert_eq!(shape_text(&[3, 3]), "(3, 3)");
        assert_eq!(shape_text(&[5]), "(5,)");
        assert_eq!(shape_text(&[]), "()");
    }
}

//! The step-by-step trace: after every step, the array beside the file's bytes and the measured page/disk state.

use super::{Block, ViewContext};
use crate::trace::{Allocation, FileState, Measured, StepRecord};

/// Blocks of the `steps` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let t = ctx.trace;
    let mut blocks = vec![
        Block::Heading(super::title(crate::cli::ViewName::Steps).to_string()),
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
    for step in &t.steps {
        blocks.extend(step_blocks(step));
    }
    blocks
}

/// The blocks of one step (also used live by `memmap-tutor step`).
pub fn step_blocks(step: &StepRecord) -> Vec<Block> {
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
                let array = match a.state.as_str() {
                    "closed" => "Closed".to_string(),
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
        if let Some(legend) = legend {
            // Prose, so it wraps to the width; the strips above must stay verbatim.
            blocks.push(Block::Text(format!("Page map legend: {legend}")));
        }
    }
    blocks.push(Block::Facts(facts(step)));
    blocks
}

/// `(3, 3)` like Python prints a shape tuple.
pub fn shape_text(shape: &[usize]) -> String {
    crate::expr::eval::py_shape(shape)
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
    for line in &f.hex {
        s.push_str(&format!("\n  {:08x}  {}", line.offset, line.hex));
    }
    if f.hex_truncated {
        s.push_str("\n  …");
    }
    s
}

/// Every file's page map strip with its scale, and the legend (None when no file has a map).
pub fn page_map_text(step: &StepRecord) -> Option<(String, Option<String>)> {
    if step.page_map.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    let mut legend = None;
    for (file, m) in &step.page_map {
        match m {
            Measured::Value(m) => {
                let scale = if m.pages_per_cell == 1 {
                    "1 page per cell".to_string()
                } else {
                    format!(
                        "{} pages ({}) per cell",
                        m.pages_per_cell,
                        bytes_text(m.bytes_per_cell)
                    )
                };
                lines.push(format!(
                    "Page map of {file}: {} page{}, {scale}",
                    m.total_pages,
                    if m.total_pages == 1 { "" } else { "s" }
                ));
                lines.push(format!("  {}", m.strip()));
                if let Some(why) = &m.holes_unknown {
                    lines.push(format!("  (holes not shown: {why})"));
                }
                legend.get_or_insert_with(|| m.legend.clone());
            }
            other => lines.push(format!(
                "Page map of {file}: {}",
                other.why().unwrap_or_default()
            )),
        }
    }
    Some((lines.join("\n"), legend))
}

/// `16 MiB`, `4 KiB`, `1.5 GiB`: binary units as `ls -h` prints them.
pub fn bytes_text(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The measured facts of a step, one per line.
pub fn facts(step: &StepRecord) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    let pages = match (&step.pages, &step.pages_unavailable) {
        (Some(p), _) => format!(
            "{} page{} in the file: {} cached, {} dirty, {} under writeback",
            p.total,
            if p.total == 1 { "" } else { "s" },
            p.cached,
            p.dirty,
            p.writeback
        ),
        (None, Some(why)) => format!("unavailable ({why})"),
        (None, None) => "unavailable".to_string(),
    };
    facts.push(("Page cache".to_string(), pages));
    facts.push(("Disk blocks".to_string(), allocation_text(&step.allocation)));
    facts.push((
        "Page faults".to_string(),
        match &step.faults {
            Measured::Value(f) => format!("{} minor, {} major during this step", f.minor, f.major),
            other => other.why().unwrap_or_default(),
        },
    ));
    facts.push((
        "Mapping".to_string(),
        match &step.mapping {
            Measured::Value(m) => format!(
                "{} kB resident, {} kB dirty, {} kB private copies",
                m.rss_kb, m.dirty_kb, m.anonymous_kb
            ),
            other => other.why().unwrap_or_default(),
        },
    ));
    if let Some(r) = &step.read {
        facts.push(("Read".to_string(), format!("{} → {}", r.expr, r.str)));
    }
    if let Some(outcome) = &step.report.outcome {
        facts.push(("Outcome".to_string(), outcome.clone()));
    }
    if let Some(child) = &step.report.child {
        facts.push(("Child process".to_string(), child_text(child)));
    }
    facts.push(("Disk Write".to_string(), step.disk_write_detail.clone()));
    if !step.note.is_empty() {
        facts.push(("Note".to_string(), step.note.clone()));
    }
    facts
}

/// How a step's child process ended, and what it wrote or read.
pub fn child_text(c: &crate::trace::ChildRecord) -> String {
    let ended = match (c.signal, c.exit_code) {
        (Some(sig), _) => format!(
            "killed by {} (signal {sig})",
            c.signal_name.as_deref().unwrap_or("a signal")
        ),
        (None, Some(code)) => format!("exited with code {code}"),
        (None, None) => "ended".to_string(),
    };
    let mut s = format!("pid {}, {ended}", c.pid);
    if let Some(w) = &c.wrote {
        s.push_str(&format!("; wrote {w} (hex)"));
    }
    if let Some(r) = &c.read {
        s.push_str(&format!("; read {r} (hex)"));
    }
    if let Some(v) = &c.read_values {
        s.push_str(&format!(" = {}", super::cells::one_line(v)));
    }
    s
}

/// FIEMAP summary in words.
pub fn allocation_text(a: &Measured<Allocation>) -> String {
    match a {
        Measured::Value(a) => {
            let mut parts = Vec::new();
            if a.allocated_bytes > 0 {
                parts.push(format!("{} bytes on disk blocks", a.allocated_bytes));
            }
            if a.delalloc_bytes > 0 {
                parts.push(format!(
                    "{} bytes in delayed allocation (no disk block yet)",
                    a.delalloc_bytes
                ));
            }
            if a.hole_bytes > 0 {
                parts.push(format!("{} bytes of holes", a.hole_bytes));
            }
            if parts.is_empty() {
                "no blocks".to_string()
            } else {
                format!(
                    "{} ({} extent{})",
                    parts.join(", "),
                    a.extents,
                    if a.extents == 1 { "" } else { "s" }
                )
            }
        }
        other => other.why().unwrap_or_default(),
    }
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

    #[test]
    fn allocation_words() {
        let a = Measured::Value(Allocation {
            extents: 1,
            allocated_bytes: 0,
            delalloc_bytes: 4096,
            hole_bytes: 0,
        });
        assert_eq!(
            allocation_text(&a),
            "4096 bytes in delayed allocation (no disk block yet) (1 extent)"
        );
        assert_eq!(
            allocation_text(&Measured::unavailable("tmpfs")),
            "unavailable (tmpfs)"
        );
    }
}

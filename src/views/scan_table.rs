//! The memory table of a lesson's `scan` steps, shown under the execution table: one row per scan.

use super::Block;
use crate::present::facts::bytes_text;
use crate::present::measured;
use crate::trace::{Measured, Trace};

fn mem(m: &Measured<u64>) -> String {
    measured(m, |kb| bytes_text(kb * 1024))
}

/// A table of every scan's memory (none when the lesson has no scan).
pub(crate) fn blocks(trace: &Trace) -> Vec<Block> {
    let rows: Vec<Vec<String>> = trace
        .steps
        .iter()
        .filter_map(|s| {
            let scan = s.report.scan.as_ref()?;
            Some(vec![
                s.step.to_string(),
                format!(
                    "{} x {} rows, {}",
                    scan.chunks,
                    scan.chunk_rows,
                    scan.release.as_str()
                ),
                mem(&scan.rss_kb_before),
                mem(&scan.rss_kb_peak),
                measured(&s.mapping, |m| bytes_text(m.rss_kb * 1024)),
                measured(&s.pages, |p| p.cached.to_string()),
                measured(&scan.faults, |f| format!("{} / {}", f.minor, f.major)),
            ])
        })
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    vec![
        Block::Text("Memory of the scans (measured after every chunk; the Chunk lines of the step-by-step trace list them):".to_string()),
        Block::Table {
            headers: [
                "Step",
                "Chunks",
                "Resident before",
                "Peak resident",
                "Resident after",
                "Pages cached after",
                "Faults minor / major",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        },
    ]
}

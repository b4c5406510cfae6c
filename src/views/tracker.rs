//! Variable Tracker: each variable (and each recorded read) before the run and after every step.

use super::{Block, ViewContext};
use crate::present::cells;
use crate::trace::StepRecord;

/// Blocks of the `tracker` view.
pub fn build(ctx: &ViewContext) -> Vec<Block> {
    let steps = &ctx.trace.steps;
    let mut headers = vec!["Variable".to_string(), "Start".to_string()];
    headers.extend(steps.iter().map(|s| format!("After Step {}", s.step)));

    let mut rows = Vec::new();
    for var in variables(steps) {
        let mut row = vec![var.clone(), "None".to_string()];
        row.extend(steps.iter().map(|s| cells::tracker_value(s, &var)));
        rows.push(row);
    }
    for (i, read_step) in steps.iter().enumerate() {
        let Some(read) = &read_step.read else {
            continue;
        };
        let mut row = vec![read.expr.clone(), "None".to_string()];
        row.extend(steps.iter().enumerate().map(|(j, _)| {
            if j >= i {
                read.str.clone()
            } else {
                "None".to_string()
            }
        }));
        rows.push(row);
    }
    let table = if steps.len() <= SEED_LAYOUT_MAX_STEPS {
        Block::Table { headers, rows }
    } else {
        transpose(headers, rows)
    };
    vec![
        Block::Heading(super::title(super::View::Tracker).to_string()),
        table,
    ]
}

/// Up to this many steps the tracker has the seed's layout (a column per step); beyond it a column per
/// step would be too narrow to read, so steps become rows.
const SEED_LAYOUT_MAX_STEPS: usize = 6;

/// Rows become columns: `When | var1 | var2 …`, one row for Start and one per step.
fn transpose(headers: Vec<String>, rows: Vec<Vec<String>>) -> Block {
    let mut new_headers = vec!["When".to_string()];
    new_headers.extend(rows.iter().map(|r| r[0].clone()));
    let new_rows = (1..headers.len())
        .map(|c| {
            let mut row = vec![headers[c].clone()];
            row.extend(rows.iter().map(|r| r[c].clone()));
            row
        })
        .collect();
    Block::Table {
        headers: new_headers,
        rows: new_rows,
    }
}

/// Variable names in the order they first appear.
fn variables(steps: &[StepRecord]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut known = std::collections::HashSet::new();
    for s in steps {
        for name in s.arrays.keys() {
            if known.insert(name) {
                seen.push(name.to_string());
            }
        }
    }
    seen
}

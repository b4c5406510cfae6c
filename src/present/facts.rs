//! The measured facts of a step in words (page cache, disk blocks, faults, mapping, outcome, Disk Write)
//! and the page-map strips with their scale.

use super::{measured, plural, unavailable};
use crate::trace::{Allocation, Measured, StepRecord};

/// Every file's page map strip with its scale, and the legend (None when no file has a map).
pub(crate) fn page_map_text(step: &StepRecord) -> Option<(String, Option<String>)> {
    if step.page_map.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    let mut legend = None;
    let mut carried = false;
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
                // A map carried from an earlier step says so: it was not measured at this one.
                let when = if m.probed_at_step < step.step {
                    carried = true;
                    format!(" (taken at step {}*)", m.probed_at_step)
                } else {
                    String::new()
                };
                lines.push(format!(
                    "Page map of {file}{when}: {} page{}, {scale}",
                    m.total_pages,
                    if m.total_pages == 1 { "" } else { "s" }
                ));
                lines.push(format!("  {}", m.strip()));
                if let Some(why) = &m.holes_unknown {
                    lines.push(format!("  (holes not shown: {why})"));
                }
                legend.get_or_insert_with(|| m.legend.clone());
            }
            Measured::Unavailable { unavailable: why } => {
                lines.push(format!("Page map of {file}: {}", unavailable(why)))
            }
        }
    }
    if carried {
        lines.push(format!("  * {}", crate::trace::CARRIED_RULE));
    }
    Some((lines.join("\n"), legend))
}

/// `16 MiB`, `4 KiB`, `1.5 GiB`: binary units as `ls -h` prints them.
pub(crate) fn bytes_text(n: u64) -> String {
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
pub(crate) fn facts(step: &StepRecord) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    let pages = measured(&step.pages, |p| {
        format!(
            "{} in the file: {} cached, {} dirty, {} under writeback",
            plural(p.total, "page"),
            p.cached,
            p.dirty,
            p.writeback
        )
    });
    facts.push(("Page cache".to_string(), pages));
    facts.push(("Disk blocks".to_string(), allocation_text(&step.allocation)));
    facts.push((
        "Page faults".to_string(),
        measured(&step.faults, |f| {
            format!("{} minor, {} major during this step", f.minor, f.major)
        }),
    ));
    facts.push((
        "Mapping".to_string(),
        measured(&step.mapping, |m| {
            format!(
                "{} kB resident, {} kB dirty, {} kB private copies",
                m.rss_kb, m.dirty_kb, m.anonymous_kb
            )
        }),
    ));
    if let Some(r) = &step.read {
        facts.push(("Read".to_string(), format!("{} → {}", r.expr, r.str)));
    }
    if let Some(outcome) = super::step_outcome(step) {
        facts.push(("Outcome".to_string(), outcome));
    }
    if let Some(s) = &step.report.scan {
        facts.extend(super::scan::scan_facts(s));
    }
    if let Some(a) = &step.report.advice {
        facts.extend(super::scan::advice_facts(a));
    }
    if let Some(child) = &step.report.child {
        facts.push(("Child process".to_string(), child_text(child)));
    }
    facts.push((
        "Disk Write".to_string(),
        super::disk_write_detail(&step.disk_write),
    ));
    if !step.note.is_empty() {
        facts.push(("Note".to_string(), step.note.clone()));
    }
    facts
}

/// How a step's child process ended, and what it wrote or read.
pub(crate) fn child_text(c: &crate::trace::ChildRecord) -> String {
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
        s.push_str(&format!(" = {}", super::one_line(v)));
    }
    s
}

/// FIEMAP summary in words.
pub(crate) fn allocation_text(a: &Measured<Allocation>) -> String {
    match a {
        Measured::Unavailable { unavailable: why } => unavailable(why),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! `compare:` conditions (of derived questions and claims): two measurements (of two steps, two variables, or one and a given
//! value) compared, each read from the trace with the reason it cannot be measured here.

use crate::lesson::model::{Comparison, Quantity};
use crate::lesson::{Action, LoadedLesson};
use crate::present::cite::no_disk_state;
use crate::trace::{ArrayLife, Measured, StepRecord, Trace};

/// A measured (or given) value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Num(f64),
    Text(String),
}

impl Val {
    fn of_text(s: &str) -> Val {
        let t = s.trim();
        match t.parse::<f64>() {
            Ok(n) if !t.is_empty() => Val::Num(n),
            _ => Val::Text(crate::lesson::expect::normalise(t)),
        }
    }
}

/// Why a comparison did not hold or could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotHeld {
    /// Measured, and the comparison is false: what was measured.
    No(String),
    /// A probe cannot answer here (tmpfs, an unavailable probe, a step that did not run): why.
    Unknown(String),
}

/// Decide one comparison; on success, the two measurements in words (for the `Measured:` line).
pub(crate) fn holds(
    c: &Comparison,
    lesson: &LoadedLesson,
    trace: &Trace,
) -> Result<String, NotHeld> {
    let (l, lw) = value(&c.left, lesson, trace)?;
    let (r, rw) = value(&c.right, lesson, trace)?;
    let said = [lw, rw]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    let ok = match (c.is.as_str(), &l, &r) {
        ("equal", a, b) => a == b,
        ("differs", a, b) => a != b,
        ("less", Val::Num(a), Val::Num(b)) => a < b,
        ("greater", Val::Num(a), Val::Num(b)) => a > b,
        ("less" | "greater", _, _) => {
            return Err(NotHeld::No(format!(
                "`{}` compares numbers, measured {said}",
                c.is
            )))
        }
        (op, _, _) => return Err(NotHeld::No(format!("unknown comparison `{op}`"))),
    };
    if ok {
        Ok(said)
    } else {
        Err(NotHeld::No(format!("not {}: {said}", c.is)))
    }
}

/// One side's value and how it reads in words (`step 9, major faults = 4096`); a given value reads as nothing.
fn value(
    q: &Quantity,
    lesson: &LoadedLesson,
    trace: &Trace,
) -> Result<(Val, Option<String>), NotHeld> {
    if let Some(t) = &q.text {
        return Ok((Val::of_text(&t.0), None));
    }
    let (Some(n), Some(measure)) = (q.step, q.measure.as_deref()) else {
        return Err(NotHeld::No(
            "a quantity needs `step` and `measure`, or `text`".to_string(),
        ));
    };
    let rec = trace
        .steps
        .iter()
        .find(|r| r.step == n)
        .ok_or_else(|| NotHeld::Unknown(format!("step {n} did not run")))?;
    let var = q.var.clone().unwrap_or_else(|| rec.var.clone());
    let evicted = lesson
        .steps
        .iter()
        .take_while(|s| s.number <= n)
        .any(|s| matches!(s.action, Action::Evict { .. }));
    let raw = measured(measure, q, rec, &var, evicted, trace)?;
    let whose = if matches!(measure, "array" | "file" | "size") && rec.arrays.len() > 1 {
        format!(" of `{var}`")
    } else {
        String::new()
    };
    let shown = crate::lesson::expect::normalise(&raw);
    // A count reads `step 9: 4096 major faults` (number before unit, as every count in the views); the rest
    // `step 6, b[1] = 7.0`.
    let said = match (counted(measure), q.index.as_deref()) {
        (Some((one, many)), _) => {
            let unit = if shown == "1" { one } else { many };
            format!("step {n}: {shown} {unit}{whose}")
        }
        (None, Some(i)) if measure == "value" => format!("step {n}, {i} = {shown}"),
        (None, _) => format!("step {n}, {}{whose} = {shown}", words(measure)),
    };
    Ok((Val::of_text(&raw), Some(said)))
}

/// The unit of a measure that is a count (one, several), as the views name it.
fn counted(measure: &str) -> Option<(&'static str, &'static str)> {
    Some(match measure {
        "cached" => ("cached page", "cached pages"),
        "dirty" => ("dirty page", "dirty pages"),
        "writeback" => ("page under writeback", "pages under writeback"),
        "resident" => ("resident page", "resident pages"),
        "peak_resident" => ("peak resident page", "peak resident pages"),
        "faults.major" => ("major fault", "major faults"),
        "faults.minor" => ("minor fault", "minor faults"),
        "size" => ("byte in the file", "bytes in the file"),
        _ => return None,
    })
}

/// A text measure as the views name it.
fn words(measure: &str) -> &str {
    match measure {
        "signal" => "signal of the child",
        "array" => "Array Content",
        "file" => "File (read(2))",
        "read" => "value read",
        "error" => "Error",
        other => other,
    }
}

/// The measurement `measure` of one step's record.
fn measured(
    measure: &str,
    q: &Quantity,
    rec: &StepRecord,
    var: &str,
    evicted: bool,
    trace: &Trace,
) -> Result<String, NotHeld> {
    let env = &trace.environment;
    let unknown = |w: &str| NotHeld::Unknown(w.to_string());
    let no_disk = || NotHeld::Unknown(no_disk_state(&env.filesystem));
    let pages = |needs_disk: bool| -> Result<&crate::trace::PageState, NotHeld> {
        if needs_disk && !env.has_disk {
            return Err(no_disk());
        }
        match &rec.pages {
            Measured::Value(p) => Ok(p),
            Measured::Unavailable { unavailable } => Err(unknown(unavailable)),
        }
    };
    let page_kb = (env.page_size as u64 / 1024).max(1);
    let num = |n: u64| Ok(n.to_string());
    match measure {
        "cached" => num(pages(evicted)?.cached),
        "dirty" => num(pages(true)?.dirty),
        "writeback" => num(pages(true)?.writeback),
        "resident" => match &rec.mapping {
            Measured::Value(m) => num(m.rss_kb / page_kb),
            Measured::Unavailable { unavailable } => Err(unknown(unavailable)),
        },
        "peak_resident" => match rec.report.scan.as_ref().map(|s| &s.rss_kb_peak) {
            Some(Measured::Value(kb)) => num(kb / page_kb),
            Some(Measured::Unavailable { unavailable }) => Err(unknown(unavailable)),
            None => Err(NotHeld::No(format!("step {} scanned nothing", rec.step))),
        },
        "faults.major" | "faults.minor" => {
            if measure == "faults.major" && !env.has_disk {
                return Err(NotHeld::Unknown(format!(
                    "{}: a major fault reads a page from disk, and this filesystem has none",
                    no_disk_state(&env.filesystem)
                )));
            }
            match &rec.faults {
                Measured::Value(f) if measure == "faults.major" => num(f.major),
                Measured::Value(f) => num(f.minor),
                Measured::Unavailable { unavailable } => Err(unknown(unavailable)),
            }
        }
        "size" => rec
            .files
            .get(var)
            .map(|f| f.size.to_string())
            .ok_or_else(|| NotHeld::No(format!("`{var}` has no file at step {}", rec.step))),
        "signal" => Ok(rec
            .report
            .child
            .as_ref()
            .and_then(|c| c.signal_name.clone())
            .unwrap_or_else(|| "none".to_string())),
        "array" => match rec.arrays.get(var) {
            Some(a) if a.state == ArrayLife::Closed => {
                Ok(a.last_str.clone().unwrap_or_else(|| "closed".to_string()))
            }
            Some(a) => Ok(a.str.clone()),
            None => Err(NotHeld::No(format!(
                "no variable `{var}` at step {}",
                rec.step
            ))),
        },
        "file" => rec
            .files
            .get(var)
            .map(|f| f.str.clone())
            .ok_or_else(|| NotHeld::No(format!("`{var}` has no file at step {}", rec.step))),
        "read" => rec
            .read
            .as_ref()
            .map(|r| r.str.clone())
            .ok_or_else(|| NotHeld::No(format!("step {} read nothing", rec.step))),
        "error" => Ok(rec.error.clone().unwrap_or_else(|| "none".to_string())),
        "value" => {
            let index = q.index.as_deref().unwrap_or_default();
            rec.watches
                .iter()
                .find(|w| w.expr == index)
                .map(|w| w.str.clone())
                .ok_or_else(|| {
                    NotHeld::No(format!(
                        "the run could not read `{index}` at step {} (is its variable open then?)",
                        rec.step
                    ))
                })
        }
        other => Err(NotHeld::No(format!("unknown measure `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_values_are_numbers_when_they_parse() {
        assert_eq!(Val::of_text("4096"), Val::Num(4096.0));
        assert_eq!(Val::of_text(" 2.0 "), Val::Num(2.0));
        assert_eq!(Val::of_text("SIGBUS"), Val::Text("SIGBUS".into()));
        assert_eq!(Val::of_text("[ 0  0 42  0]"), Val::of_text("[0 0 42 0]"));
        assert_eq!(Val::of_text(""), Val::Text(String::new()));
    }

    #[test]
    fn every_step_only_and_text_measure_is_a_measure() {
        use crate::lesson::compare::{MEASURES, STEP_ONLY, TEXT_ONLY};
        for m in STEP_ONLY.iter().chain(TEXT_ONLY) {
            assert!(MEASURES.contains(m), "{m}");
        }
    }
}

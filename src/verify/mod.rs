//! Checks a lesson's expectations and quiz answer keys against the trace of a live run.

pub mod compare;

use crate::lesson::expect::{normalise, parse_hex, Expect, Range, Text};
use crate::lesson::LoadedLesson;
use crate::present::{self, cite::no_disk_state};
use crate::trace::{ArrayLife, DiskWrite, Environment, Measured, StepRecord, Trace};

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// What was expected and what was measured, as one sentence.
    Fail(String),
    /// The probe that would decide it is unavailable here; the reason.
    Skip(String),
}

/// One expectation or answer key, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Where in the lesson: `step 2, dirty` or `quiz question 1`.
    pub place: String,
    pub outcome: Outcome,
}

/// Every check of a lesson's text against its run: step expectations first, then claims (the quiz's
/// answer keys are checked by `quiz::keys`, which builds on these checks).
pub(crate) fn check_lesson(lesson: &LoadedLesson, trace: &Trace) -> Vec<Check> {
    let mut out = check_steps(lesson, trace);
    out.extend(check_claims(lesson, trace));
    out
}

/// The lesson's `claims`: each is decided by its step's record like an `expect` block, one check per claim
/// (failed if any key fails, skipped if a probe could not decide it).
pub fn check_claims(lesson: &LoadedLesson, trace: &Trace) -> Vec<Check> {
    claim_results(lesson, trace)
        .into_iter()
        .map(|(place, result)| {
            let outcome = match result {
                ClaimResult::Holds => Outcome::Pass,
                ClaimResult::Unknown(why) => Outcome::Skip(why),
                ClaimResult::Disproved(why) => Outcome::Fail(format!("{DISPROVES}{why}")),
                ClaimResult::Broken(why) => Outcome::Fail(why),
            };
            Check { place, outcome }
        })
        .collect()
}

/// How one claim came out, before it is worded as a check or shown beside the lesson's text.
enum ClaimResult {
    Holds,
    /// A probe it needs cannot answer here: the reason.
    Unknown(String),
    /// The run shows otherwise: the failed key and what was measured.
    Disproved(String),
    /// The claim could not be checked at all (its step did not run, it checks nothing): why.
    Broken(String),
}

/// Every claim with its place in the lesson and how it came out, in claim order.
fn claim_results(lesson: &LoadedLesson, trace: &Trace) -> Vec<(String, ClaimResult)> {
    let mut out = Vec::new();
    for claim in &lesson.lesson.claims {
        let place = format!("claim on {} (\"{}\")", claim.on, claim.says.trim());
        let Some(rec) = trace.steps.iter().find(|r| r.step == claim.step) else {
            out.push((
                place,
                ClaimResult::Broken(format!("step {} did not run", claim.step)),
            ));
            continue;
        };
        let mut parts = Vec::new();
        check_step(&claim.expect, rec, &trace.environment, &mut parts);
        for (k, c) in claim.compare.iter().enumerate() {
            let outcome = match compare::holds(c, lesson, trace) {
                Ok(_) => Outcome::Pass,
                Err(compare::NotHeld::No(why)) => Outcome::Fail(why),
                Err(compare::NotHeld::Unknown(why)) => Outcome::Skip(why),
            };
            parts.push(Check {
                place: format!("compare {}", k + 1),
                outcome,
            });
        }
        let failed = parts.iter().find_map(|c| match &c.outcome {
            Outcome::Fail(why) => Some(format!("{}: {why}", c.place)),
            _ => None,
        });
        let skipped = parts.iter().find_map(|c| match &c.outcome {
            Outcome::Skip(why) => Some(why.clone()),
            _ => None,
        });
        let result = match (failed, skipped) {
            (Some(why), _) => ClaimResult::Disproved(why),
            (None, Some(why)) => ClaimResult::Unknown(why),
            (None, None) if parts.is_empty() => ClaimResult::Broken(
                "the claim checks nothing (its `expect` and `compare` are empty)".to_string(),
            ),
            (None, None) => ClaimResult::Holds,
        };
        out.push((place, result));
    }
    out
}

/// How `verify` words a claim the run disproves, before what was measured.
const DISPROVES: &str = "the run disproves it: ";

/// How each of the lesson's claims stands in this run, in claim order (what the views show beside the text).
pub fn claim_standings(lesson: &LoadedLesson, trace: &Trace) -> Vec<present::claims::Standing> {
    use present::claims::Standing;
    claim_results(lesson, trace)
        .into_iter()
        .map(|(_, result)| match result {
            ClaimResult::Holds => Standing::Holds,
            ClaimResult::Unknown(why) => Standing::Unknown(why),
            ClaimResult::Disproved(why) | ClaimResult::Broken(why) => Standing::Disproved(why),
        })
        .collect()
}

/// The `expect:` blocks (and `expect_error`) of every step.
pub(crate) fn check_steps(lesson: &LoadedLesson, trace: &Trace) -> Vec<Check> {
    let mut out = Vec::new();
    let mut evicted = false;
    for step in &lesson.steps {
        evicted |= matches!(step.action, crate::lesson::Action::Evict { .. });
        let Some(rec) = trace.steps.iter().find(|r| r.step == step.number) else {
            continue;
        };
        if let Some(want) = &step.expect_error {
            let place = format!("step {}, expect_error", rec.step);
            let outcome = match &rec.error {
                Some(e) if e.contains(want.as_str()) => Outcome::Pass,
                Some(e) => Outcome::Fail(format!(
                    "expected an error containing `{want}`, measured `{e}`"
                )),
                None => Outcome::Fail(format!(
                    "expected an error containing `{want}`, measured no error"
                )),
            };
            out.push(Check { place, outcome });
        }
        if let Some(e) = &step.expect {
            check_step_after(e, rec, &trace.environment, evicted, &mut out);
        }
        out.extend(unexpected_error(step, rec));
    }
    out
}

/// A script lesson's `expect_lines`: each line's expectations against the last step of that line; an
/// uncaught error the lesson does not expect fails too.
pub fn check_script_lines(lesson: &LoadedLesson, trace: &Trace) -> Vec<Check> {
    let mut out = Vec::new();
    let last_of = |line: usize| {
        trace
            .steps
            .iter()
            .rev()
            .find(|r| r.script.as_ref().is_some_and(|l| l.line == line))
    };
    for e in &lesson.lesson.expect_lines {
        let Some(rec) = last_of(e.line) else {
            out.push(Check {
                place: format!("line {}", e.line),
                outcome: Outcome::Fail("the line never ran (or ran after tracing stopped)".into()),
            });
            continue;
        };
        if let Some(want) = &e.expect_error {
            let outcome = match &rec.error {
                Some(got) if got.contains(want.as_str()) => Outcome::Pass,
                Some(got) => Outcome::Fail(format!(
                    "expected an error containing `{want}`, measured `{got}`"
                )),
                None => Outcome::Fail(format!(
                    "expected an error containing `{want}`, measured no error"
                )),
            };
            out.push(Check {
                place: format!("line {}, expect_error", e.line),
                outcome,
            });
        }
        if let Some(x) = &e.expect {
            check_step(x, rec, &trace.environment, &mut out);
        }
    }
    if let Some(rec) = trace.steps.iter().find(|r| r.error.is_some()) {
        let line = rec.script.as_ref().map_or(0, |l| l.line);
        let expected = lesson
            .lesson
            .expect_lines
            .iter()
            .any(|e| e.line == line && e.expect_error.is_some());
        if !expected {
            out.push(Check {
                place: format!("line {line}"),
                outcome: Outcome::Fail(format!(
                    "raised {} and has no expect_error",
                    rec.error.clone().unwrap_or_default()
                )),
            });
        }
    }
    out
}

/// A step that raised although the lesson does not say it would (no `expect_error`, no `expect: {ok: false}` or
/// `error:`): the lesson's text would teach over an error the learner never sees coming.
fn unexpected_error(step: &crate::lesson::ResolvedStep, rec: &StepRecord) -> Option<Check> {
    let err = rec.error.as_ref()?;
    let expected = step.expect_error.is_some()
        || step
            .expect
            .as_ref()
            .is_some_and(|e| e.ok == Some(false) || matches!(e.error, Some(Some(_))));
    (!expected).then(|| Check {
        place: format!("step {}, error", rec.step),
        outcome: Outcome::Fail(format!(
            "step {} raised {err} and has no expect_error",
            rec.step
        )),
    })
}

/// Why a dirty/writeback/disk expectation cannot be decided on a filesystem without a disk.
fn no_disk(env: &Environment) -> String {
    no_disk_state(&env.filesystem)
}

fn range_outcome(want: &Range, got: u64, unit: &str) -> Outcome {
    if want.contains(got) {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("expected {want}, measured {got}{unit}"))
    }
}

fn text_outcome(want: &Text, got: Result<&str, String>) -> Outcome {
    match got {
        Ok(g) if normalise(g) == normalise(&want.0) => Outcome::Pass,
        Ok(g) => Outcome::Fail(format!(
            "expected {}, measured {}",
            normalise(&want.0),
            normalise(g)
        )),
        Err(why) => Outcome::Fail(format!("expected {}, measured {why}", normalise(&want.0))),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Check one step's `expect:` block against its record when the steps before it are not known
/// (claims): a `cached` count is then treated as possibly after an evict, so on a filesystem
/// without a disk it is skipped with the reason rather than failed.
pub(crate) fn check_step(e: &Expect, rec: &StepRecord, env: &Environment, out: &mut Vec<Check>) {
    check_step_after(e, rec, env, true, out)
}

/// Check one step's `expect:` block against its record, knowing whether an `evict` ran at or
/// before this step: on a filesystem with no
/// disk (tmpfs) an evict cannot drop anything (the page cache is the only copy), so a `cached`
/// count after it is a question this filesystem cannot answer — skipped with the reason, as are
/// major faults, which need a disk to read from.
pub(crate) fn check_step_after(
    e: &Expect,
    rec: &StepRecord,
    env: &Environment,
    evicted: bool,
    out: &mut Vec<Check>,
) {
    let mut push = step_checks(out, rec.step);
    let var = e.var.clone().unwrap_or_else(|| rec.var.clone());

    if let Some(want) = &e.array {
        let got = match rec.arrays.get(&var) {
            None => Err(format!("no variable `{var}` (None)")),
            // A closed variable is compared with what it held when it was closed, as the table shows.
            Some(a) if a.state == ArrayLife::Closed => a
                .last_str
                .as_deref()
                .ok_or_else(|| format!("`{var}` closed")),
            Some(a) => Ok(a.str.as_str()),
        };
        push("array", text_outcome(want, got));
    }
    let file = rec.files.get(&var);
    if let Some(want) = &e.file {
        let got = file
            .map(|f| f.str.as_str())
            .ok_or_else(|| format!("no file for `{var}`"));
        push("file", text_outcome(want, got));
    }
    if let Some(Text(hex)) = &e.file_bytes {
        push("file_bytes", bytes_outcome(hex, file));
    }
    drop(push); // it borrows `out`, which the next checks take
    check_page_cache(e, rec, env, evicted, out);
    check_outcome(e, rec, env, out);
}

/// Pushes a check placed at `step N, key` onto `out`.
fn step_checks(out: &mut Vec<Check>, step: usize) -> impl FnMut(&str, Outcome) + '_ {
    move |key, outcome| {
        out.push(Check {
            place: format!("step {step}, {key}"),
            outcome,
        })
    }
}

/// The page-cache, disk and allocation expectations of a step (skipped where the probe cannot tell).
fn check_page_cache(
    e: &Expect,
    rec: &StepRecord,
    env: &Environment,
    evicted: bool,
    out: &mut Vec<Check>,
) {
    let mut push = step_checks(out, rec.step);
    let pages =
        |pick: fn(&crate::trace::PageState) -> u64, want: &Range, needs_disk: bool| -> Outcome {
            if needs_disk && !env.has_disk {
                return Outcome::Skip(no_disk(env));
            }
            match &rec.pages {
                Measured::Value(p) => range_outcome(want, pick(p), " (cachestat)"),
                Measured::Unavailable { unavailable } => Outcome::Skip(unavailable.clone()),
            }
        };
    if let Some(want) = &e.dirty {
        push("dirty", pages(|p| p.dirty, want, true));
    }
    if let Some(want) = &e.cached {
        push("cached", pages(|p| p.cached, want, evicted));
    }
    if let Some(want) = &e.writeback {
        push("writeback", pages(|p| p.writeback, want, true));
    }
    if let Some(want) = e.disk_write {
        let wrote = rec.disk_write.value().is_some_and(DiskWrite::wrote);
        let outcome = if !env.has_disk {
            Outcome::Skip(no_disk(env))
        } else if let Some(why) = present::disk::unmeasured_reason(&rec.disk_write) {
            Outcome::Skip(why)
        } else if wrote == want {
            Outcome::Pass
        } else {
            Outcome::Fail(format!(
                "expected {}, measured {} ({})",
                yes_no(want),
                yes_no(wrote),
                present::disk_write_detail(&rec.disk_write)
            ))
        };
        push("disk_write", outcome);
    }
    for (key, want, bytes) in [
        (
            "allocated",
            e.allocated,
            rec.allocation.value().map(|a| a.allocated_bytes),
        ),
        (
            "delalloc",
            e.delalloc,
            rec.allocation.value().map(|a| a.delalloc_bytes),
        ),
    ] {
        let Some(want) = want else { continue };
        let outcome = match (bytes, &rec.allocation) {
            (Some(b), _) if (b > 0) == want => Outcome::Pass,
            (Some(b), _) => Outcome::Fail(format!(
                "expected {}, measured {} ({b} bytes, FIEMAP)",
                yes_no(want),
                yes_no(b > 0)
            )),
            (None, Measured::Unavailable { unavailable }) => Outcome::Skip(unavailable.clone()),
            (None, _) => Outcome::Skip("allocation unavailable".to_string()),
        };
        push(key, outcome);
    }
}

/// The error, memory, fault and read expectations of a step.
fn check_outcome(e: &Expect, rec: &StepRecord, env: &Environment, out: &mut Vec<Check>) {
    let mut push = step_checks(out, rec.step);
    if let Some(want) = e.ok {
        let outcome = match (&rec.error, want) {
            (None, true) | (Some(_), false) => Outcome::Pass,
            (Some(err), true) => Outcome::Fail(format!("expected no error, measured `{err}`")),
            (None, false) => Outcome::Fail("expected an error, measured none".to_string()),
        };
        push("ok", outcome);
    }
    if let Some(want) = &e.error {
        let outcome = match (want, &rec.error) {
            (None, None) => Outcome::Pass,
            (None, Some(err)) => Outcome::Fail(format!("expected no error, measured `{err}`")),
            (Some(sub), Some(err)) if err.contains(sub.as_str()) => Outcome::Pass,
            (Some(sub), Some(err)) => Outcome::Fail(format!(
                "expected an error containing `{sub}`, measured `{err}`"
            )),
            (Some(sub), None) => Outcome::Fail(format!(
                "expected an error containing `{sub}`, measured no error"
            )),
        };
        push("error", outcome);
    }
    if let Some(want) = &e.resident {
        let outcome = match &rec.mapping {
            Measured::Value(m) => {
                let page_kb = (env.page_size as u64 / 1024).max(1);
                let pages = m.rss_kb / page_kb;
                range_outcome(
                    want,
                    pages,
                    &format!(" page(s) (smaps Rss {} kB)", m.rss_kb),
                )
            }
            Measured::Unavailable { unavailable } => Outcome::Skip(unavailable.clone()),
        };
        push("resident", outcome);
    }
    if let Some(want) = &e.peak_resident {
        let page_kb = (env.page_size as u64 / 1024).max(1);
        let outcome = match rec.report.scan.as_ref().map(|s| &s.rss_kb_peak) {
            Some(Measured::Value(kb)) => range_outcome(
                want,
                kb / page_kb,
                &format!(" page(s) (peak smaps Rss {kb} kB)"),
            ),
            Some(Measured::Unavailable { unavailable }) => Outcome::Skip(unavailable.clone()),
            None => Outcome::Fail("no scan at this step".to_string()),
        };
        push("peak_resident", outcome);
    }
    if let Some(f) = &e.faults {
        for (key, want) in [("faults.major", &f.major), ("faults.minor", &f.minor)] {
            let Some(want) = want else { continue };
            if key == "faults.major" && !env.has_disk {
                push(
                    key,
                    Outcome::Skip(format!(
                        "{}: a major fault reads a page from disk, and this filesystem has none",
                        no_disk(env)
                    )),
                );
                continue;
            }
            let outcome = match &rec.faults {
                Measured::Value(got) => {
                    let n = if key == "faults.major" {
                        got.major
                    } else {
                        got.minor
                    };
                    range_outcome(want, n, "")
                }
                Measured::Unavailable { unavailable } => Outcome::Skip(unavailable.clone()),
            };
            push(key, outcome);
        }
    }
    if let Some(want) = &e.read {
        let got = match (&rec.read, &rec.error) {
            (Some(r), _) => Ok(r.str.as_str()),
            (None, Some(err)) => Err(format!("nothing read (the step raised `{err}`)")),
            (None, None) => Err("nothing read".to_string()),
        };
        push("read", text_outcome(want, got));
    }
}

/// Compare expected leading bytes with the trace's hex dump of the array region.
fn bytes_outcome(hex: &str, file: Option<&crate::trace::FileState>) -> Outcome {
    let want = match parse_hex(hex) {
        Ok(w) => w,
        // Validated at load; a bad value here can only come from a hand-built Expect.
        Err(e) => return Outcome::Fail(e),
    };
    let Some(f) = file else {
        return Outcome::Fail(format!("expected {}, measured no file", hex_str(&want)));
    };
    let got: Vec<u8> = f.hex.iter().flat_map(|l| l.bytes.iter().copied()).collect();
    if want.len() > got.len() && f.hex_truncated {
        // The trace keeps only the first lines of the dump (large data stays cheap).
        return Outcome::Skip(format!(
            "the trace records only the first {} bytes of the array region",
            got.len()
        ));
    }
    let shown = &got[..got.len().min(want.len())];
    if shown == want.as_slice() {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "expected {}, measured {}",
            hex_str(&want),
            if shown.is_empty() {
                "no bytes".to_string()
            } else {
                hex_str(shown)
            }
        ))
    }
}

fn hex_str(b: &[u8]) -> String {
    crate::python::hex_spaced(b)
}

/// Counts of a list of checks: (passed, failed, skipped).
pub(crate) fn tally(checks: &[Check]) -> (usize, usize, usize) {
    checks
        .iter()
        .fold((0, 0, 0), |(p, f, s), c| match c.outcome {
            Outcome::Pass => (p + 1, f, s),
            Outcome::Fail(_) => (p, f + 1, s),
            Outcome::Skip(_) => (p, f, s + 1),
        })
}

/// `N passed, M failed` plus `, K skipped` when K > 0 — the summary line's exact form.
pub fn summary(passed: usize, failed: usize, skipped: usize) -> String {
    let mut s = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line() {
        assert_eq!(summary(3, 0, 0), "3 passed, 0 failed");
        assert_eq!(summary(3, 1, 2), "3 passed, 1 failed, 2 skipped");
    }

    #[test]
    fn ranges_and_text() {
        assert_eq!(range_outcome(&Range::exactly(0), 0, ""), Outcome::Pass);
        assert_eq!(
            range_outcome(&Range::exactly(0), 1, " (cachestat)"),
            Outcome::Fail("expected 0, measured 1 (cachestat)".into())
        );
        let t = Text("[[0. 1.] [2. 3.]]".into());
        assert_eq!(text_outcome(&t, Ok("[[0. 1.]\n [2. 3.]]")), Outcome::Pass);
        assert_eq!(
            text_outcome(&t, Ok("[[0. 1.]\n [2. 4.]]")),
            Outcome::Fail("expected [[0. 1.] [2. 3.]], measured [[0. 1.] [2. 4.]]".into())
        );
    }

    #[test]
    fn leading_bytes() {
        let f = crate::trace::FileState {
            header: Vec::new(),
            path: "a".into(),
            abs_path: "/a".into(),
            size: 4,
            str: String::new(),
            hex: vec![crate::trace::HexLine::new(0, vec![0, 0, 0x80, 0x3f])],
            hex_truncated: false,
        };
        assert_eq!(bytes_outcome("0000", Some(&f)), Outcome::Pass);
        assert_eq!(bytes_outcome("00 00 80 3f", Some(&f)), Outcome::Pass);
        assert!(matches!(
            bytes_outcome("00 01", Some(&f)),
            Outcome::Fail(m) if m == "expected 00 01, measured 00 00"
        ));
        assert!(matches!(
            bytes_outcome("00 00 80 3f 00", Some(&f)),
            Outcome::Fail(_)
        ));
        let mut t = f.clone();
        t.hex_truncated = true;
        assert!(matches!(
            bytes_outcome("00 00 80 3f 00", Some(&t)),
            Outcome::Skip(_)
        ));
    }
}

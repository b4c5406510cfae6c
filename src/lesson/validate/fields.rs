//! Which step fields each op takes, and the check that a step wrote none that do not apply to its op.

use crate::lesson::model::{Op, Step};

/// Every step field, in the order the model declares them (for "does not apply" messages).
const COMMON: &[&str] = &["op", "action", "note", "expect_error", "expect"];

/// Every key a step of this op may have (its own and the common ones), for "valid keys here".
pub fn step_keys(op: Op) -> Vec<&'static str> {
    op_fields(op).iter().chain(COMMON.iter()).copied().collect()
}

/// The op's own fields (a new op adds its row here).
fn op_fields(op: Op) -> &'static [&'static str] {
    match op {
        Op::Open => &["var", "file", "dtype", "mode", "shape", "offset", "order"],
        Op::Assign => &["var", "index", "value"],
        Op::Read => &["var", "index"],
        Op::Flush | Op::Close | Op::Evict | Op::FlushAsync => &["var"],
        Op::Reopen => &["var", "mode"],
        Op::ExternalWrite => &["var", "file", "offset", "value", "dtype", "bytes"],
        Op::ExternalRead => &["var", "file", "offset", "length", "dtype"],
        Op::Crash => &["var", "index", "value"],
        Op::WaitWriteback => &["var", "timeout"],
        Op::FlushRange => &["var", "offset", "length"],
        Op::Truncate => &["var", "file", "size", "touch"],
        Op::Load => &["var", "file", "mode"],
        Op::OpenMemmap => &["var", "file", "mode", "dtype", "shape", "order"],
        Op::ForkWrite => &["var", "index", "value"],
        Op::Madvise => &["var", "advice", "start", "length"],
        Op::Scan => &["var", "index", "chunk", "release", "summary"],
    }
}

/// The first field the step wrote that its op does not take, with the message naming the op's keys.
pub(super) fn check_applicable(step: &Step) -> Result<(), (&'static str, String)> {
    let allowed = op_fields(step.op);
    match written_fields(step)
        .into_iter()
        .find(|f| !allowed.contains(f))
    {
        Some(field) => Err((
            field,
            format!(
                "`{field}` does not apply to a `{}` step (it takes: {})",
                step.op.as_str(),
                step_keys(step.op).join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The op-specific fields a step actually wrote, by name.
fn written_fields(step: &Step) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut add = |name: &'static str, present: bool| {
        if present {
            v.push(name);
        }
    };
    add("var", step.var.is_some());
    add("file", step.file.is_some());
    add("dtype", step.dtype.is_some());
    add("mode", step.mode.is_some());
    add("shape", step.shape.as_ref().is_some_and(|y| !y.is_null()));
    add("offset", step.offset.as_ref().is_some_and(|y| !y.is_null()));
    add("order", step.order.is_some());
    add("index", step.index.is_some());
    add("value", step.value.is_some());
    add("bytes", step.bytes.is_some());
    add("length", step.length.as_ref().is_some_and(|y| !y.is_null()));
    add(
        "timeout",
        step.timeout.as_ref().is_some_and(|y| !y.is_null()),
    );
    add("size", step.size.as_ref().is_some_and(|y| !y.is_null()));
    add("touch", step.touch.is_some());
    add("advice", step.advice.is_some());
    add("start", step.start.as_ref().is_some_and(|y| !y.is_null()));
    add("chunk", step.chunk.as_ref().is_some_and(|y| !y.is_null()));
    add("release", step.release.is_some());
    add("summary", step.summary.is_some());
    v
}

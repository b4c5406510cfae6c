//! One resolver per op: each turns a step's fields into its [`Action`].
//!
//! Adding an op: its fields in `../fields.rs` (`op_fields`), a resolver `fn(&StepInput, &Lifetimes) ->
//! Result<Action, LessonError>` in the file of its kind here (or a new file) and one arm in [`resolve`] (a name
//! not bound when the step runs is NumPy's NameError at run time, raised by the engine).

mod array;
mod external;
mod kernel;
mod memory;
mod open;

use super::lifetime::Lifetimes;
use super::StepInput;
use crate::lesson::model::Op;
use crate::lesson::{Action, LessonError, Target};

/// The step's action, from the resolver of its op.
pub(super) fn resolve(s: &StepInput, life: &Lifetimes) -> Result<Action, LessonError> {
    match s.step.op {
        Op::Open => open::spec(s).map(Action::Open),
        Op::Load | Op::OpenMemmap => open::npy(s),
        Op::ForkWrite => external::fork_write(s),
        Op::Reopen => open::reopen(s, life),
        Op::Assign => array::assign(s),
        Op::Read => array::read(s),
        Op::Flush => Ok(Action::Flush { var: s.var.clone() }),
        Op::Close => Ok(Action::Close { var: s.var.clone() }),
        Op::ExternalWrite => external::write(s, life),
        Op::ExternalRead => external::read(s, life),
        Op::Truncate => external::truncate(s, life),
        Op::Crash => external::crash(s),
        Op::Evict => Ok(Action::Evict { var: s.var.clone() }),
        Op::FlushAsync => Ok(Action::FlushAsync { var: s.var.clone() }),
        Op::WaitWriteback => kernel::wait_writeback(s),
        Op::FlushRange => kernel::flush_range(s),
        Op::Madvise => memory::madvise(s),
        Op::Scan => memory::scan(s),
    }
}

/// The file an outside-process step acts on: the `file` it names, or its variable's file (empty when the
/// variable was never opened; the lifetime check reports that).
fn target(s: &StepInput, life: &Lifetimes) -> Target {
    match &s.file_target {
        Some(t) => t.clone(),
        None => Target::Var {
            var: s.var.clone(),
            file: life
                .spec(&s.var)
                .map(|sp| sp.file.clone())
                .unwrap_or_default(),
        },
    }
}

//! The one tracker of variable lifetimes while a lesson's steps are validated: which names are open, which were
//! closed (and where), and the open spec each name was last opened with.

use std::collections::HashMap;

use super::StepInput;
use crate::expr::suggest::did_you_mean;
use crate::lesson::model::Op;
use crate::lesson::{Action, LessonError, OpenSpec};

/// Whether a variable name is open or was closed (`reopen` maps a closed one again).
#[derive(Clone, Copy)]
enum VarState {
    Open,
    Closed,
}

/// Variables seen so far, in step order.
#[derive(Default)]
pub(super) struct Lifetimes {
    vars: HashMap<String, VarState>,
    specs: HashMap<String, OpenSpec>,
}

impl Lifetimes {
    /// How the variable was last opened (kept after `close`: outside steps still name its file and dtype).
    pub(super) fn spec(&self, var: &str) -> Option<&OpenSpec> {
        self.specs.get(var)
    }

    /// How many distinct variables were opened.
    pub(super) fn count(&self) -> usize {
        self.specs.len()
    }

    /// The spec a `reopen` maps again: the variable must have been opened before. A name still
    /// open is bound again, as `arr = np.memmap(...)` rebinds it in Python (the old map is dropped
    /// once the new one exists).
    pub(super) fn closed_spec(&self, s: &StepInput) -> Result<OpenSpec, LessonError> {
        let var = &s.var;
        match (self.vars.get(var), self.specs.get(var)) {
            (Some(VarState::Closed | VarState::Open), Some(spec)) => Ok(spec.clone()),
            _ => Err(s.err(
                "var",
                format!(
                    "no variable `{var}` was opened before this step; `reopen` needs an earlier `open` of it{}",
                    did_you_mean(var, self.specs.keys().map(|k| k.as_str()))
                ),
            )),
        }
    }

    /// Check that the step's variable is usable here and record what the step does to it. A failing open
    /// binds nothing, as in Python.
    pub(super) fn record(&mut self, s: &StepInput, action: &Action) -> Result<(), LessonError> {
        let (op, var) = (s.step.op, &s.var);
        match op {
            Op::Open | Op::Load | Op::OpenMemmap => {
                if s.step.expect_error.is_none() {
                    self.vars.insert(var.clone(), VarState::Open);
                    if let Action::Open(spec) = action {
                        self.specs.insert(var.clone(), spec.clone());
                    }
                }
            }
            Op::Reopen => {
                // Checked by `closed_spec`: the variable's spec is known.
                if s.step.expect_error.is_none() {
                    self.vars.insert(var.clone(), VarState::Open);
                }
            }
            _ if s.file_target.is_some() => {}
            // A name used after `close` (`del`) or never bound is NumPy's NameError at run time, where the
            // lesson goes on: the engine raises it, as Python would.
            _ => {
                if op == Op::Close && matches!(self.vars.get(var), Some(VarState::Open)) {
                    self.vars.insert(var.clone(), VarState::Closed);
                }
            }
        }
        Ok(())
    }
}

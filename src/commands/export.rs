//! `memmap-tutor export python LESSON`: the lesson as an equivalent NumPy script, on stdout or in a file.

use super::{emit_exact, CommandError};
use crate::cli::{ExportArgs, ExportLanguage};
use crate::export::python::{python_script, ScriptOptions};
use crate::lesson::load;

/// Write the script for `args.lesson` to stdout, or to `-o FILE`. An invalid lesson is exit 2, as for `run`.
pub fn run(args: &ExportArgs) -> Result<(), CommandError> {
    let lesson = load(&args.lesson)?;
    let script = match args.language {
        ExportLanguage::Python => python_script(
            &lesson,
            ScriptOptions {
                instrument: args.instrument,
            },
        ),
    };
    match &args.output {
        // The export escapes every lesson string itself (see codegen): it is emitted exactly.
        None => emit_exact(&script),
        Some(path) => super::output_file::write_whole(path, &script),
    }
}

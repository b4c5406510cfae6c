//! `memmap-tutor schema`, `completions` and `man`: what editors, shells and `man` read, made from the types.

use clap::CommandFactory;

use super::{emit, CommandError};
use crate::cli::{Cli, Shell};
use crate::lesson::model::Lesson;

/// The JSON Schema of a lesson file, generated from the lesson types (committed as
/// `scenarios/lesson.schema.json`; a test keeps the two equal).
pub fn lesson_schema() -> String {
    let schema = schemars::schema_for!(Lesson);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// `schema`: print it.
pub fn schema() -> Result<(), CommandError> {
    emit(&lesson_schema())
}

/// The name the completion scripts complete (the installed binary's).
const BIN: &str = "memmap-tutor";

/// The command line as users see it: hidden subcommands (the internal `__child`) left out, so no
/// completion or man page ever offers them.
pub fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    if let Some(long) = full.get_long_about() {
        cmd = cmd.long_about(long.clone());
    }
    if let Some(after) = full.get_after_long_help() {
        cmd = cmd.after_long_help(after.clone());
    }
    cmd
}

/// `completions SHELL`: the script for that shell.
pub fn completions(shell: Shell) -> Result<(), CommandError> {
    let mut cmd = public_command();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, BIN, &mut out);
            out = fix_bash_names(&String::from_utf8_lossy(&out)).into_bytes();
        }
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, BIN, &mut out),
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, BIN, &mut out);
            out.extend(fish_positional_values(&cmd).into_bytes());
        }
    }
    emit(&String::from_utf8_lossy(&out))
}

/// clap_complete's bash script names a subcommand's state `memmap__tutor__subcmd__run` while
/// walking the words but matches `memmap__subcmd__tutor__subcmd__run` when offering completions (it
/// mangles the binary name's `-` twice, differently), so nothing after a subcommand ever completes.
/// Spell both the same way.
fn fix_bash_names(script: &str) -> String {
    let walked = BIN.replace('-', "__");
    let matched = BIN.replace('-', "__subcmd__");
    script.replace(
        &format!("{matched}__subcmd__"),
        &format!("{walked}__subcmd__"),
    )
}

/// clap_complete's fish script offers file names for a subcommand's positional argument even when it takes
/// one of a few values (`completions bash|zsh|fish`): offer those values, as the bash and zsh scripts do.
fn fish_positional_values(cmd: &clap::Command) -> String {
    let using = format!("__fish_{}_using_subcommand", BIN.replace('-', "_"));
    let mut out = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                out.push_str(&format!(
                    "complete -c {BIN} -n \"{using} {}\" -f -a \"{}\"\n",
                    sub.get_name(),
                    values.join(" ")
                ));
            }
        }
    }
    out
}

/// `man`: the man page in roff.
pub fn man() -> Result<(), CommandError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(public_command())
        .render(&mut out)
        .map_err(|e| CommandError::Io(format!("cannot render the man page: {e}")))?;
    emit(&String::from_utf8_lossy(&out))
}

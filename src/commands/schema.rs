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
    let text =
        man_page().map_err(|e| CommandError::Io(format!("cannot render the man page: {e}")))?;
    emit(&text)
}

/// One page for the whole tool: clap_mangen's page of the top command would list `memmap-tutor-run(1)` and the
/// like, pages nobody installs; here each public subcommand gets its own section instead (`MEMMAP-TUTOR RUN`,
/// with its synopsis, description, options and examples as subsections).
pub fn man_page() -> std::io::Result<String> {
    use clap_mangen::Man;
    let top = public_command();
    let man = Man::new(top.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    for sub in top.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{BIN} {}", sub.get_name());
        let sub_man = Man::new(sub.clone().bin_name(&name));
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        sub_man.render_description_section(&mut part)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            sub_man.render_options_section(&mut part)?;
        }
        if sub.get_after_long_help().is_some() || sub.get_after_help().is_some() {
            sub_man.render_extra_section(&mut part)?;
        }
        out.extend(format!(".SH \"{}\"\n", name.to_uppercase().replace('-', "\\-")).bytes());
        out.extend(subsections(&String::from_utf8_lossy(&part)).bytes());
    }
    if top.get_after_long_help().is_some() {
        let mut part = Vec::new();
        man.render_extra_section(&mut part)?;
        out.extend(
            String::from_utf8_lossy(&part)
                .replace(".SH EXTRA", ".SH EXAMPLES")
                .bytes(),
        );
    }
    man.render_version_section(&mut out)?;
    // Each rendered part starts with clap_mangen's roff preamble (the `Aq` string): once is enough.
    let text = String::from_utf8_lossy(&out);
    let mut seen = std::collections::HashSet::new();
    let mut page = String::with_capacity(text.len());
    for line in text.lines() {
        let preamble = line.starts_with(".ie \\n(.g") || line.starts_with(".el .ds Aq");
        if !preamble || seen.insert(line.to_string()) {
            page.push_str(line);
            page.push('\n');
        }
    }
    Ok(page)
}

/// A command's sections as subsections of its own section (`.SH OPTIONS` -> `.SS Options`); the text after
/// the options, the examples, named as such.
fn subsections(roff: &str) -> String {
    let mut out = String::new();
    for line in roff.lines() {
        match line.strip_prefix(".SH ") {
            Some("EXTRA") => out.push_str(".SS Examples\n"),
            Some(title) => {
                let mut t = title.to_lowercase();
                if let Some(first) = t.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                out.push_str(&format!(".SS {t}\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_a_section_per_public_command_and_names_no_missing_page() {
        let page = man_page().unwrap();
        for sub in public_command().get_subcommands() {
            let heading = format!(
                ".SH \"{}\"",
                format!("{BIN} {}", sub.get_name())
                    .to_uppercase()
                    .replace('-', "\\-")
            );
            assert!(page.contains(&heading), "{heading} missing");
        }
        // clap_mangen's own page would point at memmap-tutor-run(1) etc., which nobody installs.
        assert!(!page.contains("tutor\\-run(1)") && !page.contains("__child"));
        assert!(
            page.contains("\\fB\\-\\-watch\\fR"),
            "run's options are in the page"
        );
        assert_eq!(page.matches(".ie \\n(.g").count(), 1);
    }
}

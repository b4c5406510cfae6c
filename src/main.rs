//! Entry point: parse the command line, run the command, map errors to exit codes.

use clap::Parser;

use memmap_tutor::cli::{Cli, Command};
use memmap_tutor::commands::{self, CommandError};

fn main() {
    memmap_tutor::signals::install();
    let cli = Cli::parse();
    let result = match cli.command {
        // No subcommand: `run` with its defaults (including MEMMAP_TUTOR_WORKDIR).
        None => match Cli::parse_from(["memmap-tutor", "run"]).command {
            Some(Command::Run(args)) => commands::run::run(&args),
            _ => Err(CommandError::Invalid("cannot default to `run`".to_string())),
        },
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Check(args)) => commands::check::run(&args.lessons),
        Some(Command::List) => commands::list::run(),
        Some(Command::Export(args)) => commands::export::run(&args),
        Some(Command::Step(args)) => commands::step::run(&args),
        Some(Command::Quiz(args)) => commands::quiz::run(&args),
        Some(Command::Verify(args)) => commands::verify::run(&args),
        Some(Command::Show(args)) => commands::show::show(&args.lesson),
        Some(Command::New(args)) => commands::show::new(&args.file),
        Some(Command::Schema) => commands::schema::schema(),
        Some(Command::Completions(args)) => commands::schema::completions(args.shell),
        Some(Command::Man) => commands::schema::man(),
        Some(Command::Trace(args)) => commands::trace::run(&args),
        Some(Command::Child(args)) => {
            std::process::exit(memmap_tutor::engine::child::child_main(&args.task))
        }
    };
    if let Err(e) = result {
        let code = e.exit_code();
        // A failed quiz or verify has already said why on stdout; its error carries no text.
        // Messages echo lesson text (unknown keys, file names): never raw control characters.
        eprint!("{}", commands::error_text(&e));
        std::process::exit(code);
    }
}

//! Entry point: parse the command line, run the command, map errors to exit codes.

fn main() {}

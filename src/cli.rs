//! Command-line definitions (clap derive only).

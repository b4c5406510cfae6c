//! memmap-tutor: teaches memory-mapped arrays by running them for real and showing what the kernel sees.

pub mod cli;
pub mod commands;
pub(crate) mod confine;
pub mod engine;
pub mod export;
pub mod expr;
pub mod lesson;
pub mod numpy;
pub(crate) mod present;
pub mod probe;
pub(crate) mod python;
pub(crate) mod quiz;
pub mod runner;
pub(crate) mod script;
pub mod signals;
pub mod term_safe;
pub mod trace;
pub(crate) mod verify;
pub(crate) mod views;
pub(crate) mod workdir;

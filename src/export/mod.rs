//! Exports of a lesson: the lesson as a runnable NumPy script.

pub mod python;
mod scan;

//! Lessons embedded in the binary, so `memmap-tutor` works from any directory.

/// (name, YAML text) of every built-in lesson; the first is the default.
pub const LESSONS: &[(&str, &str)] = &[
    (
        "numpy-memmap-basics",
        include_str!("../../scenarios/numpy-memmap-basics.yaml"),
    ),
    (
        "large-array",
        include_str!("../../scenarios/large-array.yaml"),
    ),
    (
        "bigger-than-ram",
        include_str!("../../scenarios/bigger-than-ram.yaml"),
    ),
];

/// The default lesson's name.
pub const DEFAULT: &str = "numpy-memmap-basics";

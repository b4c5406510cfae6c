//! Lessons embedded in the binary, so `memmap-tutor` works from any directory.

/// (name, YAML text) of every built-in lesson; the first is the default.
pub const LESSONS: &[(&str, &str)] = &[
    (
        "numpy-memmap-basics",
        include_str!("../../scenarios/numpy-memmap-basics.yaml"),
    ),
    (
        "copy-on-write",
        include_str!("../../scenarios/copy-on-write.yaml"),
    ),
    (
        "skip-flush",
        include_str!("../../scenarios/skip-flush.yaml"),
    ),
    ("read-only", include_str!("../../scenarios/read-only.yaml")),
    (
        "missing-file",
        include_str!("../../scenarios/missing-file.yaml"),
    ),
    (
        "persistence",
        include_str!("../../scenarios/persistence.yaml"),
    ),
    (
        "two-mappings",
        include_str!("../../scenarios/two-mappings.yaml"),
    ),
    ("crash", include_str!("../../scenarios/crash.yaml")),
    ("eviction", include_str!("../../scenarios/eviction.yaml")),
    (
        "byte-layout",
        include_str!("../../scenarios/byte-layout.yaml"),
    ),
    (
        "truncation",
        include_str!("../../scenarios/truncation.yaml"),
    ),
    ("npy-files", include_str!("../../scenarios/npy-files.yaml")),
    (
        "growing-file",
        include_str!("../../scenarios/growing-file.yaml"),
    ),
    (
        "sharing-processes",
        include_str!("../../scenarios/sharing-processes.yaml"),
    ),
    (
        "one-field-per-record",
        include_str!("../../scenarios/one-field-per-record.yaml"),
    ),
    (
        "read-ahead",
        include_str!("../../scenarios/read-ahead.yaml"),
    ),
    (
        "memory-grows",
        include_str!("../../scenarios/large/memory-grows.yaml"),
    ),
    (
        "large-array",
        include_str!("../../scenarios/large/large-array.yaml"),
    ),
    (
        "bigger-than-ram",
        include_str!("../../scenarios/large/bigger-than-ram.yaml"),
    ),
];

/// The default lesson's name.
pub const DEFAULT: &str = "numpy-memmap-basics";

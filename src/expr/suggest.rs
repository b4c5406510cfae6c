//! "Did you mean …?" suggestions: the closest valid name by edit distance.

/// Edit distance counting insertions, deletions, substitutions and adjacent swaps
/// (optimal string alignment, from `strsim`), so the common typo `titel` is one edit from `title`.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // Long hostile input would make the O(n*m) distance slow and no suggestion would help anyway.
    if word.chars().count() > 64 {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // Case-only differences (`Flush`, `FLOAT32`) count as the closest possible match.
        let d = if c.eq_ignore_ascii_case(word) {
            0
        } else {
            edit_distance(&lower, &c.to_ascii_lowercase()) + 1
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let len = word.chars().count().max(c.chars().count());
    // Allow about one edit per three characters (at least one), so `flsh`→`flush` but not `x`→`op`.
    let limit = (len / 3).max(1) + 1;
    (d <= limit).then_some(c)
}

/// `"; did you mean `x`?"`, or the empty string when nothing is close.
pub(crate) fn did_you_mean<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match closest(word, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

/// The dtype names offered as suggestions (NumPy's plain names plus common aliases and codes).
pub(crate) const DTYPE_NAMES: &[&str] = &[
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "double",
    "single",
    "float",
    "int",
    "<f4",
    "<f8",
    "<i2",
    "<i4",
    "<i8",
    ">f4",
    ">f8",
    ">i2",
    ">i4",
    ">i8",
    "f4",
    "f8",
    "i1",
    "i2",
    "i4",
    "i8",
    "u1",
    "u2",
    "u4",
    "u8",
    "complex64",
    "complex128",
    "c8",
    "c16",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        assert_eq!(edit_distance("flsh", "flush"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("flsh", ["op", "flush", "file"]), Some("flush"));
        assert_eq!(
            closest("flaot32", DTYPE_NAMES.iter().copied()),
            Some("float32")
        );
        assert_eq!(
            closest("Float32", DTYPE_NAMES.iter().copied()),
            Some("float32")
        );
        assert_eq!(closest("zzzzzz", ["op", "flush"]), None);
        assert_eq!(did_you_mean("titel", ["title"]), "; did you mean `title`?");
    }
}

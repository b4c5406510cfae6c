//! Text measured in terminal columns: display width, word wrapping that never splits a word or a
//! number, array cells summarised to fit, and the column widths of a text table.

use unicode_width::UnicodeWidthStr;

/// Columns a string takes on a terminal (CJK and emoji count two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The widest line of a string, in columns.
pub fn max_line_width(s: &str) -> usize {
    s.lines().map(width).max().unwrap_or(0)
}

/// A break opportunity the Unicode line-breaking rules do not give: after the `(` of a call such as
/// `madvise(MADV_DONTNEED)`, so long calls in prose can wrap without cutting a name.
const CALL_BREAK: char = '\u{200B}';

/// Rows of an array up to this many columns wide are kept on one line (the break goes between
/// rows); longer rows break between elements.
const KEEP_ROW: usize = 24;

/// No break here: joins the elements of a short array row (`[0. 1. 2.]`).
const JOIN: char = '\u{00A0}';

/// Stand-ins (private use, so the line-breaking rules see letters) for `-` and `/` inside a word,
/// where those rules would break `read-only` or a path.
const HYPHEN: char = '\u{E000}';
const SLASH: char = '\u{E001}';

/// Mark the breaks the Unicode rules lack (after a call's `(` when a name follows) and remove the
/// ones we do not want (inside a short array row).
fn mark_breaks(text: &str, keep_rows: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    // Innermost `[...]` spans short enough to keep whole: their spaces become JOIN.
    let mut join = vec![false; chars.len()];
    let mut open: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '[' => open = Some(i),
            ']' => {
                if let Some(start) = open.take() {
                    let span: String = chars[start..=i].iter().collect();
                    if keep_rows && width(&span) <= KEEP_ROW {
                        join[start..=i].iter_mut().for_each(|j| *j = true);
                    }
                }
            }
            _ => {}
        }
    }
    for (i, &c) in chars.iter().enumerate() {
        // A `-` or `/` that something follows belongs to a word, path, option or number.
        let inside_word = chars.get(i + 1).is_some_and(|n| !n.is_whitespace());
        out.push(match c {
            ' ' if join[i] => JOIN,
            '-' if inside_word => HYPHEN,
            '/' if inside_word => SLASH,
            c => c,
        });
        let call = c == '('
            && i > 0
            && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphabetic() || *n == '_');
        if call {
            out.push(CALL_BREAK);
        }
    }
    out
}

fn options(width: usize) -> textwrap::Options<'static> {
    textwrap::Options::new(width.max(1))
        .break_words(false)
        .word_separator(textwrap::WordSeparator::UnicodeBreakProperties)
        // Greedy, as prose wrapped before: fill each line, no re-balancing.
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
}

/// Wrap text to `width` columns at the Unicode line-break opportunities (spaces, between CJK
/// characters, after a call's `(`), keeping its own line breaks. Words and numbers are never split: a
/// word wider than `width` stays whole on its own line (see [`min_width_rows`]).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    wrap_words_rows(text, width, true)
}

/// [`wrap_words`], optionally letting short array rows break between elements too (for narrow
/// tables, where whole rows would not fit).
pub fn wrap_words_rows(text: &str, width: usize, keep_rows: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut wrapped = wrap_paragraph(para, width, keep_rows);
        // An array row kept whole that is wider than the width breaks between its elements after all.
        if keep_rows && wrapped.iter().any(|l| self::width(l) > width) {
            wrapped = wrap_paragraph(para, width, false);
        }
        lines.extend(wrapped);
    }
    lines
}

/// One paragraph (no line break) wrapped, see [`wrap_words_rows`].
fn wrap_paragraph(para: &str, width: usize, keep_rows: bool) -> Vec<String> {
    if para.trim().is_empty() {
        return vec![String::new()];
    }
    let para = mark_breaks(para, keep_rows);
    textwrap::wrap(&para, options(width))
        .iter()
        .map(|line| {
            line.replace(CALL_BREAK, "")
                .replace(JOIN, " ")
                .replace(HYPHEN, "-")
                .replace(SLASH, "/")
                .trim_end()
                .to_string()
        })
        .collect()
}

/// The narrowest width `text` wraps to without splitting anything: its widest unbreakable piece
/// (short array rows counted whole or not).
pub fn min_width_rows(text: &str, keep_rows: bool) -> usize {
    text.split('\n')
        .flat_map(|para| wrap_paragraph(para, 1, keep_rows))
        .map(|l| width(&l))
        .max()
        .unwrap_or(0)
}

/// Wrap to at most `width` columns, cutting a word only where it is wider than the whole width
/// (headings and boxes, which have no other way to fit).
pub fn wrap_hard(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut out = Vec::new();
    for line in wrap_words(text, width) {
        if self::width(&line) <= width {
            out.push(line);
            continue;
        }
        let mut part = String::new();
        for c in line.chars() {
            if self::width(&part) + self::width(c.encode_utf8(&mut [0; 4])) > width {
                out.push(std::mem::take(&mut part));
            }
            part.push(c);
        }
        out.push(part);
    }
    out
}

/// Pad `s` with spaces to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// A NumPy array's `str()` on one line, parsed into its nesting: `[[0. 1.] [2. 3.]]`.
#[derive(Debug, PartialEq)]
enum Node {
    List(Vec<Node>),
    Leaf(String),
}

fn parse_array(s: &str) -> Option<Node> {
    let mut stack: Vec<Vec<Node>> = Vec::new();
    let mut leaf = String::new();
    let mut done: Option<Node> = None;
    for c in s.trim().chars() {
        if done.is_some() {
            return None;
        }
        match c {
            '[' => {
                if !leaf.is_empty() {
                    return None;
                }
                stack.push(Vec::new());
            }
            ']' | ' ' | ',' => {
                let top = stack.last_mut()?;
                if !leaf.is_empty() {
                    top.push(Node::Leaf(std::mem::take(&mut leaf)));
                }
                if c == ']' {
                    let list = Node::List(stack.pop()?);
                    match stack.last_mut() {
                        Some(parent) => parent.push(list),
                        None => done = Some(list),
                    }
                }
            }
            // Element text (numbers, `True`, `b'x'`, `nan`): anything but the delimiters above.
            c => {
                stack.last()?;
                leaf.push(c);
            }
        }
    }
    done
}

fn elide(node: &Node, edge: usize) -> String {
    match node {
        Node::Leaf(s) => s.clone(),
        Node::List(items) => {
            let is_gap = |n: &&Node| matches!(n, Node::Leaf(s) if s == "...");
            let real: Vec<&Node> = items.iter().filter(|n| !is_gap(n)).collect();
            let parts: Vec<String> = if real.len() > 2 * edge {
                real[..edge]
                    .iter()
                    .map(|n| elide(n, edge))
                    .chain(std::iter::once("...".to_string()))
                    .chain(real[real.len() - edge..].iter().map(|n| elide(n, edge)))
                    .collect()
            } else {
                items.iter().map(|n| elide(n, edge)).collect()
            };
            format!("[{}]", parts.join(" "))
        }
    }
}

/// An array printed on one line, summarised like NumPy summarises (`edgeitems` first and last items
/// of each axis around `...`) with fewer and fewer edge items until it fits `budget` columns. The arrays
/// may be embedded in other text (`arr[2, 5] = 2053.0; arr = [[...]]`, `Closed (held [...])`): each is
/// summarised with the same edge items until the arrays alone fit. Text without an array, or that fits
/// already, is returned as it is.
pub fn summarise_array(text: &str, budget: usize) -> String {
    if width(text) <= budget || text.contains('\n') {
        return text.to_string();
    }
    // The text between arrays, and the arrays.
    let mut pieces: Vec<Result<&str, Node>> = Vec::new();
    let mut rest = text;
    while let Some((start, end)) = next_array_span(rest) {
        match parse_array(&rest[start..end]) {
            Some(tree) => {
                pieces.push(Ok(&rest[..start]));
                pieces.push(Err(tree));
            }
            None => pieces.push(Ok(&rest[..end])),
        }
        rest = &rest[end..];
    }
    pieces.push(Ok(rest));
    if !pieces.iter().any(|p| p.is_err()) {
        return text.to_string();
    }
    // The arrays alone must fit the budget: an array is shown the same in `Closed (held …)` as on its own.
    let mut best = text.to_string();
    for edge in (1..=3).rev() {
        let arrays: Vec<String> = pieces
            .iter()
            .filter_map(|p| p.as_ref().err().map(|tree| elide(tree, edge)))
            .collect();
        let mut arrays_iter = arrays.iter();
        best = pieces
            .iter()
            .map(|p| match p {
                Ok(s) => s.to_string(),
                Err(_) => arrays_iter.next().cloned().unwrap_or_default(),
            })
            .collect();
        if arrays.iter().map(|a| width(a)).sum::<usize>() <= budget {
            break;
        }
    }
    best
}

/// The byte range of the next bracketed span in `s` that can be an array's `str()`: a `[` that does
/// not follow a name or a closing bracket (so `arr[2, 5]`, an index, is not one), to its matching `]`.
fn next_array_span(s: &str) -> Option<(usize, usize)> {
    let mut prev: Option<char> = None;
    for (i, c) in s.char_indices() {
        let opens = c == '[' && !prev.is_some_and(|p| p.is_alphanumeric() || "_])'\"".contains(p));
        if opens {
            let mut depth = 0usize;
            for (j, d) in s[i..].char_indices() {
                match d {
                    '[' => depth += 1,
                    ']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((i, i + j + 1));
                        }
                    }
                    _ => {}
                }
            }
            return None;
        }
        prev = Some(c);
    }
    None
}

/// Column widths for a table of `headers` and `rows` in `total` columns, where each column costs
/// `per_column` columns of border and padding plus `extra` for the outer border; None when even the
/// narrowest columns that split no word do not fit (the caller stacks the rows instead).
pub fn column_widths(
    headers: &[String],
    rows: &[Vec<String>],
    total: usize,
    (per_column, extra): (usize, usize),
    keep_rows: bool,
) -> Option<Vec<usize>> {
    let n = headers.len();
    let cells =
        |i: usize| std::iter::once(&headers[i]).chain(rows.iter().filter_map(move |r| r.get(i)));
    let min: Vec<usize> = (0..n)
        .map(|i| {
            cells(i)
                .map(|c| min_width_rows(c, keep_rows))
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    let natural: Vec<usize> = (0..n)
        .map(|i| {
            cells(i)
                .map(|c| max_line_width(c))
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    let overhead = n * per_column + extra;
    let available = total.checked_sub(overhead)?;
    if min.iter().sum::<usize>() > available {
        return None;
    }
    let mut w = min.clone();
    let mut spare = available - w.iter().sum::<usize>();
    // Give spare columns where text still wraps, in proportion to how much wider it wants to be,
    // so a long Notes column gets more than a short Step column.
    while spare > 0 {
        let want: Vec<usize> = (0..n).map(|i| natural[i].saturating_sub(w[i])).collect();
        let total_want: usize = want.iter().sum();
        if total_want == 0 {
            break;
        }
        let round = spare;
        let mut given = 0;
        for i in 0..n {
            let share = (want[i] * round / total_want).min(want[i]);
            w[i] += share;
            given += share;
        }
        if given == 0 {
            // Less spare than columns that want it: one each, neediest first.
            let mut order: Vec<usize> = (0..n).filter(|&i| want[i] > 0).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(want[i]));
            for i in order.into_iter().take(spare) {
                w[i] += 1;
                given += 1;
            }
        }
        spare -= given;
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_words_are_never_split() {
        let lines = wrap_words("value 2.6843546e+08 written by madvise(MADV_DONTNEED)", 10);
        assert!(lines.contains(&"2.6843546e+08".to_string()), "{lines:?}");
        assert!(lines.contains(&"madvise(".to_string()), "{lines:?}");
        assert!(lines.contains(&"MADV_DONTNEED)".to_string()), "{lines:?}");
        let lines = wrap_words("a read-only map of /tmp/some/file.dat --no-pager", 6);
        assert!(lines.contains(&"--no-pager".to_string()), "{lines:?}");
        assert!(lines.contains(&"read-only".to_string()), "{lines:?}");
        assert!(
            lines.contains(&"/tmp/some/file.dat".to_string()),
            "{lines:?}"
        );
        assert_eq!(min_width_rows("File (read(2))", true), "(read(2))".len());
        // Short array rows stay whole; the break goes between rows.
        assert_eq!(
            wrap_words("[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]", 12),
            ["[[0. 1. 2.]", "[3. 4. 5.]", "[6. 7. 8.]]"]
        );
    }

    #[test]
    fn cjk_is_measured_in_columns() {
        assert_eq!(width("关闭文件 ✅"), 11);
        for line in wrap_words("内存映射数组的关闭文件步骤说明", 10) {
            assert!(width(&line) <= 10, "{line}");
        }
        assert!(wrap_hard("abcdefghij", 4).iter().all(|l| width(l) <= 4));
    }

    #[test]
    fn arrays_are_summarised_around_ellipses() {
        let big = "[[0. 1. 2. ... 7. 8. 9.] [10. 11. 12. ... 17. 18. 19.] ... [90. 91. 92. ... 97. 98. 99.]]";
        assert_eq!(summarise_array(big, 200), big);
        assert_eq!(summarise_array(big, 40), "[[0. ... 9.] ... [90. ... 99.]]");
        let small = "[[0. 1. 2.] [3. 4. 5.] [6. 7. 8.]]";
        assert_eq!(summarise_array(small, 100), small);
        assert_eq!(summarise_array(small, 20), "[[0. ... 2.] ... [6. ... 8.]]");
        assert_eq!(summarise_array("(not read) x y z", 3), "(not read) x y z");
        // Arrays inside other text are summarised too; an index is not an array.
        assert_eq!(
            summarise_array(&format!("arr[2, 5] = 2053.0; arr = {big}"), 40),
            "arr[2, 5] = 2053.0; arr = [[0. ... 9.] ... [90. ... 99.]]"
        );
        assert_eq!(
            summarise_array(&format!("Closed (held {big})"), 40),
            "Closed (held [[0. ... 9.] ... [90. ... 99.]])"
        );
        assert_eq!(
            summarise_array("x[1, 2] [unbalanced", 3),
            "x[1, 2] [unbalanced"
        );
        // A small array is not summarised because of the words around it.
        let held = format!("Closed (held {small})");
        assert_eq!(summarise_array(&held, 40), held);
    }

    #[test]
    fn columns_share_the_width_without_splitting() {
        let headers = vec!["Step".to_string(), "Notes".to_string()];
        let rows = vec![vec!["1".to_string(), "a fairly long note here".to_string()]];
        let w = column_widths(&headers, &rows, 30, (3, 1), true).unwrap();
        assert_eq!(w.iter().sum::<usize>() + 7, 30);
        assert!(w[0] >= 4 && w[1] >= 6);
        assert_eq!(column_widths(&headers, &rows, 10, (3, 1), true), None);
    }
}

//! Renders view blocks as terminal text (comfy-table) or Markdown.

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table, Width};

use super::{layout, Block};

/// An output format for blocks.
pub trait Render {
    /// Render a whole document.
    fn render(&self, blocks: &[Block]) -> String;
}

/// Plain terminal text, fitted to a width; ANSI bold headings only when `color` is on.
pub struct TextRender {
    pub width: u16,
    pub color: bool,
}

/// Markdown for course notes.
pub struct MarkdownRender;

/// Longest table cell laid out, in characters: comfy-table's wrapping grows faster than linearly
/// in a cell's length, and a lesson's note may be any length.
pub const MAX_CELL_CHARS: usize = 4000;

/// The blocks with every string passed through the one sanitiser ([`crate::term_safe`]) and
/// table cells bounded to [`MAX_CELL_CHARS`]: lesson text reaches the terminal or Markdown
/// file only through here.
pub fn safe_blocks(blocks: &[Block]) -> Vec<Block> {
    use crate::term_safe::{bounded, cleaned};
    let cell = |c: &String| cleaned(&bounded(c, MAX_CELL_CHARS));
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading(h) => Block::Heading(cleaned(h)),
            Block::Subheading(h) => Block::Subheading(cleaned(h)),
            Block::Text(t) => Block::Text(cleaned(t)),
            Block::Code { language, code } => Block::Code {
                language: cleaned(language),
                code: cleaned(code),
            },
            Block::Pre(p) => Block::Pre(cleaned(p)),
            Block::Table { headers, rows } => Block::Table {
                headers: headers.iter().map(cell).collect(),
                rows: rows.iter().map(|r| r.iter().map(cell).collect()).collect(),
            },
            Block::Flow(boxes) => Block::Flow(boxes.iter().map(cell).collect()),
            Block::Facts(f) => Block::Facts(f.iter().map(|(k, v)| (cleaned(k), cell(v))).collect()),
        })
        .collect()
}

impl Render for TextRender {
    fn render(&self, blocks: &[Block]) -> String {
        let blocks = safe_blocks(blocks);
        let width = self.width as usize;
        let mut out = String::new();
        for block in &blocks {
            match block {
                Block::Heading(h) => {
                    let h = wrap_exact(h, width).join("\n");
                    out.push_str(&self.bold(&h));
                    out.push('\n');
                    out.push_str(&"═".repeat(layout::max_line_width(&h)));
                    out.push_str("\n\n");
                }
                Block::Subheading(h) => {
                    out.push_str(&self.bold(&wrap_exact(h, width).join("\n")));
                    out.push('\n');
                }
                Block::Text(t) => {
                    out.push_str(&wrap(t, width));
                    out.push_str("\n\n");
                }
                Block::Code { code, .. } => {
                    for line in code.lines() {
                        for part in wrap_code(line, width.saturating_sub(4)) {
                            out.push_str("    ");
                            out.push_str(&part);
                            out.push('\n');
                        }
                    }
                    out.push('\n');
                }
                Block::Flow(boxes) => {
                    out.push_str(&super::flow::picture(boxes, width));
                    out.push('\n');
                }
                Block::Pre(p) => {
                    out.push_str(p);
                    if !p.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                }
                Block::Table { headers, rows } => {
                    out.push_str(&self.table(headers, rows));
                    out.push_str("\n\n");
                }
                Block::Facts(facts) => out.push_str(&facts_text(facts, width)),
            }
        }
        out
    }
}

/// Cells of a table that hold an array are summarised to at most this share of the width (NumPy's
/// edge-items rule with fewer edge items), so one big array does not make every row tall.
const ARRAY_CELL_SHARE: usize = 2;

/// Columns of border and padding per table column (`┆ x `), and the closing border.
const TABLE_PER_COLUMN: usize = 3;
const TABLE_EXTRA: usize = 1;

impl TextRender {
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A table drawn by comfy-table in columns sized here: no column is narrower than its widest
    /// word or number, and cells are wrapped here so nothing is ever cut. When the columns cannot
    /// fit the width, each row becomes a block of `header  value` lines instead.
    fn table(&self, headers: &[String], rows: &[Vec<String>]) -> String {
        let width = self.width as usize;
        let budget = (width / ARRAY_CELL_SHARE).max(40);
        let original = rows;
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| layout::summarise_array(c, budget))
                    .collect()
            })
            .collect();
        // Whole array rows if they fit, else rows broken between elements, else one block per row.
        let border = (TABLE_PER_COLUMN, TABLE_EXTRA);
        let fit = [true, false].into_iter().find_map(|keep_rows| {
            layout::column_widths(headers, &rows, width, border, keep_rows).map(|w| (w, keep_rows))
        });
        let Some((widths, keep_rows)) = fit else {
            return self.stacked(headers, original);
        };
        let wrapped = |cells: &[String]| -> Vec<String> {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| layout::wrap_words_rows(c, *w, keep_rows).join("\n"))
                .collect()
        };
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(wrapped(headers));
        for row in &rows {
            table.add_row(wrapped(row));
        }
        for (column, w) in table.column_iter_mut().zip(&widths) {
            // comfy-table's fixed width includes the column's padding (one space each side).
            let fixed = u16::try_from(w + 2).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(fixed)));
        }
        table.to_string()
    }

    /// Rows as blocks, for widths too narrow for columns: the first cell as a title, then one
    /// `header  value` line per other cell.
    fn stacked(&self, headers: &[String], rows: &[Vec<String>]) -> String {
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let title = format!(
                "{} {}",
                headers.first().map(String::as_str).unwrap_or(""),
                row.first().map(String::as_str).unwrap_or("")
            );
            out.push_str(&self.bold(&wrap_exact(title.trim(), self.width as usize).join("\n")));
            out.push('\n');
            // Arrays get the whole value width here, less summarised than in columns.
            let key_width = headers.iter().map(|h| layout::width(h)).max().unwrap_or(0);
            let budget = (self.width as usize).saturating_sub(key_width + 2).max(40);
            let facts: Vec<(String, String)> = headers
                .iter()
                .zip(row)
                .skip(1)
                .map(|(h, c)| (h.clone(), layout::summarise_array(c, budget)))
                .collect();
            out.push_str(facts_text(&facts, self.width as usize).trim_end_matches('\n'));
            out.push('\n');
        }
        out
    }
}

/// `key  value` lines, values wrapped beside the keys (under them when the keys are too wide).
fn facts_text(facts: &[(String, String)], width: usize) -> String {
    let key_width = facts
        .iter()
        .map(|(k, _)| layout::width(k))
        .max()
        .unwrap_or(0);
    let value_width = width.saturating_sub(key_width + 2);
    let mut out = String::new();
    for (k, v) in facts {
        if value_width < 20 {
            // Keys leave too little room: the value goes under its key, indented.
            out.push_str(k);
            out.push('\n');
            for line in layout::wrap_words(v, width.saturating_sub(2)) {
                out.push_str(&format!("  {line}\n"));
            }
            continue;
        }
        let indent = " ".repeat(key_width + 2);
        for (i, line) in layout::wrap_words(v, value_width).iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("{}  {line}\n", layout::pad(k, key_width)));
            } else {
                out.push_str(&format!("{indent}{line}\n"));
            }
        }
        if layout::wrap_words(v, value_width).is_empty() {
            out.push_str(&format!("{k}\n"));
        }
    }
    out.push('\n');
    out
}

/// Lesson text made inert for a Markdown renderer, outside code spans (where nothing is
/// interpreted): `<` before a letter, `/`, `!` or `?` (an HTML tag, comment or autolink such as
/// `<script>` or `<javascript:…>`) becomes `&lt;`, an inline link's `](` becomes `]\(` and a
/// line starting a link definition (`[x]: url`) is escaped, so notes carry no markup or links.
///
/// Code spans are copied as they are, so this must find exactly the spans Markdown finds: a span
/// here is a run of n backticks closed by the next run of exactly n *on the same line*; a run
/// with no such close is escaped (`\``), so Markdown cannot pair it with a run on a later line
/// (or across a blank line) and turn text this function escaped for an inline context into
/// code, or code it copied into text. A backslash escape (`\``, `\<`) is copied as the pair
/// Markdown reads. A `~~~` or an unclosed ```` ``` ```` at a line start would open a fenced
/// block that swallows the tutor's own fences: escaped too.
pub(crate) fn md_inert(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut line_start = true;
    let mut indent = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) {
            out.push(c);
            out.push(chars[i + 1]);
            line_start = false;
            i += 2;
            continue;
        }
        if c == '`' {
            let n = chars[i..].iter().take_while(|&&b| b == '`').count();
            let line_end = (i + n..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len());
            let close = (i + n..line_end).find(|&j| {
                chars[j] == '`'
                    && chars[j - 1] != '`'
                    && chars[j..].iter().take_while(|&&b| b == '`').count() == n
            });
            match close {
                Some(j) => out.extend(&chars[i..j + n]),
                None => (0..n).for_each(|_| out.push_str("\\`")),
            }
            line_start = false;
            i = close.map_or(i + n, |j| j + n);
            continue;
        }
        let next = chars.get(i + 1).copied();
        match c {
            '<' if next.is_some_and(|n| n.is_ascii_alphabetic() || "/!?".contains(n)) => {
                out.push_str("&lt;")
            }
            ']' if next == Some('(') => out.push_str("]\\"),
            '[' if line_start && starts_definition(&chars[i..]) => out.push_str("\\["),
            '~' if line_start
                && indent < 4
                && chars[i..].iter().take_while(|&&t| t == '~').count() >= 3 =>
            {
                out.push_str("\\~")
            }
            // A heading of the lesson's own (`# x`, or a `===`/`---` line under text) would pose
            // as one of the tutor's sections.
            '#' | '=' | '-' if line_start && indent < 4 && starts_heading(&chars[i..]) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        if c == '\n' {
            indent = 0;
        } else if line_start && c == ' ' {
            indent += 1;
        }
        line_start = c == '\n' || (line_start && c == ' ');
        i += 1;
    }
    out
}

/// A fenced code block around `content` that `content` cannot close: the fence is longer than
/// any run of backticks in it. The info string is one word of safe characters (a lesson's
/// `sample.language` with a backtick or a line feed in it must not leave the opening line).
pub(crate) fn md_fence(info: &str, content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let info: String = info
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "+-_.#".contains(*c))
        .collect();
    let info = if info.is_empty() { "text" } else { &info };
    let body = content.trim_end();
    format!("{fence}{info}\n{body}\n{fence}\n\n")
}

/// A Markdown heading is one line: the line feeds of a lesson's title or question become spaces
/// (a second line would be a paragraph, a heading or a list of its own).
fn md_heading(h: &str) -> String {
    md_inert(&h.replace('\n', " "))
}

/// True when `rest` (at a line start) makes a Markdown heading: `#` to `######` then a space or
/// the line's end, or a line of only `=` or only `-` (a setext underline; `---` alone is a rule).
fn starts_heading(rest: &[char]) -> bool {
    let line: Vec<char> = rest.iter().copied().take_while(|&c| c != '\n').collect();
    let first = line[0];
    let run = line.iter().take_while(|&&c| c == first).count();
    let after = line[run..].iter().all(|c| c.is_whitespace());
    match first {
        '#' => run <= 6 && line.get(run).is_none_or(|c| c.is_whitespace()),
        _ => after,
    }
}

/// True when `rest` (at a line start) reads `[label]:`, a Markdown link reference definition.
fn starts_definition(rest: &[char]) -> bool {
    rest.iter()
        .position(|&c| c == ']' || c == '\n')
        .is_some_and(|j| rest[j] == ']' && rest.get(j + 1) == Some(&':'))
}

impl Render for MarkdownRender {
    fn render(&self, blocks: &[Block]) -> String {
        let blocks: Vec<Block> = safe_blocks(blocks)
            .into_iter()
            .map(|b| match b {
                Block::Heading(h) => Block::Heading(md_heading(&h)),
                Block::Subheading(h) => Block::Subheading(md_heading(&h)),
                Block::Text(t) => Block::Text(md_inert(&t)),
                Block::Table { headers, rows } => Block::Table {
                    headers: headers.iter().map(|c| md_inert(c)).collect(),
                    rows: rows
                        .iter()
                        .map(|r| r.iter().map(|c| md_inert(c)).collect())
                        .collect(),
                },
                Block::Facts(f) => Block::Facts(
                    f.into_iter()
                        .map(|(k, v)| (md_inert(&k), md_inert(&v)))
                        .collect(),
                ),
                other => other,
            })
            .collect();
        let mut out = String::new();
        for block in &blocks {
            match block {
                Block::Heading(h) => out.push_str(&format!("## {h}\n\n")),
                Block::Subheading(h) => out.push_str(&format!("### {h}\n\n")),
                Block::Text(t) => out.push_str(&format!("{t}\n\n")),
                Block::Code { language, code } => {
                    let lang: String = language
                        .to_lowercase()
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let lang = if lang == "numpy" {
                        "python".to_string()
                    } else {
                        lang
                    };
                    out.push_str(&md_fence(&lang, code));
                }
                Block::Pre(p) => out.push_str(&md_fence("text", p)),
                Block::Flow(boxes) => out.push_str(&md_fence(
                    "text",
                    &super::flow::picture(boxes, MARKDOWN_PICTURE_WIDTH),
                )),
                Block::Table { headers, rows } => {
                    out.push_str(&md_row(headers));
                    out.push_str(&md_row(&vec!["---".to_string(); headers.len()]));
                    for row in rows {
                        out.push_str(&md_row(row));
                    }
                    out.push('\n');
                }
                Block::Facts(facts) => {
                    for (k, v) in facts {
                        out.push_str(&format!("- **{}**: {}\n", k.replace('\n', " "), md_cell(v)));
                    }
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// Pictures in Markdown are drawn for a typical page width.
const MARKDOWN_PICTURE_WIDTH: usize = 80;

fn md_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// A Markdown table cell: one line, pipes escaped, line breaks as `<br>`.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// Word wrap to `width` columns (at least 20) that keeps existing line breaks and never splits a
/// word or a number.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    layout::wrap_words(text, width.max(20)).join("\n")
}

/// Word wrap into lines of at most `width` columns; a word wider than the whole width is cut.
pub(crate) fn wrap_exact(text: &str, width: usize) -> Vec<String> {
    layout::wrap_hard(text, width)
}

/// Break a long line of Python so it fits and stays valid Python: code breaks after `, ` (the continuation is
/// indented, which Python accepts inside the call's parentheses); a comment breaks at a space and continues as
/// a comment. A line with no such break stays whole.
pub(crate) fn wrap_code(line: &str, width: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = line.to_string();
    let lead = line.len() - line.trim_start().len();
    while layout::width(&rest) > width {
        let limit: usize = rest
            .char_indices()
            .nth(width)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let (cut, next_prefix) = match rest.find('#') {
            Some(c) if c < limit => match rest[..limit].rfind(' ') {
                Some(cut) if cut > c + 1 => (cut, format!("{}# ", " ".repeat(lead))),
                _ => break,
            },
            _ => match rest[..limit].rfind(", ") {
                Some(cut) if cut > lead + 8 => (cut + 1, " ".repeat(lead + 8)),
                _ => break,
            },
        };
        parts.push(rest[..cut].trim_end().to_string());
        rest = format!("{next_prefix}{}", rest[cut..].trim_start());
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_code_breaks_after_commas() {
        let parts = wrap_code(
            "arr = np.memmap('large_data.dat', dtype='float32', mode='w+', shape=(3, 3))",
            56,
        );
        assert_eq!(
            parts,
            [
                "arr = np.memmap('large_data.dat', dtype='float32',",
                "        mode='w+', shape=(3, 3))"
            ]
        );
    }

    #[test]
    fn long_comments_continue_as_comments() {
        let parts = wrap_code(
            "x = 1  # a fairly long comment that will not fit in the width",
            40,
        );
        assert!(parts.iter().all(|p| p.chars().count() <= 40), "{parts:?}");
        assert!(parts[1].starts_with("# "), "{parts:?}");
    }

    #[test]
    fn wraps_at_width() {
        assert_eq!(
            wrap("aaaa bbbb cccc dddd eeee ffff", 20),
            "aaaa bbbb cccc dddd\neeee ffff"
        );
    }

    #[test]
    fn markdown_text_carries_no_markup_or_links_outside_code_spans() {
        assert_eq!(
            md_inert("<script>alert(1)</script> a < b, x<5"),
            "&lt;script>alert(1)&lt;/script> a < b, x<5"
        );
        assert_eq!(
            md_inert("<!-- c --> <?x> <javascript:alert(1)>"),
            "&lt;!-- c --> &lt;?x> &lt;javascript:alert(1)>"
        );
        assert_eq!(
            md_inert("[a](javascript:alert(1))"),
            "[a]\\(javascript:alert(1))"
        );
        assert_eq!(
            md_inert("note\n  [x]: javascript:y"),
            "note\n  \\[x]: javascript:y"
        );
        // Code spans are not interpreted by Markdown: kept exactly.
        assert_eq!(
            md_inert("`dtype='<f4'` and ``a ` <b>``"),
            "`dtype='<f4'` and ``a ` <b>``"
        );
        assert_eq!(md_inert("arrays [0 0 0 0] stay"), "arrays [0 0 0 0] stay");
        assert_eq!(md_inert("[0 0 0 0]"), "[0 0 0 0]");
        assert_eq!(md_inert("[D] dirty: yes"), "[D] dirty: yes");
        assert_eq!(md_inert("`unclosed <b>"), "\\`unclosed &lt;b>");
    }

    #[test]
    fn markdown_code_spans_are_the_ones_markdown_finds() {
        // A span never crosses a line: Markdown would end it at a blank line (the text between
        // is then HTML), and an unclosed run is escaped so it cannot pair with a later one.
        assert_eq!(
            md_inert("`x\n\n<script>a</script>\n\n`"),
            "\\`x\n\n&lt;script>a&lt;/script>\n\n\\`"
        );
        assert_eq!(
            md_inert("`a\nb` <img src=x> `c` <b>"),
            "\\`a\nb` <img src=x> `c\\` &lt;b>"
        );
        // A backslash-escaped backtick opens nothing, in Markdown as here.
        assert_eq!(
            md_inert("\\`<script>x</script>`"),
            "\\`&lt;script>x&lt;/script>\\`"
        );
        assert_eq!(md_inert("\\\\`<b>`"), "\\\\`<b>`");
        // Fences opened by lesson text would swallow the tutor's own.
        assert_eq!(md_inert("x\n~~~\n<b>"), "x\n\\~~~\n&lt;b>");
        assert_eq!(md_inert("x\n```\ny"), "x\n\\`\\`\\`\ny");
        assert_eq!(md_inert("    ~~~ indented code"), "    ~~~ indented code");
        // Headings of the lesson's own.
        assert_eq!(md_inert("a\n# Forged\n##x"), "a\n\\# Forged\n##x");
        assert_eq!(
            md_inert("a\n===\nb\n- item\n---"),
            "a\n\\===\nb\n- item\n\\---"
        );
    }

    #[test]
    fn markdown_fences_outlast_their_content() {
        let md = MarkdownRender.render(&[
            Block::Code {
                language: "NumPy\n<b>`".into(),
                code: "x = 1\n```\n<script>alert(1)</script>\n````".into(),
            },
            Block::Heading("T\n# forged\n<script>".into()),
        ]);
        assert_eq!(
            md,
            "`````python\nx = 1\n```\n<script>alert(1)</script>\n````\n`````\n\n\
             ## T # forged &lt;script>\n\n"
        );
    }

    #[test]
    fn markdown_table_escapes_cells() {
        let md = MarkdownRender.render(&[Block::Table {
            headers: vec!["a".into(), "b".into()],
            rows: vec![vec!["x|y".into(), "1\n2".into()]],
        }]);
        assert_eq!(md, "| a | b |\n| --- | --- |\n| x\\|y | 1<br>2 |\n\n");
    }

    #[test]
    fn text_table_fits_width() {
        let text = TextRender {
            width: 40,
            color: false,
        }
        .render(&[Block::Table {
            headers: vec!["col".into()],
            rows: vec![vec!["word ".repeat(30)]],
        }]);
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
    }
}

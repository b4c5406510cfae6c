//! Renders view blocks as terminal text (comfy-table) or Markdown.

use comfy_table::{presets, ContentArrangement, Table};

use super::Block;

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
        let mut out = String::new();
        for block in &blocks {
            match block {
                Block::Heading(h) => {
                    let h = wrap_exact(h, self.width as usize).join("\n");
                    let longest = h.lines().map(|l| l.chars().count()).max().unwrap_or(0);
                    out.push_str(&self.bold(&h));
                    out.push('\n');
                    out.push_str(&"═".repeat(longest));
                    out.push_str("\n\n");
                }
                Block::Subheading(h) => {
                    out.push_str(&self.bold(&wrap_exact(h, self.width as usize).join("\n")));
                    out.push('\n');
                }
                Block::Text(t) => {
                    out.push_str(&wrap(t, self.width as usize));
                    out.push_str("\n\n");
                }
                Block::Code { code, .. } => {
                    for line in code.lines() {
                        for part in wrap_code(line, (self.width as usize).saturating_sub(4)) {
                            out.push_str("    ");
                            out.push_str(&part);
                            out.push('\n');
                        }
                    }
                    out.push('\n');
                }
                Block::Flow(boxes) => {
                    out.push_str(&super::flow::picture(boxes, self.width as usize));
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
                    let mut table = Table::new();
                    table
                        .load_style(presets::UTF8_FULL_CONDENSED)
                        .set_content_arrangement(ContentArrangement::Dynamic)
                        .set_width(self.width)
                        .set_header(headers.clone());
                    for row in rows {
                        table.add_row(row.clone());
                    }
                    out.push_str(&table.to_string());
                    out.push_str("\n\n");
                }
                Block::Facts(facts) => {
                    let key_width = facts
                        .iter()
                        .map(|(k, _)| k.chars().count())
                        .max()
                        .unwrap_or(0);
                    for (k, v) in facts {
                        let pad = " ".repeat(key_width - k.chars().count());
                        let indent = " ".repeat(key_width + 2);
                        let value = wrap_exact(
                            v,
                            (self.width as usize).saturating_sub(key_width + 2).max(20),
                        )
                        .join("\n");
                        let value = value.replace('\n', &format!("\n{indent}"));
                        out.push_str(&format!("{k}{pad}  {value}\n"));
                    }
                    out.push('\n');
                }
            }
        }
        out
    }
}

impl TextRender {
    fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Render for MarkdownRender {
    fn render(&self, blocks: &[Block]) -> String {
        let blocks = safe_blocks(blocks);
        let mut out = String::new();
        for block in &blocks {
            match block {
                Block::Heading(h) => out.push_str(&format!("## {h}\n\n")),
                Block::Subheading(h) => out.push_str(&format!("### {h}\n\n")),
                Block::Text(t) => out.push_str(&format!("{t}\n\n")),
                Block::Code { language, code } => {
                    let lang = language.to_lowercase();
                    let lang = if lang == "numpy" {
                        "python".to_string()
                    } else {
                        lang
                    };
                    out.push_str(&format!("```{lang}\n{}\n```\n\n", code.trim_end()));
                }
                Block::Pre(p) => out.push_str(&format!("```text\n{}\n```\n\n", p.trim_end())),
                Block::Flow(boxes) => out.push_str(&format!(
                    "```text\n{}```\n\n",
                    super::flow::picture(boxes, MARKDOWN_PICTURE_WIDTH)
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
                        out.push_str(&format!("- **{k}**: {}\n", md_cell(v)));
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

/// Greedy word wrap that keeps existing line breaks.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out.join("\n")
}

/// Greedy word wrap into lines of at most `width` characters; a longer word is cut.
pub(crate) fn wrap_exact(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for line in wrap(text, width).lines() {
        let chars: Vec<char> = line.chars().collect();
        for chunk in chars.chunks(width) {
            lines.push(chunk.iter().collect());
        }
        if chars.is_empty() {
            lines.push(String::new());
        }
    }
    lines
}

/// Break a long line of Python so it fits and stays valid Python: code breaks after `, ` (the continuation is
/// indented, which Python accepts inside the call's parentheses); a comment breaks at a space and continues as
/// a comment. A line with no such break stays whole.
pub(crate) fn wrap_code(line: &str, width: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = line.to_string();
    let lead = line.len() - line.trim_start().len();
    while rest.chars().count() > width {
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

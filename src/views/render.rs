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

impl Render for TextRender {
    fn render(&self, blocks: &[Block]) -> String {
        let mut out = String::new();
        for block in blocks {
            match block {
                Block::Heading(h) => {
                    let line = "═".repeat(h.chars().count().min(self.width as usize));
                    out.push_str(&self.bold(h));
                    out.push('\n');
                    out.push_str(&line);
                    out.push_str("\n\n");
                }
                Block::Subheading(h) => {
                    out.push_str(&self.bold(h));
                    out.push('\n');
                }
                Block::Text(t) => {
                    out.push_str(&wrap(t, self.width as usize));
                    out.push_str("\n\n");
                }
                Block::Code { code, .. } => {
                    for line in code.lines() {
                        out.push_str("    ");
                        out.push_str(line);
                        out.push('\n');
                    }
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
                        let value = wrap(
                            v,
                            (self.width as usize).saturating_sub(key_width + 2).max(20),
                        );
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
        let mut out = String::new();
        for block in blocks {
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

fn md_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// A Markdown table cell: one line, pipes escaped, line breaks as `<br>`.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// Greedy word wrap that keeps existing line breaks.
pub fn wrap(text: &str, width: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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

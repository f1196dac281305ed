//! Stage 1, parse: a notebook file becomes a typed [`Notebook`]: its frontmatter, its prose
//! segments and its code cells, each with the line it starts on.

pub mod cells;
pub mod frontmatter;
pub mod scaffold;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use cells::{Cell, CellOptions, Label};
pub use frontmatter::{Frontmatter, Related, RelatedEntry};

use crate::diag::{Diagnostic, SourceFile};

/// A parsed notebook. Parsing never executes anything.
#[derive(Debug)]
pub struct Notebook {
    pub path: PathBuf,
    pub source: Arc<SourceFile>,
    pub front: Frontmatter,
    /// 1-based line of the frontmatter's first YAML line (after the opening `---`).
    pub front_first_line: usize,
    pub segments: Vec<Segment>,
}

/// The body in order: prose and cells alternate.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Prose(Prose),
    Cell(Cell),
}

/// A run of Markdown between cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Prose {
    pub text: String,
    /// 1-based file line of the first line of `text`.
    pub first_line: usize,
}

impl Notebook {
    /// The output path segment: the frontmatter's `slug`, or the file stem.
    pub fn slug(&self) -> String {
        self.front.slug.clone().unwrap_or_else(|| stem(&self.path))
    }

    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Cell(c) => Some(c),
            Segment::Prose(_) => None,
        })
    }

    /// 1-based file line of a top-level frontmatter key, for errors about its value.
    pub fn front_key_line(&self, key: &str) -> usize {
        let front_lines = self.source.text.lines().skip(self.front_first_line - 1);
        for (i, line) in front_lines.enumerate() {
            if line.trim_end() == "---" {
                break;
            }
            if line.starts_with(&format!("{key}:")) {
                return self.front_first_line + i;
            }
        }
        self.front_first_line.saturating_sub(1).max(1)
    }
}

/// The file stem as a slug candidate (`notebooks/mlops.md` gives `mlops`).
pub fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Parses a notebook from its text. Errors are collected, not stopped at.
pub fn parse(path: &Path, display_name: &str, text: String) -> Result<Notebook, Vec<Diagnostic>> {
    let file = Arc::new(SourceFile::new(display_name, text));
    let mut diagnostics = Vec::new();
    let lines: Vec<&str> = file.text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();

    let Some(close) = frontmatter_end(&lines) else {
        return Err(vec![
            Diagnostic::error("notebook::no-frontmatter", "the notebook does not start with a YAML frontmatter")
                .at(&file, file.line_span(1))
                .with_hint("start the file with a `---` line, then `title: ...`, then another `---` line"),
        ]);
    };
    let front_text = lines.get(1..close).unwrap_or(&[]).join("\n") + "\n";
    let fm = frontmatter::FrontmatterText { text: &front_text, first_line: 2 };
    let front = match frontmatter::parse(&file, &fm) {
        Ok(front) => front,
        Err(mut d) => {
            diagnostics.append(&mut d);
            Frontmatter::default()
        }
    };

    let segments = split_body(&file, &lines, close + 1, &front, &mut diagnostics);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Notebook { path: path.to_path_buf(), source: file, front, front_first_line: 2, segments })
}

/// Index of the closing `---` line, when the first line opens a frontmatter.
fn frontmatter_end(lines: &[&str]) -> Option<usize> {
    if lines.first()?.trim_end() != "---" {
        return None;
    }
    lines.iter().enumerate().skip(1).find(|(_, l)| l.trim_end() == "---").map(|(i, _)| i)
}

/// An opening or closing code fence: its character, its length and its info string.
pub(crate) struct Fence<'a> {
    pub ch: u8,
    pub len: usize,
    pub info: &'a str,
}

/// Reads a line as a code fence (up to three spaces of indent, three or more ` or ~).
pub(crate) fn fence(line: &str) -> Option<Fence<'_>> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some(Fence { ch, len, info })
}

fn split_body(
    file: &Arc<SourceFile>,
    lines: &[&str],
    start: usize,
    front: &Frontmatter,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut prose_start = start;
    let mut i = start;
    let mut cell_number = 0;
    while i < lines.len() {
        let Some(open) = lines.get(i).and_then(|l| fence(l)) else {
            i += 1;
            continue;
        };
        let close = (i + 1..lines.len()).find(|&j| {
            lines
                .get(j)
                .and_then(|l| fence(l))
                .is_some_and(|f| f.ch == open.ch && f.len >= open.len && f.info.is_empty())
        });
        let is_cell = open.info == "{rhai}";
        if is_cell && close.is_none() {
            diagnostics.push(
                Diagnostic::error("notebook::unclosed-cell", "this code cell is never closed")
                    .at(file, file.line_span(i + 1))
                    .with_hint(format!("end the cell with a line of {} backticks after its code", open.len)),
            );
        }
        let end = close.unwrap_or(lines.len());
        if is_cell {
            push_prose(&mut segments, lines, prose_start, i);
            cell_number += 1;
            let body = lines.get(i + 1..end).unwrap_or(&[]);
            let cell = cells::parse_cell(file, cell_number, i + 1, body, &front.execute, diagnostics);
            segments.push(Segment::Cell(cell));
            prose_start = end + 1;
        } else if open.info.starts_with("{rhai") || open.info.starts_with("{r}") || open.info.starts_with("{python") {
            diagnostics.push(
                Diagnostic::error("notebook::cell-language", format!("unsupported cell fence `{}`", open.info))
                    .at(file, file.line_span(i + 1))
                    .with_hint(
                        "code cells are written ```{rhai}; use a plain ```lang fence to show code without running it",
                    ),
            );
        }
        i = end + 1;
    }
    push_prose(&mut segments, lines, prose_start, lines.len());
    segments
}

fn push_prose(segments: &mut Vec<Segment>, lines: &[&str], from: usize, to: usize) {
    if from >= to {
        return;
    }
    let text = lines.get(from..to).unwrap_or(&[]).join("\n");
    segments.push(Segment::Prose(Prose { text, first_line: from + 1 }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(text: &str) -> Result<Notebook, Vec<Diagnostic>> {
        parse(Path::new("nb.md"), "nb.md", text.to_string())
    }

    #[test]
    fn splits_prose_and_cells_with_lines() {
        let n =
            nb("---\ntitle: T\n---\nIntro\n\n```{rhai}\nlet x = 1;\n```\nAfter\n```python\nnot a cell\n```\n").unwrap();
        assert_eq!(n.segments.len(), 3);
        let Segment::Prose(p) = &n.segments[0] else { panic!() };
        assert_eq!(p.first_line, 4);
        let Segment::Cell(c) = &n.segments[1] else { panic!() };
        assert_eq!((c.number, c.fence_line), (1, 6));
        let Segment::Prose(p) = &n.segments[2] else { panic!() };
        assert_eq!(p.first_line, 9);
        assert!(p.text.contains("not a cell"));
        assert_eq!(n.slug(), "nb");
    }

    #[test]
    fn missing_frontmatter_is_an_error() {
        let d = nb("# no frontmatter\n").unwrap_err();
        assert_eq!(d[0].code, "notebook::no-frontmatter");
    }

    #[test]
    fn all_errors_are_collected() {
        let d = nb("---\ntitle: T\n---\n```{rhai}\n//| lable: x\n//| echo: 3\n1\n```\n```{rhai}\n2\n").unwrap_err();
        assert_eq!(d.len(), 3, "{d:?}");
    }

    #[test]
    fn front_key_lines_are_found() {
        let n = nb("---\ntitle: T\nlede: L\n---\n").unwrap();
        assert_eq!(n.front_key_line("lede"), 3);
    }
}

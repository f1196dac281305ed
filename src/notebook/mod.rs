//! Stage 1, parse: a notebook file becomes a typed [`Notebook`]: its frontmatter, its prose
//! body, and the code cells CommonMark finds in it, each with the line it starts on.

pub mod cells;
pub mod frontmatter;
pub mod scaffold;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use cells::{Cell, CellOptions, Label};
pub use frontmatter::{Frontmatter, Related, RelatedEntry};

use crate::diag::{Code, Diagnostic, SourceFile};

/// A parsed notebook. Parsing never executes anything. Cloning is cheap: the members of a
/// family (`pages:`) share their notebook's text, frontmatter and body.
#[derive(Debug, Clone)]
pub struct Notebook {
    pub path: PathBuf,
    pub source: Arc<SourceFile>,
    pub front: Arc<Frontmatter>,
    /// 1-based line of the frontmatter's first YAML line (after the opening `---`).
    pub front_first_line: usize,
    /// The body (everything after the frontmatter): where it starts in `source`.
    pub body: Arc<Body>,
    /// For one page of a family (`pages:`): which one. `None` for a notebook that is one page,
    /// and for a family's own entry, its landing page.
    pub member: Option<Arc<Member>>,
    /// Errors of a frontmatter that could still be read (an unknown key, a value of the wrong
    /// type, a bad slug): reported with the build's other problems, while the cells run and
    /// the prose is checked all the same.
    pub problems: Vec<Diagnostic>,
}

/// Where a notebook's body is, and the fenced code blocks CommonMark finds in it: the cells,
/// and the blocks shown as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    /// Byte offset in the source where the body starts.
    pub start: usize,
    /// 1-based file line of the body's first line.
    pub first_line: usize,
    /// The `{rhai}` cells, in file order.
    pub cells: Vec<Cell>,
    /// Every fenced code block, cells included, as byte ranges of the file (from the opening
    /// fence to the end of the closing fence's line), in file order: templates never look
    /// inside them.
    pub fences: Vec<Fence>,
    /// Every `figure("slug", …)` in the prose's templates: the slug and the span of the call's
    /// name, in file order. The notebooks named must run before this page renders.
    pub figures: Vec<(String, std::ops::Range<usize>)>,
}

/// A fenced code block of the body, found the way CommonMark finds it (in lists and quotes too).
#[derive(Debug, Clone, PartialEq)]
pub struct Fence {
    pub span: std::ops::Range<usize>,
    /// 1-based file line of the opening fence.
    pub line: usize,
    /// The number of the cell it is, when it is one.
    pub cell: Option<usize>,
}

/// One page of a family: the parameters it runs with, and the slug and title `pages:` gives
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub slug: String,
    pub title: String,
    /// Its parameters, in the order `pages:` names them.
    pub params: indexmap::IndexMap<String, serde_json::Value>,
    /// Its place in the family, from 0.
    pub number: usize,
}

impl Member {
    /// `level: L6, region: Berlin`: how errors and lists name this member's parameters.
    pub fn params_text(&self) -> String {
        let value = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        self.params.iter().map(|(k, v)| format!("{k}: {}", value(v))).collect::<Vec<_>>().join(", ")
    }
}

impl Notebook {
    /// The output path segment: a member's slug from `pages:`, else the frontmatter's `slug`,
    /// else the file stem.
    pub fn slug(&self) -> String {
        match &self.member {
            Some(m) => m.slug.clone(),
            None => self.front.slug.clone().unwrap_or_else(|| stem(&self.path)),
        }
    }

    /// A family's own entry (its landing page): a notebook with `pages:` that is not one of
    /// its members. It does not run.
    pub fn is_family(&self) -> bool {
        self.front.pages.is_some() && self.member.is_none()
    }

    /// The title as the frontmatter writes it (a template), or a member's title, already
    /// expanded over its parameters.
    pub fn title(&self) -> Title<'_> {
        match &self.member {
            Some(m) => Title::Fixed(&m.title),
            None => Title::Written(&self.front.title),
        }
    }

    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.body.cells.iter()
    }
}

/// A notebook's title before it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Title<'a> {
    /// As written in the frontmatter: a template.
    Written(&'a str),
    /// Text to show as it is (a member's title).
    Fixed(&'a str),
}

impl<'a> Title<'a> {
    pub fn text(self) -> &'a str {
        match self {
            Title::Written(t) | Title::Fixed(t) => t,
        }
    }

    /// Whether it shows the same words whatever the notebook computes.
    pub fn is_fixed(self) -> bool {
        match self {
            Title::Written(t) => crate::template::is_fixed(t),
            Title::Fixed(_) => true,
        }
    }
}

/// The file stem as a slug candidate (`notebooks/mlops.md` gives `mlops`).
pub fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Parses a notebook from its text: every error is collected, and any is a failure.
pub fn parse(path: &Path, display_name: &str, text: String) -> Result<Notebook, Vec<Diagnostic>> {
    let mut notebook = parse_lenient(path, display_name, text)?;
    match notebook.problems.is_empty() {
        true => Ok(notebook),
        false => Err(std::mem::take(&mut notebook.problems)),
    }
}

/// Parses a notebook from its text. A frontmatter that can be read with errors (see
/// [`frontmatter::parse_lenient`]) gives a notebook that carries them in `problems`; any other
/// error is a failure, with every error collected.
pub fn parse_lenient(path: &Path, display_name: &str, text: String) -> Result<Notebook, Vec<Diagnostic>> {
    let file = Arc::new(SourceFile::new(display_name, text));
    let mut diagnostics = Vec::new();
    let lines: Vec<&str> = file.text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();

    let Some(close) = frontmatter_end(&lines) else {
        return Err(vec![
            Diagnostic::error(Code::NotebookNoFrontmatter, "the notebook does not start with a YAML frontmatter")
                .at(&file, file.line_span(1))
                .with_hint("start the file with a `---` line, then `title: ...`, then another `---` line"),
        ]);
    };
    let front_text = lines.get(1..close).unwrap_or(&[]).join("\n") + "\n";
    let fm = frontmatter::FrontmatterText { text: &front_text, first_line: 2 };
    let (front, problems) = frontmatter::parse_lenient(&file, &fm);
    let read = front.is_some();
    let front = front.unwrap_or_default();
    let body = find_cells(&file, close + 2, &front, &mut diagnostics);
    if !diagnostics.is_empty() || !read {
        return Err(problems.into_iter().chain(diagnostics).collect());
    }
    let mut notebook = Notebook {
        path: path.to_path_buf(),
        source: file,
        front: Arc::new(front),
        front_first_line: 2,
        body: Arc::new(body),
        member: None,
        problems,
    };
    let figures = crate::prose::expand::template_calls(&notebook, "figure")
        .into_iter()
        .filter_map(|(span, slug)| Some((slug?, span)))
        .collect();
    if let Some(body) = Arc::get_mut(&mut notebook.body) {
        body.figures = figures;
    }
    Ok(notebook)
}

/// Index of the closing `---` line, when the first line opens a frontmatter.
fn frontmatter_end(lines: &[&str]) -> Option<usize> {
    if lines.first()?.trim_end() != "---" {
        return None;
    }
    lines.iter().enumerate().skip(1).find(|(_, l)| l.trim_end() == "---").map(|(i, _)| i)
}

/// A line that reads as a code fence (up to three spaces of indent, three or more ` or ~):
/// its character, its length and its info string.
fn fence_line(line: &str) -> Option<(u8, usize, &str)> {
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
    let info = rest[len..].trim();
    (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, len, info))
}

/// A Markdown heading line (`## Abstract`): never Rhai, which has no `#` but in `#{`.
pub(crate) fn is_heading(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    line.len() - rest.len() <= 3
        && (1..=6).contains(&hashes)
        && rest[hashes..].starts_with([' ', '\t'])
        && !rest[hashes..].trim().is_empty()
}

/// Finds the body's fenced code blocks with CommonMark's own parser, so that a cell in a list
/// item or a quote is a cell, and a fence a writer left open is seen as CommonMark sees it.
/// `first_line` is the 1-based file line where the body starts.
fn find_cells(
    file: &Arc<SourceFile>,
    first_line: usize,
    front: &Frontmatter,
    diagnostics: &mut Vec<Diagnostic>,
) -> Body {
    let start = file.line_start(first_line).min(file.text.len());
    let mut body = Body { start, first_line, ..Body::default() };
    let text = &file.text[start..];
    // No fence in the body, no code block to find: the common prose-only case parses nothing.
    if !text.contains("```") && !text.contains("~~~") {
        return body;
    }
    let line_end = |line: usize| {
        let s = file.line_span(line);
        if file.text[s.clone()].ends_with('\r') { s.end - 1 } else { s.end }
    };
    for block in crate::prose::markdown::fenced_blocks(text) {
        let line = first_line + block.start.0 - 1;
        let at = file.line_start(line) + block.start.1.saturating_sub(1);
        let at = if file.text.is_char_boundary(at) { at } else { file.line_start(line) };
        let end_line = first_line + block.end_line - 1;
        let span = at..line_end(end_line).max(at);
        let info = block.info.trim();
        if info == "{rhai}" {
            let code: Vec<&str> = block.literal.split('\n').collect();
            // A cell whose code holds an opening fence (another cell's, a code block's) was
            // never closed: that block's closing fence closed it.
            let fence = code.iter().position(|l| fence_line(l).is_some_and(|(_, _, info)| !info.is_empty()));
            if !block.closed || fence.is_some() {
                let heading = code.iter().position(|l| is_heading(l));
                let mut took = Vec::new();
                if let Some(h) = heading.filter(|h| fence.is_none_or(|f| *h < f)) {
                    took.push(format!("the heading `{}` (line {})", code[h].trim(), line + 1 + h));
                }
                if let Some(f) = fence {
                    let what = match fence_line(code[f]) {
                        Some((_, _, "{rhai}")) => "the next cell's fence".to_string(),
                        _ => "the opening fence of a code block".to_string(),
                    };
                    took.push(format!("{what} (line {})", line + 1 + f));
                }
                let message = match took.is_empty() {
                    true => "this code cell is never closed".to_string(),
                    false => format!("this code cell is never closed: its code runs on over {}", took.join(" and ")),
                };
                let before = heading.or(fence).map(|i| format!(", before line {}", line + 1 + i)).unwrap_or_default();
                diagnostics.push(
                    Diagnostic::error(Code::NotebookUnclosedCell, message)
                        .at(file, file.line_span(line))
                        .with_hint(format!("end the cell with {} after its code{before}", closing_fence(&block))),
                );
            }
            let number = body.cells.len() + 1;
            let lines: Vec<&str> = block.literal.split_terminator('\n').collect();
            let cell = cells::parse_cell(file, number, line, &lines, &front.execute, diagnostics);
            body.cells.push(cell);
            body.fences.push(Fence { span, line, cell: Some(number) });
            continue;
        }
        if info.starts_with("{rhai") || info.starts_with("{r}") || info.starts_with("{python") {
            diagnostics.push(
                Diagnostic::error(Code::NotebookCellLanguage, format!("unsupported cell fence `{info}`"))
                    .at(file, file.line_span(line))
                    .with_hint(
                        "code cells are written ```{rhai}; use a plain ```lang fence to show code without running it",
                    ),
            );
        }
        // A fence left open runs to the end of what holds it, or to the next bare fence: the
        // closing fence of a cell after it. A cell it swallows would be shown as code and never
        // run. (A `{rhai}` fence shown with its own closing fence inside a longer fence is
        // fine: that is how a page shows what a cell looks like.)
        let code: Vec<&str> = block.literal.split('\n').collect();
        let swallowed = code.iter().enumerate().position(|(i, l)| {
            let Some((ch, len, "{rhai}")) = fence_line(l) else { return false };
            !block.closed
                || !code[i + 1..]
                    .iter()
                    .any(|l| fence_line(l).is_some_and(|(c, n, info)| c == ch && n >= len && info.is_empty()))
        });
        if let Some(i) = swallowed {
            diagnostics.push(
                Diagnostic::error(
                    Code::NotebookUnclosedFence,
                    format!(
                        "this code block is never closed, so the cell at line {} is shown as its code and never run",
                        line + 1 + i
                    ),
                )
                .at(file, file.line_span(line))
                .with_hint(format!("close it with {} before the cell", closing_fence(&block))),
            );
        }
        body.fences.push(Fence { span, line, cell: None });
    }
    body
}

/// What closes a fenced block: "a line of 3 backticks".
fn closing_fence(block: &crate::prose::markdown::Fenced) -> String {
    let what = if block.fence_char == b'~' { "tildes" } else { "backticks" };
    format!("a line of {} {what}", block.fence_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(text: &str) -> Result<Notebook, Vec<Diagnostic>> {
        parse(Path::new("nb.md"), "nb.md", text.to_string())
    }

    #[test]
    fn cells_are_found_as_commonmark_finds_fences() {
        let n =
            nb("---\ntitle: T\n---\nIntro\n\n```{rhai}\nlet x = 1;\n```\nAfter\n```python\nnot a cell\n```\n- item\n\n  ```{rhai}\n  2\n  ```\n").unwrap();
        let cells: Vec<(usize, usize, &str)> = n.cells().map(|c| (c.number, c.fence_line, c.script.as_str())).collect();
        assert_eq!(cells, [(1, 6, "let x = 1;"), (2, 15, "2")]);
        assert_eq!(n.body.first_line, 4);
        let fences: Vec<(usize, Option<usize>)> = n.body.fences.iter().map(|f| (f.line, f.cell)).collect();
        assert_eq!(fences, [(6, Some(1)), (10, None), (15, Some(2))]);
        assert_eq!(&n.source.text[n.body.fences[2].span.clone()], "```{rhai}\n  2\n  ```");
        assert_eq!(n.slug(), "nb");
    }

    #[test]
    fn an_open_fence_that_swallows_a_cell_is_an_error() {
        let d = nb("---\ntitle: T\n---\n```\nshown\n\n```{rhai}\n1\n").unwrap_err();
        assert_eq!(d[0].code, Code::NotebookUnclosedFence);
        assert_eq!(d[0].position().map(|p| p.1), Some(4));
        // In a list item an open fence ends with the item: the cell after it is a cell.
        let n = nb("---\ntitle: T\n---\n- a\n  ```\n  open\n\n```{rhai}\n1\n```\n").unwrap();
        assert_eq!(n.cells().count(), 1);
    }

    #[test]
    fn missing_frontmatter_is_an_error() {
        let d = nb("# no frontmatter\n").unwrap_err();
        assert_eq!(d[0].code, Code::NotebookNoFrontmatter);
    }

    #[test]
    fn all_errors_are_collected() {
        let d = nb("---\ntitle: T\n---\n```{rhai}\n//| lable: x\n//| echo: 3\n1\n```\n```{rhai}\n2\n").unwrap_err();
        assert_eq!(d.len(), 3, "{d:?}");
    }

    #[test]
    fn frontmatter_values_keep_where_they_are_written() {
        let n = nb(
            "---\ntitle: T\nlede: \"L {{ x }}\"\ndata:\n  rows: data/r.csv\nrelated:\n  - a\n  - { slug: b }\n---\n",
        )
        .unwrap();
        let text = &n.source.text;
        assert_eq!(&text[n.front.value_span(&["lede"]).unwrap()], "\"L {{ x }}\"");
        assert_eq!(&text[n.front.value_span(&["data", "rows"]).unwrap()], "data/r.csv");
        assert_eq!(&text[n.front.related_span(0, Some("slug")).unwrap()], "a");
        assert_eq!(&text[n.front.related_span(1, Some("slug")).unwrap()], "b");
    }
}

//! Markdown: comrak lives here and nowhere else. The document is parsed once; the caller
//! sees an outline of its top-level blocks, answers with a [`Plan`] (what to number, wrap or
//! replace), and gets HTML back. Positions are 1-based file lines.

use std::cell::RefCell;
use std::collections::HashMap;

use comrak::nodes::{Ast, AstNode, LineColumn, NodeValue, TableAlignment};
use comrak::{Arena, Options, create_formatter, parse_document};

use crate::diag::SourceFile;
use crate::prose::attributes::{self, Attributes};
use crate::prose::lint::TypedFigure;
use crate::template::{Inserted, Marks};

/// A block of the document, as the planner sees it, in document order. `line` is the block's
/// line in the expanded Markdown (what plans are keyed by), `file_line` its notebook line.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `top`: the heading stands at the top level, not in a list or a quote. `text` is its
    /// plain text, values in and attribute block out.
    Heading {
        level: u8,
        line: usize,
        file_line: usize,
        text: String,
        attrs: Option<Attributes>,
        top: bool,
    },
    Table {
        line: usize,
        file_line: usize,
    },
    /// A fenced `{rhai}` block: a cell.
    Cell {
        line: usize,
        file_line: usize,
    },
    /// A paragraph. Only one that may be a table caption (it starts with `:`) comes with its
    /// plain text, without the attribute block that ends it, if any.
    Paragraph {
        line: usize,
        file_line: usize,
        text: String,
        attrs: Option<Attributes>,
    },
    /// Any other block (a list, a quote, other code): ends what a caption may follow.
    Other,
}

/// How a heading is rewritten.
#[derive(Debug, Clone, Default)]
pub struct HeadingPlan {
    /// The opening tag, e.g. `<h2 id="sec-x">`.
    pub open: String,
    /// HTML placed inside the heading before its text (the section number).
    pub prefix: String,
    /// HTML placed after the heading (the `section mo-2 : …` label).
    pub after: String,
}

/// What the caller wants done to the document.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub headings: HashMap<usize, HeadingPlan>,
    /// Table start line -> HTML before and after it.
    pub tables: HashMap<usize, (String, String)>,
    /// Paragraph lines to drop (table captions, consumed by the planner).
    pub drop_paragraphs: Vec<usize>,
    /// Cell line -> HTML replacing it.
    pub code: HashMap<usize, String>,
    /// Lines of the FAQ section: its heading's line and the line of the next H2 (or none).
    pub faq: Option<(usize, Option<usize>)>,
}

/// A `@label` citation found in text, at its file line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub label: String,
    pub line: usize,
    pub column: usize,
}

/// What rendering gives back.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    /// Question and answer texts of the FAQ section, in order.
    pub faq: Vec<(String, String)>,
    /// Where each value placed in the tree stands, in document order.
    pub places: Vec<ValuePlace>,
    /// The figures typed into the prose's text ([`crate::prose::lint`]).
    pub typed: Vec<TypedFigure>,
}

/// Where an inserted value stands on the page: the block that holds it, with the block's
/// text as a reader sees it and the value's bytes in that text.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePlace {
    /// The value's index (its mark's number).
    pub value: usize,
    /// The block's line in the expanded Markdown.
    pub line: usize,
    /// The block's text, shared by the values it holds.
    pub context: std::rc::Rc<str>,
    pub at: std::ops::Range<usize>,
    /// In a Markdown table: which cell.
    pub cell: Option<TableCellPlace>,
}

/// A cell of a Markdown table: the table's line, the cell's row (0 for the header) and
/// column, and the texts that name them (the column's header, the row's first cell).
#[derive(Debug, Clone, PartialEq)]
pub struct TableCellPlace {
    pub table_line: usize,
    pub row: usize,
    pub column: usize,
    pub header: String,
    pub row_label: String,
}

/// The expanded prose to render: Markdown with value marks, and what they stand for.
pub struct Source<'s> {
    pub markdown: &'s str,
    /// The notebook line of each Markdown line.
    pub lines: &'s [usize],
    /// The notebook, to find where a citation was written.
    pub file: &'s SourceFile,
    pub marks: Marks,
    pub values: &'s [Inserted],
    /// The HTML of each embedded figure, by request.
    pub embeds: &'s [String],
}

impl Source<'_> {
    fn file_line(&self, line: usize) -> usize {
        file_line(self.lines, line)
    }

    /// `text` with each value mark replaced by its text (embeds give nothing); `fold` turns
    /// a value's line breaks into spaces, as text on one line.
    fn resolve(&self, text: &str, fold: bool) -> String {
        let mut out = String::with_capacity(text.len());
        for piece in self.pieces(text) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(v) if fold => out.push_str(&v.replace(['\r', '\n'], " ")),
                Piece::Value(v) => out.push_str(v),
                Piece::Embed(_) => {}
            }
        }
        out
    }

    fn pieces<'t>(&'t self, text: &'t str) -> Vec<Piece<'t>> {
        let mark = self.marks.value;
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find(mark) {
            let after = &rest[at + mark.len_utf8()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let value = after[..digits].parse::<usize>().ok().and_then(|i| self.values.get(i));
            match (after[digits..].strip_prefix(mark), value) {
                (Some(next), Some(value)) => {
                    out.push(Piece::Text(&rest[..at]));
                    out.push(match value {
                        Inserted::Text(t) => Piece::Value(t),
                        Inserted::Embed(i) => Piece::Embed(*i),
                    });
                    rest = next;
                }
                _ => {
                    // Not a mark this stage made: the character goes, the text stays.
                    out.push(Piece::Text(&rest[..at]));
                    rest = after;
                }
            }
        }
        out.push(Piece::Text(rest));
        out
    }
}

/// The notebook line of a 1-based line of expanded prose, given the file line of each.
pub fn file_line(lines: &[usize], line: usize) -> usize {
    lines.get(line.saturating_sub(1)).or(lines.last()).copied().unwrap_or(1)
}

enum Piece<'t> {
    Text(&'t str),
    Value(&'t str),
    Embed(usize),
}

/// The bytes that can open or split a Markdown element as comrak parses it here: emphasis,
/// links, images, code, escapes, entities, raw HTML, autolinks (a scheme's `:`, the `.` of
/// `www.`, an address's `@`), strikethrough, footnotes, table cells, the block markers (`>`,
/// `-`, `+`, `#`, `1.`, `1)`) and line ends. Each element comrak builds starts at one of them
/// or at a line, and none of them makes more than a few elements, so their count bounds the
/// tree comrak builds (about 250 bytes an element) before it is built. `{` counts too: in the
/// notebook as written it opens a `{{ }}`, which the template engine compiles to a node of
/// its own (`{{x}}` repeated is 50 times its size in memory).
const OPENERS: &[u8] = b"\n_*\"`\\&<>[]!:~^|@-+#.){";

/// Where `text` passes `max` Markdown elements, counted as the bytes that can open one
/// ([`OPENERS`]): the byte offset of the first one past `max`.
pub fn past_element_limit(text: &str, max: usize) -> Option<usize> {
    const TABLE: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < OPENERS.len() {
            table[OPENERS[i] as usize] = true;
            i += 1;
        }
        table
    };
    let mut seen = 0usize;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if TABLE[b as usize] {
            seen += 1;
            if seen > max {
                return Some(i);
            }
        }
    }
    None
}

fn options() -> Options<'static> {
    let mut o = Options::default();
    o.extension.table = true;
    o.extension.strikethrough = true;
    o.extension.autolink = true;
    o.extension.footnotes = true;
    // Raw HTML in prose is shown as text: nothing in a notebook becomes markup by accident.
    o.render.escape = true;
    o
}

/// A fenced code block, as CommonMark finds it in a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Fenced {
    pub info: String,
    pub literal: String,
    /// 1-based line and byte column of the opening fence.
    pub start: (usize, usize),
    /// 1-based line of its last line (the closing fence, or its last line when left open).
    pub end_line: usize,
    pub closed: bool,
    pub fence_len: usize,
    pub fence_char: u8,
}

/// Every fenced code block of `md`, in document order, wherever it stands.
pub fn fenced_blocks(md: &str) -> Vec<Fenced> {
    top_level_fences(md).unwrap_or_else(|| parsed_fences(md))
}

/// Every fenced block as comrak's parser finds it.
fn parsed_fences(md: &str) -> Vec<Fenced> {
    let arena = Arena::new();
    // Only what changes where blocks are: footnote definitions hold blocks; tables,
    // strikethrough and autolinks are inline or end at any block, a fence included.
    let mut opts = Options::default();
    opts.extension.footnotes = true;
    let root = parse_document(&arena, md, &opts);
    root.descendants()
        .filter_map(|n| {
            let data = n.data.borrow();
            let NodeValue::CodeBlock(c) = &data.value else { return None };
            c.fenced.then(|| Fenced {
                info: c.info.clone(),
                literal: c.literal.clone(),
                start: (data.sourcepos.start.line, data.sourcepos.start.column),
                end_line: data.sourcepos.end.line,
                closed: c.closed,
                fence_len: c.fence_length,
                fence_char: c.fence_char,
            })
        })
        .collect()
}

/// The fenced blocks of a body whose fences all open at the first column of a line, read
/// line by line; `None` as soon as anything could make CommonMark read the lines otherwise.
///
/// Outside a fenced block, a line that opens with a fence at column 1 always opens one: it
/// ends any paragraph, list item, quote, footnote or indented code before it (it cannot be
/// a lazy continuation). What this does not read is handed to the parser: a fence or `<`
/// anywhere else on a line outside a block (indented, in a container, an HTML block that
/// could hold the next fence), carriage returns and NUL (other line ends and replaced
/// characters), and an info string with an escape or entity in it. A test holds this to the
/// parser on the spec suites and on generated documents. Most notebooks are read here: it
/// saves a full parse of the body for every notebook.
fn top_level_fences(md: &str) -> Option<Vec<Fenced>> {
    if any_byte(md, |b| b == b'\r' || b == 0) {
        return None;
    }
    let mut found = Vec::new();
    let mut open: Option<Fenced> = None;
    for (i, line) in md.split_inclusive('\n').enumerate() {
        let number = i + 1;
        let content = line.strip_suffix('\n').unwrap_or(line);
        if let Some(block) = open.as_mut() {
            block.end_line = number;
            if closes_fence(content, block.fence_char, block.fence_len) {
                block.closed = true;
                found.extend(open.take());
            } else {
                block.literal.push_str(content);
                block.literal.push('\n');
            }
            continue;
        }
        if let Some((fence_char, fence_len)) = opening_fence(content) {
            let info = &content[fence_len..];
            if info.contains(['\\', '&']) {
                return None;
            }
            open = Some(Fenced {
                info: info.trim_matches([' ', '\t']).to_string(),
                literal: String::new(),
                start: (number, 1),
                end_line: number,
                closed: false,
                fence_len,
                fence_char,
            });
            continue;
        }
        let indent = content.len() - content.trim_start_matches(' ').len();
        if has_fence_run(content) || (indent < 4 && content[indent..].starts_with('<')) {
            return None;
        }
    }
    found.extend(open);
    Some(found)
}

/// Whether any byte of `text` is one `hit` says yes to, reading it in blocks the compiler can
/// vectorise.
fn any_byte(text: &str, hit: impl Fn(u8) -> bool) -> bool {
    text.as_bytes().chunks(64).any(|block| block.iter().fold(false, |found, &b| found | hit(b)))
}

/// Whether the line holds three backticks or three tildes in a row.
fn has_fence_run(line: &str) -> bool {
    let mut run = 0;
    let mut last = 0;
    for &b in line.as_bytes() {
        run = if b == last { run + 1 } else { 1 };
        last = b;
        if run >= 3 && (b == b'`' || b == b'~') {
            return true;
        }
    }
    false
}

/// A fence opening at the line's first column: its character and length.
fn opening_fence(line: &str) -> Option<(u8, usize)> {
    let fence_char = *line.as_bytes().first().filter(|&&c| c == b'`' || c == b'~')?;
    let len = line.bytes().take_while(|&c| c == fence_char).count();
    let opens = len >= 3 && (fence_char == b'~' || !line[len..].contains('`'));
    opens.then_some((fence_char, len))
}

/// A line that closes a fence of `len` `fence_char`s: up to three spaces, at least as many of
/// the same character, then only spaces and tabs.
fn closes_fence(line: &str, fence_char: u8, len: usize) -> bool {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return false;
    }
    let run = rest.bytes().take_while(|&c| c == fence_char).count();
    run >= len && rest[run..].trim_matches([' ', '\t']).is_empty()
}

// Ours wherever comrak's HTML is not what a page wants: table alignment is CSS, not the
// obsolete `align` attribute.
create_formatter!(PageHtml, {
    NodeValue::TableCell => |context, node, entering| {
        return table_cell(context, node, entering);
    },
});

fn table_cell<'a>(
    context: &mut comrak::html::Context<'_, '_, ()>,
    node: &'a AstNode<'a>,
    entering: bool,
) -> Result<comrak::html::ChildRendering, std::fmt::Error> {
    use std::fmt::Write;
    let row = node.parent();
    let header = row.is_some_and(|r| matches!(r.data.borrow().value, NodeValue::TableRow(true)));
    if !entering {
        context.write_str(if header { "</th>" } else { "</td>" })?;
        return Ok(comrak::html::ChildRendering::HTML);
    }
    context.cr()?;
    let column = node.preceding_siblings().count() - 1;
    let align = row.and_then(|r| r.parent()).and_then(|t| match &t.data.borrow().value {
        NodeValue::Table(table) => table.alignments.get(column).copied(),
        _ => None,
    });
    context.write_str(if header { "<th" } else { "<td" })?;
    match align {
        Some(TableAlignment::Left) => context.write_str(" style=\"text-align: left\"")?,
        Some(TableAlignment::Right) => context.write_str(" style=\"text-align: right\"")?,
        Some(TableAlignment::Center) => context.write_str(" style=\"text-align: center\"")?,
        _ => {}
    }
    context.write_str(">")?;
    Ok(comrak::html::ChildRendering::HTML)
}

fn write_html<'a>(node: &'a AstNode<'a>, opts: &Options<'_>, out: &mut String) {
    // Writing into a String cannot fail.
    let _ = PageHtml::format_document(node, opts, out);
}

/// An autolink body by CommonMark's rules (`<scheme:…>` or `<address@host>`), which a value
/// written as `<{{ url }}>` must be to be read as one: it holds nothing Markdown reads inside
/// an autolink, so it is put in before the parse.
fn is_autolink_body(t: &str) -> bool {
    let uri = t.split_once(':').is_some_and(|(scheme, rest)| {
        (2..=32).contains(&scheme.len())
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            && !rest.chars().any(|c| c.is_ascii_control() || c == ' ' || c == '<' || c == '>')
    });
    let email = t.split_once('@').is_some_and(|(local, host)| {
        !local.is_empty()
            && local.bytes().all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b))
            && !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    });
    (uri || email) && !t.contains('`')
}

/// Puts values written as `<{{ url }}>` in before the parse, where they are autolinks.
fn autolinks_in(src: &Source<'_>) -> Option<String> {
    let mark = src.marks.value;
    let opener = format!("<{mark}");
    if !src.markdown.contains(&opener) {
        return None;
    }
    let mut out = String::with_capacity(src.markdown.len());
    let mut rest = src.markdown;
    while let Some(at) = rest.find(&opener) {
        let after = &rest[at + opener.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let value = after[..digits].parse::<usize>().ok().and_then(|i| src.values.get(i));
        let escaped = rest[..at].ends_with('\\');
        match (after[digits..].strip_prefix(mark).and_then(|r| r.strip_prefix('>')), value) {
            (Some(next), Some(Inserted::Text(t))) if !escaped && is_autolink_body(t) => {
                out.push_str(&rest[..at]);
                out.push('<');
                out.push_str(t);
                out.push('>');
                rest = next;
            }
            _ => {
                out.push_str(&rest[..at + opener.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Parses the expanded prose, asks `plan` for a plan over its blocks, resolves citations
/// with `cite` (label -> how the citation reads, or `None` when unknown), puts each value's
/// exact text where its mark is, and renders.
pub fn render(
    src: &Source<'_>,
    plan: impl FnOnce(&[Block]) -> Plan,
    mut cite: impl FnMut(&Citation) -> Option<String>,
) -> Rendered {
    let arena = Arena::new();
    let opts = options();
    let with_autolinks = autolinks_in(src);
    let md = with_autolinks.as_deref().unwrap_or(src.markdown);
    let root = parse_document(&arena, md, &opts);

    let outline = outline(root, src, md);
    let mut plan = plan(&outline);
    // Read before citations and values change the text nodes, and once attribute blocks are off.
    let typed = typed_figures(root, src);
    resolve_citations(&arena, root, src, &mut cite);
    let places = value_places(root, src);
    put_values(&arena, root, src);
    let faq = wrap_faq(&arena, root, &plan);
    // Only blocks are planned: their kind is read without copying what they hold.
    let blocks: Vec<_> = root
        .descendants()
        .filter(|n| {
            matches!(
                n.data.borrow().value,
                NodeValue::Heading(_) | NodeValue::Table(_) | NodeValue::Paragraph | NodeValue::CodeBlock(_)
            )
        })
        .collect();
    for node in blocks {
        let line = node.data.borrow().sourcepos.start.line;
        let (heading, table, paragraph) = {
            let value = &node.data.borrow().value;
            (
                matches!(value, NodeValue::Heading(_)),
                matches!(value, NodeValue::Table(_)),
                matches!(value, NodeValue::Paragraph),
            )
        };
        if heading {
            if let Some(h) = plan.headings.get(&line) {
                rewrite_heading(&arena, node, h, &opts);
            }
        } else if table {
            // Two blocks of a kind never start on one line: each plan is used once, moved.
            if let Some((before, after)) = plan.tables.remove(&line) {
                node.insert_before(raw(&arena, before));
                node.insert_after(raw(&arena, after));
            }
        } else if paragraph {
            if plan.drop_paragraphs.contains(&line) {
                node.detach();
            }
        } else if let Some(html) = plan.code.remove(&line) {
            node.insert_before(raw(&arena, html));
            node.detach();
        }
    }
    let mut html = String::new();
    write_html(root, &opts, &mut html);
    Rendered { html, faq, places, typed }
}

/// Where each value mark stands, block by block in document order (before the values are put
/// in, while the marks still say which value is which).
fn value_places<'a>(root: &'a AstNode<'a>, src: &Source<'_>) -> Vec<ValuePlace> {
    let mark = src.marks.value;
    let mut places = Vec::new();
    if src.values.is_empty() {
        return places;
    }
    for node in root.descendants() {
        let text = match &node.data.borrow().value {
            NodeValue::Paragraph | NodeValue::Heading(_) | NodeValue::TableCell => None,
            NodeValue::CodeBlock(c) => Some(c.literal.clone()),
            NodeValue::HtmlBlock(h) => Some(h.literal.clone()),
            _ => continue,
        };
        let text = text.unwrap_or_else(|| plain_text(node));
        if !text.contains(mark) {
            continue;
        }
        let line = node.data.borrow().sourcepos.start.line;
        let cell = table_cell_place(node, src);
        let mut context = String::with_capacity(text.len());
        let mut found = Vec::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(mark) {
            context.push_str(&rest[..at]);
            let after = &rest[at + mark.len_utf8()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let index = after[..digits].parse::<usize>().ok().filter(|&i| i < src.values.len());
            match (after[digits..].strip_prefix(mark), index) {
                (Some(next), Some(index)) => {
                    let start = context.len();
                    if let Inserted::Text(t) = &src.values[index] {
                        context.push_str(&t.replace(['\r', '\n'], " "));
                    }
                    found.push((index, start..context.len()));
                    rest = next;
                }
                _ => rest = after,
            }
        }
        context.push_str(rest);
        let context: std::rc::Rc<str> = context.into();
        for (value, at) in found {
            places.push(ValuePlace { value, line, context: std::rc::Rc::clone(&context), at, cell: cell.clone() });
        }
    }
    places
}

/// The cell of a Markdown table `node` is, if it is one.
fn table_cell_place<'a>(node: &'a AstNode<'a>, src: &Source<'_>) -> Option<TableCellPlace> {
    if !matches!(node.data.borrow().value, NodeValue::TableCell) {
        return None;
    }
    let row = node.parent()?;
    let table = row.parent()?;
    let column = node.preceding_siblings().count() - 1;
    let row_index = row.preceding_siblings().count() - 1;
    let text = |n: Option<&'a AstNode<'a>>| {
        n.map(|n| src.resolve(&plain_text(n), true).trim().to_string()).unwrap_or_default()
    };
    let header = text(table.first_child().and_then(|h| h.children().nth(column)));
    let row_label = text(row.first_child());
    let table_line = table.data.borrow().sourcepos.start.line;
    Some(TableCellPlace { table_line, row: row_index, column, header, row_label })
}

/// The texts a reader sees as typed (headings, paragraphs, list items, quotes, table cells,
/// footnotes, link text; not code, raw HTML, link destinations or autolinks), each with its
/// Markdown line, for [`crate::prose::lint::place`] to find the figures in. Text nodes next to
/// each other (split by an escape, say) are one text.
fn typed_figures<'a>(root: &'a AstNode<'a>, src: &Source<'_>) -> Vec<TypedFigure> {
    let mut runs: Vec<(usize, String)> = Vec::new();
    let mut joined = false;
    for node in root.descendants() {
        let data = node.data.borrow();
        let NodeValue::Text(t) = &data.value else {
            joined = false;
            continue;
        };
        // An autolink's text is its address.
        let autolink = node
            .parent()
            .is_some_and(|p| matches!(&p.data.borrow().value, NodeValue::Link(l) if l.url.ends_with(t.as_ref())));
        match runs.last_mut() {
            Some((_, run)) if joined && !autolink => run.push_str(t),
            _ if autolink => {}
            _ => runs.push((data.sourcepos.start.line, t.to_string())),
        }
        joined = !autolink && node.next_sibling().is_some_and(|n| matches!(n.data.borrow().value, NodeValue::Text(_)));
    }
    crate::prose::lint::place(src.file, &runs, |line| src.file_line(line), src.marks.value)
}

/// The blocks of the document in order, for the planner. Attribute blocks are taken off
/// headings here: only braces the writer typed, whole and valid, are attributes.
fn outline<'a>(root: &'a AstNode<'a>, src: &Source<'_>, md: &str) -> Vec<Block> {
    let lines: Vec<&str> = md.split('\n').collect();
    let mut blocks = Vec::new();
    for node in root.descendants() {
        /// What a node is, read without copying what it holds.
        enum Kind {
            Heading(u8),
            Table,
            Cell,
            /// A paragraph; `true` when it may be a table caption (`: caption {#tbl-x}`).
            Paragraph(bool),
            Other,
        }
        let (line, kind) = {
            let data = node.data.borrow();
            let kind = match &data.value {
                NodeValue::Heading(h) => Kind::Heading(h.level),
                NodeValue::Table(_) => Kind::Table,
                NodeValue::CodeBlock(c) if c.fenced && c.info.trim() == "{rhai}" => Kind::Cell,
                NodeValue::Paragraph => Kind::Paragraph(
                    node.first_child()
                        .is_some_and(|c| matches!(&c.data.borrow().value, NodeValue::Text(t) if t.starts_with(':'))),
                ),
                NodeValue::CodeBlock(_)
                | NodeValue::List(_)
                | NodeValue::Item(_)
                | NodeValue::BlockQuote
                | NodeValue::ThematicBreak
                | NodeValue::HtmlBlock(_)
                | NodeValue::FootnoteDefinition(_) => Kind::Other,
                _ => continue,
            };
            (data.sourcepos.start.line, kind)
        };
        let file_line = src.file_line(line);
        let block = match kind {
            Kind::Heading(level) => {
                let attrs = take_attributes(node, &lines, true).map(|a| resolve_short(a, src));
                let top = node.parent().is_some_and(|p| matches!(p.data.borrow().value, NodeValue::Document));
                let text = src.resolve(&plain_text(node), true).trim().to_string();
                Block::Heading { level, line, file_line, text, attrs, top }
            }
            Kind::Table => Block::Table { line, file_line },
            Kind::Cell => Block::Cell { line, file_line },
            Kind::Paragraph(false) => Block::Paragraph { line, file_line, text: String::new(), attrs: None },
            Kind::Paragraph(true) => {
                let attrs = take_attributes(node, &lines, false);
                let mut text = src.resolve(&plain_text(node), true).trim_end().to_string();
                if let Some(a) = &attrs {
                    text = text.strip_suffix(a.written.as_str()).unwrap_or(&text).trim_end().to_string();
                }
                Block::Paragraph { line, file_line, text, attrs }
            }
            Kind::Other => Block::Other,
        };
        blocks.push(block);
    }
    blocks
}

/// A `short="…"` may hold a value.
fn resolve_short(mut attrs: Attributes, src: &Source<'_>) -> Attributes {
    attrs.short = attrs.short.map(|s| src.resolve(&s, true));
    attrs
}

/// The attribute block ending a heading (or a paragraph), if the writer typed one there,
/// whole and valid: it ends the block's source line (so `\{\#a\}` is text) and its text
/// (so a value never makes one). `strip` takes it off the heading's inlines.
fn take_attributes<'a>(node: &'a AstNode<'a>, lines: &[&str], strip: bool) -> Option<Attributes> {
    let (end, closed) = {
        let data = node.data.borrow();
        let (start, mut end) = (data.sourcepos.start.line, data.sourcepos.end.line);
        let closed = match data.value {
            NodeValue::Heading(h) if h.setext => {
                end = end.saturating_sub(1).max(start);
                false
            }
            NodeValue::Heading(h) => h.closed,
            _ => false,
        };
        (end, closed)
    };
    let last = lines.get(end.max(1) - 1).copied().unwrap_or("");
    let mut written = last.trim_end();
    if closed {
        written = written.trim_end_matches('#').trim_end();
    }
    let (_, attrs) = attributes::trailing(written)?;
    let plain = plain_text(node);
    let text = plain.trim_end();
    if !text.ends_with(&attrs.written) {
        return None;
    }
    if strip {
        let kept = text[..text.len() - attrs.written.len()].trim_end().len();
        if !strip_tail(node, plain.len() - kept) {
            return None;
        }
    }
    Some(attrs)
}

/// Takes `bytes` of plain text off the end of a node's inlines; false (and nothing changed)
/// when they end inside something other than text.
fn strip_tail<'a>(node: &'a AstNode<'a>, bytes: usize) -> bool {
    let leaves: Vec<_> = node
        .descendants()
        .filter(|d| {
            matches!(
                d.data.borrow().value,
                NodeValue::Text(_)
                    | NodeValue::Code(_)
                    | NodeValue::HtmlInline(_)
                    | NodeValue::SoftBreak
                    | NodeValue::LineBreak
            )
        })
        .collect();
    let len = |n: &'a AstNode<'a>| match &n.data.borrow().value {
        NodeValue::Text(t) => t.len(),
        NodeValue::Code(c) => c.literal.len(),
        NodeValue::HtmlInline(h) => h.len(),
        _ => 1,
    };
    // A dry run first: the cut must fall in text, or between leaves.
    let mut left = bytes;
    let mut cut = Vec::new();
    for leaf in leaves.iter().rev() {
        if left == 0 {
            break;
        }
        let l = len(leaf);
        if l <= left {
            cut.push((*leaf, None));
            left -= l;
        } else if matches!(leaf.data.borrow().value, NodeValue::Text(_)) {
            cut.push((*leaf, Some(l - left)));
            left = 0;
        } else {
            return false;
        }
    }
    for (leaf, keep) in cut {
        match keep {
            Some(k) => {
                if let NodeValue::Text(t) = &mut leaf.data.borrow_mut().value {
                    let kept = t[..k].trim_end().to_string();
                    *t = kept.into();
                }
            }
            None => {
                let mut at = leaf;
                leaf.detach();
                // Emphasis or a link left empty goes too.
                while let Some(parent) = at.parent().filter(|p| !std::ptr::eq(*p, node)) {
                    if parent.first_child().is_some() {
                        break;
                    }
                    parent.detach();
                    at = parent;
                }
            }
        }
    }
    true
}

fn raw<'a>(arena: &'a Arena<'a>, html: String) -> &'a AstNode<'a> {
    arena.alloc(AstNode::new(RefCell::new(Ast::new(NodeValue::Raw(html), LineColumn { line: 0, column: 0 }))))
}

/// The text of a node and its descendants, without markup.
pub fn plain_text<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        match &d.data.borrow().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            // Raw HTML in prose is shown as text on the page, so it is text here too.
            NodeValue::HtmlInline(h) => out.push_str(h),
            NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
            NodeValue::Raw(r) => out.push_str(&strip_tags(r)),
            _ => {}
        }
    }
    out
}

/// The text of a block for the FAQ's structured data: its blocks' texts one after another,
/// separated by a space (list items and table cells do not run together).
fn block_text<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    let leaf = |n: &'a AstNode<'a>, out: &mut String| {
        let t = plain_text(n);
        let t = t.trim();
        if !t.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(t);
        }
    };
    let leaves = node.descendants().filter(|d| {
        matches!(
            d.data.borrow().value,
            NodeValue::Paragraph
                | NodeValue::Heading(_)
                | NodeValue::TableCell
                | NodeValue::CodeBlock(_)
                | NodeValue::Raw(_)
        ) && !d.ancestors().skip(1).any(|a| {
            matches!(a.data.borrow().value, NodeValue::Paragraph | NodeValue::TableCell | NodeValue::Heading(_))
        })
    });
    let mut any = false;
    for n in leaves {
        any = true;
        if let NodeValue::CodeBlock(c) = &n.data.borrow().value {
            let t = c.literal.trim();
            if !t.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(t);
            }
            continue;
        }
        leaf(n, &mut out);
    }
    if !any {
        leaf(node, &mut out);
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn rewrite_heading<'a>(arena: &'a Arena<'a>, node: &'a AstNode<'a>, plan: &HeadingPlan, opts: &Options<'_>) {
    let level = match node.data.borrow().value {
        NodeValue::Heading(h) => h.level,
        _ => 2,
    };
    let mut inner = String::new();
    for child in node.children() {
        write_html(child, opts, &mut inner);
    }
    let html = format!("{}{}{}</h{level}>\n{}", plan.open, plan.prefix, inner.trim_end(), plan.after);
    node.insert_before(raw(arena, html));
    node.detach();
}

/// Puts each value's text where its mark is: as text in text (line breaks folded), exactly in
/// code, link destinations and titles; an embedded figure as its HTML, in place of the
/// paragraph when it stands alone in one.
fn put_values<'a>(arena: &'a Arena<'a>, root: &'a AstNode<'a>, src: &Source<'_>) {
    if src.values.is_empty() {
        return;
    }
    let mark = src.marks.value;
    let nodes: Vec<_> = root.descendants().collect();
    for node in nodes {
        let mut data = node.data.borrow_mut();
        match &mut data.value {
            NodeValue::Text(t) if t.contains(mark) => {
                let text = t.to_string();
                drop(data);
                put_text_values(arena, node, &text, src);
            }
            NodeValue::Code(c) if c.literal.contains(mark) => c.literal = src.resolve(&c.literal, true),
            NodeValue::CodeBlock(c) if c.literal.contains(mark) => c.literal = src.resolve(&c.literal, false),
            NodeValue::HtmlInline(h) if h.contains(mark) => *h = src.resolve(h, false),
            NodeValue::HtmlBlock(h) if h.literal.contains(mark) => h.literal = src.resolve(&h.literal, false),
            NodeValue::Link(l) | NodeValue::Image(l) => {
                if l.url.contains(mark) {
                    l.url = src.resolve(&l.url, false);
                }
                if l.title.contains(mark) {
                    l.title = src.resolve(&l.title, false);
                }
            }
            _ => {}
        }
    }
}

fn put_text_values<'a>(arena: &'a Arena<'a>, node: &'a AstNode<'a>, text: &str, src: &Source<'_>) {
    let pieces = src.pieces(text);
    let embeds: Vec<usize> =
        pieces.iter().filter_map(|p| if let Piece::Embed(i) = p { Some(*i) } else { None }).collect();
    if embeds.is_empty() {
        node.data.borrow_mut().value = NodeValue::Text(src.resolve(text, true).into());
        return;
    }
    let embed_html = |i: usize| src.embeds.get(i).cloned().unwrap_or_default();
    // A figure alone in its paragraph takes the paragraph's place.
    let parent = node.parent();
    let alone = parent
        .is_some_and(|p| matches!(p.data.borrow().value, NodeValue::Paragraph) && p.children().count() == 1)
        && embeds.len() == 1
        && pieces.iter().all(|p| match p {
            Piece::Text(t) => t.trim().is_empty(),
            _ => true,
        });
    if let (true, Some(p)) = (alone, parent) {
        p.insert_before(raw(arena, embed_html(embeds[0])));
        p.detach();
        return;
    }
    let mut buffer = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => buffer.push_str(t),
            Piece::Value(v) => buffer.push_str(&v.replace(['\r', '\n'], " ")),
            Piece::Embed(i) => {
                if !buffer.is_empty() {
                    node.insert_before(text_node(arena, &std::mem::take(&mut buffer)));
                }
                node.insert_before(raw(arena, embed_html(i)));
            }
        }
    }
    if !buffer.is_empty() {
        node.insert_before(text_node(arena, &buffer));
    }
    node.detach();
}

/// Replaces `@sec-…`, `@tbl-…`, `@fig-…` typed in text with links (with their text, in an
/// image's alt text); unknown labels are reported by `cite` and left as text. Runs before
/// values are put in, so a value that reads `@sec-x` stays text.
fn resolve_citations<'a>(
    arena: &'a Arena<'a>,
    root: &'a AstNode<'a>,
    src: &Source<'_>,
    cite: &mut impl FnMut(&Citation) -> Option<String>,
) {
    let texts: Vec<_> = root
        .descendants()
        .filter(|n| matches!(n.data.borrow().value, NodeValue::Text(_)))
        .filter(|n| !n.ancestors().any(|a| matches!(a.data.borrow().value, NodeValue::Link(_))))
        .collect();
    for node in texts {
        let (text, line) = {
            let data = node.data.borrow();
            let NodeValue::Text(t) = &data.value else { continue };
            (t.to_string(), data.sourcepos.start.line)
        };
        let found = find_citations(&text);
        if found.is_empty() {
            continue;
        }
        let in_image = node.ancestors().any(|a| matches!(a.data.borrow().value, NodeValue::Image(_)));
        let mut pieces: Vec<&'a AstNode<'a>> = Vec::new();
        let mut last = 0;
        for (start, end) in found {
            let label = &text[start + 1..end];
            let (l, column) = source_column(src, line, &text[start..end]);
            let citation = Citation { label: label.to_string(), line: l, column };
            let Some(reads) = cite(&citation) else { continue };
            if start > last {
                pieces.push(text_node(arena, &text[last..start]));
            }
            pieces.push(match in_image {
                true => text_node(arena, &reads),
                false => raw(
                    arena,
                    format!(
                        "<a class=\"xref\" href=\"#{}\">{}</a>",
                        crate::html::escape_html(label),
                        crate::html::escape_html(&reads)
                    ),
                ),
            });
            last = end;
        }
        if pieces.is_empty() {
            continue;
        }
        if last < text.len() {
            pieces.push(text_node(arena, &text[last..]));
        }
        for p in pieces {
            node.insert_before(p);
        }
        node.detach();
    }
}

fn text_node<'a>(arena: &'a Arena<'a>, s: &str) -> &'a AstNode<'a> {
    arena.alloc(AstNode::new(RefCell::new(Ast::new(
        NodeValue::Text(s.to_string().into()),
        LineColumn { line: 0, column: 0 },
    ))))
}

/// Finds where `needle` is written in the notebook, from the file line of Markdown line
/// `line` on: its file line and 1-based column.
fn source_column(src: &Source<'_>, line: usize, needle: &str) -> (usize, usize) {
    let file_line = src.file_line(line).max(1);
    let from = src.file.line_start(file_line);
    for (i, l) in src.file.text[from..].split('\n').take(50).enumerate() {
        if let Some(b) = l.find(needle) {
            return (file_line + i, l[..b].chars().count() + 1);
        }
    }
    (file_line, 1)
}

/// Byte ranges of `@label` citations: `@` not preceded by a word character, then
/// `sec-`/`tbl-`/`fig-` and a name ending in a letter or digit.
pub fn find_citations(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        if i > 0 && bytes.get(i - 1).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.') {
            continue;
        }
        let rest = &text[i + 1..];
        if !(rest.starts_with("sec-") || rest.starts_with("tbl-") || rest.starts_with("fig-")) {
            continue;
        }
        let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_').count();
        let name = rest[..len].trim_end_matches(['-', '_']);
        if name.len() > 4 {
            out.push((i, i + 1 + name.len()));
        }
    }
    out
}

/// Wraps each `###` question of the FAQ section and its answer in `<div class="faq-item">`
/// and returns the question and answer texts.
fn wrap_faq<'a>(arena: &'a Arena<'a>, root: &'a AstNode<'a>, plan: &Plan) -> Vec<(String, String)> {
    let Some((start, end)) = plan.faq else { return Vec::new() };
    let in_range = |line: usize| line > start && end.is_none_or(|e| line < e);
    let nodes: Vec<_> = root.children().filter(|n| in_range(n.data.borrow().sourcepos.start.line)).collect();
    let mut faq: Vec<(String, String)> = Vec::new();
    let mut open = false;
    let mut last_in_item = None;
    for node in nodes {
        let is_question = matches!(node.data.borrow().value, NodeValue::Heading(h) if h.level == 3);
        if matches!(node.data.borrow().value, NodeValue::FootnoteDefinition(_)) {
            continue;
        }
        if is_question {
            // The question is rewritten as raw HTML, which starts no line of its own.
            let html = if open { "</div>\n<div class=\"faq-item\">\n" } else { "<div class=\"faq-item\">\n" };
            node.insert_before(raw(arena, html.to_string()));
            open = true;
            faq.push((plain_text(node).trim().to_string(), String::new()));
        } else if let Some(last) = faq.last_mut() {
            let text = block_text(node);
            let text = text.trim();
            if !text.is_empty() {
                if !last.1.is_empty() {
                    last.1.push(' ');
                }
                last.1.push_str(text);
            }
        }
        last_in_item = Some(node);
    }
    if open && let Some(node) = last_in_item {
        node.insert_after(raw(arena, "</div>".to_string()));
    }
    faq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_counted_by_the_bytes_that_open_them() {
        assert_eq!(past_element_limit("*a* [b] `c`\n", 7), None);
        assert_eq!(past_element_limit("*a* [b] `c`\n", 6), Some(11));
        assert_eq!(past_element_limit("plain words only", 0), None);
    }

    /// The Markdown of every example in the spec suites beside the clone.
    fn spec_examples() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance");
        let mut out = Vec::new();
        for name in ["commonmark-spec.txt", "gfm-spec.txt", "gfm-extensions.txt"] {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{dir}/{name}: {e}"));
            let mut example: Option<String> = None;
            for line in text.split_inclusive('\n') {
                match example.as_mut() {
                    None if line.starts_with("````````````````````````````````") && line.contains("example") => {
                        example = Some(String::new())
                    }
                    Some(md) if line == ".\n" => out.push(std::mem::take(md).replace('→', "\t")),
                    Some(_) if line.starts_with("````````````````````````````````") => example = None,
                    Some(md) => md.push_str(line),
                    _ => {}
                }
            }
        }
        out
    }

    #[test]
    fn fences_read_line_by_line_are_the_fences_the_parser_finds() {
        let examples = spec_examples();
        assert!(examples.len() > 1300, "{} examples", examples.len());
        let mut read = 0;
        for md in &examples {
            if let Some(fast) = top_level_fences(md) {
                read += 1;
                assert_eq!(fast, parsed_fences(md), "{md:?}");
            }
        }
        // Most examples have no fence or one at the top level; a few hundred are read here.
        assert!(read > 500, "{read} examples read line by line");
    }

    #[test]
    fn fences_read_line_by_line_in_generated_documents() {
        use proptest::prelude::*;
        const LINES: &[&str] = &[
            "```",
            "~~~",
            "````",
            "```{rhai}",
            "~~~~ x",
            "```x`y",
            "``` a ",
            "  ```",
            "   ```",
            "    ```",
            "\t```",
            "- a",
            "1. b",
            "> q",
            "> ```",
            "<div>",
            "  <pre>",
            "",
            "   ",
            "text {{ v }}",
            "    code",
            "[^f]: note",
            "    ```{rhai}",
            "- ```",
            "``",
            "~~~~~",
            "```` ",
            "a ``` b",
            "\\```",
            "```\\x",
            "```&amp;",
        ];
        let doc = proptest::collection::vec(0..LINES.len(), 0..14)
            .prop_map(|picks| picks.iter().map(|&i| format!("{}\n", LINES[i])).collect::<String>());
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 4000,
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&doc, |md| {
                if let Some(fast) = top_level_fences(&md) {
                    prop_assert_eq!(fast, parsed_fences(&md), "{:?}", md);
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn notebooks_are_read_line_by_line() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/notebooks");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            read += 1;
            let path = path.display();
            assert!(top_level_fences(&text).is_some(), "{path} is parsed twice");
            assert_eq!(top_level_fences(&text), Some(parsed_fences(&text)), "{path}");
        }
        assert!(read >= 6, "{read} notebooks");
    }

    #[test]
    fn citations_are_found_with_word_boundaries() {
        let t = "see @sec-a, @fig-b-c. mail x@sec-y and @sec- alone";
        let found: Vec<&str> = find_citations(t).iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(found, ["@sec-a", "@fig-b-c"]);
    }

    const MARKS: Marks = Marks { value: '\u{E100}', line: '\u{E101}', region: '\u{E102}' };

    fn render_md(
        md: &str,
        values: &[Inserted],
        plan: impl FnOnce(&[Block]) -> Plan,
        cite: impl FnMut(&Citation) -> Option<String>,
    ) -> Rendered {
        let lines: Vec<usize> = (1..=md.split('\n').count()).collect();
        let file = SourceFile::new("t.md", md);
        let src = Source { markdown: md, lines: &lines, file: &file, marks: MARKS, values, embeds: &[] };
        render(&src, plan, cite)
    }

    #[test]
    fn plan_rewrites_headings_and_cites() {
        let md = "## Title {#sec-t}\n\nSee @sec-t.\n";
        let r = render_md(
            md,
            &[],
            |outline| {
                assert!(matches!(&outline[0], Block::Heading { level: 2, line: 1, text, attrs: Some(a), .. }
                    if text == "Title" && a.id.as_deref() == Some("sec-t")));
                let mut p = Plan::default();
                p.headings.insert(
                    1,
                    HeadingPlan { open: "<h2 id=\"sec-t\">".into(), prefix: "1.".into(), after: String::new() },
                );
                p
            },
            |c| (c.label == "sec-t").then(|| "section 1".to_string()),
        );
        assert!(r.html.contains("<h2 id=\"sec-t\">1.Title</h2>"), "{}", r.html);
        assert!(r.html.contains("See <a class=\"xref\" href=\"#sec-t\">section 1</a>."), "{}", r.html);
    }

    #[test]
    fn values_are_put_in_exactly_after_the_parse() {
        let v = |s: &str| Inserted::Text(s.to_string());
        let md =
            "a \u{E100}0\u{E100} `\u{E100}1\u{E100}` [l](\u{E100}2\u{E100}) <\u{E100}2\u{E100}> \u{E100}3\u{E100}\n";
        let values = [v("*x* @sec-a"), v("base_lo"), v("https://e.com/a_b\\c"), v("1)")];
        let r = render_md(md, &values, |_| Plan::default(), |_| Some("cited".into()));
        assert_eq!(
            r.html,
            "<p>a *x* @sec-a <code>base_lo</code> <a href=\"https://e.com/a_b%5Cc\">l</a> <a href=\"https://e.com/a_b%5Cc\">https://e.com/a_b\\c</a> 1)</p>\n"
        );
    }

    #[test]
    fn table_alignment_is_css() {
        let r = render_md("| a | b |\n|:--|--:|\n| 1 | 2 |\n", &[], |_| Plan::default(), |_| None);
        assert!(r.html.contains("<th style=\"text-align: left\">a</th>"), "{}", r.html);
        assert!(r.html.contains("<td style=\"text-align: right\">2</td>"), "{}", r.html);
        assert!(!r.html.contains("align="), "{}", r.html);
    }

    #[test]
    fn citations_in_alt_text_read_as_text() {
        let r = render_md("![see @sec-a](x.png)\n", &[], |_| Plan::default(), |_| Some("section 1".into()));
        assert!(r.html.contains("alt=\"see section 1\""), "{}", r.html);
    }

    #[test]
    fn raw_html_in_prose_is_shown_as_text() {
        let r = render_md("<script>x</script>\n", &[], |_| Plan::default(), |_| None);
        assert!(!r.html.contains("<script>"), "{}", r.html);
    }

    #[test]
    fn faq_items_are_wrapped_and_collected() {
        let md = "## FAQ\n\n### Q1?\n\nA1.\n\n### Q2?\n\nA2 *b*.\n\n## Next\n";
        let r = render_md(md, &[], |_| Plan { faq: Some((1, Some(11))), ..Plan::default() }, |_| None);
        assert_eq!(r.faq, vec![("Q1?".into(), "A1.".into()), ("Q2?".into(), "A2 b.".into())]);
        assert_eq!(r.html.matches("<div class=\"faq-item\">").count(), 2);
        assert_eq!(r.html.matches("</div>").count(), 2);
    }
}

//! Markdown: comrak lives here and nowhere else. The document is parsed once; the caller
//! sees an outline of its top-level blocks, answers with a [`Plan`] (what to number, wrap or
//! replace), and gets HTML back. Positions are 1-based file lines.

use std::cell::RefCell;
use std::collections::HashMap;

use comrak::nodes::{Ast, AstNode, LineColumn, NodeValue};
use comrak::{Arena, Options, format_html, parse_document};

/// A top-level block, as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading { level: u8, line: usize, text: String },
    Table { start: usize, end: usize },
    Code { line: usize, info: String },
    Paragraph { line: usize, text: String },
    Other { line: usize },
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
    /// Drop a trailing `{…}` attribute block from the heading's text.
    pub strip_attributes: bool,
}

/// What the caller wants done to the document.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub headings: HashMap<usize, HeadingPlan>,
    /// Table start line -> HTML before and after it.
    pub tables: HashMap<usize, (String, String)>,
    /// Paragraph lines to drop (table captions, consumed by the planner).
    pub drop_paragraphs: Vec<usize>,
    /// Code block line -> HTML replacing it (executed cells).
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

/// Parses `md`, asks `plan` for a plan over the outline, resolves citations with `cite`
/// (label -> link HTML, or `None` when unknown), and renders.
pub fn render(
    md: &str,
    plan: impl FnOnce(&[Block]) -> Plan,
    mut cite: impl FnMut(&Citation) -> Option<String>,
) -> Rendered {
    let arena = Arena::new();
    let opts = options();
    let root = parse_document(&arena, md, &opts);
    let outline: Vec<Block> = root.children().map(block_of).collect();
    let plan = plan(&outline);

    resolve_citations(&arena, root, md, &mut cite);
    let faq = wrap_faq(&arena, root, &plan);
    for node in root.children().collect::<Vec<_>>() {
        let line = node.data.borrow().sourcepos.start.line;
        let value = node.data.borrow().value.clone();
        match value {
            NodeValue::Heading(_) => {
                if let Some(h) = plan.headings.get(&line) {
                    rewrite_heading(&arena, node, h, &opts);
                }
            }
            NodeValue::Table(_) => {
                if let Some((before, after)) = plan.tables.get(&line) {
                    node.insert_before(raw(&arena, before.clone()));
                    node.insert_after(raw(&arena, after.clone()));
                }
            }
            NodeValue::Paragraph if plan.drop_paragraphs.contains(&line) => node.detach(),
            NodeValue::CodeBlock(_) => {
                if let Some(html) = plan.code.get(&line) {
                    node.insert_before(raw(&arena, html.clone()));
                    node.detach();
                }
            }
            _ => {}
        }
    }
    let mut html = String::new();
    // Writing into a String cannot fail.
    let _ = format_html(root, &opts, &mut html);
    let at = crate::template::AT_PLACEHOLDER;
    // Most bodies hold no placeholder: do not copy the page (charts included) for nothing.
    let html = if html.contains(at) { html.replace(at, "@") } else { html };
    let faq = faq.into_iter().map(|(q, a)| (q.replace(at, "@"), a.replace(at, "@"))).collect();
    Rendered { html, faq }
}

fn raw<'a>(arena: &'a Arena<'a>, html: String) -> &'a AstNode<'a> {
    arena.alloc(AstNode::new(RefCell::new(Ast::new(NodeValue::Raw(html), LineColumn { line: 0, column: 0 }))))
}

fn block_of<'a>(node: &'a AstNode<'a>) -> Block {
    let data = node.data.borrow();
    let line = data.sourcepos.start.line;
    match &data.value {
        NodeValue::Heading(h) => Block::Heading { level: h.level, line, text: plain_text(node) },
        NodeValue::Table(_) => Block::Table { start: line, end: data.sourcepos.end.line },
        NodeValue::CodeBlock(c) => Block::Code { line, info: c.info.trim().to_string() },
        NodeValue::Paragraph => Block::Paragraph { line, text: plain_text(node) },
        _ => Block::Other { line },
    }
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
    if plan.strip_attributes {
        strip_trailing_attributes(node);
    }
    let level = match node.data.borrow().value {
        NodeValue::Heading(h) => h.level,
        _ => 2,
    };
    let mut inner = String::new();
    for child in node.children() {
        let _ = format_html(child, opts, &mut inner);
    }
    let html = format!("{}{}{}</h{level}>\n{}", plan.open, plan.prefix, inner.trim_end(), plan.after);
    node.insert_before(raw(arena, html));
    node.detach();
}

fn strip_trailing_attributes<'a>(node: &'a AstNode<'a>) {
    let Some(last) = node.last_child() else { return };
    let mut data = last.data.borrow_mut();
    if let NodeValue::Text(t) = &mut data.value
        && let Some(open) = t.rfind('{')
        && t.trim_end().ends_with('}')
    {
        let kept = t[..open].trim_end().to_string();
        *t = kept.into();
    }
}

/// Replaces `@sec-…`, `@tbl-…`, `@fig-…` in text with links; unknown labels are reported by
/// `cite` and left as text.
fn resolve_citations<'a>(
    arena: &'a Arena<'a>,
    root: &'a AstNode<'a>,
    md: &str,
    cite: &mut impl FnMut(&Citation) -> Option<String>,
) {
    let lines: Vec<&str> = md.split('\n').collect();
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
        let mut pieces: Vec<&'a AstNode<'a>> = Vec::new();
        let mut last = 0;
        for (start, end) in found {
            let label = &text[start + 1..end];
            let (l, column) = source_column(&lines, line, &text[start..end]);
            let citation = Citation { label: label.to_string(), line: l, column };
            let Some(html) = cite(&citation) else { continue };
            if start > last {
                pieces.push(text_node(arena, &text[last..start]));
            }
            pieces.push(raw(arena, html));
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

/// Finds where `needle` is written, from `line` on: its line and 1-based column.
fn source_column(lines: &[&str], line: usize, needle: &str) -> (usize, usize) {
    for (i, l) in lines.iter().enumerate().skip(line.saturating_sub(1)).take(50) {
        if let Some(b) = l.find(needle) {
            return (i + 1, l[..b].chars().count() + 1);
        }
    }
    (line.max(1), 1)
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
            let html = if open { "</div>\n<div class=\"faq-item\">" } else { "<div class=\"faq-item\">" };
            node.insert_before(raw(arena, html.to_string()));
            open = true;
            faq.push((plain_text(node).trim().to_string(), String::new()));
        } else if let Some(last) = faq.last_mut() {
            let text = plain_text(node);
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

    #[test]
    fn citations_are_found_with_word_boundaries() {
        let t = "see @sec-a, @fig-b-c. mail x@sec-y and @sec- alone";
        let found: Vec<&str> = find_citations(t).iter().map(|&(s, e)| &t[s..e]).collect();
        assert_eq!(found, ["@sec-a", "@fig-b-c"]);
    }

    #[test]
    fn plan_rewrites_headings_and_cites() {
        let md = "## Title {#sec-t}\n\nSee @sec-t.\n";
        let r = render(
            md,
            |outline| {
                assert!(matches!(&outline[0], Block::Heading { level: 2, line: 1, text } if text.contains("{#sec-t}")));
                let mut p = Plan::default();
                p.headings.insert(
                    1,
                    HeadingPlan {
                        open: "<h2 id=\"sec-t\">".into(),
                        prefix: "1.".into(),
                        after: String::new(),
                        strip_attributes: true,
                    },
                );
                p
            },
            |c| (c.label == "sec-t").then(|| "<a href=\"#sec-t\">section 1</a>".to_string()),
        );
        assert!(r.html.contains("<h2 id=\"sec-t\">1.Title</h2>"), "{}", r.html);
        assert!(r.html.contains("See <a href=\"#sec-t\">section 1</a>."), "{}", r.html);
    }

    #[test]
    fn raw_html_in_prose_is_shown_as_text() {
        let r = render("<script>x</script>\n", |_| Plan::default(), |_| None);
        assert!(!r.html.contains("<script>"), "{}", r.html);
    }

    #[test]
    fn faq_items_are_wrapped_and_collected() {
        let md = "## FAQ\n\n### Q1?\n\nA1.\n\n### Q2?\n\nA2 *b*.\n\n## Next\n";
        let r = render(md, |_| Plan { faq: Some((1, Some(11))), ..Plan::default() }, |_| None);
        assert_eq!(r.faq, vec![("Q1?".into(), "A1.".into()), ("Q2?".into(), "A2 b.".into())]);
        assert_eq!(r.html.matches("<div class=\"faq-item\">").count(), 2);
        assert_eq!(r.html.matches("</div>").count(), 2);
    }
}

//! Stage 5, expand: prose templates over the final values, then the Markdown body with
//! numbered sections, captioned tables, cross-references, cell outputs, footnotes and the FAQ.

pub mod markdown;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diag::{Diagnostic, SourceFile};
use crate::exec::{CellOutput, Executed, Value};
use crate::notebook::{Cell, Notebook, Segment};
use crate::render::cell::{CellFrame, ChartFile, cell_html};
use crate::template::escape_html;
use crate::template::{Output, ProseTemplates, Scope, TemplateError};
use markdown::{Block, Citation, HeadingPlan, Plan};

/// The article body of one page.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub html: String,
    pub faq: Vec<(String, String)>,
    pub charts: Vec<ChartFile>,
}

/// Expands a template, mapping its errors to the notebook file. `first_line` is the file
/// line of the template's first line; `names` are the defined names, for suggestions.
pub fn expand(
    templates: &ProseTemplates,
    source: &str,
    scope: &Scope,
    output: Output,
    file: &Arc<SourceFile>,
    first_line: usize,
    names: &[&str],
) -> Result<String, Vec<Diagnostic>> {
    templates
        .expand(source, scope, output)
        .map_err(|errors| errors.iter().map(|e| template_diagnostic(e, source, file, first_line, names)).collect())
}

fn template_diagnostic(
    e: &TemplateError,
    source: &str,
    file: &Arc<SourceFile>,
    first_line: usize,
    names: &[&str],
) -> Diagnostic {
    let (line, col, len) = match &e.range {
        Some(r) => {
            let before = source.get(..r.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(1, |s| s.chars().count() + 1);
            (line, col, r.len().max(1))
        }
        None => (e.line.unwrap_or(1), 1, 1),
    };
    let code = match () {
        _ if e.too_large => "prose::too-large",
        _ if e.undefined.is_some() => "prose::undefined",
        _ => "prose::template",
    };
    let d =
        Diagnostic::error(code, format!("in prose: {}", e.message)).at_line_col(file, first_line + line - 1, col, len);
    match &e.undefined {
        Some(name) => match crate::diag::did_you_mean(name, names.iter().copied()) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint(
                "prose can use the variables the cells define with `let`, the `data:` tables and the `params:`",
            ),
        },
        None if e.message.starts_with("unknown filter `") => {
            let name = e.message.trim_start_matches("unknown filter `").trim_end_matches('`');
            match crate::diag::did_you_mean(name, crate::format::Filter::NAMES.iter().copied()) {
                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                None => d.with_hint(format!("filters are {}", crate::format::Filter::NAMES.join(", "))),
            }
        }
        None if e.too_large => d.with_hint(
            "insert less: a value repeated in a loop or over many lines adds up; the limit is `notebook_bytes` under `limits:` in `_site.yaml`",
        ),
        None if e.message.contains("expected") || e.message.contains("unexpected") => {
            d.with_hint("insert a value as `{{ name }}` or `{{ name | filter }}`")
        }
        None => d,
    }
}

/// Expands the templates of a prose segment except inside fenced code blocks, which show
/// code as written. Line structure is kept.
fn expand_outside_code(
    templates: &ProseTemplates,
    text: &str,
    scope: &Scope,
    file: &Arc<SourceFile>,
    first_line: usize,
    names: &[&str],
    budget: &mut Budget,
) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut run_start = 0;
    let mut i = 0;
    let mut flush = |from: usize, to: usize, out: &mut Vec<String>| {
        if from >= to {
            return;
        }
        let chunk = lines[from..to].join("\n");
        // Past the budget, what is left stays as written: the build fails anyway.
        if budget.spent {
            out.push(chunk);
            return;
        }
        match expand(templates, &chunk, scope, Output::Markdown, file, first_line + from, names) {
            Ok(t) => {
                budget.left = budget.left.saturating_sub(t.len() as u64);
                if budget.left == 0 {
                    budget.spent = true;
                    let overrun = budget.overrun(file, first_line + from);
                    budget.diagnostics.push(overrun);
                }
                out.push(t);
            }
            Err(mut d) => {
                budget.spent |= d.iter().any(|d| d.code == "prose::too-large");
                budget.diagnostics.append(&mut d);
                out.push(chunk);
            }
        }
    };
    while i < lines.len() {
        let Some(open) = crate::notebook::fence(lines[i]) else {
            i += 1;
            continue;
        };
        let close = (i + 1..lines.len())
            .find(|&j| {
                crate::notebook::fence(lines[j])
                    .is_some_and(|f| f.ch == open.ch && f.len >= open.len && f.info.is_empty())
            })
            .unwrap_or(lines.len() - 1);
        flush(run_start, i, &mut out);
        out.push(lines[i..=close].join("\n"));
        i = close + 1;
        run_start = i;
    }
    flush(run_start, lines.len(), &mut out);
    out.join("\n")
}

/// What a notebook's prose may still expand to, in bytes, and the errors of expanding it.
struct Budget {
    left: u64,
    max: u64,
    /// The budget ran out (and that was reported).
    spent: bool,
    diagnostics: Vec<Diagnostic>,
}

impl Budget {
    fn overrun(&self, file: &Arc<SourceFile>, line: usize) -> Diagnostic {
        Diagnostic::error(
            "prose::too-large",
            format!(
                "the prose expands to more than {} bytes, the limit",
                crate::format::num(self.max as f64)
            ),
        )
        .at(file, file.line_span(line))
        .with_hint("insert less: a value repeated in a loop or over many lines adds up; the limit is `notebook_bytes` under `limits:` in `_site.yaml`")
    }
}

/// Attributes of a heading: `{#id .class key="value"}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    pub id: Option<String>,
    pub classes: Vec<String>,
    pub short: Option<String>,
}

/// Splits `Title {#id .c short="s"}` into the title and its attributes.
pub fn heading_attributes(text: &str) -> (String, Option<Attributes>) {
    let t = text.trim_end();
    let (Some(open), true) = (t.rfind('{'), t.ends_with('}')) else {
        return (t.to_string(), None);
    };
    let inner = &t[open + 1..t.len() - 1];
    let mut attrs = Attributes::default();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('#') {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            attrs.id = Some(r[..end].to_string());
            rest = r[end..].trim_start();
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            attrs.classes.push(r[..end].to_string());
            rest = r[end..].trim_start();
        } else if let Some((key, r)) = rest.split_once('=') {
            let r = r.trim_start();
            let (value, after) = match r.strip_prefix('"') {
                Some(q) => match q.find('"') {
                    Some(end) => (&q[..end], &q[end + 1..]),
                    None => (q, ""),
                },
                None => {
                    let end = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..end], &r[end..])
                }
            };
            if key.trim() == "short" {
                attrs.short = Some(value.to_string());
            }
            rest = after.trim_start();
        } else {
            return (t.to_string(), None);
        }
    }
    (t[..open].trim_end().to_string(), Some(attrs))
}

/// `: caption {#tbl-x}` under a table.
fn table_caption(text: &str) -> Option<(String, String)> {
    let rest = text.trim().strip_prefix(':')?;
    let (caption, attrs) = heading_attributes(rest);
    let id = attrs?.id?;
    id.starts_with("tbl-").then(|| (caption.trim().to_string(), id))
}

/// A URL-friendly id from heading text.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Renders a notebook's body: every diagnostic is collected.
pub fn render_body(
    notebook: &Notebook,
    executed: &Executed,
    templates: &ProseTemplates,
    scope: &Scope,
    prefix: &str,
    embeddable: &Embeddable,
    png: bool,
) -> Result<Body, Vec<Diagnostic>> {
    let names: Vec<&str> = executed.scope.keys().map(String::as_str).collect();
    let mut diagnostics = Vec::new();
    let (md, embeds) = crate::template::with_embeds(embeddable.exports.clone(), || {
        expanded_markdown(notebook, templates, scope, &names, &mut diagnostics)
    });
    // Expanded, the prose must still be a tree comrak can hold: counted before it is built.
    let max_elements = templates.limits().max_elements;
    if let Some(at) = markdown::past_element_limit(&md, max_elements) {
        let line = md[..at].matches('\n').count() + 1;
        diagnostics.push(
            Diagnostic::error(
                "prose::too-large",
                format!(
                    "the prose, once its `{{{{ }}}}` are expanded, has more than {} Markdown elements, the limit",
                    crate::format::num(max_elements as f64)
                ),
            )
            .at(&notebook.source, notebook.source.line_span(line))
            .with_hint("insert fewer values, or raise `prose_elements` under `limits:` in `_site.yaml`"),
        );
    }
    if diagnostics.iter().any(|d| d.code == "prose::too-large") {
        return Err(diagnostics);
    }

    let planner = RefCell::new(Planner { png, ..Planner::new(notebook, executed, prefix) });
    let mut unknown: Vec<Citation> = Vec::new();
    let rendered = markdown::render(
        &md,
        |outline| planner.borrow_mut().plan(outline),
        |c| {
            let planner = planner.borrow();
            match planner.labels.get(&c.label) {
                Some(text) => {
                    Some(format!("<a class=\"xref\" href=\"#{}\">{}</a>", escape_html(&c.label), escape_html(text)))
                }
                None => {
                    unknown.push(c.clone());
                    None
                }
            }
        },
    );

    let planner = planner.into_inner();
    diagnostics.extend(planner.problems);
    for c in unknown {
        diagnostics.push(unknown_label(&notebook.source, &c, &planner.labels));
    }
    let html = match place_embeds(rendered.html, &embeds, embeddable, png) {
        Ok(html) => html,
        Err(message) => {
            diagnostics.push(
                Diagnostic::error("chart::draw", message)
                    .at(&notebook.source, 0..0)
                    .with_hint("check the embedded chart's notebook"),
            );
            String::new()
        }
    };
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Body { html, faq: rendered.faq, charts: planner.charts })
}

/// Renders `md` as the prose of a notebook with no cells, over string values `values`: the
/// whole prose path (templates, Markdown, numbering, citations), for tests that hold it to
/// suites written elsewhere. Returns the article body's HTML.
pub fn render_fragment(md: &str, values: &[(&str, &str)]) -> Result<String, Vec<Diagnostic>> {
    let text = format!("---\ntitle: Fragment\n---\n{md}");
    let notebook = crate::notebook::parse(std::path::Path::new("fragment.md"), "fragment.md", text)?;
    let scope: IndexMap<String, Value> =
        values.iter().map(|(k, v)| (k.to_string(), Value::Str(v.to_string()))).collect();
    let scope = Arc::new(scope);
    let executed = Executed { outputs: Vec::new(), scope: Arc::clone(&scope), exports: Default::default() };
    let templates = ProseTemplates::new();
    let body = render_body(
        &notebook,
        &executed,
        &templates,
        &crate::template::scope_value(&scope),
        "fr",
        &Embeddable::default(),
        false,
    )?;
    Ok(body.html)
}

/// The charts of other notebooks a page may embed with `figure("slug", "label")`, and those
/// pages' titles for the link back.
#[derive(Debug, Clone, Default)]
pub struct Embeddable {
    pub exports: HashMap<String, crate::exec::Exports>,
    pub titles: HashMap<String, String>,
}

/// Puts each embedded figure where its token is: a token alone in a paragraph replaces the
/// paragraph.
fn place_embeds(
    mut html: String,
    embeds: &[(String, String)],
    embeddable: &Embeddable,
    png: bool,
) -> Result<String, String> {
    let mark = crate::template::EMBED_MARK;
    for (i, (slug, label)) in embeds.iter().enumerate() {
        let Some(figure) = embeddable.exports.get(slug).and_then(|e| e.figures().get(label)) else { continue };
        let alt = figure.alt.clone().or_else(|| figure.caption.clone()).or_else(|| figure.spec.title.clone());
        let drawings = crate::render::cell::chart_drawings(&figure.spec, alt.as_deref().unwrap_or(label))
            .map_err(|m| format!("figure(\"{slug}\", \"{label}\"): {m}"))?;
        let title = embeddable.titles.get(slug).cloned().unwrap_or_else(|| slug.clone());
        let caption = shown(&figure.number, figure.caption.as_deref());
        let block = format!(
            "<figure class=\"nb-figure nb-embed\" id=\"embed-{slug}-{label}\"><figcaption class=\"xref-label\">{} <span class=\"embed-source\">(from <a href=\"../{slug}/#{label}\">{}</a>)</span></figcaption>{drawings}{}</figure>",
            escape_html(&caption),
            escape_html(&title),
            crate::render::cell::downloads(&format!("../{slug}/{label}"), png),
            slug = escape_html(slug),
            label = escape_html(label),
        );
        let token = format!("{mark}{i}{mark}");
        let alone = format!("<p>{token}</p>");
        html = if html.contains(&alone) { html.replacen(&alone, &block, 1) } else { html.replacen(&token, &block, 1) };
    }
    Ok(html)
}

/// The Markdown handed to comrak: prose with its templates expanded and cells as written,
/// every line where it is in the file so that comrak's positions are file positions.
fn expanded_markdown(
    notebook: &Notebook,
    templates: &ProseTemplates,
    scope: &Scope,
    names: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    let file = &notebook.source;
    let source_lines: Vec<&str> = file.text.split('\n').collect();
    let mut lines: Vec<String> = vec![String::new(); source_lines.len()];
    let max = templates.limits().max_bytes;
    let mut budget = Budget { left: max, max, spent: false, diagnostics: Vec::new() };
    for segment in &notebook.segments {
        let (first, text) = match segment {
            Segment::Prose(p) => {
                (p.first_line, expand_outside_code(templates, &p.text, scope, file, p.first_line, names, &mut budget))
            }
            Segment::Cell(c) => {
                let cell_lines = source_lines.get(c.fence_line - 1..c.close_line).unwrap_or(&[]);
                (c.fence_line, cell_lines.join("\n"))
            }
        };
        for (i, l) in text.split('\n').enumerate() {
            if let Some(slot) = lines.get_mut(first - 1 + i) {
                *slot = l.to_string();
            }
        }
    }
    diagnostics.append(&mut budget.diagnostics);
    lines.join("\n")
}

fn unknown_label(file: &Arc<SourceFile>, c: &Citation, labels: &HashMap<String, String>) -> Diagnostic {
    let d = Diagnostic::error("prose::unknown-label", format!("`@{}` cites a label that does not exist", c.label))
        .at_line_col(file, c.line, c.column, c.label.len() + 1);
    match crate::diag::did_you_mean(&c.label, labels.keys().map(String::as_str)) {
        Some(best) => d.with_hint(format!("did you mean `@{best}`?")),
        None => d.with_hint(
            "labels come from `{#sec-…}` headings, `: caption {#tbl-…}` lines and `//| label:` cell options",
        ),
    }
}

/// Walks the outline once, in document order: numbers sections, tables and figures, gives
/// each label its text, and renders the cells in place.
struct Planner<'a> {
    file: &'a Arc<SourceFile>,
    prefix: &'a str,
    cells: HashMap<usize, &'a Cell>,
    outputs: HashMap<usize, &'a CellOutput>,
    /// Label -> how a citation reads: `section mo-2`.
    labels: HashMap<String, String>,
    problems: Vec<Diagnostic>,
    charts: Vec<ChartFile>,
    sections: usize,
    tables: usize,
    figures: usize,
    /// The last table seen, when nothing but its caption may follow.
    last_table: Option<usize>,
    faq: Option<(usize, Option<usize>)>,
    /// Charts are also drawn as PNG (`--png`).
    png: bool,
}

impl<'a> Planner<'a> {
    fn new(notebook: &'a Notebook, executed: &'a Executed, prefix: &'a str) -> Self {
        Planner {
            file: &notebook.source,
            prefix,
            cells: notebook.cells().map(|c| (c.fence_line, c)).collect(),
            outputs: executed.outputs.iter().map(|o| (o.number, o)).collect(),
            labels: HashMap::new(),
            problems: Vec::new(),
            charts: Vec::new(),
            sections: 0,
            tables: 0,
            figures: 0,
            last_table: None,
            faq: None,
            png: false,
        }
    }

    fn plan(&mut self, outline: &[Block]) -> Plan {
        let mut plan = Plan::default();
        for block in outline {
            match block {
                Block::Heading { level, line, text } => self.heading(&mut plan, *level, *line, text),
                Block::Table { start, .. } => self.last_table = Some(*start),
                Block::Paragraph { line, text } => self.paragraph(&mut plan, *line, text),
                Block::Code { line, .. } => self.code(&mut plan, *line),
                Block::Other { .. } => self.last_table = None,
            }
        }
        plan.faq = self.faq;
        plan
    }

    fn add_label(&mut self, id: &str, text: String, line: usize) {
        if self.labels.contains_key(id) {
            self.problems.push(
                Diagnostic::error("prose::duplicate-label", format!("the label `{id}` is used twice"))
                    .at(self.file, self.file.line_span(line))
                    .with_hint("give every section, table and figure its own label"),
            );
        }
        self.labels.insert(id.to_string(), text);
    }

    fn heading(&mut self, plan: &mut Plan, level: u8, line: usize, text: &str) {
        self.last_table = None;
        let (title, attrs) = heading_attributes(text);
        let has_attrs = attrs.is_some();
        let attrs = attrs.unwrap_or_default();
        if level == 2
            && let Some((_, end @ None)) = &mut self.faq
        {
            *end = Some(line);
        }
        let id = attrs.id.clone().unwrap_or_else(|| slugify(&title));
        if level != 2 {
            if has_attrs {
                let open = format!("<h{level} id=\"{}\">", escape_html(&id));
                plan.headings.insert(line, HeadingPlan { open, strip_attributes: true, ..HeadingPlan::default() });
                // Only H2s are numbered: a labelled lower heading is cited by its title.
                if id.starts_with("sec-") {
                    self.add_label(&id, title, line);
                }
            }
            return;
        }
        let classes: Vec<&str> = attrs.classes.iter().map(String::as_str).filter(|c| *c != "unnumbered").collect();
        let class_attr = match classes.is_empty() {
            true => String::new(),
            false => format!(" class=\"{}\"", escape_html(&classes.join(" "))),
        };
        let mut h = HeadingPlan {
            open: format!("<h2 id=\"{}\"{class_attr}>", escape_html(&id)),
            strip_attributes: true,
            ..HeadingPlan::default()
        };
        if attrs.classes.iter().any(|c| c == "unnumbered") {
            if id.starts_with("sec-") {
                self.add_label(&id, title, line);
            }
        } else {
            self.sections += 1;
            h.prefix = format!("<span class=\"sec-num\">{}.</span>", self.sections);
            if id.starts_with("sec-") {
                let text = format!("section {}-{}", self.prefix, self.sections);
                h.after =
                    format!("<p class=\"xref-label\">{}</p>\n", escape_html(&shown(&text, attrs.short.as_deref())));
                self.add_label(&id, text, line);
            }
        }
        if classes.contains(&"faq") {
            self.faq = Some((line, None));
        }
        plan.headings.insert(line, h);
    }

    fn paragraph(&mut self, plan: &mut Plan, line: usize, text: &str) {
        let table = self.last_table.take();
        let Some((caption, id)) = table_caption(text) else { return };
        plan.drop_paragraphs.push(line);
        let Some(table) = table else {
            self.problems.push(
                Diagnostic::error("prose::orphan-caption", format!("the caption `{id}` follows no table"))
                    .at(self.file, self.file.line_span(line))
                    .with_hint(
                        "put the `: caption {#tbl-…}` line right after a Markdown table, separated by one blank line",
                    ),
            );
            return;
        };
        self.tables += 1;
        let text = format!("table {}-{}", self.prefix, self.tables);
        let before = format!(
            "<figure class=\"nb-table\" id=\"{}\"><figcaption class=\"xref-label\">{}</figcaption>",
            escape_html(&id),
            escape_html(&shown(&text, Some(&caption)))
        );
        plan.tables.insert(table, (before, "</figure>".to_string()));
        self.add_label(&id, text, line);
    }

    fn code(&mut self, plan: &mut Plan, line: usize) {
        self.last_table = None;
        let (Some(&cell), Some(&output)) =
            (self.cells.get(&line), self.cells.get(&line).and_then(|c| self.outputs.get(&c.number)))
        else {
            return;
        };
        let label = cell.options.label.as_ref();
        if let Some(label) = label {
            self.check_label_kind(cell, output, label);
        }
        let caption = match label.map(|l| l.name.as_str()) {
            Some(l) if l.starts_with("fig-") => {
                self.figures += 1;
                let text = format!("figure {}-{}", self.prefix, self.figures);
                self.add_label(l, text.clone(), line);
                Some(shown(&text, cell.options.fig_cap.as_deref()))
            }
            Some(l) => {
                self.tables += 1;
                let text = format!("table {}-{}", self.prefix, self.tables);
                self.add_label(l, text.clone(), line);
                Some(shown(&text, cell.options.tbl_cap.as_deref()))
            }
            None => cell.options.fig_cap.clone().or_else(|| cell.options.tbl_cap.clone()),
        };
        let frame = CellFrame { caption: caption.as_deref(), label: label.map(|l| l.name.as_str()), png: self.png };
        match cell_html(cell, output, &frame) {
            Ok((html, chart)) => {
                plan.code.insert(line, html);
                self.charts.extend(chart);
            }
            Err(message) => self.problems.push(
                Diagnostic::error("chart::draw", format!("cell {}: {message}", cell.number))
                    .at(self.file, self.file.line_span(cell.fence_line))
                    .with_hint("check the chart's rows and options"),
            ),
        }
    }

    /// A `fig-` label needs a chart, a `tbl-` label a table.
    fn check_label_kind(&mut self, cell: &Cell, output: &CellOutput, label: &crate::notebook::Label) {
        let kind = match &output.value {
            Value::Chart(_) => Some("fig"),
            Value::Table(_) => Some("tbl"),
            Value::Array(rows) if !rows.is_empty() && rows.iter().all(|r| matches!(r, Value::Map(_))) => Some("tbl"),
            _ => None,
        };
        let wanted = label.name.split('-').next();
        if cell.options.eval && cell.options.output && kind != wanted {
            self.problems.push(
                Diagnostic::error(
                    "cell::label-kind",
                    format!(
                        "cell {} is labelled `{}` but its output is {}",
                        cell.number,
                        label.name,
                        output.value.type_name()
                    ),
                )
                .at(self.file, label.span.clone())
                .with_hint("`fig-` labels need a chart as the cell's last value, `tbl-` labels a table"),
            );
        }
    }
}

/// `table mo-1 : tool layers`, or just `table mo-1` without a caption.
fn shown(text: &str, caption: Option<&str>) -> String {
    match caption {
        Some(c) if !c.is_empty() => format!("{text} : {c}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_attributes_are_split() {
        let (t, a) = heading_attributes("Why {#sec-overlap short=\"platform overlap\"}");
        assert_eq!(t, "Why");
        let a = a.unwrap();
        assert_eq!(a.id.as_deref(), Some("sec-overlap"));
        assert_eq!(a.short.as_deref(), Some("platform overlap"));
        let (_, a) = heading_attributes("FAQ {#sec-faq .faq}");
        assert_eq!(a.unwrap().classes, ["faq"]);
        assert_eq!(heading_attributes("Plain title").1, None);
    }

    #[test]
    fn captions_need_a_tbl_label() {
        assert_eq!(table_caption(": tool layers {#tbl-layers}"), Some(("tool layers".into(), "tbl-layers".into())));
        assert_eq!(table_caption(": tool layers"), None);
        assert_eq!(table_caption("tool layers {#tbl-x}"), None);
    }

    #[test]
    fn slugs_from_titles() {
        assert_eq!(slugify("Why the premium is modest!"), "why-the-premium-is-modest");
    }
}

//! Stage 5, expand: prose templates over the final values, then the Markdown body with
//! numbered sections, captioned tables, cross-references, cell outputs, footnotes and the FAQ.

pub mod attributes;
pub mod expand;
pub mod markdown;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::exec::{CellOutput, Executed, Value};
use crate::html::escape_html;
use crate::notebook::{Cell, Notebook};
use crate::render::cell::{CellFrame, ChartFile, cell_html};
use crate::template::{ProseTemplates, Scope, TemplateError, TemplateKind};
use attributes::Attributes;
use markdown::{Block, Citation, HeadingPlan, Plan};

/// The article body of one page.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub html: String,
    pub faq: Vec<(String, String)>,
    pub charts: Vec<ChartFile>,
}

/// The diagnostic of a template error at `span` of the file, with its hint: a name it may have
/// meant, the filters, the limit.
pub(crate) fn template_diagnostic_at(
    e: &TemplateError,
    file: &Arc<SourceFile>,
    span: std::ops::Range<usize>,
    names: &[&str],
) -> Diagnostic {
    let code = match e.kind {
        TemplateKind::TooLarge => Code::ProseTooLarge,
        TemplateKind::Undefined(_) => Code::ProseUndefined,
        _ => Code::ProseTemplate,
    };
    let d = Diagnostic::error(code, format!("in prose: {}", e.message)).at(file, span);
    match &e.kind {
        TemplateKind::Undefined(name) => match crate::diag::did_you_mean(name, names.iter().copied()) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint(
                "prose can use the variables the cells define with `let`, the `data:` tables and the `params:`",
            ),
        },
        TemplateKind::UnknownFilter(name) => match crate::diag::did_you_mean(name, crate::format::Filter::NAMES.iter().copied()) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None => d.with_hint(format!("filters are {}", crate::format::Filter::NAMES.join(", "))),
        },
        TemplateKind::TooLarge => d.with_hint(
            "insert less: a value repeated in a loop or over many lines adds up; the limit is `notebook_bytes` under `limits:` in `_site.yaml`",
        ),
        TemplateKind::Syntax => d.with_hint("insert a value as `{{ name }}` or `{{ name | filter }}`"),
        TemplateKind::OutOfFuel | TemplateKind::Failed => d,
    }
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

/// Renders a notebook's body: every diagnostic is collected. `reserved` are the ids the
/// theme's page already uses.
#[allow(clippy::too_many_arguments)]
pub fn render_body(
    notebook: &Notebook,
    executed: &Executed,
    templates: &ProseTemplates,
    scope: &Scope,
    prefix: &str,
    embeddable: &Embeddable,
    png: bool,
    reserved: &[String],
) -> Result<Body, Vec<Diagnostic>> {
    let names: Vec<&str> = executed.scope.keys().map(String::as_str).collect();
    let (expanded, embeds) = crate::template::with_embeds(embeddable.exports.clone(), || {
        expand::expand_body(notebook, templates, scope, &names)
    });
    let expanded = expanded?;
    let mut diagnostics = Vec::new();
    // Expanded, the prose must still be a tree comrak can hold: counted before it is built.
    let max_elements = templates.limits().max_elements;
    if let Some(at) = markdown::past_element_limit(&expanded.markdown, max_elements) {
        let line = markdown::file_line(&expanded.lines, expanded.markdown[..at].matches('\n').count() + 1);
        return Err(vec![
            Diagnostic::error(
                Code::ProseTooLarge,
                format!(
                    "the prose, once its `{{{{ }}}}` are expanded, has more than {} Markdown elements, the limit",
                    crate::format::num(max_elements as f64)
                ),
            )
            .at(&notebook.source, notebook.source.line_span(line))
            .with_hint("insert fewer values, or raise `prose_elements` under `limits:` in `_site.yaml`"),
        ]);
    }
    let embed_html: Vec<String> =
        match embeds.iter().map(|(slug, label)| embed_html(slug, label, embeddable, png)).collect::<Result<_, _>>() {
            Ok(html) => html,
            Err(message) => {
                return Err(vec![
                    Diagnostic::error(Code::ChartDraw, message)
                        .at(&notebook.source, 0..0)
                        .with_hint("check the embedded chart's notebook"),
                ]);
            }
        };

    let planner = RefCell::new(Planner { png, ..Planner::new(notebook, executed, prefix, reserved) });
    let mut unknown: Vec<Citation> = Vec::new();
    let source = markdown::Source {
        markdown: &expanded.markdown,
        lines: &expanded.lines,
        file: &notebook.source,
        marks: expanded.marks,
        values: &expanded.values,
        embeds: &embed_html,
    };
    let rendered = markdown::render(
        &source,
        |outline| planner.borrow_mut().plan(outline),
        |c| {
            let planner = planner.borrow();
            match planner.labels.get(&c.label) {
                Some(text) => Some(text.clone()),
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
    for cell in notebook.cells() {
        if !planner.placed.contains(&cell.number) && executed.outputs.iter().any(|o| o.number == cell.number) {
            diagnostics.push(
                Diagnostic::error(
                    Code::ProseCellLost,
                    format!(
                        "cell {} runs, but once the prose around it is expanded it is no longer a code cell there (it became part of another block)",
                        cell.number
                    ),
                )
                .at(&notebook.source, notebook.source.line_span(cell.fence_line))
                .with_hint("a `{% %}` block or a `| safe` value changed the Markdown around the cell: put a blank line before the cell, and keep blocks from changing the list or quote that holds it"),
            );
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Body { html: rendered.html, faq: rendered.faq, charts: planner.charts })
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
        default_theme_ids(),
    )?;
    Ok(body.html)
}

/// The ids the default theme's page uses, read from it once.
fn default_theme_ids() -> &'static [String] {
    static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| crate::render::Theme::load(None).map(|t| t.ids).unwrap_or_default())
}

/// The charts of other notebooks a page may embed with `figure("slug", "label")`, and those
/// pages' titles for the link back.
#[derive(Debug, Clone, Default)]
pub struct Embeddable {
    pub exports: HashMap<String, crate::exec::Exports>,
    pub titles: HashMap<String, String>,
}

/// The HTML of a figure embedded from another notebook with `figure("slug", "label")`.
fn embed_html(slug: &str, label: &str, embeddable: &Embeddable, png: bool) -> Result<String, String> {
    let Some(figure) = embeddable.exports.get(slug).and_then(|e| e.figures().get(label)) else {
        return Ok(String::new());
    };
    let alt = figure.alt.clone().or_else(|| figure.caption.clone()).or_else(|| figure.spec.title.clone());
    let drawings = crate::render::cell::chart_drawings(&figure.spec, alt.as_deref().unwrap_or(label))
        .map_err(|m| format!("figure(\"{slug}\", \"{label}\"): {m}"))?;
    let title = embeddable.titles.get(slug).cloned().unwrap_or_else(|| slug.to_string());
    let caption = shown(&figure.number, figure.caption.as_deref());
    Ok(format!(
        "<figure class=\"nb-figure nb-embed\" id=\"embed-{slug}-{label}\"><figcaption class=\"xref-label\">{} <span class=\"embed-source\">(from <a href=\"../{slug}/#{label}\">{}</a>)</span></figcaption>{drawings}{}</figure>",
        escape_html(&caption),
        escape_html(&title),
        crate::render::cell::downloads(&format!("../{slug}/{label}"), png),
        slug = escape_html(slug),
        label = escape_html(label),
    ))
}

fn unknown_label(file: &Arc<SourceFile>, c: &Citation, labels: &HashMap<String, String>) -> Diagnostic {
    let d = Diagnostic::error(Code::ProseUnknownLabel, format!("`@{}` cites a label that does not exist", c.label))
        .at_line_col(file, c.line, c.column, c.label.len() + 1);
    match crate::diag::did_you_mean(&c.label, labels.keys().map(String::as_str)) {
        Some(best) => d.with_hint(format!("did you mean `@{best}`?")),
        None => d.with_hint(
            "labels come from `{#sec-…}` headings, `: caption {#tbl-…}` lines and `//| label:` cell options",
        ),
    }
}

/// Walks the outline once, in document order: gives every heading its id, numbers sections,
/// tables and figures, gives each label its text, and renders the cells in place.
struct Planner<'a> {
    file: &'a Arc<SourceFile>,
    prefix: &'a str,
    cells: HashMap<usize, &'a Cell>,
    outputs: HashMap<usize, &'a CellOutput>,
    /// Label -> how a citation reads: `section mo-2`.
    labels: HashMap<String, String>,
    /// Ids no heading may take: the theme's, and every id the writer gave.
    taken: HashSet<String>,
    /// The cells shown (by number).
    placed: HashSet<usize>,
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

/// Ids nbrender writes itself: cells (`cell-3`), footnotes (`fn-x`, `fnref-x`), embeds.
fn is_generated_id(id: &str) -> bool {
    id.strip_prefix("cell-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || ["fn-", "fnref-", "embed-"].iter().any(|p| id.starts_with(p))
}

/// An id that names a section, a table or a figure.
fn is_label(id: &str) -> bool {
    ["sec-", "tbl-", "fig-"].iter().any(|p| id.starts_with(p))
}

impl<'a> Planner<'a> {
    fn new(notebook: &'a Notebook, executed: &'a Executed, prefix: &'a str, reserved: &[String]) -> Self {
        Planner {
            file: &notebook.source,
            prefix,
            cells: notebook.cells().map(|c| (c.fence_line, c)).collect(),
            outputs: executed.outputs.iter().map(|o| (o.number, o)).collect(),
            labels: HashMap::new(),
            taken: reserved.iter().cloned().collect(),
            placed: HashSet::new(),
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
        self.take_written_ids(outline);
        let mut plan = Plan::default();
        for block in outline {
            match block {
                Block::Heading { level, line, text, attrs, top, .. } => {
                    self.heading(&mut plan, *level, *line, text, attrs.as_ref(), *top)
                }
                Block::Table { line, .. } => self.last_table = Some(*line),
                Block::Paragraph { line, file_line, text, attrs } => {
                    self.paragraph(&mut plan, *line, *file_line, text, attrs.as_ref())
                }
                Block::Cell { line, file_line } => self.code(&mut plan, *line, *file_line),
                Block::Other => self.last_table = None,
            }
        }
        plan.faq = self.faq;
        plan
    }

    /// Every id the writer gave (headings, captions, cell labels) is theirs: an id given
    /// twice, or one the page uses already, is an error at the line that gives it.
    fn take_written_ids(&mut self, outline: &[Block]) {
        let mut written: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for block in outline {
            match block {
                Block::Heading { file_line, attrs: Some(Attributes { id: Some(id), .. }), .. } => {
                    written.push((id.clone(), self.file.line_span(*file_line)))
                }
                Block::Paragraph { file_line, text, attrs: Some(Attributes { id: Some(id), .. }), .. }
                    if text.trim_start().starts_with(':') && id.starts_with("tbl-") =>
                {
                    written.push((id.clone(), self.file.line_span(*file_line)))
                }
                Block::Cell { file_line, .. } => {
                    if let Some(label) = self.cells.get(file_line).and_then(|c| c.options.label.as_ref()) {
                        written.push((label.name.clone(), label.span.clone()));
                    }
                }
                _ => {}
            }
        }
        let reserved = self.taken.clone();
        for (id, span) in written {
            if reserved.contains(&id) || is_generated_id(&id) {
                self.problems.push(
                    Diagnostic::error(Code::ProseReservedId, format!("the id `{id}` is one the page already uses"))
                        .at(self.file, span)
                        .with_hint("choose another id; the page's own ids are the theme's, `cell-N`, and those starting `fn-`, `fnref-` and `embed-`"),
                );
            } else if !self.taken.insert(id.clone()) {
                let (code, what) =
                    if is_label(&id) { (Code::ProseDuplicateLabel, "label") } else { (Code::ProseDuplicateId, "id") };
                self.problems.push(
                    Diagnostic::error(code, format!("the {what} `{id}` is used twice"))
                        .at(self.file, span)
                        .with_hint("give every section, table and figure its own label"),
                );
            }
        }
    }

    /// An id for a heading the writer gave none: its title's slug (`section` when it has no
    /// letter or digit), numbered on when taken.
    fn unique_id(&mut self, title: &str) -> String {
        let slug = slugify(title);
        let base = if slug.is_empty() { "section".to_string() } else { slug };
        let mut id = base.clone();
        let mut n = 0;
        while self.taken.contains(&id) || is_generated_id(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.taken.insert(id.clone());
        id
    }

    fn add_label(&mut self, id: &str, text: String) {
        self.labels.insert(id.to_string(), text);
    }

    fn heading(&mut self, plan: &mut Plan, level: u8, line: usize, title: &str, attrs: Option<&Attributes>, top: bool) {
        self.last_table = None;
        let none = Attributes::default();
        let attrs = attrs.unwrap_or(&none);
        let numbered = level == 2 && top;
        if numbered && let Some((_, end @ None)) = &mut self.faq {
            *end = Some(line);
        }
        let id = match &attrs.id {
            Some(id) => id.clone(),
            None => self.unique_id(title),
        };
        if !numbered {
            let open = format!("<h{level} id=\"{}\">", escape_html(&id));
            plan.headings.insert(line, HeadingPlan { open, ..HeadingPlan::default() });
            // Only top-level H2s are numbered: another labelled heading is cited by its title.
            if id.starts_with("sec-") {
                self.add_label(&id, title.to_string());
            }
            return;
        }
        let classes: Vec<&str> = attrs.classes.iter().map(String::as_str).filter(|c| *c != "unnumbered").collect();
        let class_attr = match classes.is_empty() {
            true => String::new(),
            false => format!(" class=\"{}\"", escape_html(&classes.join(" "))),
        };
        let mut h =
            HeadingPlan { open: format!("<h2 id=\"{}\"{class_attr}>", escape_html(&id)), ..HeadingPlan::default() };
        if attrs.classes.iter().any(|c| c == "unnumbered") {
            if id.starts_with("sec-") {
                self.add_label(&id, title.to_string());
            }
        } else {
            self.sections += 1;
            h.prefix = format!("<span class=\"sec-num\">{}.</span>", self.sections);
            if id.starts_with("sec-") {
                let text = format!("section {}-{}", self.prefix, self.sections);
                h.after =
                    format!("<p class=\"xref-label\">{}</p>\n", escape_html(&shown(&text, attrs.short.as_deref())));
                self.add_label(&id, text);
            }
        }
        if classes.contains(&"faq") {
            self.faq = Some((line, None));
        }
        plan.headings.insert(line, h);
    }

    fn paragraph(&mut self, plan: &mut Plan, line: usize, file_line: usize, text: &str, attrs: Option<&Attributes>) {
        let table = self.last_table.take();
        let (Some(caption), Some(id)) = (
            text.trim_start().strip_prefix(':'),
            attrs.and_then(|a| a.id.as_ref()).filter(|id| id.starts_with("tbl-")),
        ) else {
            return;
        };
        plan.drop_paragraphs.push(line);
        let Some(table) = table else {
            self.problems.push(
                Diagnostic::error(Code::ProseOrphanCaption, format!("the caption `{id}` follows no table"))
                    .at(self.file, self.file.line_span(file_line))
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
            escape_html(id),
            escape_html(&shown(&text, Some(caption.trim())))
        );
        plan.tables.insert(table, (before, "</figure>".to_string()));
        self.add_label(id, text);
    }

    fn code(&mut self, plan: &mut Plan, line: usize, file_line: usize) {
        self.last_table = None;
        let (Some(&cell), Some(&output)) =
            (self.cells.get(&file_line), self.cells.get(&file_line).and_then(|c| self.outputs.get(&c.number)))
        else {
            return;
        };
        self.placed.insert(cell.number);
        let label = cell.options.label.as_ref();
        if let Some(label) = label {
            self.check_label_kind(cell, output, label);
        }
        let caption = match label.map(|l| l.name.as_str()) {
            Some(l) if l.starts_with("fig-") => {
                self.figures += 1;
                let text = format!("figure {}-{}", self.prefix, self.figures);
                self.add_label(l, text.clone());
                Some(shown(&text, cell.options.fig_cap.as_deref()))
            }
            Some(l) => {
                self.tables += 1;
                let text = format!("table {}-{}", self.prefix, self.tables);
                self.add_label(l, text.clone());
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
                Diagnostic::error(Code::ChartDraw, format!("cell {}: {message}", cell.number))
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
                    Code::CellLabelKind,
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
    fn slugs_from_titles() {
        assert_eq!(slugify("Why the premium is modest!"), "why-the-premium-is-modest");
    }
}

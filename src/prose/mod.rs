//! Stage 5, expand: prose templates over the final values, then the Markdown body with
//! numbered sections, captioned tables, cross-references, cell outputs, footnotes and the FAQ.

pub mod markdown;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use minijinja_free::*;

use crate::diag::{Diagnostic, SourceFile};
use crate::exec::Executed;
use crate::notebook::{Notebook, Segment};
use crate::render::cell::{CellFrame, ChartFile, cell_html};
use crate::template::{Output, ProseTemplates, TemplateError};
use markdown::{Block, Citation, HeadingPlan, Plan};

/// Keeps the template value type out of this module's signatures.
mod minijinja_free {
    pub use minijinja::Value as Scope;
}

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
    let code = if e.undefined.is_some() { "prose::undefined" } else { "prose::template" };
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
    diagnostics: &mut Vec<Diagnostic>,
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
        match expand(templates, &chunk, scope, Output::Markdown, file, first_line + from, names) {
            Ok(t) => out.push(t),
            Err(mut d) => {
                diagnostics.append(&mut d);
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

#[derive(Debug, Clone)]
struct LabelInfo {
    /// `section mo-2`
    text: String,
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
) -> Result<Body, Vec<Diagnostic>> {
    let file = &notebook.source;
    let names: Vec<&str> = executed.scope.keys().map(String::as_str).collect();
    let mut diagnostics = Vec::new();

    // The Markdown to parse keeps every line where it is in the file, so positions match.
    let total_lines = file.text.split('\n').count();
    let mut lines: Vec<String> = vec![String::new(); total_lines];
    let source_lines: Vec<&str> = file.text.split('\n').collect();
    let mut cells = HashMap::new();
    for segment in &notebook.segments {
        match segment {
            Segment::Prose(p) => {
                let expanded =
                    expand_outside_code(templates, &p.text, scope, file, p.first_line, &names, &mut diagnostics);
                for (i, l) in expanded.split('\n').enumerate() {
                    if let Some(slot) = lines.get_mut(p.first_line - 1 + i) {
                        *slot = l.to_string();
                    }
                }
            }
            Segment::Cell(c) => {
                cells.insert(c.fence_line, c);
                let end = (c.fence_line..total_lines)
                    .skip(1)
                    .find(|&l| {
                        source_lines
                            .get(l)
                            .is_some_and(|s| s.trim_start().starts_with("```") || s.trim_start().starts_with("~~~"))
                    })
                    .unwrap_or(total_lines - 1);
                for l in c.fence_line - 1..=end {
                    if let (Some(slot), Some(src)) = (lines.get_mut(l), source_lines.get(l)) {
                        *slot = src.to_string();
                    }
                }
            }
        }
    }
    let md = lines.join("\n");

    let outputs: HashMap<usize, _> = executed.outputs.iter().map(|o| (o.number, o)).collect();
    let labels: RefCell<HashMap<String, LabelInfo>> = RefCell::new(HashMap::new());
    let problems: RefCell<Vec<Diagnostic>> = RefCell::new(Vec::new());
    let charts: RefCell<Vec<ChartFile>> = RefCell::new(Vec::new());

    let plan = |outline: &[Block]| {
        let mut plan = Plan::default();
        let mut labels = labels.borrow_mut();
        let mut problems = problems.borrow_mut();
        let mut add_label = |id: &str, text: String, line: usize, problems: &mut Vec<Diagnostic>| {
            if labels.contains_key(id) {
                problems.push(
                    Diagnostic::error("prose::duplicate-label", format!("the label `{id}` is used twice"))
                        .at(file, file.line_span(line))
                        .with_hint("give every section, table and figure its own label"),
                );
            }
            labels.insert(id.to_string(), LabelInfo { text });
        };
        let (mut section, mut table, mut fig) = (0, 0, 0);
        let mut faq_start: Option<usize> = None;
        let mut faq_end = None;
        let mut last_table: Option<usize> = None;
        for block in outline {
            match block {
                Block::Heading { level, line, text } => {
                    let (title, attrs) = heading_attributes(text);
                    let attrs = attrs.unwrap_or_default();
                    if *level == 2 && faq_start.is_some() && faq_end.is_none() {
                        faq_end = Some(*line);
                    }
                    if *level != 2 {
                        if attrs.id.is_some() || !attrs.classes.is_empty() {
                            let id = attrs.id.clone().unwrap_or_else(|| slugify(&title));
                            plan.headings.insert(
                                *line,
                                HeadingPlan {
                                    open: format!("<h{level} id=\"{}\">", crate::template::escape_html(&id)),
                                    strip_attributes: true,
                                    ..HeadingPlan::default()
                                },
                            );
                            // Only H2s are numbered: a labelled lower heading is cited by its title.
                            if id.starts_with("sec-") {
                                add_label(&id, title.clone(), *line, &mut problems);
                            }
                        }
                        continue;
                    }
                    let numbered = !attrs.classes.iter().any(|c| c == "unnumbered");
                    let id = attrs.id.clone().unwrap_or_else(|| slugify(&title));
                    let mut h = HeadingPlan { strip_attributes: true, ..HeadingPlan::default() };
                    let classes: Vec<&str> =
                        attrs.classes.iter().map(String::as_str).filter(|c| *c != "unnumbered").collect();
                    let class_attr = if classes.is_empty() {
                        String::new()
                    } else {
                        format!(" class=\"{}\"", crate::template::escape_html(&classes.join(" ")))
                    };
                    h.open = format!("<h2 id=\"{}\"{class_attr}>", crate::template::escape_html(&id));
                    if numbered {
                        section += 1;
                        h.prefix = format!("<span class=\"sec-num\">{section}.</span>");
                        if id.starts_with("sec-") {
                            let text = format!("section {prefix}-{section}");
                            let shown = match &attrs.short {
                                Some(s) => format!("{text} : {s}"),
                                None => text.clone(),
                            };
                            h.after = format!("<p class=\"xref-label\">{}</p>\n", crate::template::escape_html(&shown));
                            add_label(&id, text, *line, &mut problems);
                        }
                    } else if id.starts_with("sec-") {
                        add_label(&id, title.clone(), *line, &mut problems);
                    }
                    if classes.contains(&"faq") {
                        faq_start = Some(*line);
                    }
                    plan.headings.insert(*line, h);
                }
                Block::Table { start, .. } => last_table = Some(*start),
                Block::Paragraph { line, text } => {
                    if let Some((caption, id)) = table_caption(text) {
                        plan.drop_paragraphs.push(*line);
                        match last_table.take() {
                            Some(t) => {
                                table += 1;
                                let text = format!("table {prefix}-{table}");
                                let shown = if caption.is_empty() { text.clone() } else { format!("{text} : {caption}") };
                                plan.tables.insert(t, (
                                    format!("<figure class=\"nb-table\" id=\"{}\"><figcaption class=\"xref-label\">{}</figcaption>", crate::template::escape_html(&id), crate::template::escape_html(&shown)),
                                    "</figure>".to_string(),
                                ));
                                add_label(&id, text, *line, &mut problems);
                            }
                            None => problems.push(
                                Diagnostic::error("prose::orphan-caption", format!("the caption `{id}` follows no table"))
                                    .at(file, file.line_span(*line))
                                    .with_hint("put the `: caption {#tbl-…}` line right after a Markdown table, separated by one blank line"),
                            ),
                        }
                    } else {
                        last_table = None;
                    }
                }
                Block::Code { line, .. } => {
                    last_table = None;
                    let Some(cell) = cells.get(line) else { continue };
                    let Some(output) = outputs.get(&cell.number) else { continue };
                    let label = cell.options.label.as_ref().map(|l| l.name.as_str());
                    let kind = match &output.value {
                        crate::exec::Value::Chart(_) => Some("fig"),
                        crate::exec::Value::Table(_) => Some("tbl"),
                        crate::exec::Value::Array(rows)
                            if !rows.is_empty() && rows.iter().all(|r| matches!(r, crate::exec::Value::Map(_))) =>
                        {
                            Some("tbl")
                        }
                        _ => None,
                    };
                    if let (Some(l), Some(lab)) = (label, &cell.options.label) {
                        let want = l.split('-').next().unwrap_or("");
                        if cell.options.eval && cell.options.output && kind != Some(want) {
                            problems.push(
                                Diagnostic::error(
                                    "cell::label-kind",
                                    format!(
                                        "cell {} is labelled `{l}` but its output is {}",
                                        cell.number,
                                        output.value.type_name()
                                    ),
                                )
                                .at(file, lab.span.clone())
                                .with_hint(
                                    "`fig-` labels need a chart as the cell's last value, `tbl-` labels a table",
                                ),
                            );
                        }
                    }
                    let caption_text = match label {
                        Some(l) if l.starts_with("fig-") => {
                            fig += 1;
                            let text = format!("figure {prefix}-{fig}");
                            add_label(l, text.clone(), *line, &mut problems);
                            Some(match &cell.options.fig_cap {
                                Some(c) => format!("{text} : {c}"),
                                None => text,
                            })
                        }
                        Some(l) => {
                            table += 1;
                            let text = format!("table {prefix}-{table}");
                            add_label(l, text.clone(), *line, &mut problems);
                            Some(match &cell.options.tbl_cap {
                                Some(c) => format!("{text} : {c}"),
                                None => text,
                            })
                        }
                        None => cell.options.fig_cap.clone().or_else(|| cell.options.tbl_cap.clone()),
                    };
                    let frame = CellFrame { caption: caption_text.as_deref(), label };
                    match cell_html(cell, output, &frame) {
                        Ok((html, chart)) => {
                            plan.code.insert(*line, html);
                            charts.borrow_mut().extend(chart);
                        }
                        Err(message) => problems.push(
                            Diagnostic::error("chart::draw", format!("cell {}: {message}", cell.number))
                                .at(file, file.line_span(cell.fence_line))
                                .with_hint("check the chart's rows and options"),
                        ),
                    }
                }
                Block::Other { .. } => last_table = None,
            }
        }
        if let Some(start) = faq_start {
            plan.faq = Some((start, faq_end));
        }
        plan
    };

    let unknown: RefCell<Vec<Citation>> = RefCell::new(Vec::new());
    let cite = |c: &Citation| {
        let labels = labels.borrow();
        match labels.get(&c.label) {
            Some(info) => Some(format!(
                "<a class=\"xref\" href=\"#{}\">{}</a>",
                c.label,
                crate::template::escape_html(&info.text)
            )),
            None => {
                unknown.borrow_mut().push(c.clone());
                None
            }
        }
    };
    let rendered = markdown::render(&md, plan, cite);

    diagnostics.extend(problems.into_inner());
    let labels = labels.into_inner();
    for c in unknown.into_inner() {
        let d = Diagnostic::error("prose::unknown-label", format!("`@{}` cites a label that does not exist", c.label))
            .at_line_col(file, c.line, c.column, c.label.len() + 1);
        let d = match crate::diag::did_you_mean(&c.label, labels.keys().map(String::as_str)) {
            Some(best) => d.with_hint(format!("did you mean `@{best}`?")),
            None => d.with_hint(
                "labels come from `{#sec-…}` headings, `: caption {#tbl-…}` lines and `//| label:` cell options",
            ),
        };
        diagnostics.push(d);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Body { html: rendered.html, faq: rendered.faq, charts: charts.into_inner() })
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

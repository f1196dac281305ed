//! Stage 5, expand: prose templates over the final values, then the Markdown body with
//! numbered sections, captioned tables, cross-references, cell outputs, footnotes and the FAQ.
//!
//! `render_body` runs the jobs in order: `expand.rs` (the templates, once, with marks),
//! `markdown.rs` (comrak's parse and the values put in its tree), `planner.rs` (ids, numbers,
//! citations, cells in place; `attributes.rs` reads `{#id .class}` blocks) and `embeds.rs`
//! (figures of other notebooks).

pub mod attributes;
mod embeds;
pub mod expand;
mod figures;
pub mod lineage;
pub mod lint;
pub mod markdown;
mod planner;

use std::cell::RefCell;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::exec::{Executed, Value};
use crate::notebook::Notebook;
use crate::render::cell::ChartFile;
use crate::template::{ProseTemplates, Scope, TemplateError, TemplateKind};
pub use embeds::Embeddable;
use embeds::embed_html;
use markdown::Citation;
use planner::{Planner, unknown_label};

/// The article body of one page.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub html: String,
    pub faq: Vec<(String, String)>,
    /// The charts of its own cells, written beside the page.
    pub charts: Vec<ChartFile>,
    /// The charts of other notebooks redrawn on this page's bounds, written beside it too.
    pub redrawn: Vec<ChartFile>,
    /// The figures of other notebooks it shows (`figure("slug", "label")`), drawn in the page.
    pub embedded: usize,
    /// The values it publishes, in page order, for the manifest.
    pub figures: Vec<crate::manifest::Found>,
    /// What the prose would be warned about (`prose::typed-figure`).
    pub warnings: Vec<Diagnostic>,
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
        TemplateKind::Undefined(_) | TemplateKind::NoKey(_) => Code::ProseUndefined,
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
        TemplateKind::NoKey(missing) => match crate::diag::did_you_mean(&missing.key, missing.keys.iter().map(String::as_str)) {
            Some(best) => d.with_hint(format!("did you mean `{best}`?")),
            None if missing.keys.is_empty() => d,
            None => d.with_hint(format!(
                "it has {}",
                missing.keys.iter().take(12).map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            )),
        },
        TemplateKind::UnknownFilter(name) => match crate::diag::did_you_mean(name, crate::format::Filter::NAMES.iter().copied().chain(["literal"])) {
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
    file: &str,
) -> Result<Body, Vec<Diagnostic>> {
    let names: Vec<&str> = executed.scope.keys().map(String::as_str).collect();
    let (expanded, embeds) = crate::template::with_embeds(embeddable.exports.clone(), || {
        expand::expand_body(notebook, templates, scope, &names)
    });
    let expanded = expanded?;
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
    let names = embeds::embed_names(&embeds);
    let drawn: Result<Vec<_>, _> =
        embeds.iter().zip(&names).map(|(request, name)| embed_html(request, name, embeddable, png)).collect();
    let (embed_html, embed_files): (Vec<String>, Vec<Option<ChartFile>>) = match drawn {
        Ok(drawn) => drawn.into_iter().unzip(),
        Err(message) => {
            return Err(vec![
                Diagnostic::error(Code::ChartDraw, message)
                    .at(&notebook.source, 0..0)
                    .with_hint("check the embedded chart's notebook"),
            ]);
        }
    };

    // Charts are drawn first: the planner only places them.
    let (charts, mut diagnostics) = crate::render::cell::draw_charts(notebook, executed, png);
    let planner = RefCell::new(Planner::new(notebook, executed, &charts, prefix, reserved));
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

    let mut planner = planner.into_inner();
    diagnostics.append(&mut planner.problems);
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
    let figures = figures::body_figures(&figures::Sources {
        notebook,
        executed,
        expanded: &expanded,
        places: &rendered.places,
        planner: &planner,
        file,
    });
    // The charts written beside the page: those of the cells shown, in cell order.
    let mut shown: Vec<usize> = planner.placed.iter().copied().filter(|n| charts.contains_key(n)).collect();
    drop(planner);
    shown.sort_unstable();
    let mut charts = charts;
    let charts = shown.into_iter().filter_map(|n| charts.remove(&n)).map(|d| d.file).collect();
    // The embedded charts redrawn on the page's bounds, in the order the prose calls them.
    let redrawn = embed_files.into_iter().flatten().collect();
    let embedded = embed_html.iter().filter(|html| !html.is_empty()).count();
    let warnings = lint::prose_warnings(notebook, &rendered.typed);
    Ok(Body { html: rendered.html, faq: rendered.faq, charts, redrawn, embedded, figures, warnings })
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
    let executed = Executed {
        outputs: Vec::new(),
        scope: Arc::clone(&scope),
        exports: Default::default(),
        lineage: Default::default(),
        read: Vec::new(),
    };
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
        "fragment.md",
    )?;
    Ok(body.html)
}

/// The ids the default theme's page uses, read from it once.
fn default_theme_ids() -> &'static [String] {
    static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| crate::render::Theme::load(None).map(|t| t.ids).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        assert_eq!(slugify("Why the premium is modest!"), "why-the-premium-is-modest");
    }
}

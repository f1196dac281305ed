//! The words a notebook shows beyond its own page's body: its title, lede, description,
//! blurb and headline, expanded after it ran, or read as written for a card of a notebook
//! that did not need to run.

use std::sync::Arc;

use crate::diag::{Diagnostic, SourceFile};
use crate::exec::Executed;
use crate::manifest::{Found, Place};
use crate::notebook::Notebook;
use crate::prose;
use crate::prose::lineage::Lineage;
use crate::template::{ProseTemplates, Scope};

/// The blurb a card shows, as written: the lede when there is none.
fn card_blurb(nb: &Notebook) -> &str {
    nb.front.blurb.as_ref().or(nb.front.lede.as_ref()).map_or("", String::as_str)
}

/// Whether a card or a previous/next link to `nb` shows words as written (no `{{ }}` in its
/// title or blurb), so that `nb` need not run for them.
pub fn card_is_fixed(nb: &Notebook) -> bool {
    nb.is_family() || nb.title().is_fixed() && crate::template::is_fixed(card_blurb(nb))
}

/// What a card or a previous/next link shows of a notebook that has not run: its title and
/// blurb, when neither is computed. The other fields stay empty: only the notebook's own page,
/// which runs it, shows them.
pub fn card_texts(nb: &Notebook) -> Option<FrontTexts> {
    if nb.is_family() {
        return Some(family_texts(nb));
    }
    card_is_fixed(nb).then(|| FrontTexts {
        title: nb.title().text().to_string(),
        lede: String::new(),
        description: String::new(),
        blurb: card_blurb(nb).to_string(),
        headline: String::new(),
        figures: Vec::new(),
    })
}

/// What a family's landing page and its card show: the family's title, and `pages.description`
/// as its lede, description and blurb.
pub fn family_texts(nb: &Notebook) -> FrontTexts {
    let description = nb.front.pages.as_ref().and_then(|p| p.description.clone()).unwrap_or_default();
    FrontTexts {
        title: nb.front.title.clone(),
        lede: description.clone(),
        description: description.clone(),
        blurb: description,
        headline: String::new(),
        figures: Vec::new(),
    }
}

/// The frontmatter's text fields, expanded.
#[derive(Debug, Clone)]
pub struct FrontTexts {
    pub title: String,
    pub lede: String,
    pub description: String,
    pub blurb: String,
    /// The figure the site index shows for this page.
    pub headline: String,
    /// The values the fields written in the frontmatter show, for the manifest (`at` holds
    /// the line only: the page adds its file).
    pub figures: Vec<crate::manifest::Found>,
}

/// The frontmatter's text fields of `nb`, expanded over the values its run left in `scope`.
pub fn front_texts(
    nb: &Notebook,
    executed: &Executed,
    scope: &Scope,
    templates: &ProseTemplates,
) -> Result<FrontTexts, Vec<Diagnostic>> {
    let names: Vec<&str> = executed.scope.keys().map(String::as_str).collect();
    let mut diagnostics = Vec::new();
    let mut figures = Vec::new();
    let lineage = std::cell::OnceCell::new();
    let mut field = |key: &str, value: Option<&String>, place: Place| -> String {
        let Some(source) = value else { return String::new() };
        let written = nb.front.value_span(&[key]).unwrap_or_else(|| nb.source.line_span(1));
        match expand_field(templates, source, scope, &nb.source, written, &names) {
            Ok((text, mut found)) => {
                for f in &mut found {
                    f.place = place.clone();
                    let lineage = lineage.get_or_init(|| Lineage::of(nb, executed));
                    f.sources = lineage.of_expression(f.expression.as_deref().unwrap_or(""));
                }
                figures.append(&mut found);
                text
            }
            Err(mut d) => {
                diagnostics.append(&mut d);
                String::new()
            }
        }
    };
    let title = match nb.title() {
        crate::notebook::Title::Written(_) => field("title", Some(&nb.front.title), Place::Title),
        crate::notebook::Title::Fixed(title) => title.to_string(),
    };
    let lede = field("lede", nb.front.lede.as_ref(), Place::Lede);
    let description = match &nb.front.description {
        Some(d) => field("description", Some(d), Place::Description),
        None => lede.clone(),
    };
    let blurb = match &nb.front.blurb {
        Some(b) => field("blurb", Some(b), Place::Blurb),
        None => lede.clone(),
    };
    let headline = match &nb.front.headline {
        Some(h) => field("headline", Some(h), Place::Headline),
        None => blurb.clone(),
    };
    match diagnostics.is_empty() {
        true => Ok(FrontTexts { title, lede, description, blurb, headline, figures }),
        false => Err(diagnostics),
    }
}

/// A frontmatter value is YAML: its template's errors point into the value as written when
/// YAML kept the text as it is (plain, or quoted without escapes), else at the whole value.
fn expand_field(
    templates: &ProseTemplates,
    source: &str,
    scope: &Scope,
    file: &Arc<SourceFile>,
    written: std::ops::Range<usize>,
    names: &[&str],
) -> Result<(String, Vec<Found>), Vec<Diagnostic>> {
    let base = value_start(file, &written, source);
    let (text, shown) =
        templates.expand_traced(source, scope).map_err(|errors| field_errors(&errors, file, &written, base, names))?;
    let figures = shown
        .into_iter()
        .map(|s| {
            let at = base.map_or(written.start, |base| base + s.origin.tag.start);
            let expression =
                source.get(s.origin.expression.clone()).unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
            Found {
                section: None,
                place: Place::Prose,
                expression: Some(expression.clone()),
                at: file.line_col(at).0.to_string(),
                value: crate::manifest::raw_json(&s.origin.raw),
                text: s.text,
                context: Some(text.clone()),
                sources: Default::default(),
            }
        })
        .collect();
    Ok((text, figures))
}

/// A template's errors in a frontmatter value, placed in the value as written.
fn field_errors(
    errors: &[crate::template::TemplateError],
    file: &Arc<SourceFile>,
    written: &std::ops::Range<usize>,
    base: Option<usize>,
    names: &[&str],
) -> Vec<Diagnostic> {
    errors
        .iter()
        .map(|e| {
            let span = match (base, &e.range) {
                (Some(base), Some(r)) => base + r.start..base + r.end.max(r.start + 1),
                _ => written.clone(),
            };
            prose::template_diagnostic_at(e, file, span, names)
        })
        .collect()
}

/// A frontmatter value expanded over `scope` as text, its errors in the value as written
/// (a family's `pages.slug` and `pages.title`).
pub(crate) fn expand_text(
    templates: &ProseTemplates,
    source: &str,
    scope: &Scope,
    file: &Arc<SourceFile>,
    written: std::ops::Range<usize>,
    names: &[&str],
    output: crate::template::Output,
) -> Result<String, Vec<Diagnostic>> {
    let base = value_start(file, &written, source);
    templates.expand(source, scope, output).map_err(|errors| field_errors(&errors, file, &written, base, names))
}

/// Where a frontmatter value's text starts in the file, when YAML kept it as written (plain,
/// or quoted without escapes), so that an offset in the value is one in the file.
fn value_start(file: &SourceFile, written: &std::ops::Range<usize>, source: &str) -> Option<usize> {
    let text = file.text.get(written.clone()).unwrap_or("");
    let quoted = text.len() >= 2
        && (text.starts_with('"') && text.ends_with('"') || text.starts_with('\'') && text.ends_with('\''));
    match quoted {
        false if text == source => Some(written.start),
        true if &text[1..text.len() - 1] == source => Some(written.start + 1),
        _ => None,
    }
}

/// The figures typed into the text fields as written (`prose::typed-figure` warnings): in the
/// text around their template tags, and in a string that makes a whole tag (`{{ '25%' }}`).
/// Each points at the figure in the value as written; in a value YAML changed (folded lines,
/// escapes), at the same text found in it, or else at the value's first line.
pub fn typed_figures(nb: &Notebook) -> Vec<Diagnostic> {
    use crate::prose::lint;
    let front = &nb.front;
    let file = &nb.source;
    let fields = [
        ("title", Some(&front.title)),
        ("lede", front.lede.as_ref()),
        ("description", front.description.as_ref()),
        ("blurb", front.blurb.as_ref()),
        ("headline", front.headline.as_ref()),
    ];
    let mut out = Vec::new();
    for (key, value) in fields {
        let Some(source) = value else { continue };
        let Some(written) = front.value_span(&[key]) else { continue };
        let start = value_start(file, &written, source);
        let as_written = file.text.get(written.clone()).unwrap_or("");
        // In a value YAML changed, each figure is sought after the last one found; once one is
        // not found (written with an escape), the rest are placed at the value's first line.
        let first_line = written.start..file.line_span(file.line_col(written.start).0).end.min(written.end);
        let mut from = Some(0);
        let mut place = |at: std::ops::Range<usize>, exact: bool, needle: &str| match (start, exact) {
            (Some(start), true) => start + at.start..start + at.end,
            _ => match from.and_then(|from| Some(from + as_written.get(from..)?.find(needle)?)) {
                Some(found) => {
                    from = Some(found + needle.len());
                    written.start + found..written.start + found + needle.len()
                }
                None => {
                    from = None;
                    first_line.clone()
                }
            },
        };
        let place_name = format!("`{key}`");
        // A literal's quotes must not close the value's own.
        let quote = if as_written.starts_with('\'') { '"' } else { '\'' };
        let mut found = Vec::new();
        for f in lint::figures(source, &lint::template_tags(source)) {
            found.push((f.span.start, f.span.clone(), true, f, None));
        }
        for q in crate::template::quoted_texts(source) {
            for f in lint::figures(&q.text, &[]) {
                let at = q.span.start + 1 + f.span.start..q.span.start + 1 + f.span.end;
                found.push((q.span.start, at, q.exact, f, Some(q.clone())));
            }
        }
        found.sort_by_key(|f| f.0);
        for (_, at, exact, f, quoted) in found {
            let text = match &quoted {
                Some(q) => &q.text[f.span.clone()],
                None => &source[f.span.clone()],
            };
            let span = place(at, exact, text);
            let (place, literal) = match &quoted {
                Some(q) => {
                    (format!("{place_name}, in quotes"), lint::shown(source.get(q.span.clone()).unwrap_or("'…'")))
                }
                None => (place_name.clone(), format!("{quote}{}{quote}", lint::shown(text))),
            };
            out.push(lint::warning(file, span, text, f.kind, f.range, &place, &literal));
        }
    }
    lint::capped(out)
}

//! Figures embedded from other notebooks: `figure("slug", "label")` in prose shows a labelled
//! chart of another notebook, numbered as its own page numbers it, linking back there.

use std::collections::HashMap;

use super::planner::shown;
use crate::html::escape_html;

/// The charts of other notebooks a page may embed with `figure("slug", "label")`, and those
/// pages' titles for the link back.
#[derive(Debug, Clone, Default)]
pub struct Embeddable {
    pub exports: HashMap<String, crate::exec::Exports>,
    pub titles: HashMap<String, String>,
}

/// The HTML of a figure embedded from another notebook with `figure("slug", "label")`.
pub(super) fn embed_html(slug: &str, label: &str, embeddable: &Embeddable, png: bool) -> Result<String, String> {
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

//! Figures embedded from other notebooks: `figure("slug", "label")` in prose shows a labelled
//! chart of another notebook, numbered as its own page numbers it, linking back there.

use std::collections::HashMap;

use super::planner::shown;
use crate::chart::ChartSpec;
use crate::html::escape_html;
use crate::render::cell::ChartFile;
use crate::template::EmbedRequest;

/// The charts of other notebooks a page may embed with `figure("slug", "label")`, and those
/// pages' titles for the link back.
#[derive(Debug, Clone, Default)]
pub struct Embeddable {
    pub exports: HashMap<String, crate::exec::Exports>,
    pub titles: HashMap<String, String>,
}

/// The HTML of a figure embedded from another notebook with `figure("slug", "label")`, and,
/// when the call redraws it on its own bounds, the chart file written beside the page as
/// `name` (the drawing the download links offer).
pub(super) fn embed_html(
    request: &EmbedRequest,
    name: &str,
    embeddable: &Embeddable,
    png: bool,
) -> Result<(String, Option<ChartFile>), String> {
    let EmbedRequest { slug, label, bounds } = request;
    let Some(figure) = embeddable.exports.get(slug).and_then(|e| e.figures().get(label)) else {
        return Ok((String::new(), None));
    };
    let alt = figure.alt.clone().or_else(|| figure.caption.clone()).or_else(|| figure.spec.title.clone());
    let alt = alt.as_deref().unwrap_or(label);
    let fail = |m: String| format!("figure(\"{slug}\", \"{label}\"): {m}");
    let (body, file) = match bounds {
        None => {
            let drawings = crate::render::cell::chart_drawings(&figure.spec, alt).map_err(fail)?;
            (format!("{drawings}{}", crate::render::cell::downloads(&format!("../{slug}/{label}"), png)), None)
        }
        Some(bounds) => {
            let spec = ChartSpec { bounds: *bounds, ..figure.spec.clone() };
            let drawn = crate::render::cell::draw_named(&spec, alt, name.to_string(), png).map_err(fail)?;
            (drawn.html, Some(drawn.file))
        }
    };
    let title = embeddable.titles.get(slug).cloned().unwrap_or_else(|| slug.to_string());
    let caption = shown(&figure.number, figure.caption.as_deref());
    let html = format!(
        "<figure class=\"nb-figure nb-embed\" id=\"embed-{slug}-{label}\"><figcaption class=\"xref-label\">{} <span class=\"embed-source\">(from <a href=\"../{slug}/#{label}\">{}</a>)</span></figcaption>{body}</figure>",
        escape_html(&caption),
        escape_html(&title),
        slug = escape_html(slug),
        label = escape_html(label),
    );
    Ok((html, file))
}

/// The names of the files written beside the page for the embeds redrawn on their own bounds:
/// `embed-slug-label`, numbered from the second redraw of the same chart. Cells' charts are
/// named `fig-…` or `cell-…`, so the names never meet.
pub(super) fn embed_names(requests: &[EmbedRequest]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(requests.len());
    for r in requests {
        let base = format!("embed-{}-{}", r.slug, r.label);
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        names.push(name);
    }
    names
}

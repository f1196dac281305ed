//! One page: the frontmatter's text fields, the body, the related cards and the neighbours,
//! through the theme's page template.

use std::collections::HashMap;
use std::sync::Arc;

use super::run::Run;
use super::texts::FrontTexts;
use crate::diag::{Code, Diagnostic};
use crate::notebook::{self, Notebook, Related};
use crate::prose::{self, Body};
use crate::render::{self, Card, Link, PageContext, PageInfo, SiteInfo, Theme};
use crate::template::ProseTemplates;

/// What every page of a build shares.
pub(crate) struct Site<'a> {
    pub notebooks: &'a [Notebook],
    pub slugs: &'a HashMap<String, usize>,
    /// Notebooks left out of a one-page build because they have errors.
    pub unparsed: &'a super::graph::Unparsed,
    pub runs: &'a [Option<Arc<Run>>],
    /// Each notebook's expanded frontmatter texts, when it ran.
    pub texts: &'a [Option<FrontTexts>],
    pub order: &'a super::index::Order,
    pub templates: &'a ProseTemplates,
    pub theme: &'a Theme,
    pub info: &'a SiteInfo,
    /// Charts are also drawn as PNG (`--png`).
    pub png: bool,
}

/// A rendered page and the charts to write beside it.
pub(crate) struct Page {
    pub html: String,
    pub body: Body,
}

/// Renders notebook `i`, which has run.
pub(crate) fn render_page(i: usize, site: &Site<'_>) -> Result<Page, Vec<Diagnostic>> {
    let nb = &site.notebooks[i];
    let (Some(run), Some(texts)) = (&site.runs[i], &site.texts[i]) else { return Err(Vec::new()) };
    let mut diagnostics = Vec::new();
    let related = related_cards(nb, site, &mut diagnostics);
    let prefix = nb.front.prefix.clone().unwrap_or_else(|| nb.slug());
    let mut embeddable = prose::Embeddable::default();
    for r in super::graph::figure_refs(nb) {
        let Some(&j) = site.slugs.get(&r.slug) else { continue };
        if let Some(run) = &site.runs[j] {
            embeddable.exports.insert(r.slug.clone(), run.executed.exports.clone());
        }
        if let Some(texts) = &site.texts[j] {
            embeddable.titles.insert(r.slug.clone(), texts.title.clone());
        }
    }
    let body = match prose::render_body(
        nb,
        &run.executed,
        site.templates,
        &run.scope,
        &prefix,
        &embeddable,
        site.png,
        &site.theme.ids,
    ) {
        Ok(b) => Some(b),
        Err(mut d) => {
            diagnostics.append(&mut d);
            None
        }
    };
    let Some(body) = body.filter(|_| diagnostics.is_empty()) else { return Err(diagnostics) };
    let slug = nb.slug();
    let canonical = site.info.base_url.as_ref().map(|b| format!("{}/{slug}/", b.trim_end_matches('/')));
    let link = |j: usize| {
        site.texts[j]
            .as_ref()
            .map(|t| Link { title: t.title.clone(), href: format!("../{}/", site.notebooks[j].slug()) })
    };
    let (prev, next) = site.order.neighbours(i);
    let ctx = PageContext {
        site: site.info.clone(),
        page: PageInfo {
            title: texts.title.clone(),
            description: texts.description.clone(),
            lede: texts.lede.clone(),
            section: nb.front.section.clone(),
            group: nb.front.group.clone(),
            notebook: nb.front.notebook.clone().unwrap_or_else(|| format!("{}.ipynb", notebook::stem(&nb.path))),
            cell: nb.front.cell.unwrap_or(site.order.position(i) as u32 + 1),
            slug,
            updated: nb.front.updated.clone(),
            canonical,
        },
        related,
        prev: prev.and_then(link),
        next: next.and_then(link),
        assets: "../assets/".to_string(),
        home: "../".to_string(),
        generator: format!("nbrender {}", env!("CARGO_PKG_VERSION")),
    };
    let html = render::page_html(site.theme, &ctx, &body.html, &body.faq).map_err(|d| vec![d])?;
    Ok(Page { html, body })
}

fn related_cards(nb: &Notebook, site: &Site<'_>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Card> {
    let mut cards = Vec::new();
    for (index, entry) in nb.front.related.iter().enumerate() {
        let (slug, title, blurb, href) = match entry {
            Related::Slug(s) => (Some(s.clone()), None, None, None),
            Related::Entry(e) => (e.slug.clone(), e.title.clone(), e.blurb.clone(), e.href.clone()),
        };
        if let Some(href) = href {
            if let Some(why) = href_problem(&href) {
                let written = nb.front.related_span(index, Some("href")).unwrap_or_else(|| nb.source.line_span(1));
                diagnostics.push(
                    Diagnostic::error(
                        Code::FrontmatterBadHref,
                        format!("the related link `{}` {why}", href.escape_debug()),
                    )
                    .at(&nb.source, written)
                    .with_hint("external links start with https://; links inside the site are paths such as `../other/` or `/pay/`"),
                );
                continue;
            }
            cards.push(Card {
                title: title.clone().unwrap_or_else(|| href.clone()),
                blurb: blurb.unwrap_or_default(),
                href,
                external: true,
            });
            continue;
        }
        let Some(slug) = slug else { continue };
        let Some(&target) = site.slugs.get(&slug) else {
            let written = nb.front.related_span(index, Some("slug")).unwrap_or_else(|| nb.source.line_span(1));
            diagnostics.push(
                Diagnostic::error(
                    Code::SiteUnknownSlug,
                    format!("`related` names `{slug}`, but no notebook has that slug"),
                )
                .at(&nb.source, written)
                .with_suggestion(&slug, site.slugs.keys().map(String::as_str))
                .or_hint("a notebook's slug is its `slug:` or its file name without `.md`")
                .hinted(site.unparsed.hint(&slug)),
            );
            continue;
        };
        // A target with errors has reported them already.
        let Some(texts) = site.texts.get(target).and_then(Option::as_ref) else { continue };
        cards.push(Card {
            title: title.unwrap_or_else(|| texts.title.clone()),
            blurb: blurb.unwrap_or_else(|| texts.blurb.clone()),
            href: format!("../{slug}/"),
            external: false,
        });
    }
    cards
}

/// Why a `related:` link cannot be used, if it cannot: it must be http(s), or a path of this
/// site. A browser reads `//host` as another site, reads `\` as `/` and drops tabs and
/// newlines, so `/\host` and `/<tab>/host` leave the site too.
fn href_problem(href: &str) -> Option<&'static str> {
    if href.chars().any(|c| c == '\\' || c.is_control()) {
        Some(
            "has a backslash or a control character: browsers read `\\` as `/` and drop tabs and newlines, so it may lead to another site",
        )
    } else if href.starts_with("https://") || href.starts_with("http://") || href.starts_with("../") {
        None
    } else if href.starts_with("//") {
        Some("has no scheme, so browsers read it as another site's address")
    } else if href.starts_with('/') {
        None
    } else {
        Some("is not an http(s) or relative URL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_links_that_leave_the_site_are_refused() {
        for fine in ["https://example.com/pay", "http://example.com", "../other/", "/pay/", "/"] {
            assert_eq!(href_problem(fine), None, "{fine}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "\\/evil",
            "javascript:x",
            "evil.example",
        ] {
            assert!(href_problem(bad).is_some(), "{bad}");
        }
    }
}

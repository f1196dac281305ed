//! One page: the frontmatter's text fields, the body, the related cards and the neighbours,
//! through the theme's page template. What the page needs from the rest of the site comes in
//! as data ([`PageInput`]) and through [`Pages`], which the site implements.

use super::texts::FrontTexts;
use super::{Card, Link, PageContext, PageInfo, SiteInfo, Theme};
use crate::diag::{Code, Diagnostic};
use crate::exec::Executed;
use crate::manifest::PageManifest;
use crate::notebook::{self, Notebook, Related};
use crate::prose::{self, Body, Embeddable};
use crate::template::{ProseTemplates, Scope};

/// What one page is made of: its notebook after its run, and what the site gives it.
pub struct PageInput<'a> {
    pub notebook: &'a Notebook,
    pub executed: &'a Executed,
    pub scope: &'a Scope,
    pub texts: &'a FrontTexts,
    /// The page's place in the site, from 0: its prompt reads `In [place + 1]` unless the
    /// frontmatter's `cell:` says.
    pub place: usize,
    pub prev: Option<Link>,
    pub next: Option<Link>,
    /// For a member of a family: the family's landing page.
    pub family: Option<Link>,
    /// The charts of other notebooks it may embed.
    pub embeddable: Embeddable,
}

/// What every page of a build shares.
pub struct Shared<'a> {
    pub templates: &'a ProseTemplates,
    pub theme: &'a Theme,
    pub info: &'a SiteInfo,
    /// Charts are also drawn as PNG (`--png`).
    pub png: bool,
}

/// What a page's `related:` entry finds in the site.
pub enum Found<'a> {
    /// A notebook of the site, with its texts unless it has errors (reported already).
    Page(Option<&'a FrontTexts>),
    /// No notebook has the slug: the error, to which the site adds what it knows.
    Missing,
}

/// The other pages of the site, as a page's related cards see them.
pub trait Pages {
    fn find(&self, slug: &str) -> Found<'_>;
    /// Adds to the error about `slug`, which no notebook has, what the site can say: a slug
    /// it may have meant, or the notebook with errors that would have had it.
    fn explain_missing(&self, slug: &str, error: Diagnostic) -> Diagnostic;
}

/// A rendered page and the charts to write beside it.
pub struct Page {
    pub html: String,
    pub body: Body,
    /// The values it publishes.
    pub manifest: PageManifest,
}

/// Renders one page: every diagnostic of its body and cards is collected.
pub fn render_page(input: PageInput<'_>, pages: &dyn Pages, shared: &Shared<'_>) -> Result<Page, Vec<Diagnostic>> {
    let nb = input.notebook;
    let mut diagnostics = Vec::new();
    let related = related_cards(nb, pages, &mut diagnostics);
    let prefix = nb.front.prefix.clone().unwrap_or_else(|| nb.slug());
    // Notebooks are the files of one folder: the file's name is its path there.
    let file = nb.path.file_name().map_or_else(|| nb.source.name.clone(), |n| n.to_string_lossy().into_owned());
    let body = prose::render_body(
        nb,
        input.executed,
        shared.templates,
        input.scope,
        &prefix,
        &input.embeddable,
        shared.png,
        &shared.theme.ids,
        &file,
    );
    let body = match body {
        Ok(body) if diagnostics.is_empty() => body,
        Ok(_) => return Err(diagnostics),
        Err(mut d) => {
            diagnostics.append(&mut d);
            return Err(diagnostics);
        }
    };
    let texts = input.texts;
    let ctx = PageContext {
        site: shared.info.clone(),
        page: page_info(nb, texts, input.place, shared.info),
        related,
        prev: input.prev,
        next: input.next,
        family: input.family,
        assets: "../assets/".to_string(),
        home: "../".to_string(),
        generator: format!("nbrender {}", env!("CARGO_PKG_VERSION")),
    };
    let html = super::page_html(shared.theme, &ctx, &body.html, &body.faq).map_err(|d| vec![d])?;
    let manifest = page_manifest(&ctx.page.slug, texts, &file, &body);
    Ok(Page { html, body, manifest })
}

/// What a page's template knows of it: its texts, its place, its notebook, its URL.
pub fn page_info(nb: &Notebook, texts: &FrontTexts, place: usize, info: &crate::render::SiteInfo) -> PageInfo {
    let slug = nb.slug();
    let canonical = info.base_url.as_ref().map(|b| format!("{}/{slug}/", b.trim_end_matches('/')));
    PageInfo {
        title: texts.title.clone(),
        description: texts.description.clone(),
        lede: texts.lede.clone(),
        section: nb.front.section.clone(),
        group: nb.front.group.clone(),
        notebook: notebook_name(nb),
        cell: nb.front.cell.unwrap_or(place as u32 + 1),
        slug,
        updated: nb.front.updated.clone(),
        canonical,
    }
}

/// The notebook a page shows in its prompt: `notebook:`, or the file's name as `.ipynb`; for
/// a member of a family, its own run, named by its slug.
pub fn notebook_name(nb: &Notebook) -> String {
    match &nb.member {
        Some(m) => format!("{}.ipynb", m.slug),
        None => nb.front.notebook.clone().unwrap_or_else(|| format!("{}.ipynb", notebook::stem(&nb.path))),
    }
}

/// The figures a page publishes: its frontmatter texts' values, then its body's.
fn page_manifest(slug: &str, texts: &FrontTexts, file: &str, body: &Body) -> PageManifest {
    let front = texts.figures.iter().cloned().map(|mut f| {
        f.at = format!("{file}:{}", f.at);
        f
    });
    PageManifest {
        version: crate::manifest::VERSION,
        page: slug.to_string(),
        title: texts.title.clone(),
        notebook: file.to_string(),
        figures: crate::manifest::keyed(front.chain(body.figures.iter().cloned()).collect()),
    }
}

fn related_cards(nb: &Notebook, pages: &dyn Pages, diagnostics: &mut Vec<Diagnostic>) -> Vec<Card> {
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
        let texts = match pages.find(&slug) {
            Found::Page(texts) => texts,
            Found::Missing => {
                let written = nb.front.related_span(index, Some("slug")).unwrap_or_else(|| nb.source.line_span(1));
                let error = Diagnostic::error(
                    Code::SiteUnknownSlug,
                    format!("`related` names `{slug}`, but no notebook has that slug"),
                )
                .at(&nb.source, written);
                diagnostics.push(pages.explain_missing(&slug, error));
                continue;
            }
        };
        // A target with errors has reported them already.
        let Some(texts) = texts else { continue };
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

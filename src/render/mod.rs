//! Stage 6, page: the page context, the JSON-LD, and the theme's templates (compiled in,
//! overridable file by file with `--theme DIR`).

pub mod cell;

use std::path::Path;

use serde_json::{Value as Json, json};

use crate::template::{PageTemplates, TemplateError};

/// The default theme, compiled into the binary.
pub const DEFAULT_THEME: &[(&str, &str)] = &[
    ("page.html", include_str!("../../themes/notebook/page.html")),
    ("index.html", include_str!("../../themes/notebook/index.html")),
    ("style.css", include_str!("../../themes/notebook/style.css")),
];

/// A theme: its page templates and the assets written once per site.
pub struct Theme {
    pub templates: PageTemplates,
    pub assets: Vec<(String, Vec<u8>)>,
}

impl Theme {
    /// The default theme with any files of `dir` replacing their namesakes.
    pub fn load(dir: Option<&Path>) -> Result<Theme, String> {
        let mut files: Vec<(String, Vec<u8>)> =
            DEFAULT_THEME.iter().map(|(n, s)| ((*n).to_string(), s.as_bytes().to_vec())).collect();
        if let Some(dir) = dir {
            let entries =
                std::fs::read_dir(dir).map_err(|e| format!("cannot read theme folder `{}`: {e}", dir.display()))?;
            let mut names: Vec<_> =
                entries.filter_map(Result::ok).filter(|e| e.path().is_file()).map(|e| e.path()).collect();
            names.sort();
            for path in names {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("cannot read theme file `{}`: {e}", path.display()))?;
                match files.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = bytes,
                    None => files.push((name, bytes)),
                }
            }
        }
        let mut templates = Vec::new();
        let mut assets = Vec::new();
        for (name, bytes) in files {
            if name.ends_with(".html") {
                let text = String::from_utf8(bytes).map_err(|_| format!("theme template `{name}` is not UTF-8"))?;
                templates.push((name, text));
            } else {
                assets.push((name, bytes));
            }
        }
        let templates = PageTemplates::new(templates).map_err(|e: TemplateError| e.message)?;
        Ok(Theme { templates, assets })
    }
}

/// A related-section card.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Card {
    pub title: String,
    pub blurb: String,
    pub href: String,
    pub external: bool,
}

/// A link to another page of the site.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Link {
    pub title: String,
    pub href: String,
}

/// Everything a page template sees, besides the safe HTML strings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageContext {
    pub site: SiteInfo,
    pub page: PageInfo,
    pub related: Vec<Card>,
    /// The pages before and after this one in its group.
    pub prev: Option<Link>,
    pub next: Option<Link>,
    /// Relative path to the assets folder and to the site index.
    pub assets: String,
    pub home: String,
    pub generator: String,
}

/// What `index.html` sees: every page by group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexContext {
    pub site: SiteInfo,
    pub groups: Vec<IndexGroup>,
    pub assets: String,
    pub home: String,
    pub generator: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexGroup {
    pub name: Option<String>,
    pub pages: Vec<IndexPage>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexPage {
    pub title: String,
    pub href: String,
    pub section: Option<String>,
    /// The computed figure the page leads with.
    pub headline: String,
    pub blurb: String,
}

/// Renders the site index with the theme's `index.html`.
pub fn index_html(theme: &Theme, ctx: &IndexContext) -> Result<String, String> {
    let mut json_ld = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": ctx.site.title,
    });
    if let Some(url) = &ctx.site.base_url {
        json_ld["url"] = Json::from(url.as_str());
    }
    let context = serde_json::to_value(ctx).map_err(|e| e.to_string())?;
    theme.templates.render("index.html", &context, &[("json_ld", &script_safe_json(&json_ld))]).map_err(|e| e.message)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteInfo {
    pub title: Option<String>,
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PageInfo {
    pub title: String,
    pub lede: String,
    pub description: String,
    pub section: Option<String>,
    pub group: Option<String>,
    pub notebook: String,
    pub cell: u32,
    pub slug: String,
    pub updated: Option<String>,
    pub canonical: Option<String>,
}

/// Renders a page with the theme's `page.html`.
pub fn page_html(theme: &Theme, ctx: &PageContext, body: &str, faq: &[(String, String)]) -> Result<String, String> {
    let json_ld = json_ld(ctx, faq);
    let context = serde_json::to_value(ctx).map_err(|e| e.to_string())?;
    theme.templates.render("page.html", &context, &[("body", body), ("json_ld", &json_ld)]).map_err(|e| e.message)
}

/// schema.org Article and, when the page has a FAQ, FAQPage, as JSON safe inside `<script>`.
pub fn json_ld(ctx: &PageContext, faq: &[(String, String)]) -> String {
    let mut article = json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": ctx.page.title,
        "description": ctx.page.description,
    });
    if let Some(updated) = &ctx.page.updated {
        article["dateModified"] = Json::from(updated.as_str());
    }
    if let Some(url) = &ctx.page.canonical {
        article["url"] = Json::from(url.as_str());
    }
    let mut graph = vec![article];
    if !faq.is_empty() {
        let entities: Vec<Json> = faq
            .iter()
            .map(|(q, a)| json!({ "@type": "Question", "name": q, "acceptedAnswer": { "@type": "Answer", "text": a } }))
            .collect();
        graph.push(json!({ "@context": "https://schema.org", "@type": "FAQPage", "mainEntity": entities }));
    }
    script_safe_json(&Json::Array(graph))
}

/// JSON that cannot close its `<script>` element or open a comment.
pub fn script_safe_json(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_break_out_of_its_script() {
        let s = script_safe_json(&json!({ "a": "</script><!--" }));
        assert!(!s.contains('<'));
        let back: Json = serde_json::from_str(&s).unwrap();
        assert_eq!(back["a"], "</script><!--");
    }

    #[test]
    fn default_theme_compiles() {
        assert!(Theme::load(None).is_ok());
    }
}

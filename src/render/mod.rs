//! Stage 6, page: the page context, the JSON-LD, and the theme's templates (compiled in,
//! overridable file by file with `--theme DIR`).

pub mod cell;
pub mod page;
pub mod texts;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value as Json, json};

use crate::diag::{Code, Diagnostic, SourceFile};
use crate::template::{PageTemplates, TemplateError};

/// The default theme, compiled into the binary.
pub const DEFAULT_THEME: &[(&str, &str)] = &[
    ("page.html", include_str!("../../themes/notebook/page.html")),
    ("index.html", include_str!("../../themes/notebook/index.html")),
    ("family.html", include_str!("../../themes/notebook/family.html")),
    ("style.css", include_str!("../../themes/notebook/style.css")),
];

/// A theme: its page templates and the assets written once per site.
pub struct Theme {
    pub templates: PageTemplates,
    pub assets: Vec<(String, Vec<u8>)>,
    /// The templates read from the theme folder, by name, to locate their errors in the file.
    files: HashMap<String, Arc<SourceFile>>,
    /// The fuel each render has for its own work (`limits: theme_fuel`), on top of what it is
    /// given to show: see [`Theme::fuel_for`].
    pub fuel: u64,
    /// A hash of every file of the theme, for `serve` to see it change.
    pub fingerprint: u64,
    /// The ids the theme's templates write (`id="content"`): no heading of a page may take one.
    pub ids: Vec<String>,
}

/// The ids a template writes as literal attributes: `id="content"` (not `id="{{ x }}"`).
fn literal_ids(text: &str) -> Vec<String> {
    text.match_indices("id=\"")
        .filter(|(i, _)| *i == 0 || text.as_bytes()[i - 1].is_ascii_whitespace())
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let id = &rest[..rest.find('"')?];
            (!id.is_empty() && !id.contains(['{', '}', '<', '>', ' '])).then(|| id.to_string())
        })
        .collect()
}

/// `limits: theme_fuel` when `_site.yaml` does not say. The default theme's page takes about
/// 150 fuel besides its body, so this is far more than a theme needs, yet a runaway template
/// stops within a second, having made at most 64 MB (fuel pays for 64 bytes a unit).
pub const DEFAULT_THEME_FUEL: u64 = 1_000_000;

/// The fuel a render gets for each page it lists (the index lists every page), on top of
/// `theme_fuel`: the default index takes 34 a page, so three times that. The index of a
/// 100,000-page site gets about 12 million fuel, and a runaway one stops having made at most
/// 0.8 GB.
const FUEL_PER_PAGE: u64 = 100;

/// The fuel a render gets for each 16 bytes of text it is given (a page's body, its JSON-LD, the
/// titles and blurbs of the index): enough to write all of it out four times.
const BYTES_PER_FUEL: u64 = 16;

impl Theme {
    /// The default theme with any files of `dir` replacing their namesakes. Subfolders are not
    /// theme files. A link that leads out of `dir` is refused, not followed, and so is
    /// anything that is not a regular file (a FIFO would block the build).
    pub fn load(dir: Option<&Path>) -> Result<Theme, Diagnostic> {
        let mut files: Vec<(String, Vec<u8>, Option<PathBuf>)> =
            DEFAULT_THEME.iter().map(|(n, s)| ((*n).to_string(), s.as_bytes().to_vec(), None)).collect();
        if let Some(dir) = dir {
            for (name, path) in theme_files(dir)? {
                let bytes = std::fs::read(&path).map_err(|e| {
                    Diagnostic::error(Code::ThemeLoad, format!("cannot read theme file `{}`: {e}", path.display()))
                })?;
                match files.iter_mut().find(|(n, _, _)| *n == name) {
                    Some(slot) => *slot = (name, bytes, Some(path)),
                    None => files.push((name, bytes, Some(path))),
                }
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        files.iter().for_each(|(name, bytes, _)| (name, bytes).hash(&mut hasher));
        let mut templates = Vec::new();
        let mut assets = Vec::new();
        let mut sources = HashMap::new();
        let mut ids = Vec::new();
        for (name, bytes, path) in files {
            if !name.ends_with(".html") {
                assets.push((name, bytes));
                continue;
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                let shown = template_name(&name, path.as_ref().map(|p| p.display().to_string()).as_deref());
                Diagnostic::error(Code::ThemeLoad, format!("theme template {shown} is not UTF-8"))
            })?;
            if let Some(path) = path {
                sources.insert(name.clone(), Arc::new(SourceFile::new(path.display().to_string(), text.clone())));
            }
            ids.extend(literal_ids(&text));
            templates.push((name, text));
        }
        ids.sort();
        ids.dedup();
        let templates = PageTemplates::new(templates).map_err(|(name, e)| {
            let file = sources.get(&name);
            let shown = template_name(&name, file.map(|f| f.name.as_str()));
            let d = Diagnostic::error(Code::ThemeLoad, format!("theme template {shown}: {}", e.message));
            locate(d, file, &e).with_hint("fix the template's syntax")
        })?;
        Ok(Theme { templates, assets, files: sources, fuel: DEFAULT_THEME_FUEL, fingerprint: hasher.finish(), ids })
    }

    /// The fuel for rendering a template that lists `pages` pages and is given `text` bytes to
    /// show: `theme_fuel`, plus 100 a page, plus one per 16 bytes.
    fn fuel_for(&self, pages: usize, text: usize) -> u64 {
        let given = (pages as u64).saturating_mul(FUEL_PER_PAGE).saturating_add(text as u64 / BYTES_PER_FUEL);
        self.fuel.saturating_add(given)
    }

    /// Renders the template `name`; an error names the template, and the line in its file.
    fn render(&self, name: &str, context: &Json, safe: &[(&str, &str)], pages: usize) -> Result<String, Diagnostic> {
        let text = text_len(context) + safe.iter().map(|(_, s)| s.len()).sum::<usize>();
        let fuel = self.fuel_for(pages, text);
        self.templates.render(name, context, safe, fuel).map_err(|e| {
            let file = self.files.get(name);
            let shown = template_name(name, file.map(|f| f.name.as_str()));
            let d = if e.kind == crate::template::TemplateKind::OutOfFuel {
                Diagnostic::error(
                    Code::ThemeRender,
                    format!(
                        "theme template {shown} ran out of fuel: it did more work than `limits: theme_fuel` allows, {} fuel plus {} for what it was given to show",
                        crate::format::num(self.fuel as f64),
                        crate::format::num((fuel - self.fuel) as f64)
                    ),
                )
                .with_hint("look for a loop that does not end; if the template needs more, raise `theme_fuel` under `limits:` in `_site.yaml`")
            } else {
                Diagnostic::error(Code::ThemeRender, format!("theme template {shown}: {}", e.message))
                    .with_hint("fix the theme template named above")
            };
            locate(d, file, &e)
        })
    }
}

/// The theme files of `dir`, by name, sorted: its regular files, and its links to regular
/// files that stay inside it.
fn theme_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, Diagnostic> {
    let load_error = |message: String| Diagnostic::error(Code::ThemeLoad, message);
    let entries =
        std::fs::read_dir(dir).map_err(|e| load_error(format!("cannot read theme folder `{}`: {e}", dir.display())))?;
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(mut kind) = entry.file_type() else { continue };
        if kind.is_symlink() {
            let real = match path.canonicalize() {
                Ok(real) => real,
                // A link to nothing, such as an editor's lock file: nothing to publish.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(load_error(format!("cannot read theme file `{}`: {e}", path.display()))),
            };
            if !real.starts_with(&root) {
                return Err(load_error(format!(
                    "theme file `{}` is a symbolic link to `{}`, outside the theme folder",
                    path.display(),
                    real.display()
                ))
                .with_hint("copy the file into the theme folder: nbrender does not follow a theme's links out of it"));
            }
            let Ok(meta) = std::fs::metadata(&real) else { continue };
            kind = meta.file_type();
        }
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(load_error(format!("theme file `{}` is not a regular file", path.display()))
                .with_hint("remove it from the theme folder (a FIFO, socket or device cannot be a theme file)"));
        }
        found.push((entry.file_name().to_string_lossy().into_owned(), path));
    }
    found.sort();
    Ok(found)
}

/// How a message names a template: by its file, or as built in.
fn template_name(name: &str, file: Option<&str>) -> String {
    file.map_or_else(|| format!("the built-in `{name}`"), |f| format!("`{f}`"))
}

/// Places a template's diagnostic in its file, when the theme folder gave the template.
fn locate(d: Diagnostic, file: Option<&Arc<SourceFile>>, e: &TemplateError) -> Diagnostic {
    match (file, &e.range, e.line) {
        (Some(file), Some(range), _) if file.text.get(range.clone()).is_some() => d.at(file, range.clone()),
        (Some(file), _, Some(line)) => d.at(file, file.line_span(line)),
        _ => d,
    }
}

/// The bytes of text in a template's context.
fn text_len(v: &Json) -> usize {
    match v {
        Json::String(s) => s.len(),
        Json::Array(items) => items.iter().map(text_len).sum(),
        Json::Object(map) => map.iter().map(|(k, v)| k.len() + text_len(v)).sum(),
        _ => 8,
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
    /// The pages before and after this one in its group (in its family, for a member).
    pub prev: Option<Link>,
    pub next: Option<Link>,
    /// For a page of a family: the family's landing page.
    pub family: Option<Link>,
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

/// What `family.html` sees: a family's landing page, listing its members.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FamilyContext {
    pub site: SiteInfo,
    pub page: PageInfo,
    /// The parameters the members vary, in `pages:` order: the list's columns.
    pub params: Vec<String>,
    pub members: Vec<FamilyMember>,
    pub assets: String,
    pub home: String,
    pub generator: String,
}

/// One member on its family's landing page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FamilyMember {
    pub title: String,
    pub slug: String,
    pub href: String,
    /// Its parameters' values, as text, in the order of `FamilyContext::params`.
    pub values: Vec<String>,
    /// Its `headline:`, expanded, when it ran (empty otherwise).
    pub headline: String,
}

/// Renders a family's landing page with the theme's `family.html`.
pub fn family_html(theme: &Theme, ctx: &FamilyContext) -> Result<String, Diagnostic> {
    let mut list = json!({
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": ctx.page.title,
    });
    if !ctx.page.description.is_empty() {
        list["description"] = Json::from(ctx.page.description.as_str());
    }
    if let Some(url) = &ctx.page.canonical {
        list["url"] = Json::from(url.as_str());
    }
    let base = ctx.site.base_url.as_deref().map(|b| b.trim_end_matches('/'));
    let items: Vec<Json> = ctx
        .members
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let mut item = json!({ "@type": "ListItem", "position": n + 1, "name": m.title });
            if let Some(base) = base {
                item["url"] = Json::from(format!("{base}/{}/", m.slug));
            }
            item
        })
        .collect();
    list["mainEntity"] = json!({ "@type": "ItemList", "numberOfItems": items.len(), "itemListElement": items });
    let context = serde_json::to_value(ctx).map_err(|e| Diagnostic::error(Code::Internal, e.to_string()))?;
    theme.render("family.html", &context, &[("json_ld", &script_safe_json(&list))], ctx.members.len())
}

/// Renders the site index with the theme's `index.html`.
pub fn index_html(theme: &Theme, ctx: &IndexContext) -> Result<String, Diagnostic> {
    let mut json_ld = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": ctx.site.title,
    });
    if let Some(url) = &ctx.site.base_url {
        json_ld["url"] = Json::from(url.as_str());
    }
    let context = serde_json::to_value(ctx).map_err(|e| Diagnostic::error(Code::Internal, e.to_string()))?;
    let pages = ctx.groups.iter().map(|g| g.pages.len()).sum();
    theme.render("index.html", &context, &[("json_ld", &script_safe_json(&json_ld))], pages)
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
pub fn page_html(theme: &Theme, ctx: &PageContext, body: &str, faq: &[(String, String)]) -> Result<String, Diagnostic> {
    let json_ld = json_ld(ctx, faq);
    let context = serde_json::to_value(ctx).map_err(|e| Diagnostic::error(Code::Internal, e.to_string()))?;
    let pages = ctx.related.len() + usize::from(ctx.prev.is_some()) + usize::from(ctx.next.is_some());
    theme.render("page.html", &context, &[("body", body), ("json_ld", &json_ld)], pages)
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

    fn page_context() -> PageContext {
        PageContext {
            site: SiteInfo { title: Some("Site".into()), base_url: None },
            page: PageInfo {
                title: "T".into(),
                lede: String::new(),
                description: String::new(),
                section: None,
                group: None,
                notebook: "t.ipynb".into(),
                cell: 1,
                slug: "t".into(),
                updated: None,
                canonical: None,
            },
            related: Vec::new(),
            prev: None,
            next: None,
            family: None,
            assets: "../assets/".into(),
            home: "../".into(),
            generator: "nbrender".into(),
        }
    }

    /// A theme folder holding one `page.html`.
    fn theme_with_page(page: &str) -> (tempfile::TempDir, Theme) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("page.html"), page).unwrap();
        let theme = Theme::load(Some(dir.path())).unwrap();
        (dir, theme)
    }

    /// Renders `page.html` on another thread; fails the test if it has not finished in time.
    fn render_page_within(theme: Theme, seconds: u64) -> Result<String, String> {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(page_html(&theme, &page_context(), "<p>body</p>", &[]).map_err(|e| format!("{e:?}")));
        });
        receive.recv_timeout(std::time::Duration::from_secs(seconds)).expect("the theme template did not stop")
    }

    #[test]
    fn a_runaway_theme_template_is_stopped() {
        let runaway = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{{ j }}{% endfor %}{% endfor %}";
        let (_dir, theme) = theme_with_page(runaway);
        let started = std::time::Instant::now();
        let e = render_page_within(theme, 30).unwrap_err();
        assert!(e.contains("page.html") && e.contains("theme_fuel"), "{e}");
        eprintln!("runaway stopped after {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    }

    #[test]
    fn theme_templates_cannot_build_huge_strings() {
        for huge in [
            "{{ \"x\" * 100000000 }}",
            "{% set ns = namespace(s=\"x\" * 1000) %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            "{{ (\"a\\n\" * 100000) | indent(1000) | length }}",
            "{{ (\"x\" * 10000) | replace(\"x\", \"y\" * 10000) | length }}",
            "{% set ns = namespace(l=[1] * 10000) %}{% for i in range(10) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | join(\"xxxxxxxx\") | length }}",
        ] {
            let (_dir, theme) = theme_with_page(huge);
            let e = render_page_within(theme, 30).unwrap_err();
            assert!(e.contains("theme_fuel"), "{huge}: {e}");
        }
    }

    #[test]
    fn theme_macros_recurse_only_so_deep() {
        let (_dir, theme) = theme_with_page("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        let e = render_page_within(theme, 30).unwrap_err();
        assert!(e.contains("recursion"), "{e}");
    }

    #[test]
    fn the_index_of_100000_pages_renders_under_the_default_fuel() {
        let page = |i: usize| IndexPage {
            title: format!("Machine learning engineer salary in city number {i}"),
            href: format!("city-{i}/"),
            section: Some(format!("{}.{}", i / 100, i % 100)),
            headline: "$190,000 to $260,000".into(),
            blurb: "Base pay and total compensation by employer tier, from the survey.".into(),
        };
        let groups = (0..100)
            .map(|g| IndexGroup {
                name: Some(format!("Group {g}")),
                pages: (g * 1000..(g + 1) * 1000).map(page).collect(),
            })
            .collect();
        let ctx = IndexContext {
            site: SiteInfo { title: Some("Site".into()), base_url: Some("https://example.org".into()) },
            groups,
            assets: "assets/".into(),
            home: String::new(),
            generator: "nbrender".into(),
        };
        let theme = Theme::load(None).unwrap();
        let started = std::time::Instant::now();
        let html = index_html(&theme, &ctx).unwrap();
        assert!(html.contains("city-99999/"));
        eprintln!("index of 100,000 pages: {:.0} ms, {} bytes", started.elapsed().as_secs_f64() * 1000.0, html.len());
    }

    #[test]
    fn theme_links_that_leave_the_theme_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let theme = tmp.path().join("theme");
        std::fs::create_dir_all(theme.join("variants")).unwrap();
        std::fs::write(theme.join("variants/dark.css"), "body{}").unwrap();
        // A link that stays inside the theme folder is followed.
        std::os::unix::fs::symlink(theme.join("variants/dark.css"), theme.join("style.css")).unwrap();
        let loaded = Theme::load(Some(&theme)).unwrap();
        assert!(loaded.assets.iter().any(|(n, b)| n == "style.css" && b == b"body{}"));
        // A link to nothing (an editor's lock file) is not a theme file.
        std::os::unix::fs::symlink("user@host.1234:1700000000", theme.join(".#page.html")).unwrap();
        assert!(Theme::load(Some(&theme)).is_ok());
        // One that leaves it is refused, naming it.
        std::fs::create_dir_all(tmp.path().join(".ssh")).unwrap();
        std::fs::write(tmp.path().join(".ssh/id_rsa"), "SECRET").unwrap();
        std::os::unix::fs::symlink(tmp.path().join(".ssh/id_rsa"), theme.join("id_rsa")).unwrap();
        let e = format!("{:?}", Theme::load(Some(&theme)).err().expect("a link out of the theme folder"));
        assert!(e.contains("id_rsa") && e.contains("outside"), "{e}");
    }

    #[test]
    fn theme_files_that_are_not_regular_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mkfifo").arg(tmp.path().join("page.html")).status().unwrap();
        assert!(status.success());
        let e = format!("{:?}", Theme::load(Some(tmp.path())).err().expect("a FIFO is refused"));
        assert!(e.contains("page.html") && e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn default_theme_compiles() {
        assert!(Theme::load(None).is_ok());
    }
}

//! Stage 7, site: which notebooks to read, in what order to run them, and what to write.
//!
//! `build` parses every notebook of the folder, runs the ones the request needs, renders
//! their pages and writes them under the output folder. Nothing is written when any
//! notebook has an error.

pub mod config;
pub mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indexmap::IndexMap;

use crate::diag::{Diagnostic, SourceFile};
use crate::exec::{Executed, Executor, Limits};
use crate::notebook::{self, Notebook, Related};
use crate::prose::{self, Body};
use crate::render::{self, Card, PageContext, PageInfo, SiteInfo, Theme};
use crate::template::{Output, ProseTemplates};
pub use config::SiteConfig;

/// What the user asked for, validated.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub out: PathBuf,
    pub theme: Option<PathBuf>,
    /// `--param key=value`, in order; values are YAML scalars.
    pub params: Vec<(String, String)>,
}

/// What a finished build did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub pages: usize,
    pub charts: usize,
    pub files: Vec<PathBuf>,
    pub elapsed_ms: f64,
}

/// Why a build did not finish, with every diagnostic.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    /// The command line itself was wrong (exit 2) rather than the notebooks (exit 1).
    pub usage: bool,
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure { diagnostics: vec![d], usage: false }
    }
}

impl From<Vec<Diagnostic>> for Failure {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Failure { diagnostics, usage: false }
    }
}

/// A notebook after its cells ran, with its template scope.
struct Run {
    executed: Executed,
    scope: crate::template::Scope,
}

/// Renders the notebook at `input` (and what it needs), or every notebook of the folder.
pub fn build(input: &Path, opts: &BuildOptions) -> Result<Report, Failure> {
    let started = Instant::now();
    let (folder, single) = if input.is_dir() {
        (input.to_path_buf(), None)
    } else if input.is_file() {
        (
            input
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            Some(input.to_path_buf()),
        )
    } else {
        return Err(Diagnostic::error(
            "io::not-found",
            format!("`{}` is neither a notebook file nor a folder", input.display()),
        )
        .with_hint("pass a notebook such as `notebooks/mlops.md` or a folder such as `notebooks/`")
        .into());
    };
    let config = SiteConfig::load(&folder)?;
    let theme_dir = opts.theme.clone().or_else(|| config.theme.as_ref().map(|t| folder.join(t)));
    let theme = Theme::load(theme_dir.as_deref()).map_err(|m| Diagnostic::error("theme::load", m))?;

    let paths = discover(&folder)?;
    let mut notebooks = Vec::new();
    let mut parse_errors: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
    for path in &paths {
        match read_notebook(path) {
            Ok(nb) => notebooks.push(nb),
            Err(d) => {
                parse_errors.insert(path.clone(), d);
            }
        }
    }
    let targets: Vec<usize> = match &single {
        None => (0..notebooks.len()).collect(),
        Some(file) => {
            let same = |p: &Path| same_file(p, file);
            if let Some((_, errs)) = parse_errors.iter().find(|(p, _)| same(p)) {
                return Err(errs.clone().into());
            }
            notebooks.iter().position(|n| same(&n.path)).into_iter().collect()
        }
    };
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    if single.is_none() {
        let mut sorted: Vec<_> = parse_errors.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        diagnostics.extend(sorted.into_iter().flat_map(|(_, d)| d));
    }

    let mut slug_problems = Vec::new();
    let slugs = slug_index(&notebooks, &mut slug_problems);
    // Rendering one file should not fail on an unrelated notebook's slug.
    diagnostics.extend(slug_problems.into_iter().filter(|d| {
        single.is_none()
            || targets.iter().any(|&t| d.location.as_ref().is_some_and(|l| Arc::ptr_eq(&l.file, &notebooks[t].source)))
    }));
    check_params(&notebooks, &opts.params).map_err(|d| Failure { diagnostics: vec![d], usage: true })?;

    // The pages to write, and the notebooks whose values they need (related cards).
    let mut needed: Vec<usize> = targets.clone();
    for &t in &targets {
        for slug in related_slugs(&notebooks[t]) {
            if let Some(&i) = slugs.get(slug.as_str())
                && !needed.contains(&i)
            {
                needed.push(i);
            }
        }
    }
    needed.sort_unstable();

    let executor = Executor::new(Limits::default());
    let templates = ProseTemplates::new();
    let mut runs: HashMap<usize, Run> = HashMap::new();
    for &i in &needed {
        match run_notebook(&executor, &notebooks[i], &opts.params) {
            Ok(executed) => {
                let scope = crate::template::scope_value(&executed.scope);
                runs.insert(i, Run { executed, scope });
            }
            Err(mut d) => diagnostics.append(&mut d),
        }
    }

    let site = SiteInfo { title: config.title.clone(), base_url: config.base_url.clone() };
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut charts = 0;
    for &t in &targets {
        let Some(run) = runs.get(&t) else { continue };
        let nb = &notebooks[t];
        // The default `In [n]` is the notebook's place among all the folder's notebooks.
        let position = paths.iter().position(|p| *p == nb.path).unwrap_or(t);
        match render_page(nb, position, run, &runs, &notebooks, &slugs, &templates, &theme, &site) {
            Ok((html, body)) => {
                let dir = PathBuf::from(nb.slug());
                for chart in &body.charts {
                    files.push((dir.join(format!("{}.svg", chart.name)), chart.svg.clone().into_bytes()));
                    charts += 1;
                }
                files.push((dir.join("index.html"), html.into_bytes()));
            }
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics.into());
    }
    for (name, bytes) in &theme.assets {
        files.push((PathBuf::from("assets").join(name), bytes.clone()));
    }
    let written = write::write_files(&opts.out, &files)?;
    Ok(Report { pages: targets.len(), charts, files: written, elapsed_ms: started.elapsed().as_secs_f64() * 1000.0 })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Every `*.md` of the folder that does not start with `_`, sorted by name.
pub fn discover(folder: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| Diagnostic::error("io::read", format!("cannot read folder `{}`: {e}", folder.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_')))
        .collect();
    paths.sort();
    Ok(paths)
}

fn read_notebook(path: &Path) -> Result<Notebook, Vec<Diagnostic>> {
    let shown = path.strip_prefix(".").unwrap_or(path).display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| vec![Diagnostic::error("io::read", format!("cannot read `{shown}`: {e}"))])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![
            Diagnostic::error(
                "notebook::encoding",
                format!("`{shown}` is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
            )
            .with_hint("save the notebook as UTF-8"),
        ]
    })?;
    notebook::parse(path, &shown, text)
}

fn slug_index(notebooks: &[Notebook], diagnostics: &mut Vec<Diagnostic>) -> HashMap<String, usize> {
    let mut slugs: HashMap<String, usize> = HashMap::new();
    for (i, nb) in notebooks.iter().enumerate() {
        let slug = nb.slug();
        if !notebook::frontmatter::is_valid_slug(&slug) {
            diagnostics.push(
                Diagnostic::error("notebook::bad-slug", format!("the file name gives the invalid slug `{slug}`"))
                    .at(&nb.source, 0..0)
                    .with_hint(
                        "rename the file to lowercase letters, digits and `-`, or set `slug:` in the frontmatter",
                    ),
            );
        }
        if let Some(&other) = slugs.get(&slug) {
            diagnostics.push(
                Diagnostic::error(
                    "site::duplicate-slug",
                    format!("the slug `{slug}` is also used by {}", notebooks[other].source.name),
                )
                .at(&nb.source, nb.source.line_span(nb.front_key_line("slug")))
                .with_hint("every page needs its own slug"),
            );
            continue;
        }
        slugs.insert(slug, i);
    }
    slugs
}

fn related_slugs(nb: &Notebook) -> Vec<String> {
    nb.front
        .related
        .iter()
        .filter_map(|r| match r {
            Related::Slug(s) => Some(s.clone()),
            Related::Entry(e) => e.slug.clone(),
        })
        .collect()
}

fn check_params(notebooks: &[Notebook], params: &[(String, String)]) -> Result<(), Diagnostic> {
    for (key, _) in params {
        if !notebooks.iter().any(|n| n.front.params.contains_key(key)) {
            let known: Vec<&str> = notebooks.iter().flat_map(|n| n.front.params.keys().map(String::as_str)).collect();
            return Err(Diagnostic::error(
                "cli::unknown-param",
                format!("`--param {key}=…`: no notebook declares the param `{key}`"),
            )
            .with_suggestion(key, known.iter().copied()));
        }
    }
    Ok(())
}

/// Loads the data, applies params and runs the cells.
fn run_notebook(executor: &Executor, nb: &Notebook, params: &[(String, String)]) -> Result<Executed, Vec<Diagnostic>> {
    let mut inputs: IndexMap<String, serde_json::Value> = IndexMap::new();
    let mut diagnostics = Vec::new();
    let dir = nb.path.parent().unwrap_or(Path::new("."));
    for (name, rel) in &nb.front.data {
        let line = data_entry_line(nb, name);
        let at = |e: crate::data::DataError| {
            let d = Diagnostic::error("data::load", e.message).at(&nb.source, nb.source.line_span(line));
            match e.hint {
                Some(h) => d.with_hint(h),
                None => d,
            }
        };
        match crate::data::resolve(dir, rel).and_then(|p| crate::data::load(&p, rel)) {
            Ok(v) => {
                inputs.insert(name.clone(), v);
            }
            Err(e) => diagnostics.push(at(e)),
        }
    }
    for (name, value) in &nb.front.params {
        let value = params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| {
                crate::yaml::from_str::<serde_json::Value>(v).unwrap_or_else(|_| serde_json::Value::from(v.as_str()))
            })
            .unwrap_or_else(|| value.clone());
        inputs.insert(name.clone(), value);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    executor.run(nb, &inputs).map_err(|d| vec![d])
}

/// The line of `name:` under `data:` in the frontmatter.
fn data_entry_line(nb: &Notebook, name: &str) -> usize {
    let start = nb.front_key_line("data");
    let lines = nb.source.text.lines().enumerate().skip(start);
    for (i, line) in lines {
        if !line.starts_with(' ') && !line.starts_with('\t') {
            break;
        }
        if line.trim_start().starts_with(&format!("{name}:")) {
            return i + 1;
        }
    }
    start
}

#[allow(clippy::too_many_arguments)]
fn render_page(
    nb: &Notebook,
    position: usize,
    run: &Run,
    runs: &HashMap<usize, Run>,
    notebooks: &[Notebook],
    slugs: &HashMap<String, usize>,
    templates: &ProseTemplates,
    theme: &Theme,
    site: &SiteInfo,
) -> Result<(String, Body), Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let texts = match front_texts(nb, run, templates) {
        Ok(t) => Some(t),
        Err(mut d) => {
            diagnostics.append(&mut d);
            None
        }
    };
    let related = related_cards(nb, runs, notebooks, slugs, templates, &mut diagnostics);
    let prefix = nb.front.prefix.clone().unwrap_or_else(|| nb.slug());
    let body = match prose::render_body(nb, &run.executed, templates, &run.scope, &prefix) {
        Ok(b) => Some(b),
        Err(mut d) => {
            diagnostics.append(&mut d);
            None
        }
    };
    let (Some(texts), Some(body)) = (texts, body) else { return Err(diagnostics) };
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let slug = nb.slug();
    let canonical = site.base_url.as_ref().map(|b| format!("{}/{slug}/", b.trim_end_matches('/')));
    let ctx = PageContext {
        site: site.clone(),
        page: PageInfo {
            title: texts.title,
            description: texts.description,
            lede: texts.lede,
            section: nb.front.section.clone(),
            group: nb.front.group.clone(),
            notebook: nb.front.notebook.clone().unwrap_or_else(|| format!("{}.ipynb", notebook::stem(&nb.path))),
            cell: nb.front.cell.unwrap_or(position as u32 + 1),
            slug,
            updated: nb.front.updated.clone(),
            canonical,
        },
        related,
        assets: "../assets/".to_string(),
        generator: format!("nbrender {}", env!("CARGO_PKG_VERSION")),
    };
    let html = render::page_html(theme, &ctx, &body.html, &body.faq)
        .map_err(|m| vec![Diagnostic::error("theme::render", m).with_hint("fix the theme template named above")])?;
    Ok((html, body))
}

/// The frontmatter's text fields, expanded.
struct FrontTexts {
    title: String,
    lede: String,
    description: String,
    blurb: String,
}

fn front_texts(nb: &Notebook, run: &Run, templates: &ProseTemplates) -> Result<FrontTexts, Vec<Diagnostic>> {
    let names: Vec<&str> = run.executed.scope.keys().map(String::as_str).collect();
    let mut diagnostics = Vec::new();
    let mut field = |key: &str, value: Option<&String>| -> String {
        let Some(source) = value else { return String::new() };
        let line = nb.front_key_line(key);
        match expand_field(templates, source, &run.scope, &nb.source, line, &names) {
            Ok(s) => s,
            Err(mut d) => {
                diagnostics.append(&mut d);
                String::new()
            }
        }
    };
    let title = field("title", Some(&nb.front.title));
    let lede = field("lede", nb.front.lede.as_ref());
    let description = match &nb.front.description {
        Some(d) => field("description", Some(d)),
        None => lede.clone(),
    };
    let blurb = match &nb.front.blurb {
        Some(b) => field("blurb", Some(b)),
        None => lede.clone(),
    };
    if diagnostics.is_empty() { Ok(FrontTexts { title, lede, description, blurb }) } else { Err(diagnostics) }
}

/// A frontmatter value is YAML: its template's errors are located on the key's line.
fn expand_field(
    templates: &ProseTemplates,
    source: &str,
    scope: &crate::template::Scope,
    file: &Arc<SourceFile>,
    line: usize,
    names: &[&str],
) -> Result<String, Vec<Diagnostic>> {
    prose::expand(templates, source, scope, Output::Text, file, line, names).map_err(|mut all| {
        for d in &mut all {
            // The value may be quoted or folded in the YAML: find the name on the key's line.
            let span = file.line_span(line);
            let text = file.text.get(span.clone()).unwrap_or("");
            let name = d.message.split('`').nth(1).unwrap_or("");
            let span = match text.find(name).filter(|_| !name.is_empty()) {
                Some(at) => span.start + at..span.start + at + name.len(),
                None => span,
            };
            d.location = Some(crate::diag::Location { file: Arc::clone(file), span });
        }
        all
    })
}

fn related_cards(
    nb: &Notebook,
    runs: &HashMap<usize, Run>,
    notebooks: &[Notebook],
    slugs: &HashMap<String, usize>,
    templates: &ProseTemplates,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Card> {
    let mut cards = Vec::new();
    for entry in &nb.front.related {
        let (slug, title, blurb, href) = match entry {
            Related::Slug(s) => (Some(s.clone()), None, None, None),
            Related::Entry(e) => (e.slug.clone(), e.title.clone(), e.blurb.clone(), e.href.clone()),
        };
        if let Some(href) = href {
            let safe = href.starts_with("https://")
                || href.starts_with("http://")
                || href.starts_with('/')
                || href.starts_with("../");
            if !safe {
                diagnostics.push(
                    Diagnostic::error(
                        "frontmatter::bad-href",
                        format!("the related link `{href}` is not an http(s) or relative URL"),
                    )
                    .at(&nb.source, nb.source.line_span(nb.front_key_line("related")))
                    .with_hint("external links start with https://"),
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
        let Some(&target) = slugs.get(&slug) else {
            let line = related_line(nb, &slug);
            let start = nb.source.line_start(line)
                + nb.source.text.lines().nth(line - 1).and_then(|l| l.find(slug.as_str())).unwrap_or(0);
            diagnostics.push(
                Diagnostic::error(
                    "site::unknown-slug",
                    format!("`related` names `{slug}`, but no notebook has that slug"),
                )
                .at(&nb.source, start..start + slug.len())
                .with_suggestion(&slug, slugs.keys().map(String::as_str))
                .or_hint("a notebook's slug is its `slug:` or its file name without `.md`"),
            );
            continue;
        };
        let other = &notebooks[target];
        let Some(run) = runs.get(&target) else { continue };
        match front_texts(other, run, templates) {
            Ok(texts) => cards.push(Card {
                title: title.unwrap_or(texts.title),
                blurb: blurb.unwrap_or(texts.blurb),
                href: format!("../{slug}/"),
                external: false,
            }),
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    cards
}

fn related_line(nb: &Notebook, slug: &str) -> usize {
    let start = nb.front_key_line("related");
    nb.source
        .text
        .lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| l.starts_with(' ') || l.starts_with('\t'))
        .find(|(_, l)| l.contains(slug))
        .map_or(start, |(i, _)| i + 1)
}

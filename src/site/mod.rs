//! Stage 7, site: which notebooks to read, in what order to run them, and what to write.
//!
//! A build goes through five stages, each in its own file: load (`load.rs`: parse the
//! folder's notebooks, their slugs and `results("slug")` graph), plan (`plan.rs`: what the
//! request needs, in waves), run (`run.rs`), render (`texts.rs`, `page.rs`) and write
//! (`write.rs`). `build_pages` below calls them in order; `nbrender chart` (`chart.rs`) uses
//! the first three. Nothing is written when any notebook has an error; a site build replaces
//! the output folder whole.

mod cache;
mod chart;
pub mod config;
mod family;
mod fingerprint;
pub mod graph;
mod index;
mod load;
mod outcome;
mod page;
mod plan;
mod run;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic};
use crate::exec::Executor;
use crate::manifest::PageManifest;
use crate::notebook::Notebook;
use crate::render::page::{self as render_page, Shared};
use crate::render::texts::{self, FrontTexts};
use crate::render::{SiteInfo, Theme};
use crate::template::ProseTemplates;
pub use cache::Cache;
use cache::PageFiles;
pub use chart::{ChartFormat, ChartOptions, ChartReport, FoundChart, export_chart, find_chart};
pub use config::SiteConfig;
use fingerprint::Fingerprint;
pub use load::discover;
pub use outcome::{Failure, Progress, Report, Silent};
use page::Site;
use run::Run;

/// What the user asked for, validated.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub out: PathBuf,
    pub theme: Option<PathBuf>,
    /// `--param key=value`, in order; values are YAML scalars.
    pub params: Vec<(String, String)>,
    /// `--png`: write `<label>.png` (2x, light) beside every chart's `<label>.svg`.
    pub png: bool,
    /// `nbrender check`: do everything a build does but write nothing.
    pub dry_run: bool,
    /// Keep each page's figures in the report (`serve`, `diff`); a build only writes them.
    pub manifests: bool,
}

/// Times the stages of a build.
struct Stopwatch {
    last: Instant,
    stages: Vec<(&'static str, f64)>,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch { last: Instant::now(), stages: Vec::new() }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.stages.push((stage, (now - self.last).as_secs_f64() * 1000.0));
        self.last = now;
    }
}

/// Renders the notebook at `input` (and what it needs), or every notebook of the folder.
pub fn build(input: &Path, opts: &BuildOptions, progress: &dyn Progress) -> Result<Report, Failure> {
    crate::pool::install(|| build_with(input, opts, progress, None))
}

/// `build`, reusing what earlier builds of the same input left in `cache`: only notebooks
/// whose text, data or dependencies changed run, only pages that show a changed notebook are
/// rendered, and a site build updates its output folder in place, writing only changed files.
pub fn rebuild(
    input: &Path,
    opts: &BuildOptions,
    progress: &dyn Progress,
    cache: &mut Cache,
) -> Result<Report, Failure> {
    crate::pool::install(|| build_with(input, opts, progress, Some(cache)))
}

/// Puts back an output a killed build left aside (`write::recover`), then builds; the build's
/// report or failure says that it did.
fn build_with(
    input: &Path,
    opts: &BuildOptions,
    progress: &dyn Progress,
    cache: Option<&mut Cache>,
) -> Result<Report, Failure> {
    let restored = if opts.dry_run { None } else { write::recover(&opts.out) };
    let outcome = build_pages(input, opts, progress, cache);
    let Some(restored) = restored else { return outcome };
    match outcome {
        Ok(mut report) => {
            report.warnings.insert(0, restored);
            Ok(report)
        }
        Err(mut failure) => {
            failure.diagnostics.insert(0, restored);
            Err(failure)
        }
    }
}

fn build_pages(
    input: &Path,
    opts: &BuildOptions,
    progress: &dyn Progress,
    mut cache: Option<&mut Cache>,
) -> Result<Report, Failure> {
    let started = Instant::now();
    let (folder, single) = request(input)?;
    if !opts.dry_run {
        write::check_output(&opts.out, &folder)?;
    }
    let config = SiteConfig::load(&folder)?;
    let theme = theme_of(&folder, &config, opts)?;
    let mut watch = Stopwatch::new();
    // 1. Load: every notebook of the folder, parsed, with its slug and its `results()` calls.
    let load_options = load::LoadOptions { limits: config.limits.notebook(), data: config.limits.data() };
    let mut loaded = load::load(&folder, single.as_deref(), &load_options)?;
    if single.is_some() {
        loaded.pick_members(&opts.params).map_err(Failure::usage)?;
    }
    load::check_params(&loaded.notebooks, &opts.params, single.is_none()).map_err(Failure::usage)?;
    let warnings = loaded.warnings();
    watch.lap("parse");
    // 2. Plan: what the pages need, in waves.
    let order = index::Order::new(&loaded.notebooks, &config.groups);
    let plan = match plan::for_pages(&loaded, &order) {
        Ok(plan) => plan,
        Err(cycle) => return Err(loaded.failure(vec![cycle], settle(warnings, config.strict)).into()),
    };
    // 3. Run, each notebook once those it reads have run; one whose inputs are unchanged in
    // a rebuild keeps its last run.
    if let Some(cache) = cache.as_deref_mut() {
        cache.begin(site_fingerprint(&folder, &theme, opts, single.as_deref()));
    }
    progress.start(plan.needed.iter().filter(|n| **n).count() + loaded.pages().count());
    let ran = run_stage(&loaded, &plan, &order, &config, opts, progress, cache.as_deref());
    watch.lap("execute");
    // 4. Render the pages; one that shows nothing changed is kept.
    let in_place =
        single.is_none() && !opts.dry_run && cache.as_deref_mut().is_some_and(|c| c.written(&opts.out).is_some());
    let info = SiteInfo { title: config.title.clone(), base_url: config.base_url.clone() };
    let parts = Parts { loaded: &loaded, plan: &plan, ran: &ran, order: &order, theme: &theme, info: &info };
    // A site build without a cache writes each page as it is rendered (never holding every
    // page's bytes), into a folder swapped in only once the whole build succeeded.
    let staging = match single.is_none() && !opts.dry_run && cache.is_none() {
        true => Some(write::Staging::begin(&opts.out).map_err(Failure::from)?),
        false => None,
    };
    let sink = match (&staging, opts.dry_run && cache.is_none()) {
        (Some(staging), _) => Sink::Stage(staging),
        (None, true) => Sink::Discard,
        (None, false) => Sink::Keep,
    };
    let mut rendered = render_stage(&parts, &config, opts, progress, cache.as_deref(), in_place, sink);
    let mut warnings = warnings;
    warnings.append(&mut rendered.warnings);
    let warnings = settle(warnings, config.strict);
    let strict_failed = config.strict && !warnings.is_empty();
    if !loaded.diagnostics.is_empty() || !rendered.diagnostics.is_empty() || strict_failed {
        let problems = std::mem::take(&mut rendered.diagnostics);
        return Err(loaded.failure(problems, warnings).into());
    }
    watch.lap("render");
    // 5. The site's own files, then write.
    if single.is_none() {
        site_files(&parts, &config, &rendered.texts, &mut rendered.files)?;
    }
    for (name, bytes) in &theme.assets {
        rendered.files.push((PathBuf::from("assets").join(name), bytes.clone()));
    }
    let manifest_files = std::mem::take(&mut rendered.manifest_files);
    if config.publish_manifest {
        let published =
            manifest_files.iter().map(|(name, bytes)| (Path::new(PUBLISHED_MANIFEST).join(name), bytes.clone()));
        rendered.files.extend(published);
    }
    let written = if let Some(staging) = staging {
        staging.write(&rendered.files)?;
        let mut written = std::mem::take(&mut rendered.staged);
        written.extend(rendered.files.iter().map(|(rel, _)| rel.clone()));
        staging.finish(&written)?;
        written
    } else if opts.dry_run {
        Vec::new()
    } else if single.is_some() {
        // A refusal comes before any file is written; a failure after, maybe not.
        let output = write::open_output(&opts.out, &rendered.files)?;
        output.write(&rendered.files).map_err(|d| Failure { diagnostics: vec![d], usage: false, partial: true })?
    } else {
        write_site(&opts.out, &rendered.files, &rendered.unchanged, cache.as_deref_mut())?
    };
    if !opts.dry_run {
        let folder = manifest_folder(&opts.out);
        match single {
            Some(_) => write::write_files(&folder, &manifest_files).map(drop),
            None => write::sync_dir(&folder, &manifest_files).map(drop),
        }
        .map_err(|d| Failure { diagnostics: vec![d], usage: false, partial: true })?;
    }
    watch.lap("write");
    if let Some(cache) = cache {
        let runs: Vec<(usize, Fingerprint, Arc<Run>)> = (0..loaded.notebooks.len())
            .filter_map(|i| Some((i, ran.prints[i]?, Arc::clone(ran.runs[i].as_ref()?))))
            .collect();
        cache.keep(&loaded.notebooks, &runs, rendered.to_keep);
    }
    Ok(Report {
        pages: loaded.targets.len(),
        charts: rendered.charts,
        embedded: rendered.embedded,
        pngs: rendered.pngs,
        companions: loaded.companions.iter().map(|&c| loaded.notebooks[c].slug()).collect(),
        files: written,
        notebooks: loaded.notebooks.iter().filter(|n| !n.is_family()).count(),
        ran: ran.fresh,
        rendered: rendered.fresh,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        stages: watch.stages,
        warnings,
        manifests: rendered.manifests,
    })
}

/// Where a site publishes its manifest when `_site.yaml` says `publish_manifest: true`.
pub const PUBLISHED_MANIFEST: &str = "_manifest";

/// The folder beside the output `out` that holds its figure manifest, one file per page:
/// `.out.nbrender-manifest` for `out`. Beside, not in it: the manifest names cells and lines
/// a page may hide, so publishing the output does not publish it.
pub fn manifest_folder(out: &Path) -> PathBuf {
    write::beside_output(out, "manifest")
}

/// The warnings of a build, by file and place; with `strict: true` in `_site.yaml`, each one
/// an error.
fn settle(mut warnings: Vec<Diagnostic>, strict: bool) -> Vec<Diagnostic> {
    warnings.sort_by_cached_key(|d| d.location.as_ref().map(|l| (l.file.name.clone(), l.span.start)));
    if strict {
        for d in &mut warnings {
            d.severity = crate::diag::Severity::Error;
            d.label = Some(match d.label.take() {
                Some(label) => format!("{label}; an error under `strict: true`"),
                None => "an error under `strict: true` in `_site.yaml`".to_string(),
            });
        }
    }
    warnings
}

/// The folder of the notebooks and, for a one-page build, the notebook asked for.
fn request(input: &Path) -> Result<(PathBuf, Option<PathBuf>), Diagnostic> {
    if input.is_dir() {
        return Ok((input.to_path_buf(), None));
    }
    if !input.is_file() {
        return Err(Diagnostic::error(
            Code::IoNotFound,
            format!("`{}` is neither a notebook file nor a folder", input.display()),
        )
        .with_hint("pass a notebook such as `notebooks/mlops.md` or a folder such as `notebooks/`"));
    }
    let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
    Ok((parent.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")), Some(input.to_path_buf())))
}

/// The theme: `--theme`, else `_site.yaml`'s `theme:`, else the built-in one.
fn theme_of(folder: &Path, config: &SiteConfig, opts: &BuildOptions) -> Result<Theme, Diagnostic> {
    let theme_dir = opts.theme.clone().or_else(|| config.theme.as_ref().map(|t| folder.join(t)));
    let mut theme = Theme::load(theme_dir.as_deref())?;
    theme.fuel = config.limits.theme_fuel;
    Ok(theme)
}

/// What the runs of a build left: each notebook's run (fresh or kept), the fingerprint of
/// its inputs, and how many ran afresh.
struct Ran {
    runs: Vec<Option<Arc<Run>>>,
    prints: Vec<Option<Fingerprint>>,
    fresh: usize,
    diagnostics: Vec<Diagnostic>,
}

/// Stage 3: runs what the plan needs, reusing what `cache` kept of unchanged notebooks.
fn run_stage(
    loaded: &load::Loaded,
    plan: &plan::Plan,
    order: &index::Order,
    config: &SiteConfig,
    opts: &BuildOptions,
    progress: &dyn Progress,
    cache: Option<&Cache>,
) -> Ran {
    let notebooks = &loaded.notebooks;
    let (site, listing) = family::site_view(notebooks, order);
    let own = match cache {
        Some(_) => fingerprint::own_prints(notebooks, &plan.needed, config.limits.data_bytes, listing),
        None => Vec::new(),
    };
    let kept = |i: usize, print: Fingerprint| {
        let run = cache.and_then(|c| c.run(&notebooks[i], Some(print)))?;
        Some((run.executed.exports.clone(), run.results_print()))
    };
    let read = |i: usize| cache.and_then(|c| c.last_run(&notebooks[i])).map(|r| r.executed.read.clone());
    let executor = Executor::new(config.limits.cells());
    let schedule = run::Schedule {
        waves: &plan.waves,
        deps: &loaded.graph.deps,
        calls: &loaded.graph.calls,
        needed: &plan.needed,
        broken: &loaded.graph.broken,
        computed: &loaded.graph.computed,
        reuse: cache.map(|_| run::Reuse { own: &own, kept: &kept, read: &read }),
        data: config.limits.data(),
        site,
    };
    let run::Runs { runs: executed, prints, diagnostics } =
        run::run_all(&executor, loaded, &schedule, &opts.params, progress);
    let fresh = executed.iter().filter(|e| e.is_some()).count();
    let runs = executed
        .into_par_iter()
        .enumerate()
        .map(|(i, fresh)| match fresh {
            Some(e) => Some(Arc::new(Run::new(e))),
            None => cache.filter(|_| plan.needed[i]).and_then(|c| c.run(&notebooks[i], prints[i])),
        })
        .collect();
    Ran { runs, prints, fresh, diagnostics }
}

/// What the stages before rendering made, for the pages and the site's own files.
struct Parts<'a> {
    loaded: &'a load::Loaded,
    plan: &'a plan::Plan,
    ran: &'a Ran,
    order: &'a index::Order,
    theme: &'a Theme,
    info: &'a SiteInfo,
}

/// The pages of a build, as files to write.
struct Rendered {
    /// Each notebook's expanded frontmatter texts, when it ran (or needs none).
    texts: Vec<Option<FrontTexts>>,
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Files of pages already written to the staged output as they were rendered.
    staged: Vec<PathBuf>,
    /// Files of kept pages already in the output folder.
    unchanged: Vec<PathBuf>,
    /// What the pages asked for show (not their companions): charts of their own and of
    /// other notebooks, and the PNG files among their charts' files.
    charts: usize,
    embedded: usize,
    pngs: usize,
    /// Pages rendered afresh.
    fresh: usize,
    to_keep: Vec<(usize, Fingerprint, Arc<PageFiles>)>,
    /// The manifest file of every page rendered or kept (`<slug>.json`), by slug, and the
    /// manifests themselves when the build keeps them (`BuildOptions::manifests`).
    manifest_files: Vec<(PathBuf, Vec<u8>)>,
    manifests: Vec<Arc<PageManifest>>,
    /// The problems of the runs and the pages.
    diagnostics: Vec<Diagnostic>,
    /// What the pages asked for are warned about (their prose), kept pages' too.
    warnings: Vec<Diagnostic>,
}

/// Stage 4: the frontmatter texts of every notebook that ran, then the pages, in parallel.
/// A rebuild keeps a page whose inputs did not change.
fn render_stage(
    parts: &Parts<'_>,
    config: &SiteConfig,
    opts: &BuildOptions,
    progress: &dyn Progress,
    cache: Option<&Cache>,
    in_place: bool,
    sink: Sink<'_>,
) -> Rendered {
    let (loaded, ran) = (parts.loaded, parts.ran);
    let notebooks = &loaded.notebooks;
    let mut diagnostics = ran.diagnostics.clone();
    let templates = ProseTemplates::within(config.limits.prose());
    let texts = front_texts(parts, &templates, &mut diagnostics);
    let site = Site {
        notebooks,
        slugs: &loaded.slugs,
        unparsed: &loaded.unparsed,
        runs: &ran.runs,
        texts: &texts,
        order: parts.order,
        info: parts.info,
    };
    let shared = Shared { templates: &templates, theme: parts.theme, info: parts.info, png: opts.png };
    // A page is rendered again only when something it shows changed.
    let to_render: Vec<usize> = loaded.pages().collect();
    let keys: Vec<Option<Fingerprint>> = match cache {
        Some(_) => to_render.iter().map(|&t| Some(page_key(t, &site, &ran.prints))).collect(),
        None => vec![None; to_render.len()],
    };
    let pages: Vec<_> = to_render
        .par_iter()
        .zip(&keys)
        .map(|(&t, key)| {
            let kept = key.and_then(|k| cache.and_then(|c| c.page(&notebooks[t], k)));
            let page = match kept {
                Some(page) => Ok((page, false)),
                None if notebooks[t].is_family() => {
                    run::guard(&notebooks[t], || landing_files(&site, t, parts.theme, opts.manifests))
                        .and_then(|page| sink.take(page))
                        .map(|page| (Arc::new(page), true))
                }
                None => run::guard(&notebooks[t], || match site.input(t) {
                    Some(input) => render_page::render_page(input, &site, &shared),
                    None => Err(Vec::new()),
                })
                .and_then(|page| sink.take(page_files(&notebooks[t], page, opts.manifests)))
                .map(|page| (Arc::new(page), true)),
            };
            progress.advance(&notebooks[t].source.name);
            (t, *key, page)
        })
        .collect();
    let mut out = Rendered {
        texts: Vec::new(),
        files: Vec::new(),
        staged: Vec::new(),
        unchanged: Vec::new(),
        charts: 0,
        embedded: 0,
        pngs: 0,
        fresh: 0,
        to_keep: Vec::new(),
        manifest_files: Vec::new(),
        manifests: Vec::new(),
        diagnostics: Vec::new(),
        warnings: Vec::new(),
    };
    for (t, key, page) in pages {
        let (page, fresh) = match page {
            Ok(page) => page,
            Err(mut d) => {
                diagnostics.append(&mut d);
                continue;
            }
        };
        if loaded.targets.contains(&t) {
            out.charts += page.charts + page.embedded;
            out.embedded += page.embedded;
            out.pngs += page.pngs;
            out.warnings.extend(page.warnings.iter().cloned());
        }
        out.fresh += usize::from(fresh);
        out.manifests.extend(page.manifest.iter().cloned());
        match key {
            Some(key) => {
                if fresh || !in_place {
                    out.files.extend(page.files.iter().cloned());
                } else {
                    out.unchanged.extend(page.files.iter().map(|(path, _)| path.clone()));
                }
                out.manifest_files.push(page.manifest_file.clone());
                out.to_keep.push((t, key, page));
            }
            None if matches!(sink, Sink::Stage(_)) => {
                out.staged.extend(page.files.iter().map(|(rel, _)| rel.clone()));
                out.manifest_files.push(page.manifest_file.clone());
            }
            None => match Arc::try_unwrap(page) {
                Ok(page) => {
                    out.files.extend(page.files);
                    out.manifest_files.push(page.manifest_file);
                }
                Err(page) => {
                    out.files.extend(page.files.iter().cloned());
                    out.manifest_files.push(page.manifest_file.clone());
                }
            },
        }
    }
    out.manifests.sort_by(|a, b| a.page.cmp(&b.page));
    out.manifest_files.sort_by(|a, b| a.0.cmp(&b.0));
    out.texts = texts;
    out.diagnostics = diagnostics;
    out
}

/// Where a rendered page's files go: kept for the write stage, written to the staged output
/// at once (their bytes dropped, their paths kept), or, for `check`, dropped.
#[derive(Clone, Copy)]
enum Sink<'a> {
    Keep,
    Stage(&'a write::Staging),
    Discard,
}

impl Sink<'_> {
    fn take(self, mut page: PageFiles) -> Result<PageFiles, Vec<Diagnostic>> {
        match self {
            Sink::Keep => {}
            Sink::Stage(staging) => {
                staging.write(&page.files).map_err(|d| vec![d])?;
                for (_, bytes) in &mut page.files {
                    *bytes = Vec::new();
                }
            }
            Sink::Discard => page.files.clear(),
        }
        Ok(page)
    }
}

/// The expanded frontmatter texts of every notebook that ran; a card or link to a notebook
/// that did not need to run reads its words as written.
fn front_texts(
    parts: &Parts<'_>,
    templates: &ProseTemplates,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Option<FrontTexts>> {
    let notebooks = &parts.loaded.notebooks;
    let texts: Vec<_> = parts
        .ran
        .runs
        .par_iter()
        .enumerate()
        .map(|(i, run)| match run {
            Some(r) => Some(texts::front_texts(&notebooks[i], &r.executed, &r.scope, templates)),
            None if notebooks[i].is_family() => Some(Ok(texts::family_texts(&notebooks[i]))),
            None if !parts.plan.needed[i] => texts::card_texts(&notebooks[i]).map(Ok),
            None => None,
        })
        .collect();
    texts
        .into_iter()
        .map(|t| match t {
            Some(Ok(t)) => Some(t),
            Some(Err(mut d)) => {
                diagnostics.append(&mut d);
                None
            }
            None => None,
        })
        .collect()
}

/// The index page and, with a `base_url`, the sitemap.
fn site_files(
    parts: &Parts<'_>,
    config: &SiteConfig,
    texts: &[Option<FrontTexts>],
    files: &mut Vec<(PathBuf, Vec<u8>)>,
) -> Result<(), Diagnostic> {
    let notebooks = &parts.loaded.notebooks;
    let ctx = index::index_context(notebooks, texts, parts.order, parts.info);
    let html = crate::render::index_html(parts.theme, &ctx)?;
    files.push((PathBuf::from("index.html"), html.into_bytes()));
    if let Some(base) = &config.base_url {
        for (name, xml) in index::sitemap(base, notebooks, parts.order) {
            files.push((PathBuf::from(name), xml.into_bytes()));
        }
    }
    Ok(())
}

/// Replaces the output folder whole, or, in a rebuild of a folder this cache wrote, updates
/// the changed files in place, keeping `unchanged` (files of pages that were not rendered again).
fn write_site(
    out: &Path,
    files: &[(PathBuf, Vec<u8>)],
    unchanged: &[PathBuf],
    cache: Option<&mut Cache>,
) -> Result<Vec<PathBuf>, Diagnostic> {
    let Some(cache) = cache else { return write::replace_dir(out, files) };
    if let Some(previous) = cache.written(out) {
        return write::update_dir(out, files, unchanged, previous);
    }
    let written = write::replace_dir(out, files)?;
    cache.set_written(out, write::hashes(files));
    Ok(written)
}

/// The landing page of family `t`: its `index.html`, and a manifest with no figures (it
/// computes none; its members are pages of their own).
fn landing_files(site: &Site<'_>, t: usize, theme: &Theme, keep: bool) -> Result<PageFiles, Vec<Diagnostic>> {
    let nb = &site.notebooks[t];
    let ctx = site.family(t).ok_or_else(Vec::new)?;
    let html = crate::render::family_html(theme, &ctx).map_err(|d| vec![d])?;
    let manifest = PageManifest {
        version: crate::manifest::VERSION,
        page: nb.slug(),
        title: ctx.page.title.clone(),
        notebook: nb.path.file_name().map_or_else(|| nb.source.name.clone(), |n| n.to_string_lossy().into_owned()),
        figures: Vec::new(),
    };
    let manifest_file = (PathBuf::from(format!("{}.json", manifest.page)), crate::manifest::to_bytes(&manifest));
    Ok(PageFiles {
        files: vec![(PathBuf::from(nb.slug()).join("index.html"), html.into_bytes())],
        charts: 0,
        pngs: 0,
        embedded: 0,
        manifest: keep.then(|| Arc::new(manifest)),
        manifest_file,
        warnings: Vec::new(),
    })
}

/// The files a rendered page writes, relative to the output folder.
fn page_files(nb: &Notebook, page: render_page::Page, keep: bool) -> PageFiles {
    let dir = PathBuf::from(nb.slug());
    let manifest_file =
        (PathBuf::from(format!("{}.json", page.manifest.page)), crate::manifest::to_bytes(&page.manifest));
    // A chart of another notebook redrawn on this page's bounds counts with the embedded ones.
    let mut out = PageFiles {
        files: Vec::new(),
        charts: page.body.charts.len(),
        pngs: 0,
        embedded: page.body.embedded,
        manifest: keep.then(|| Arc::new(page.manifest)),
        manifest_file,
        warnings: page.body.warnings,
    };
    for chart in page.body.charts.into_iter().chain(page.body.redrawn) {
        out.files.push((dir.join(format!("{}.svg", chart.name)), chart.svg.into_bytes()));
        if let Some(png) = chart.png {
            out.files.push((dir.join(format!("{}.png", chart.name)), png));
            out.pngs += 1;
        }
    }
    out.files.push((dir.join("index.html"), page.html.into_bytes()));
    out
}

/// Everything page `t` shows, as one hash: its own notebook, its place in the site, the
/// titles and blurbs of its cards and neighbours, and the notebooks whose figures it embeds.
fn page_key(t: usize, site: &Site<'_>, prints: &[Option<Fingerprint>]) -> Fingerprint {
    let nb = &site.notebooks[t];
    let texts = |j: usize| site.texts[j].as_ref().map(|x| (&x.title, &x.blurb));
    let cards: Vec<_> = nb.front.related_slugs().map(|s| site.slugs.get(s).map(|&j| texts(j))).collect();
    let embeds: Vec<_> = graph::figure_refs(nb).map(|r| site.slugs.get(&r.slug).map(|&j| prints[j])).collect();
    let (prev, next) = site.order.neighbours(t);
    let neighbour = |j: Option<usize>| j.map(|j| (site.notebooks[j].slug(), texts(j)));
    let family = site.order.family(t).map(|e| neighbour(Some(e)));
    // A landing page shows its texts, its members' titles and their headlines.
    let landing = site.notebooks[t].is_family().then(|| {
        let headline = |m: usize| site.texts[m].as_ref().map(|x| x.headline.clone());
        let members = family::members_of(site.notebooks, t);
        (
            texts(t),
            members
                .map(|i| site.notebooks[i].member.as_ref().map(|m| (m.slug.clone(), m.title.clone(), headline(i))))
                .collect::<Vec<_>>(),
        )
    });
    fingerprint::hash_of((
        prints[t],
        site.order.position(t),
        neighbour(prev),
        neighbour(next),
        cards,
        embeds,
        family,
        landing,
    ))
}

/// What every page depends on beyond its notebooks: the site file, the theme's files (as
/// loaded: a theme file is read once), the params and flags, and which notebook a one-page
/// build renders.
fn site_fingerprint(folder: &Path, theme: &Theme, opts: &BuildOptions, single: Option<&Path>) -> Fingerprint {
    // Read as `SiteConfig::load` read it a moment ago: a regular file, and not past its cap.
    let site_file = crate::file::read(&folder.join("_site.yaml"), config::MAX_BYTES).ok();
    fingerprint::hash_of((site_file, theme.fingerprint, &opts.params, opts.png, &opts.out, single))
}

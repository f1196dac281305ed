//! Stage 7, site: which notebooks to read, in what order to run them, and what to write.
//!
//! `build` parses every notebook of the folder, works out the order from `results("slug")`
//! calls, runs what the request needs in parallel (each notebook once those it reads have
//! run), renders the pages in parallel and writes them. Nothing is written when any notebook
//! has an error; a site build replaces the output folder whole.

mod cache;
mod chart;
pub mod config;
pub mod graph;
mod index;
mod load;
mod page;
mod run;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::diag::{Code, Diagnostic};
use crate::exec::Executor;
use crate::notebook::Notebook;
use crate::render::{SiteInfo, Theme};
use crate::template::ProseTemplates;
pub use cache::Cache;
use cache::{Fingerprint, PageFiles};
pub use chart::{ChartFormat, ChartOptions, ChartReport, FoundChart, export_chart, find_chart};
pub use config::SiteConfig;
pub use load::discover;
use page::{Run, Site};

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
}

/// Hears how a build goes, for a progress bar. The library never prints.
pub trait Progress: Sync {
    /// `total` steps are coming: one per notebook run and one per page rendered.
    fn start(&self, total: usize);
    /// One step is done.
    fn advance(&self, what: &str);
}

/// Hears nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: usize) {}
    fn advance(&self, _: &str) {}
}

/// What a finished build did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub pages: usize,
    pub charts: usize,
    /// PNG files among the charts' files (`--png`).
    pub pngs: usize,
    /// The files written: all of them, or in a rebuild only those whose bytes changed.
    pub files: Vec<PathBuf>,
    /// Notebooks in the folder, notebooks run and pages rendered; a rebuild reuses the rest.
    pub notebooks: usize,
    pub ran: usize,
    pub rendered: usize,
    pub elapsed_ms: f64,
    /// Milliseconds spent in each stage, in order, for `-v`.
    pub stages: Vec<(&'static str, f64)>,
    /// What the build did besides its pages that the user should hear of.
    pub warnings: Vec<Diagnostic>,
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

/// Why a build did not finish, with every diagnostic.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    /// The command line itself was wrong (exit 2) rather than the notebooks (exit 1).
    pub usage: bool,
    /// Writing failed after some files were in place (a single-notebook build).
    pub partial: bool,
}

impl Failure {
    /// How many of its diagnostics are errors (a failed build reports its warnings too).
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == crate::diag::Severity::Error).count()
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure { diagnostics: vec![d], usage: false, partial: false }
    }
}

impl From<Vec<Diagnostic>> for Failure {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Failure { diagnostics, usage: false, partial: false }
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
    let (folder, single) = if input.is_dir() {
        (input.to_path_buf(), None)
    } else if input.is_file() {
        let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
        (parent.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")), Some(input.to_path_buf()))
    } else {
        return Err(Diagnostic::error(
            Code::IoNotFound,
            format!("`{}` is neither a notebook file nor a folder", input.display()),
        )
        .with_hint("pass a notebook such as `notebooks/mlops.md` or a folder such as `notebooks/`")
        .into());
    };
    if !opts.dry_run {
        write::check_output(&opts.out, &folder)?;
    }
    let config = SiteConfig::load(&folder)?;
    let theme_dir = opts.theme.clone().or_else(|| config.theme.as_ref().map(|t| folder.join(t)));
    let mut theme = Theme::load(theme_dir.as_deref())?;
    theme.fuel = config.limits.theme_fuel;

    let mut watch = Stopwatch::new();
    // 1. Parse every notebook of the folder.
    let paths = discover(&folder)?;
    let limits = config.limits.notebook();
    let parsed: Vec<_> = paths.par_iter().map(|p| (p, load::read_notebook(p, &limits))).collect();
    let mut notebooks = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut target_broken = false;
    // Notebooks that could not be parsed, kept aside in a one-page build: if the page names
    // one of them, their errors explain why its slug is unknown.
    let mut unparsed = load::Unparsed::default();
    for (path, result) in parsed {
        match result {
            Ok(nb) => notebooks.push(nb),
            // One notebook is rendered without the others: their parse errors do not count.
            Err(mut d) => match &single {
                Some(file) if !load::same_file(path, file) => unparsed.add(path, d),
                Some(_) => {
                    target_broken = true;
                    diagnostics.append(&mut d);
                }
                None => diagnostics.append(&mut d),
            },
        }
    }
    if target_broken {
        return Err(diagnostics.into());
    }
    let targets: Vec<usize> = match &single {
        None => (0..notebooks.len()).collect(),
        Some(file) => notebooks.iter().position(|n| load::same_file(&n.path, file)).into_iter().collect(),
    };

    let mut slug_problems = Vec::new();
    let slugs = load::slug_index(&notebooks, &mut slug_problems);
    let concerns_targets = |d: &Diagnostic| {
        single.is_none()
            || d.location
                .as_ref()
                .is_some_and(|l| targets.iter().any(|&t| std::sync::Arc::ptr_eq(&l.file, &notebooks[t].source)))
    };
    diagnostics.extend(slug_problems.into_iter().filter(|d| concerns_targets(d)));
    load::check_params(&notebooks, &opts.params).map_err(|d| Failure {
        diagnostics: vec![d],
        usage: true,
        partial: false,
    })?;

    watch.lap("parse");
    // 2. The order: `results("slug")` dependencies, in waves.
    let (graph, graph_problems) = graph::resolve(&notebooks, &slugs, &unparsed);
    let graph::Graph { deps, calls: dep_calls, broken } = graph;
    diagnostics.extend(graph_problems.into_iter().filter(|d| concerns_targets(d)));
    let warnings: Vec<Diagnostic> = targets.par_iter().flat_map_iter(|&t| load::unused_inputs(&notebooks[t])).collect();
    let order = index::Order::new(&notebooks, &config.groups);
    let needed = needed(&notebooks, &targets, &deps, &slugs, &order);
    // Only what this build runs can stop it: a cycle among other notebooks does not.
    let needed_deps: Vec<Vec<usize>> =
        deps.iter().enumerate().map(|(i, d)| if needed[i] { d.clone() } else { Vec::new() }).collect();
    let waves = match graph::waves(&needed_deps) {
        Ok(w) => w,
        Err(cycle) => {
            diagnostics.push(cycle_error(&notebooks, &cycle, &dep_calls));
            diagnostics.extend(warnings);
            return Err(diagnostics.into());
        }
    };

    // 3. Run, each notebook once those it reads have run; one whose inputs are unchanged keeps
    // its last run.
    let own = match &mut cache {
        Some(cache) => {
            cache.begin(site_fingerprint(&folder, &theme, opts, single.as_deref()));
            cache::own_prints(&notebooks, &needed, config.limits.data_bytes)
        }
        None => Vec::new(),
    };
    let kept_runs = cache.as_deref();
    let kept = |i: usize, print: Fingerprint| {
        let run = kept_runs.and_then(|c| c.run(&notebooks[i], Some(print)))?;
        Some((run.executed.exports.clone(), run.results_print()))
    };
    let pages = if single.is_some() { targets.len() } else { notebooks.len() };
    progress.start(needed.iter().filter(|n| **n).count() + pages);
    let executor = Executor::new(config.limits.cells());
    let schedule = run::Schedule {
        waves: &waves,
        deps: &deps,
        calls: &dep_calls,
        needed: &needed,
        broken: &broken,
        reuse: kept_runs.map(|_| run::Reuse { own: &own, kept: &kept }),
        data: config.limits.data(),
    };
    let run::Runs { runs: executed, prints, diagnostics: mut run_problems } =
        run::run_all(&executor, &notebooks, &schedule, &opts.params, progress);
    diagnostics.append(&mut run_problems);
    let ran = executed.iter().filter(|e| e.is_some()).count();
    let runs: Vec<Option<Arc<Run>>> = executed
        .into_par_iter()
        .enumerate()
        .map(|(i, fresh)| match fresh {
            Some(e) => Some(Arc::new(Run::new(e))),
            None => kept_runs.filter(|_| needed[i]).and_then(|c| c.run(&notebooks[i], prints[i])),
        })
        .collect();
    watch.lap("execute");

    // 4. The frontmatter texts of every notebook that ran, then the pages.
    let templates = ProseTemplates::within(config.limits.prose());
    let texts_or: Vec<_> = runs
        .par_iter()
        .enumerate()
        .map(|(i, run)| match run {
            Some(r) => Some(page::front_texts(&notebooks[i], r, &templates)),
            // A card or link to a notebook that did not need to run: its words are fixed.
            None if !needed[i] => page::card_texts(&notebooks[i]).map(Ok),
            None => None,
        })
        .collect();
    let mut texts = Vec::with_capacity(texts_or.len());
    for t in texts_or {
        match t {
            Some(Ok(t)) => texts.push(Some(t)),
            Some(Err(mut d)) => {
                diagnostics.append(&mut d);
                texts.push(None);
            }
            None => texts.push(None),
        }
    }
    let info = SiteInfo { title: config.title.clone(), base_url: config.base_url.clone() };
    let site = Site {
        notebooks: &notebooks,
        slugs: &slugs,
        unparsed: &unparsed,
        runs: &runs,
        texts: &texts,
        order: &order,
        templates: &templates,
        theme: &theme,
        info: &info,
        png: opts.png,
    };
    // A page is rendered again only when something it shows changed.
    let keys: Vec<Option<Fingerprint>> = match &cache {
        Some(_) => targets.iter().map(|&t| Some(page_key(t, &site, &prints))).collect(),
        None => vec![None; targets.len()],
    };
    // Rebuilding into the folder the last build wrote: a kept page's files are already there.
    let in_place =
        single.is_none() && !opts.dry_run && cache.as_deref_mut().is_some_and(|c| c.written(&opts.out).is_some());
    let kept_pages = cache.as_deref();
    let rendered: Vec<_> = targets
        .par_iter()
        .zip(&keys)
        .map(|(&t, key)| {
            let kept = key.and_then(|k| kept_pages.and_then(|c| c.page(&notebooks[t], k)));
            let page = match kept {
                Some(page) => Ok((page, false)),
                None => run::guard(&notebooks[t], || page::render_page(t, &site))
                    .map(|page| (Arc::new(page_files(&notebooks[t], page)), true)),
            };
            progress.advance(&notebooks[t].source.name);
            (t, *key, page)
        })
        .collect();

    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut unchanged: Vec<PathBuf> = Vec::new();
    let (mut charts, mut pngs, mut fresh_pages) = (0, 0, 0);
    let mut pages_to_keep = Vec::new();
    for (t, key, page) in rendered {
        match page {
            Ok((page, fresh)) => {
                charts += page.charts;
                pngs += page.pngs;
                fresh_pages += usize::from(fresh);
                match key {
                    Some(key) => {
                        if fresh || !in_place {
                            files.extend(page.files.iter().cloned());
                        } else {
                            unchanged.extend(page.files.iter().map(|(path, _)| path.clone()));
                        }
                        pages_to_keep.push((t, key, page));
                    }
                    None => match Arc::try_unwrap(page) {
                        Ok(page) => files.extend(page.files),
                        Err(page) => files.extend(page.files.iter().cloned()),
                    },
                }
            }
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if !diagnostics.is_empty() {
        let named = targets.iter().flat_map(|&t| graph::slugs_named(&notebooks[t], &dep_calls[t]));
        diagnostics.extend(unparsed.named(named, &slugs));
        // A failed build still says what it would have warned about.
        diagnostics.extend(warnings);
        return Err(diagnostics.into());
    }

    watch.lap("render");
    // 5. The site's own files, then write.
    for (name, bytes) in &theme.assets {
        files.push((PathBuf::from("assets").join(name), bytes.clone()));
    }
    if single.is_none() {
        let ctx = index::index_context(&notebooks, &texts, &order, &info);
        let html = crate::render::index_html(&theme, &ctx)?;
        files.push((PathBuf::from("index.html"), html.into_bytes()));
        if let Some(base) = &config.base_url {
            files.push((PathBuf::from("sitemap.xml"), index::sitemap(base, &notebooks, &order).into_bytes()));
        }
    }
    let written = if opts.dry_run {
        Vec::new()
    } else if single.is_some() {
        // A refusal comes before any file is written; a failure after, maybe not.
        let output = write::open_output(&opts.out, &files)?;
        output.write(&files).map_err(|d| Failure { diagnostics: vec![d], usage: false, partial: true })?
    } else {
        write_site(&opts.out, &files, &unchanged, cache.as_deref_mut())?
    };
    watch.lap("write");
    if let Some(cache) = cache {
        let runs: Vec<(usize, Fingerprint, Arc<Run>)> =
            (0..notebooks.len()).filter_map(|i| Some((i, prints[i]?, Arc::clone(runs[i].as_ref()?)))).collect();
        cache.keep(&notebooks, &runs, pages_to_keep);
    }
    Ok(Report {
        pages: targets.len(),
        charts,
        pngs,
        files: written,
        notebooks: notebooks.len(),
        ran,
        rendered: fresh_pages,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        stages: watch.stages,
        warnings,
    })
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

/// The files a rendered page writes, relative to the output folder.
fn page_files(nb: &Notebook, page: page::Page) -> PageFiles {
    let dir = PathBuf::from(nb.slug());
    let mut out = PageFiles::default();
    for chart in page.body.charts {
        out.files.push((dir.join(format!("{}.svg", chart.name)), chart.svg.into_bytes()));
        out.charts += 1;
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
    cache::hash_of((prints[t], site.order.position(t), neighbour(prev), neighbour(next), cards, embeds))
}

/// What every page depends on beyond its notebooks: the site file, the theme's files (as
/// loaded: a theme file is read once), the params and flags, and which notebook a one-page
/// build renders.
fn site_fingerprint(folder: &Path, theme: &Theme, opts: &BuildOptions, single: Option<&Path>) -> Fingerprint {
    // Read as `SiteConfig::load` read it a moment ago: a regular file, and not past its cap.
    let site_file = crate::file::read(&folder.join("_site.yaml"), config::MAX_BYTES).ok();
    cache::hash_of((site_file, theme.fingerprint, &opts.params, opts.png, &opts.out, single))
}

/// Which notebooks must run: the targets, what they read through `results()`, the notebooks
/// whose figures they embed, the notebooks their cards and neighbour links name when a title
/// or blurb is computed (a fixed one is read as written), and what all those read in turn.
fn needed(
    notebooks: &[Notebook],
    targets: &[usize],
    deps: &[Vec<usize>],
    slugs: &std::collections::HashMap<String, usize>,
    order: &index::Order,
) -> Vec<bool> {
    let mut needed = vec![false; notebooks.len()];
    let mut stack: Vec<usize> = Vec::new();
    let computed = |j: &usize| !page::card_is_fixed(&notebooks[*j]);
    for &t in targets {
        stack.push(t);
        stack.extend(notebooks[t].front.related_slugs().filter_map(|s| slugs.get(s).copied()).filter(computed));
        stack.extend(graph::figure_refs(&notebooks[t]).filter_map(|r| slugs.get(&r.slug).copied()));
        let (prev, next) = order.neighbours(t);
        stack.extend(prev.into_iter().chain(next).filter(computed));
    }
    while let Some(i) = stack.pop() {
        if !needed[i] {
            needed[i] = true;
            stack.extend(deps[i].iter().copied());
        }
    }
    needed
}

/// A cycle of `results()` calls, naming every notebook in it, at the first one's call.
fn cycle_error(notebooks: &[Notebook], cycle: &[usize], calls: &[Vec<graph::Dependency>]) -> Diagnostic {
    let names: Vec<String> = cycle.iter().map(|&i| notebooks[i].source.name.clone()).collect();
    let mut chain = names.clone();
    chain.extend(names.first().cloned());
    let first = cycle[0];
    let next_slug = cycle.get(1).or(cycle.first()).map(|&i| notebooks[i].slug()).unwrap_or_default();
    let d = Diagnostic::error(
        Code::SiteCycle,
        format!("these notebooks read each other's results in a cycle: {}", chain.join(" -> ")),
    )
    .with_hint("a notebook can only read the results of notebooks that do not read its own; move the shared figures into one of them");
    match calls[first].iter().find(|c| c.slug == next_slug) {
        Some(call) => d.at(&notebooks[first].source, call.span.clone()),
        None => d,
    }
}

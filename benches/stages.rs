//! Criterion benchmarks of the pipeline's stages, one page at a time, through the library's
//! public API: parse, load (the `data:` tables), execute (the cells), chart (one chart's SVG),
//! prose (the Markdown body, which also draws the page's charts), page (the theme template)
//! and write (the page's files into an output folder).
//!
//! Two notebooks: `notebooks/mlops.md` (two data files, a table, two charts) and
//! `bench/mlops/mlops.md` (the notebook equivalent of the peers' article: an inline table, one
//! chart). Run with `cargo bench --bench stages`; `-- parse` runs one stage.

// A benchmark harness, not library code: a fixture that does not load is a broken benchmark,
// and stopping with its message is the right outcome.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;

use nbrender::chart::{self, ChartSpec};
use nbrender::exec::{Executed, Executor, Limits, Results, Value};
use nbrender::notebook::{self, Notebook};
use nbrender::prose::{self, Body, Embeddable};
use nbrender::render::{self, PageContext, PageInfo, SiteInfo, Theme};
use nbrender::site::write;
use nbrender::template::{Output, ProseTemplates, Scope, scope_value};

const NOTEBOOKS: &[(&str, &str)] = &[("mlops", "notebooks/mlops.md"), ("bench-mlops", "bench/mlops/mlops.md")];

/// One notebook carried through every stage once, so each stage can be timed on its own inputs.
struct Fixture {
    path: PathBuf,
    text: String,
    notebook: Notebook,
    inputs: IndexMap<String, std::sync::Arc<serde_json::Value>>,
    executed: Executed,
    scope: Scope,
    chart: ChartSpec,
    body: Body,
    context: PageContext,
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn fixture(relative: &str, executor: &Executor, templates: &ProseTemplates, theme: &Theme) -> Fixture {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).expect("read the notebook");
    let notebook = notebook::parse(&path, relative, text.clone()).expect("the notebook parses");
    let inputs = load(&notebook);
    let executed = executor.run(&notebook, inputs.clone(), Results::default()).expect("the cells run");
    let scope = scope_value(&executed.scope);
    let chart = executed
        .outputs
        .iter()
        .find_map(|o| match &o.value {
            Value::Chart(spec) => Some((**spec).clone()),
            _ => None,
        })
        .expect("the notebook draws a chart");
    let body = body(&notebook, &executed, templates, &scope).expect("the body renders");
    let context = context(&notebook, templates, &scope);
    let html = render::page_html(theme, &context, &body.html, &body.faq).expect("the page renders");
    let slug = PathBuf::from(notebook.slug());
    let mut files: Vec<(PathBuf, Vec<u8>)> =
        body.charts.iter().map(|c| (slug.join(format!("{}.svg", c.name)), c.svg.clone().into_bytes())).collect();
    files.push((slug.join("index.html"), html.into_bytes()));
    files.extend(theme.assets.iter().map(|(name, bytes)| (PathBuf::from("assets").join(name), bytes.clone())));
    Fixture { path, text, notebook, inputs, executed, scope, chart, body, context, files }
}

/// The `data:` tables, as a build loads them before the first cell.
fn load(nb: &Notebook) -> IndexMap<String, std::sync::Arc<serde_json::Value>> {
    let dir = nb.path.parent().unwrap_or(Path::new("."));
    nb.front
        .data
        .iter()
        .map(|(name, rel)| {
            let value = nbrender::data::resolve(dir, rel)
                .and_then(|p| nbrender::data::load(&p, rel, &nbrender::data::DataLimits::default()))
                .map_err(|e| e.message)
                .expect("the data loads");
            (name.clone(), value)
        })
        .collect()
}

fn body(
    nb: &Notebook,
    executed: &Executed,
    templates: &ProseTemplates,
    scope: &Scope,
) -> Result<Body, Vec<nbrender::diag::Diagnostic>> {
    let prefix = nb.front.prefix.clone().unwrap_or_else(|| nb.slug());
    prose::render_body(nb, executed, templates, scope, &prefix, &Embeddable::default(), false, &[], "bench.md")
}

/// A page context as a one-page build makes it, without related cards or neighbours (they
/// need the rest of the site).
fn context(nb: &Notebook, templates: &ProseTemplates, scope: &Scope) -> PageContext {
    let text = |field: &Option<String>| {
        field
            .as_deref()
            .map(|s| templates.expand(s, scope, Output::Text).expect("the field expands"))
            .unwrap_or_default()
    };
    let lede = text(&nb.front.lede);
    PageContext {
        site: SiteInfo { title: Some("bench".into()), base_url: None },
        page: PageInfo {
            title: text(&Some(nb.front.title.clone())),
            description: lede.clone(),
            lede,
            section: nb.front.section.clone(),
            group: nb.front.group.clone(),
            notebook: nb.front.notebook.clone().unwrap_or_else(|| format!("{}.ipynb", notebook::stem(&nb.path))),
            cell: nb.front.cell.unwrap_or(1),
            slug: nb.slug(),
            updated: nb.front.updated.clone(),
            canonical: None,
        },
        related: Vec::new(),
        prev: None,
        next: None,
        family: None,
        assets: "../assets/".into(),
        home: "../".into(),
        generator: "nbrender bench".into(),
    }
}

fn stages(c: &mut Criterion) {
    // Built once per build in nbrender too, so outside the timed stages.
    let executor = Executor::new(Limits::default());
    let templates = ProseTemplates::new();
    let theme = Theme::load(None).expect("the default theme loads");
    let scratch = tempfile::tempdir().expect("a scratch folder");

    for (name, relative) in NOTEBOOKS {
        let f = fixture(relative, &executor, &templates, &theme);
        let mut group = c.benchmark_group(*name);
        group.bench_function("parse", |b| {
            b.iter_batched(
                || f.text.clone(),
                |text| notebook::parse(&f.path, relative, text).expect("parses"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("load", |b| b.iter(|| load(black_box(&f.notebook))));
        group.bench_function("execute", |b| {
            b.iter(|| executor.run(black_box(&f.notebook), f.inputs.clone(), Results::default()).expect("runs"))
        });
        group.bench_function("chart", |b| b.iter(|| chart::to_svg(black_box(&f.chart), "chart").expect("draws")));
        group.bench_function("prose", |b| {
            b.iter(|| body(black_box(&f.notebook), &f.executed, &templates, &f.scope).expect("renders"))
        });
        group.bench_function("page", |b| {
            b.iter(|| render::page_html(&theme, black_box(&f.context), &f.body.html, &f.body.faq).expect("renders"))
        });
        // A first build into an empty folder, and a rebuild over the same files (which
        // nbrender hard-links instead of rewriting).
        let fresh = scratch.path().join(format!("{name}-fresh"));
        group.bench_function("write-fresh", |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_dir_all(&fresh);
                },
                |()| write::replace_dir(&fresh, &f.files).expect("writes"),
                BatchSize::PerIteration,
            )
        });
        let again = scratch.path().join(format!("{name}-again"));
        write::replace_dir(&again, &f.files).expect("writes");
        group.bench_function("write-unchanged", |b| b.iter(|| write::replace_dir(&again, &f.files).expect("writes")));
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Short runs: the stages take micro- to milliseconds, and the machine is shared.
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = stages
}
criterion_main!(benches);

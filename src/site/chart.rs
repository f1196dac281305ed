//! `nbrender chart`: one chart of one notebook, as a file for another article or a slide.
//!
//! The notebook runs with what it reads through `results()`, exactly as in a page build, but
//! no page is rendered: only the labelled cell's chart is drawn and written.

use std::path::{Path, PathBuf};

use super::outcome::{Failure, Silent};
use super::{load, plan, run, write};
use crate::chart::ChartSpec;
use crate::diag::{Code, Diagnostic, Location};
use crate::exec::{Executor, Value};
use crate::notebook::Notebook;

/// The file format of an exported chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    /// At twice the CSS size.
    Png,
}

/// What `nbrender chart` asks for, validated.
#[derive(Debug, Clone)]
pub struct ChartOptions {
    pub out: PathBuf,
    pub format: ChartFormat,
    /// CSS px, replacing the chart's own `width` / `height`.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Dark colours on the theme's dark sheet colour, for dark slides and pages.
    pub dark: bool,
    /// `--param key=value`, in order.
    pub params: Vec<(String, String)>,
}

/// A chart found in a notebook that ran.
#[derive(Debug, Clone)]
pub struct FoundChart {
    pub spec: ChartSpec,
    /// Its accessible name, as on the page.
    pub alt: String,
    /// The cell's opening fence, for errors.
    pub cell: Location,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ChartReport {
    pub path: PathBuf,
    pub bytes: usize,
    /// The drawing's size in CSS px.
    pub width: u32,
    pub height: u32,
}

/// Runs `notebook` (and what it reads), draws the chart of the cell labelled `label` and
/// writes it to `opts.out`. Nothing is written when anything fails.
pub fn export_chart(notebook: &Path, label: &str, opts: &ChartOptions) -> Result<ChartReport, Failure> {
    let found = crate::pool::install(|| find_chart(notebook, label, &opts.params))?;
    let spec =
        ChartSpec { width: opts.width.or(found.spec.width), height: opts.height.or(found.spec.height), ..found.spec };
    let drawn = match (opts.format, opts.dark) {
        (ChartFormat::Svg, false) => crate::chart::to_svg(&spec, &found.alt).map(String::into_bytes),
        (ChartFormat::Svg, true) => crate::chart::to_dark_svg(&spec, &found.alt).map(String::into_bytes),
        (ChartFormat::Png, dark) => crate::chart::to_png(&spec, crate::render::cell::PNG_SCALE, dark),
    };
    let bytes = drawn.map_err(|e| {
        let resized = opts.width.is_some() || opts.height.is_some();
        let d = Diagnostic::error(Code::ChartDraw, format!("cannot draw `{label}`: {}", e.message))
            .at(&found.cell.file, found.cell.span.clone());
        let hint = match resized {
            true => "choose another --width or --height",
            false => "check the chart's rows and options",
        };
        Failure { diagnostics: vec![d.with_hint(hint)], usage: resized, partial: false }
    })?;
    let (width, height) =
        crate::chart::size(&spec).map_err(|e| Failure::from(Diagnostic::error(Code::ChartDraw, e.message)))?;
    write::write_file(&opts.out, &bytes)?;
    Ok(ChartReport { path: opts.out.clone(), bytes: bytes.len(), width, height })
}

/// Runs `notebook` and what it reads through `results()`, and returns the chart of the cell
/// labelled `label`. An unknown label, or one whose cell is not a chart, is a usage error
/// that lists the notebook's charts.
pub fn find_chart(notebook: &Path, label: &str, params: &[(String, String)]) -> Result<FoundChart, Failure> {
    let usage = |d: Diagnostic| Failure { diagnostics: vec![d], usage: true, partial: false };
    if notebook.is_dir() {
        return Err(usage(
            Diagnostic::error(Code::CliNotANotebook, format!("`{}` is a folder, not a notebook", notebook.display()))
                .at_argument(&notebook.to_string_lossy())
                .with_hint("name the notebook file that computes the chart, such as `notebooks/mlops.md`"),
        ));
    }
    if !notebook.is_file() {
        return Err(Diagnostic::error(Code::IoNotFound, format!("`{}` is not a notebook file", notebook.display()))
            .at_argument(&notebook.to_string_lossy())
            .with_hint("pass a notebook such as `notebooks/mlops.md`")
            .into());
    }
    let folder = notebook.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let config = super::SiteConfig::load(folder)?;
    let limits = config.limits;
    // Other notebooks only matter when this one reads their results: their parse errors do not count.
    let options = load::LoadOptions { limits: limits.notebook(), data: limits.data() };
    let mut loaded = load::load(folder, Some(notebook), &options)?;
    loaded.pick_members(params).map_err(usage)?;
    let Some(&target) = loaded.targets.first() else {
        return Err(Diagnostic::error(Code::IoNotFound, format!("`{}` is not a notebook", notebook.display()))
            .with_hint("notebooks are `.md` files whose names do not start with `_`")
            .into());
    };
    if let Some(d) = one_member(&loaded) {
        return Err(usage(d));
    }
    let family = super::family::entry_of(&loaded.notebooks, target).unwrap_or(target);
    load::check_params(&loaded.notebooks[family..], params, false).map_err(usage)?;
    let plan = match plan::for_values(&loaded) {
        Ok(plan) => plan,
        Err(cycle) => return Err(loaded.failure(vec![cycle], Vec::new()).into()),
    };
    let schedule = run::Schedule {
        waves: &plan.waves,
        deps: &loaded.graph.deps,
        calls: &loaded.graph.calls,
        needed: &plan.needed,
        broken: &loaded.graph.broken,
        computed: &loaded.graph.computed,
        reuse: None,
        data: limits.data(),
        site: super::family::site_view(&loaded.notebooks, &super::index::Order::new(&loaded.notebooks, &config.groups))
            .0,
    };
    let run::Runs { mut runs, diagnostics, .. } =
        run::run_all(&Executor::new(limits.cells()), &loaded, &schedule, params, &Silent);
    if !loaded.diagnostics.is_empty() || !diagnostics.is_empty() {
        return Err(loaded.failure(diagnostics, Vec::new()).into());
    }
    let nb = &loaded.notebooks[target];
    let executed = runs
        .get_mut(target)
        .and_then(Option::take)
        .ok_or_else(|| Failure::from(Diagnostic::error(Code::Internal, format!("{} did not run", nb.source.name))))?;
    pick(nb, &executed.outputs, label).map_err(usage)
}

/// A chart of a family is one member's: the `--param`s must pick exactly one.
fn one_member(loaded: &load::Loaded) -> Option<Diagnostic> {
    let notebooks = &loaded.notebooks;
    let members: Vec<&crate::notebook::Member> =
        loaded.targets.iter().filter_map(|&t| notebooks[t].member.as_deref()).collect();
    let entry = loaded.targets.iter().find(|&&t| notebooks[t].is_family()).copied();
    if entry.is_none() && members.len() <= 1 {
        return None;
    }
    let first = loaded.targets.first().map(|&t| super::family::entry_of(notebooks, t).unwrap_or(t))?;
    let name = &notebooks[first].source.name;
    let example = members.first().map(|m| {
        m.params
            .iter()
            .map(|(k, v)| format!("--param {k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let shown: Vec<String> = members.iter().take(5).map(|m| m.params_text()).collect();
    Some(
        Diagnostic::error(
            Code::CliUnknownParam,
            format!("{name} is a family of pages, and {} of them match: a chart is one page's", members.len()),
        )
        .with_hint(match example {
            Some(example) => format!(
                "pick one page with its parameters, such as `{example}` (pages: {}{})",
                shown.join("; "),
                if members.len() > 5 { "; …" } else { "" }
            ),
            None => "pick one page with `--param`".to_string(),
        }),
    )
}

/// The chart of the cell labelled `label`, or an error listing the notebook's charts.
fn pick(nb: &Notebook, outputs: &[crate::exec::CellOutput], label: &str) -> Result<FoundChart, Diagnostic> {
    let chart_of = |number: usize| {
        outputs.iter().find(|o| o.number == number).and_then(|o| match &o.value {
            Value::Chart(spec) => Some(spec),
            _ => None,
        })
    };
    let labelled: Vec<(&str, &crate::notebook::Cell)> =
        nb.cells().filter_map(|c| c.options.label.as_ref().map(|l| (l.name.as_str(), c))).collect();
    let charts: Vec<&str> = labelled.iter().filter(|(_, c)| chart_of(c.number).is_some()).map(|(l, _)| *l).collect();
    let listing = match charts.as_slice() {
        [] => format!("{} has no labelled charts", nb.source.name),
        some => format!("its charts: {}", some.join(", ")),
    };
    let Some((_, cell)) = labelled.iter().find(|(l, _)| *l == label) else {
        let d = Diagnostic::error(Code::CliUnknownLabel, format!("{} has no cell labelled `{label}`", nb.source.name))
            .at_argument(label);
        return Err(match crate::diag::did_you_mean(label, charts.iter().copied()) {
            Some(best) => d.with_hint(format!("did you mean `{best}`? {listing}")),
            None => d.with_hint(listing),
        });
    };
    let Some(spec) = chart_of(cell.number) else {
        let what = outputs.iter().find(|o| o.number == cell.number).map_or("nothing", |o| o.value.type_name());
        return Err(Diagnostic::error(
            Code::CliNotAChart,
            format!("`{label}` in {} is {what}, not a chart; `nbrender chart` exports charts", nb.source.name),
        )
        .at(&nb.source, cell.options.label.as_ref().map_or(0..0, |l| l.span.clone()))
        .with_hint(listing));
    };
    Ok(FoundChart {
        spec: (**spec).clone(),
        alt: crate::render::cell::chart_alt(cell, spec),
        cell: Location { file: std::sync::Arc::clone(&nb.source), span: nb.source.line_span(cell.fence_line) },
    })
}

//! Running notebooks: their data and params, then their cells, wave by wave in dependency
//! order, the notebooks of a wave in parallel.

use std::path::Path;

use indexmap::IndexMap;
use rayon::prelude::*;

use super::cache::{Fingerprint, exports_print, hash_of};
use crate::data::DataLimits;
use crate::diag::Diagnostic;
use crate::exec::{Executed, Executor, Exports, Results};
use crate::notebook::Notebook;

/// Loads the data, applies params and runs the cells.
pub(crate) fn run_notebook(
    executor: &Executor,
    nb: &Notebook,
    params: &[(String, String)],
    data_limits: &DataLimits,
    results: Results,
) -> Result<Executed, Vec<Diagnostic>> {
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
        match crate::data::resolve(dir, rel).and_then(|p| crate::data::load(&p, rel, data_limits)) {
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
    guard(nb, || executor.run(nb, &inputs, results).map_err(|d| vec![d]))
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

/// What to run and in which order.
pub(crate) struct Schedule<'a> {
    /// Waves of notebook indices; a wave depends only on earlier ones.
    pub waves: &'a [Vec<usize>],
    /// Each notebook's dependencies (indices) and the `results()` calls behind them.
    pub deps: &'a [Vec<usize>],
    pub calls: &'a [Vec<super::graph::Dependency>],
    /// Which notebooks this build needs.
    pub needed: &'a [bool],
    /// Notebooks that cannot run (their errors are reported already).
    pub broken: &'a [bool],
    /// What an earlier build left, when this build may reuse it.
    pub reuse: Option<Reuse<'a>>,
    /// How much data one file may bring.
    pub data: DataLimits,
}

/// Runs an earlier build kept: a notebook whose inputs hash as they did then need not run.
#[derive(Clone, Copy)]
pub(crate) struct Reuse<'a> {
    /// Each notebook's own inputs (its text and data files), hashed.
    pub own: &'a [Option<Fingerprint>],
    /// The results of notebook `i`'s kept run and their hash, when its inputs hashed to the
    /// given fingerprint.
    pub kept: &'a (dyn Fn(usize, Fingerprint) -> Option<(Exports, Fingerprint)> + Sync),
}

/// What `run_waves` did: each notebook's run (by index) when it ran now, the fingerprint of
/// each notebook's inputs (with a `Reuse`), and the errors.
pub(crate) struct Waves {
    pub runs: Vec<Option<Executed>>,
    pub prints: Vec<Option<Fingerprint>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs the needed notebooks wave by wave. A notebook whose dependency failed does not run;
/// the error says which dependency. With a `Reuse`, a notebook whose own inputs and whose
/// dependencies' results are unchanged keeps its earlier run.
pub(crate) fn run_waves(
    executor: &Executor,
    notebooks: &[Notebook],
    schedule: &Schedule<'_>,
    params: &[(String, String)],
    progress: &dyn super::Progress,
) -> Waves {
    let Schedule { waves, deps, calls: dep_calls, needed, broken, reuse, data } = *schedule;
    let mut runs: Vec<Option<Executed>> = (0..notebooks.len()).map(|_| None).collect();
    let mut prints: Vec<Option<Fingerprint>> = vec![None; notebooks.len()];
    let mut reused: Vec<Option<Exports>> = vec![None; notebooks.len()];
    let mut results_prints: Vec<Option<Fingerprint>> = vec![None; notebooks.len()];
    let mut failed = broken.to_vec();
    let mut diagnostics = Vec::new();
    for wave in waves {
        let active: Vec<usize> = wave.iter().copied().filter(|&i| needed[i] && !broken[i]).collect();
        if let Some(reuse) = reuse {
            for &i in &active {
                let Some(own) = reuse.own[i] else { continue };
                let read: Vec<Option<Fingerprint>> = deps[i].iter().map(|&d| results_prints[d]).collect();
                let print = hash_of((own, read));
                prints[i] = Some(print);
                if let Some((exports, results)) = (reuse.kept)(i, print) {
                    reused[i] = Some(exports);
                    results_prints[i] = Some(results);
                }
            }
        }
        let todo: Vec<usize> = active.iter().copied().filter(|&i| reused[i].is_none()).collect();
        let outcomes: Vec<(usize, Result<Executed, Vec<Diagnostic>>)> = todo
            .par_iter()
            .map(|&i| {
                let nb = &notebooks[i];
                let outcome = match deps[i].iter().find(|&&d| failed[d]) {
                    Some(&bad) => Err(vec![dependency_failed(nb, &notebooks[bad], &dep_calls[i])]),
                    None => {
                        let results: Results = deps[i]
                            .iter()
                            .filter_map(|&d| {
                                let exports = runs[d].as_ref().map(|r| &r.exports).or(reused[d].as_ref());
                                exports.map(|e| (notebooks[d].slug(), e.clone()))
                            })
                            .collect();
                        run_notebook(executor, nb, params, &data, results)
                    }
                };
                progress.advance(&nb.source.name);
                (i, outcome)
            })
            .collect();
        for (i, outcome) in outcomes {
            match outcome {
                Ok(executed) => runs[i] = Some(executed),
                Err(mut d) => {
                    failed[i] = true;
                    diagnostics.append(&mut d);
                }
            }
        }
        if reuse.is_some() {
            for &i in &active {
                if let Some(run) = &runs[i] {
                    results_prints[i] = Some(exports_print(&run.exports));
                }
            }
        }
    }
    Waves { runs, prints, diagnostics }
}

fn dependency_failed(nb: &Notebook, bad: &Notebook, calls: &[super::graph::Dependency]) -> Diagnostic {
    let slug = bad.slug();
    let d = Diagnostic::error(
        "site::dependency-failed",
        format!("this notebook reads `results(\"{slug}\")`, but {} has errors", bad.source.name),
    )
    .with_hint(format!("fix the errors in {} first", bad.source.name));
    match calls.iter().find(|c| c.slug == slug) {
        Some(call) => d.at(&nb.source, call.span.clone()),
        None => d,
    }
}

/// Runs `f`, turning a panic inside it (a bug in nbrender or a crate it uses, never the
/// notebook's fault) into an error on the notebook instead of a crash of the whole build.
pub(crate) fn guard<T>(nb: &Notebook, f: impl FnOnce() -> Result<T, Vec<Diagnostic>>) -> Result<T, Vec<Diagnostic>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        Err(vec![
            Diagnostic::error("internal", format!("nbrender failed on this notebook: {what}"))
                .at(&nb.source, 0..0)
                .with_hint("this is a bug in nbrender, not in the notebook; please report it with the notebook"),
        ])
    })
}

//! Running notebooks: their data and params, then their cells, in dependency order, each as
//! soon as the notebooks it reads have run, in parallel.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use super::fingerprint::{Fingerprint, exports_print, hash_of};
use crate::data::DataLimits;
use crate::diag::{Code, Diagnostic};
use crate::exec::{Executed, Executor, Exports, Results};
use crate::notebook::Notebook;
use crate::template::Scope;

/// Loads the data, applies params and runs the cells.
pub(crate) fn run_notebook(
    executor: &Executor,
    nb: &Notebook,
    params: &[(String, String)],
    data_limits: &DataLimits,
    results: Results,
) -> Result<Executed, Vec<Diagnostic>> {
    let mut inputs: IndexMap<String, Arc<serde_json::Value>> = IndexMap::new();
    let mut diagnostics = Vec::new();
    let dir = nb.path.parent().unwrap_or(Path::new("."));
    for (name, rel) in &nb.front.data {
        // At the path as written.
        let written = nb.front.value_span(&["data", name]).unwrap_or_else(|| nb.source.line_span(1));
        let at = |e: crate::data::DataError| {
            let d = Diagnostic::error(Code::DataLoad, e.message).at(&nb.source, written.clone());
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
                crate::yaml::from_str::<crate::yaml::Json>(v)
                    .map(|v| v.0)
                    .unwrap_or_else(|_| serde_json::Value::from(v.as_str()))
            })
            .unwrap_or_else(|| value.clone());
        inputs.insert(name.clone(), Arc::new(value));
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    guard(nb, || executor.run(nb, inputs, results).map_err(|d| vec![d]))
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

/// What `run_all` did: each notebook's run (by index) when it ran now, the fingerprint of
/// each notebook's inputs (with a `Reuse`), and the errors.
pub(crate) struct Runs {
    pub runs: Vec<Option<Executed>>,
    pub prints: Vec<Option<Fingerprint>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// How one notebook's turn ended.
#[derive(Default)]
struct Done {
    run: Option<Executed>,
    /// The exports of a kept run, when the notebook did not need to run.
    reused: Option<Exports>,
    print: Option<Fingerprint>,
    /// The hash of its results, as its readers' fingerprints take it (with a `Reuse`).
    results_print: Option<Fingerprint>,
    diagnostics: Vec<Diagnostic>,
}

impl Done {
    /// Neither ran nor kept an earlier run: its readers cannot run.
    fn failed(&self) -> bool {
        self.run.is_none() && self.reused.is_none()
    }
}

/// The shared state of one `run_all`.
struct Runner<'a> {
    executor: &'a Executor,
    notebooks: &'a [Notebook],
    schedule: &'a Schedule<'a>,
    params: &'a [(String, String)],
    progress: &'a dyn super::outcome::Progress,
    /// The notebooks that read each notebook, and how many unfinished notebooks each waits on.
    readers: Vec<Vec<usize>>,
    waiting: Vec<AtomicUsize>,
    done: Vec<OnceLock<Done>>,
}

impl Runner<'_> {
    fn active(&self, i: usize) -> bool {
        self.schedule.needed[i] && !self.schedule.broken[i]
    }

    /// Settles notebook `i`, then starts each reader that no longer waits on anything.
    fn process<'s>(&'s self, scope: &rayon::Scope<'s>, i: usize) {
        let _ = self.done[i].set(self.settle(i));
        for &reader in &self.readers[i] {
            if self.waiting[reader].fetch_sub(1, Ordering::AcqRel) == 1 {
                scope.spawn(move |scope| self.process(scope, reader));
            }
        }
    }

    /// Keeps notebook `i`'s earlier run, or runs it, or fails it because what it reads failed.
    /// Every notebook it reads is settled (or broken from the start).
    fn settle(&self, i: usize) -> Done {
        let Schedule { deps, calls, broken, reuse, data, .. } = *self.schedule;
        let dep = |d: usize| self.done[d].get();
        let mut print = None;
        if let Some(reuse) = reuse
            && let Some(own) = reuse.own[i]
        {
            let read: Vec<Option<Fingerprint>> =
                deps[i].iter().map(|&d| dep(d).and_then(|x| x.results_print)).collect();
            let fingerprint = hash_of((own, read));
            print = Some(fingerprint);
            if let Some((exports, results)) = (reuse.kept)(i, fingerprint) {
                return Done { reused: Some(exports), print, results_print: Some(results), ..Done::default() };
            }
        }
        let nb = &self.notebooks[i];
        let failed_dep = deps[i].iter().find(|&&d| broken[d] || dep(d).is_some_and(Done::failed));
        let outcome = match failed_dep {
            Some(&bad) => Err(vec![dependency_failed(nb, &self.notebooks[bad], &calls[i])]),
            None => {
                let results: Results = deps[i]
                    .iter()
                    .filter_map(|&d| {
                        let done = dep(d)?;
                        let exports = done.run.as_ref().map(|r| &r.exports).or(done.reused.as_ref());
                        exports.map(|e| (self.notebooks[d].slug(), e.clone()))
                    })
                    .collect();
                run_notebook(self.executor, nb, self.params, &data, results)
            }
        };
        self.progress.advance(&nb.source.name);
        match outcome {
            Ok(run) => {
                let results_print = reuse.map(|_| exports_print(&run.exports));
                Done { run: Some(run), print, results_print, ..Done::default() }
            }
            Err(diagnostics) => Done { print, diagnostics, ..Done::default() },
        }
    }
}

/// Runs the needed notebooks, each as soon as the notebooks it reads have run, in parallel.
/// A notebook whose dependency failed does not run; the error says which dependency. With a
/// `Reuse`, a notebook whose own inputs and whose dependencies' results are unchanged keeps its
/// earlier run. Errors come in the order of the waves, whichever finished first.
pub(crate) fn run_all(
    executor: &Executor,
    notebooks: &[Notebook],
    schedule: &Schedule<'_>,
    params: &[(String, String)],
    progress: &dyn super::outcome::Progress,
) -> Runs {
    let n = notebooks.len();
    let mut runner = Runner {
        executor,
        notebooks,
        schedule,
        params,
        progress,
        readers: vec![Vec::new(); n],
        waiting: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        done: (0..n).map(|_| OnceLock::new()).collect(),
    };
    let order: Vec<usize> = schedule.waves.iter().flatten().copied().filter(|&i| runner.active(i)).collect();
    for &i in &order {
        for &d in &schedule.deps[i] {
            if runner.active(d) {
                runner.readers[d].push(i);
                *runner.waiting[i].get_mut() += 1;
            }
        }
    }
    // The longest chain of readers behind each notebook: the ready ones start longest first,
    // so that a chain of notebooks reading each other overlaps the independent ones.
    let mut chain = vec![0usize; n];
    for &i in order.iter().rev() {
        chain[i] = runner.readers[i].iter().map(|&r| chain[r] + 1).max().unwrap_or(0);
    }
    let mut ready: Vec<usize> = order.iter().copied().filter(|&i| *runner.waiting[i].get_mut() == 0).collect();
    ready.sort_by_key(|&i| std::cmp::Reverse(chain[i]));
    rayon::scope(|scope| {
        let runner = &runner;
        for i in ready {
            scope.spawn(move |scope| runner.process(scope, i));
        }
    });

    let mut done: Vec<Option<Done>> = runner.done.into_iter().map(OnceLock::into_inner).collect();
    let mut ran = Runs { runs: (0..n).map(|_| None).collect(), prints: vec![None; n], diagnostics: Vec::new() };
    for i in order {
        let Some(mut d) = done[i].take() else { continue };
        ran.runs[i] = d.run;
        ran.prints[i] = d.print;
        ran.diagnostics.append(&mut d.diagnostics);
    }
    ran
}

fn dependency_failed(nb: &Notebook, bad: &Notebook, calls: &[super::graph::Dependency]) -> Diagnostic {
    let slug = bad.slug();
    let d = Diagnostic::error(
        Code::SiteDependencyFailed,
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
            Diagnostic::error(Code::Internal, format!("nbrender failed on this notebook: {what}"))
                .at(&nb.source, 0..0)
                .with_hint("this is a bug in nbrender, not in the notebook; please report it with the notebook"),
        ])
    })
}
/// A notebook after its cells ran, with its template scope.
pub(crate) struct Run {
    pub executed: Executed,
    pub scope: Scope,
    /// The hash of its results, worked out once when a rebuild first needs it.
    results_print: std::sync::OnceLock<Fingerprint>,
}

impl Run {
    pub fn new(executed: Executed) -> Run {
        let scope = crate::template::scope_value(&executed.scope);
        Run { executed, scope, results_print: std::sync::OnceLock::new() }
    }

    /// What the notebooks reading this one's results see, hashed (see `fingerprint::exports_print`).
    pub fn results_print(&self) -> Fingerprint {
        *self.results_print.get_or_init(|| exports_print(&self.executed.exports))
    }
}

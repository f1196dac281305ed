//! Running notebooks: their data and params, then their cells, in dependency order, each as
//! soon as the notebooks it reads have run, in parallel.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use indexmap::IndexMap;

use super::fingerprint::{Fingerprint, exports_print, hash_of};
use crate::data::DataLimits;
use crate::diag::{Code, Diagnostic};
use crate::exec::{Executed, Executor, Exports, Reads, Results, SiteView};
use crate::notebook::Notebook;
use crate::template::Scope;

/// A notebook's `data:` tables, loaded; every one that cannot be is an error at its path.
pub(crate) type Inputs = Result<IndexMap<String, Arc<serde_json::Value>>, Vec<Diagnostic>>;

/// Loads the notebook's `data:` tables.
pub(crate) fn load_data(nb: &Notebook, data_limits: &DataLimits) -> Inputs {
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
    if diagnostics.is_empty() { Ok(inputs) } else { Err(diagnostics) }
}

/// The notebook's inputs: its data (loaded already), then its params: a family member's own
/// value, else `--param`'s, else the default.
fn with_params(
    nb: &Notebook,
    mut inputs: IndexMap<String, Arc<serde_json::Value>>,
    params: &[(String, String)],
) -> IndexMap<String, Arc<serde_json::Value>> {
    for (name, value) in &nb.front.params {
        let own = nb.member.as_ref().and_then(|m| m.params.get(name));
        let value = match own {
            Some(own) => own.clone(),
            None => params
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| {
                    crate::yaml::from_str::<crate::yaml::Json>(v)
                        .map(|v| v.0)
                        .unwrap_or_else(|_| serde_json::Value::from(v.as_str()))
                })
                .unwrap_or_else(|| value.clone()),
        };
        inputs.insert(name.clone(), Arc::new(value));
    }
    inputs
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
    /// Notebooks with a `results()` call that computes its slug.
    pub computed: &'a [bool],
    /// What an earlier build left, when this build may reuse it.
    pub reuse: Option<Reuse<'a>>,
    /// How much data one file may bring.
    pub data: DataLimits,
    /// The pages of the build, for `site()` and for the `results()` calls that compute slugs.
    pub site: Arc<SiteView>,
}

/// Runs an earlier build kept: a notebook whose inputs hash as they did then need not run.
#[derive(Clone, Copy)]
pub(crate) struct Reuse<'a> {
    /// Each notebook's own inputs (its text and data files), hashed.
    pub own: &'a [Option<Fingerprint>],
    /// The results of notebook `i`'s kept run and their hash, when its inputs hashed to the
    /// given fingerprint.
    pub kept: &'a (dyn Fn(usize, Fingerprint) -> Option<(Exports, Fingerprint)> + Sync),
    /// The slugs notebook `i`'s kept run read by computed slugs.
    pub read: &'a (dyn Fn(usize) -> Option<Vec<String>> + Sync),
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

    fn exports(&self) -> Option<&Exports> {
        self.run.as_ref().map(|r| &r.exports).or(self.reused.as_ref())
    }
}

/// How one attempt at a notebook ended.
enum Attempt {
    Done(Box<Done>),
    /// It asked, by a computed slug, for notebook `.0`, which has not run yet: it runs again
    /// once that one has. `.1` is the error at the call, kept to report a cycle.
    Waits(usize, Diagnostic),
}

/// Which notebooks have started and settled, and who waits on whom: changed under one lock.
struct State {
    started: Vec<bool>,
    settled: Vec<bool>,
    /// How many unsettled notebooks each notebook waits on.
    waiting: Vec<usize>,
    /// The notebooks to tell when each settles.
    readers: Vec<Vec<usize>>,
    /// The notebook each one last asked for by a computed slug, with the call.
    asked: Vec<Option<(usize, Diagnostic)>>,
    /// Notebooks with computed slugs, ready, held back until nothing else can run: by then
    /// what they read has usually run, so they run once.
    parked: Vec<usize>,
    /// Attempts spawned and not finished.
    in_flight: usize,
}

/// The shared state of one `run_all`.
struct Runner<'a> {
    executor: &'a Executor,
    notebooks: &'a [Notebook],
    slugs: &'a std::collections::HashMap<String, usize>,
    schedule: &'a Schedule<'a>,
    params: &'a [(String, String)],
    progress: &'a dyn super::outcome::Progress,
    state: Mutex<State>,
    done: Vec<OnceLock<Done>>,
    /// A family's data, loaded once for all its members, by the family's entry.
    family_data: Vec<OnceLock<Inputs>>,
}

impl Runner<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether notebook `i`'s cells call `site()`.
    fn lists_site(&self, i: usize) -> bool {
        self.notebooks[i].cells().any(|c| !crate::exec::calls::calls_of(&c.script, "site").is_empty())
    }

    /// Whether notebook `i` can run at all: not broken, not a family's landing page.
    fn runnable(&self, i: usize) -> bool {
        !self.schedule.broken[i] && !self.notebooks[i].is_family()
    }

    /// Starts notebook `i` unless it has started: its unsettled dependencies first, then it
    /// once they have settled.
    fn activate<'s>(&'s self, scope: &rayon::Scope<'s>, state: &mut State, i: usize) {
        if state.started[i] || !self.runnable(i) {
            return;
        }
        state.started[i] = true;
        for &d in &self.schedule.deps[i] {
            if self.runnable(d) && !state.settled[d] {
                self.activate(scope, state, d);
                state.readers[d].push(i);
                state.waiting[i] += 1;
            }
        }
        if state.waiting[i] == 0 {
            self.ready(scope, state, i);
        }
    }

    /// Notebook `i` waits on nothing: it runs now, or, with computed slugs, once nothing else
    /// can (the first time, and again after what it asked for ran).
    fn ready<'s>(&'s self, scope: &rayon::Scope<'s>, state: &mut State, i: usize) {
        if self.schedule.computed[i] && self.done[i].get().is_none() {
            state.parked.push(i);
        } else {
            self.spawn(scope, state, i);
        }
    }

    fn spawn<'s>(&'s self, scope: &rayon::Scope<'s>, state: &mut State, i: usize) {
        state.in_flight += 1;
        scope.spawn(move |scope| self.process(scope, i));
    }

    /// One attempt at notebook `i`; then tells its readers, or waits for what it asked for.
    fn process<'s>(&'s self, scope: &rayon::Scope<'s>, i: usize) {
        let attempt = self.settle(i);
        let mut state = self.lock();
        state.in_flight -= 1;
        match attempt {
            Attempt::Done(done) => {
                let slug = self.notebooks[i].slug();
                match done.exports() {
                    Some(exports) => self.schedule.site.ran(&slug, exports.clone()),
                    None => self.schedule.site.failed(&slug, &super::family::describe(&self.notebooks[i])),
                }
                let _ = self.done[i].set(*done);
                state.settled[i] = true;
                self.progress.advance(&self.notebooks[i].source.name);
                for reader in std::mem::take(&mut state.readers[i]) {
                    state.waiting[reader] -= 1;
                    if state.waiting[reader] == 0 {
                        self.ready(scope, &mut state, reader);
                    }
                }
            }
            Attempt::Waits(j, at) => {
                let first = state.asked[i].is_none();
                state.asked[i] = Some((j, at));
                // A notebook that loops over `site()` reads most of the site: everything starts
                // now, so that it runs again once, not once per page it reads.
                if first && self.lists_site(i) {
                    for k in 0..self.notebooks.len() {
                        self.activate(scope, &mut state, k);
                    }
                }
                if state.settled[j] {
                    self.spawn(scope, &mut state, i);
                } else {
                    self.activate(scope, &mut state, j);
                    state.readers[j].push(i);
                    state.waiting[i] += 1;
                }
            }
        }
        if state.in_flight == 0 {
            for parked in std::mem::take(&mut state.parked) {
                self.spawn(scope, &mut state, parked);
            }
        }
    }

    /// Keeps notebook `i`'s earlier run, or runs it, or fails it because what it reads failed.
    /// Every notebook it reads is settled (or broken from the start).
    fn settle(&self, i: usize) -> Attempt {
        let Schedule { deps, calls, broken, reuse, computed, .. } = *self.schedule;
        let dep = |d: usize| self.done[d].get();
        let mut own_print = None;
        if let Some(reuse) = reuse
            && let Some(own) = reuse.own[i]
        {
            let read: Vec<Option<Fingerprint>> =
                deps[i].iter().map(|&d| dep(d).and_then(|x| x.results_print)).collect();
            let fingerprint = hash_of((own, read));
            own_print = Some(fingerprint);
            // What a notebook with computed slugs read is known from its kept run: it is kept
            // when those notebooks have settled (it runs once nothing else can, so they have,
            // unless a one-page build does not need them) and their results are unchanged.
            let print = match computed[i] {
                false => Some(fingerprint),
                true => (reuse.read)(i).and_then(|read| self.computed_print(fingerprint, &read)),
            };
            if let Some(print) = print
                && let Some((exports, results)) = (reuse.kept)(i, print)
            {
                let print = Some(print);
                return Attempt::Done(Box::new(Done {
                    reused: Some(exports),
                    print,
                    results_print: Some(results),
                    ..Done::default()
                }));
            }
        }
        let nb = &self.notebooks[i];
        let failed_dep = deps[i].iter().find(|&&d| broken[d] || dep(d).is_some_and(Done::failed));
        let (outcome, reads) = match failed_dep {
            Some(&bad) => (Err(vec![dependency_failed(nb, &self.notebooks[bad], &calls[i])]), Reads::default()),
            None => {
                let results: Results = deps[i]
                    .iter()
                    .filter_map(|&d| Some((self.notebooks[d].slug(), dep(d)?.exports()?.clone())))
                    .collect();
                self.run(i, results)
            }
        };
        if let (Some(slug), Err(d)) = (&reads.waits, &outcome)
            && let (Some(&j), Some(at)) = (self.slugs.get(slug), d.first())
        {
            return Attempt::Waits(j, at.clone());
        }
        // A computed slug's results are part of what the run read.
        let print = own_print.and_then(|own| match computed[i] {
            true => self.computed_print(own, &reads.read),
            false => Some(own),
        });
        match outcome {
            Ok(run) => {
                let results_print = reuse.map(|_| exports_print(&run.exports));
                Attempt::Done(Box::new(Done { run: Some(run), print, results_print, ..Done::default() }))
            }
            Err(diagnostics) => Attempt::Done(Box::new(Done { print, diagnostics, ..Done::default() })),
        }
    }

    /// Runs notebook `i` with `results` readable: its data (a family's, loaded once), its
    /// params, its cells.
    fn run(&self, i: usize, results: Results) -> (Result<Executed, Vec<Diagnostic>>, Reads) {
        let nb = &self.notebooks[i];
        let data = match super::family::entry_of(self.notebooks, i) {
            Some(entry) => self.family_data[entry].get_or_init(|| load_data(nb, &self.schedule.data)).clone(),
            None => load_data(nb, &self.schedule.data),
        };
        let inputs = match data {
            Ok(data) => with_params(nb, data, self.params),
            Err(d) => return (Err(d), Reads::default()),
        };
        let site = Some(Arc::clone(&self.schedule.site));
        let mut reads = Reads::default();
        let outcome = guard(nb, || {
            let (executed, read) = self.executor.run_in(nb, inputs, results, site);
            reads = read;
            executed.map_err(|d| vec![d])
        });
        (outcome, reads)
    }

    /// The fingerprint of a notebook with computed slugs: its own (with what it reads by
    /// literal slugs), and the results of the notebooks it read by computed ones, each of
    /// which must have settled.
    fn computed_print(&self, own: Fingerprint, read: &[String]) -> Option<Fingerprint> {
        let prints: Option<Vec<(&String, Fingerprint)>> = read
            .iter()
            .map(|s| {
                let done = self.done[*self.slugs.get(s)?].get()?;
                Some((s, done.results_print?))
            })
            .collect();
        Some(hash_of((own, prints?)))
    }

    /// After every notebook that could run did: those still waiting read each other's results
    /// in a cycle, or read one that does. Each cycle is named once, at the call of its first
    /// notebook (in file order) to the next; the others are told which one they wait on.
    fn stuck(&self, state: &mut State) -> Vec<(usize, Diagnostic)> {
        let n = self.notebooks.len();
        let waiting_on = |i: usize, state: &State| -> Option<usize> {
            if let Some((j, _)) = &state.asked[i]
                && !state.settled[*j]
            {
                return Some(*j);
            }
            self.schedule.deps[i].iter().copied().find(|&d| self.runnable(d) && !state.settled[d])
        };
        let stuck: Vec<usize> = (0..n).filter(|&i| state.started[i] && !state.settled[i]).collect();
        let mut out = Vec::new();
        let mut named = vec![false; n];
        for &start in &stuck {
            // Follow the waits from `start` until one comes back.
            let mut path = vec![start];
            while let Some(next) = waiting_on(*path.last().unwrap_or(&start), state) {
                if let Some(p) = path.iter().position(|&x| x == next) {
                    let cycle = &path[p..];
                    let first = cycle.iter().enumerate().min_by_key(|(_, i)| **i).map_or(0, |(k, _)| k);
                    let rotated: Vec<usize> = cycle[first..].iter().chain(&cycle[..first]).copied().collect();
                    if !named[rotated[0]] {
                        for &c in &rotated {
                            named[c] = true;
                        }
                        out.push((rotated[0], self.cycle_error(&rotated, state)));
                    }
                    break;
                }
                if path.len() > n {
                    break;
                }
                path.push(next);
            }
        }
        for &i in &stuck {
            if named[i] {
                continue;
            }
            let Some(j) = waiting_on(i, state) else { continue };
            let nb = &self.notebooks[i];
            let d = Diagnostic::error(
                Code::SiteDependencyFailed,
                format!(
                    "this notebook reads `results(\"{}\")`, which cannot run: it waits on notebooks that read each other's results in a cycle",
                    self.notebooks[j].slug()
                ),
            )
            .with_hint("the cycle is reported above; break it first");
            out.push((i, self.at_call(i, j, d, state)));
            let _ = nb;
        }
        out
    }

    /// `d` at notebook `i`'s call that reads `j`: a computed call as it ran, else the literal.
    fn at_call(&self, i: usize, j: usize, d: Diagnostic, state: &State) -> Diagnostic {
        if let Some((asked, at)) = &state.asked[i]
            && *asked == j
            && let Some(loc) = &at.location
        {
            return d.at(&loc.file, loc.span.clone());
        }
        let slug = self.notebooks[j].slug();
        match self.schedule.calls[i].iter().find(|c| c.slug == slug) {
            Some(call) => d.at(&self.notebooks[i].source, call.span.clone()),
            None => d.at(&self.notebooks[i].source, 0..0),
        }
    }

    fn cycle_error(&self, cycle: &[usize], state: &State) -> Diagnostic {
        let name = |i: usize| super::family::in_cycle(&self.notebooks[i]);
        let mut chain: Vec<String> = cycle.iter().map(|&i| name(i)).collect();
        chain.push(name(cycle[0]));
        let next = cycle.get(1).copied().unwrap_or(cycle[0]);
        let d = Diagnostic::error(
            Code::SiteCycle,
            format!("these notebooks read each other's results in a cycle: {}", chain.join(" -> ")),
        )
        .with_hint("a notebook can only read the results of notebooks that do not read its own; move the shared figures into one of them");
        self.at_call(cycle[0], next, d, state)
    }
}

/// Runs the needed notebooks, each as soon as the notebooks it reads have run, in parallel.
/// A notebook whose dependency failed does not run; the error says which dependency. With a
/// `Reuse`, a notebook whose own inputs and whose dependencies' results are unchanged keeps its
/// earlier run. A `results()` call that computes its slug reads a notebook that has run; one
/// that has not is run then (needed or not), and the reader runs again after it. Errors come in
/// the order of the waves, whichever finished first, then those of notebooks started as they
/// were asked for, in file order.
pub(crate) fn run_all(
    executor: &Executor,
    loaded: &super::load::Loaded,
    schedule: &Schedule<'_>,
    params: &[(String, String)],
    progress: &dyn super::outcome::Progress,
) -> Runs {
    let notebooks = &loaded.notebooks;
    let n = notebooks.len();
    let runner = Runner {
        executor,
        notebooks,
        slugs: &loaded.slugs,
        schedule,
        params,
        progress,
        state: Mutex::new(State {
            started: vec![false; n],
            settled: vec![false; n],
            waiting: vec![0; n],
            readers: vec![Vec::new(); n],
            asked: (0..n).map(|_| None).collect(),
            parked: Vec::new(),
            in_flight: 0,
        }),
        done: (0..n).map(|_| OnceLock::new()).collect(),
        family_data: (0..n).map(|_| OnceLock::new()).collect(),
    };
    for i in (0..n).filter(|&i| schedule.broken[i] && !notebooks[i].is_family()) {
        schedule.site.failed(&notebooks[i].slug(), &super::family::describe(&notebooks[i]));
    }
    let order: Vec<usize> =
        schedule.waves.iter().flatten().copied().filter(|&i| schedule.needed[i] && runner.runnable(i)).collect();
    // The longest chain of readers behind each notebook: the ready ones start longest first,
    // so that a chain of notebooks reading each other overlaps the independent ones.
    let mut chain = vec![0usize; n];
    {
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &i in &order {
            for &d in &schedule.deps[i] {
                readers[d].push(i);
            }
        }
        for &i in order.iter().rev() {
            chain[i] = readers[i].iter().map(|&r| chain[r] + 1).max().unwrap_or(0);
        }
    }
    let mut roots = order.clone();
    roots.sort_by_key(|&i| std::cmp::Reverse(chain[i]));
    rayon::scope(|scope| {
        let runner = &runner;
        let mut state = runner.lock();
        for i in roots {
            runner.activate(scope, &mut state, i);
        }
        if state.in_flight == 0 {
            for parked in std::mem::take(&mut state.parked) {
                runner.spawn(scope, &mut state, parked);
            }
        }
    });
    let stuck = runner.stuck(&mut runner.lock());
    let started: Vec<bool> = runner.lock().started.clone();
    let mut done: Vec<Option<Done>> = runner.done.into_iter().map(OnceLock::into_inner).collect();
    let mut ran = Runs { runs: (0..n).map(|_| None).collect(), prints: vec![None; n], diagnostics: Vec::new() };
    let mut seen = vec![false; n];
    // Each error with the notebook whose run it is.
    let mut found: Vec<(Option<usize>, Diagnostic)> = Vec::new();
    // Notebooks with computed slugs ran last, and their errors come last: an error they
    // report about a notebook they read comes after that notebook's own.
    let asked_for = (0..n).filter(|&i| started[i] && !schedule.needed[i]);
    let (plain, computed): (Vec<usize>, Vec<usize>) =
        order.iter().copied().chain(asked_for).partition(|&i| !schedule.computed[i]);
    for i in plain.into_iter().chain(computed) {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        let Some(d) = done[i].take() else { continue };
        ran.runs[i] = d.run;
        ran.prints[i] = d.print;
        found.extend(d.diagnostics.into_iter().map(|d| (Some(i), d)));
    }
    found.extend(stuck.into_iter().map(|(_, d)| (None, d)));
    ran.diagnostics = name_members(notebooks, found);
    ran
}

/// The errors of the runs, a member's labelled with the page of the family it is in (`run`,
/// when the error is a run's). An error many members share (a data file that does not load, a
/// cell that fails whatever the parameters) is said once, at its first member, with how many
/// pages it is in.
fn name_members(notebooks: &[Notebook], found: Vec<(Option<usize>, Diagnostic)>) -> Vec<Diagnostic> {
    let member = |run: Option<usize>| run.and_then(|i| notebooks[i].member.as_deref());
    // What an error says, wherever it is.
    type Key = (Code, String, Option<(usize, usize, usize)>, Option<String>);
    let key = |d: &Diagnostic| -> Key {
        let at = d.location.as_ref().map(|l| (Arc::as_ptr(&l.file) as usize, l.span.start, l.span.end));
        (d.code, d.message.clone(), at, d.label.clone())
    };
    let mut counts: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    for (_, d) in found.iter().filter(|(run, _)| member(*run).is_some()) {
        *counts.entry(key(d)).or_default() += 1;
    }
    let mut shown: std::collections::HashSet<Key> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(found.len());
    for (run, mut d) in found {
        let Some(m) = member(run) else {
            out.push(d);
            continue;
        };
        let k = key(&d);
        let page = format!("the page with {} (`{}`)", m.params_text(), m.slug);
        let place = match counts.get(&k).copied().unwrap_or(1) {
            1 => format!("in {page}"),
            _ if !shown.insert(k) => continue,
            count => format!("in {count} pages of the family, first {page}"),
        };
        d.label = Some(match d.label.take() {
            Some(label) => format!("{label}; {place}"),
            None => place,
        });
        out.push(d);
    }
    out
}

fn dependency_failed(nb: &Notebook, bad: &Notebook, calls: &[super::graph::Dependency]) -> Diagnostic {
    let slug = bad.slug();
    let d = Diagnostic::error(
        Code::SiteDependencyFailed,
        format!("this notebook reads `results(\"{slug}\")`, but {} has errors", super::family::describe(bad)),
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

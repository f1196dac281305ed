//! Stage 2: which notebooks a request needs, and in what order they run.

use super::graph;
use super::index::Order;
use super::load::Loaded;
use crate::diag::{Code, Diagnostic};
use crate::notebook::Notebook;

/// The notebooks to run, in waves: each wave only reads the results of earlier ones.
pub(crate) struct Plan {
    pub needed: Vec<bool>,
    pub waves: Vec<Vec<usize>>,
}

/// For pages (the targets and their companions): each one, what it reads through `results()`,
/// the notebooks whose figures it embeds, the notebooks its cards and neighbour links name
/// when a title or blurb is computed (a fixed one is read as written), and what all those read
/// in turn.
pub(crate) fn for_pages(loaded: &Loaded, order: &Order) -> Result<Plan, Diagnostic> {
    let (notebooks, slugs) = (&loaded.notebooks, &loaded.slugs);
    let computed = |j: &usize| !crate::render::texts::card_is_fixed(&notebooks[*j]);
    let mut start: Vec<usize> = Vec::new();
    for t in loaded.pages() {
        start.push(t);
        start.extend(notebooks[t].front.related_slugs().filter_map(|s| slugs.get(s).copied()).filter(computed));
        start.extend(graph::figure_refs(&notebooks[t]).filter_map(|r| slugs.get(&r.slug).copied()));
        let (prev, next) = order.neighbours(t);
        start.extend(prev.into_iter().chain(next).filter(computed));
    }
    plan(loaded, start)
}

/// For values alone (`nbrender chart`): the targets and what they read through `results()`.
pub(crate) fn for_values(loaded: &Loaded) -> Result<Plan, Diagnostic> {
    plan(loaded, loaded.targets.clone())
}

/// `start` and every notebook it reads, in waves. Only what this request runs can stop it:
/// a cycle among other notebooks does not.
fn plan(loaded: &Loaded, mut stack: Vec<usize>) -> Result<Plan, Diagnostic> {
    let deps = &loaded.graph.deps;
    let mut needed = vec![false; loaded.notebooks.len()];
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut needed[i], true) {
            stack.extend(deps[i].iter().copied());
        }
    }
    let needed_deps: Vec<Vec<usize>> =
        deps.iter().enumerate().map(|(i, d)| if needed[i] { d.clone() } else { Vec::new() }).collect();
    match graph::waves(&needed_deps) {
        Ok(waves) => Ok(Plan { needed, waves }),
        Err(cycle) => Err(cycle_error(&loaded.notebooks, &cycle, &loaded.graph.calls)),
    }
}

/// A cycle of `results()` calls, naming every notebook in it, at the first one's call.
fn cycle_error(notebooks: &[Notebook], cycle: &[usize], calls: &[Vec<graph::Dependency>]) -> Diagnostic {
    let names: Vec<String> = cycle.iter().map(|&i| super::family::in_cycle(&notebooks[i])).collect();
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

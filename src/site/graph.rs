//! The order notebooks run in: a notebook that calls `results("slug")` runs after that
//! notebook. Dependencies are read from the cells' text, so the order is known before
//! anything runs, and a cycle is reported with every notebook in it.

use std::collections::HashMap;
use std::ops::Range;

use crate::diag::{Code, Diagnostic};
use crate::notebook::Notebook;

/// A `results("slug")` call: the slug and the byte span of the call in the notebook file.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub slug: String,
    pub span: Range<usize>,
}

/// Every `results("…")` call in a notebook's cells whose slug is written as a string literal
/// (the fast path: those notebooks run first), and whether any call computes its slug (those
/// are found while the notebook runs: `run.rs`).
pub fn dependencies(nb: &Notebook) -> (Vec<Dependency>, bool) {
    let mut deps = Vec::new();
    let mut computed = false;
    for cell in nb.cells() {
        // The script keeps the cell's lines (option lines blanked): its line `k` is file line
        // `fence_line + k`.
        for call in crate::exec::calls::calls_of(&cell.script, "results") {
            let start = nb.source.offset(cell.file_line(call.line), cell.file_column(call.line, call.column));
            let span = start..start + "results".len();
            match call.literal {
                Some(slug) => deps.push(Dependency { slug, span }),
                None => computed = true,
            }
        }
    }
    (deps, computed)
}

/// Every `figure("slug", "label")` in a notebook's prose (found when it was parsed): the
/// notebooks whose charts its page embeds. They must have run by the time the page renders.
pub fn figure_refs(nb: &Notebook) -> impl Iterator<Item = Dependency> + '_ {
    nb.body.figures.iter().map(|(slug, span)| Dependency { slug: slug.clone(), span: span.clone() })
}

/// Groups notebooks into waves: every notebook of a wave depends only on earlier waves, so a
/// wave's notebooks can run in parallel. `deps[i]` are the indices notebook `i` depends on.
/// On a cycle, returns the notebooks in it, in order.
pub fn waves(deps: &[Vec<usize>]) -> Result<Vec<Vec<usize>>, Vec<usize>> {
    let n = deps.len();
    let mut level: Vec<Option<usize>> = vec![None; n];
    let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
    for start in 0..n {
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if state[node] == 2 {
                path.pop();
                continue;
            }
            state[node] = 1;
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                match state[dep] {
                    1 => {
                        let from = path.iter().position(|&(p, _)| p == dep).unwrap_or(0);
                        return Err(path[from..].iter().map(|&(p, _)| p).collect());
                    }
                    0 => path.push((dep, 0)),
                    _ => {}
                }
                continue;
            }
            let lvl = deps[node].iter().filter_map(|&d| level[d]).map(|l| l + 1).max().unwrap_or(0);
            level[node] = Some(lvl);
            state[node] = 2;
            path.pop();
        }
    }
    let depth = level.iter().flatten().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); depth];
    for (i, l) in level.iter().enumerate() {
        if let Some(l) = l {
            out[*l].push(i);
        }
    }
    Ok(out)
}

/// Every notebook's dependencies, as indices and as the calls behind them.
pub struct Graph {
    pub deps: Vec<Vec<usize>>,
    pub calls: Vec<Vec<Dependency>>,
    /// Notebooks whose `results()` calls are wrong: they cannot run.
    pub broken: Vec<bool>,
    /// Notebooks with a `results()` call that computes its slug: what they read is known only
    /// as they run.
    pub computed: Vec<bool>,
}

/// Maps each notebook's dependencies to indices, reporting unknown slugs at their call. The
/// members of a family read what their notebook reads: its calls are read (and their mistakes
/// reported) once, at the family's entry, which comes just before them.
pub fn resolve(
    notebooks: &[Notebook],
    slugs: &HashMap<String, usize>,
    unparsed: &Unparsed,
) -> (Graph, Vec<Diagnostic>) {
    let n = notebooks.len();
    let mut graph = Graph {
        deps: Vec::with_capacity(n),
        calls: Vec::with_capacity(n),
        broken: vec![false; n],
        computed: vec![false; n],
    };
    let mut diagnostics = Vec::new();
    for (n, nb) in notebooks.iter().enumerate() {
        if let Some(entry) = super::family::entry_of(notebooks, n) {
            let (deps, calls) = (graph.deps[entry].clone(), graph.calls[entry].clone());
            graph.deps.push(deps);
            graph.calls.push(calls);
            graph.broken[n] = graph.broken[entry];
            graph.computed[n] = graph.computed[entry];
            continue;
        }
        let (deps, computed) = dependencies(nb);
        graph.computed[n] = computed;
        let mut idx = Vec::new();
        for d in &deps {
            match slugs.get(&d.slug) {
                Some(&i) if notebooks[i].is_family() => {
                    graph.broken[n] = true;
                    diagnostics.push(family_slug("results", &d.slug, notebooks, i).at(&nb.source, d.span.clone()));
                }
                Some(&i) => {
                    if !idx.contains(&i) {
                        idx.push(i);
                    }
                }
                None => {
                    graph.broken[n] = true;
                    diagnostics.push(
                        Diagnostic::error(
                            Code::SiteUnknownSlug,
                            format!("`results(\"{}\")`: no notebook has that slug", d.slug),
                        )
                        .at(&nb.source, d.span.clone())
                        .with_suggestion(&d.slug, slugs.keys().map(String::as_str))
                        .or_hint("a notebook's slug is its `slug:` or its file name without `.md`")
                        .hinted(unparsed.hint(&d.slug)),
                    );
                }
            }
        }
        // A figure embeds a page's chart: a landing page has none.
        for r in figure_refs(nb) {
            if let Some(&i) = slugs.get(&r.slug).filter(|&&i| notebooks[i].is_family()) {
                graph.broken[n] = true;
                diagnostics.push(family_slug("figure", &r.slug, notebooks, i).at(&nb.source, r.span.clone()));
            }
        }
        graph.deps.push(idx);
        graph.calls.push(deps);
    }
    (graph, diagnostics)
}

/// `results("family")` or `figure("family", …)`: a family's slug names its landing page, which
/// has no values of its own.
pub fn family_slug(call: &str, slug: &str, notebooks: &[Notebook], family: usize) -> Diagnostic {
    let members = super::family::members_of(notebooks, family);
    let first = members.clone().next().map(|m| notebooks[m].slug()).unwrap_or_default();
    Diagnostic::error(
        Code::SiteFamilySlug,
        format!(
            "`{call}(\"{slug}\"{})`: `{slug}` is a family of {} pages, and its landing page has no {}",
            if call == "figure" { ", …" } else { "" },
            members.len(),
            if call == "figure" { "charts" } else { "values" },
        ),
    )
    .with_hint(match call {
        "figure" => format!("embed a chart of one of its pages, such as `figure(\"{first}\", …)`"),
        _ => format!("read one of its pages, such as `{call}(\"{first}\")`"),
    })
}

/// Notebooks that a one-page build or `nbrender chart` could not parse, by the slug their
/// file name would give them. Their errors do not stop a build of another page, unless that
/// page names one of them: then its unknown slug is explained and their errors are shown.
#[derive(Default)]
pub struct Unparsed(std::collections::BTreeMap<String, Vec<Diagnostic>>);

impl Unparsed {
    pub fn add(&mut self, path: &std::path::Path, errors: Vec<Diagnostic>) {
        self.0.insert(crate::notebook::stem(path), errors);
    }

    /// The hint for `slug`, unknown because its notebook has errors.
    pub fn hint(&self, slug: &str) -> Option<String> {
        self.0
            .contains_key(slug)
            .then(|| format!("a notebook named `{slug}.md` exists but has errors (below); fix them first"))
    }

    /// The errors of the notebooks whose slugs `named` holds and no parsed notebook took
    /// (those in `slugs`): the build must show them.
    pub fn named<'a>(
        mut self,
        named: impl IntoIterator<Item = &'a str>,
        slugs: &HashMap<String, usize>,
    ) -> Vec<Diagnostic> {
        let mut shown = Vec::new();
        for slug in named.into_iter().filter(|s| !slugs.contains_key(*s)) {
            shown.extend(self.0.remove(slug).into_iter().flatten());
        }
        shown
    }
}

/// The slugs notebook `nb` names: in its `results()` calls and its `related:` entries.
pub(crate) fn slugs_named<'a>(nb: &'a Notebook, calls: &'a [Dependency]) -> impl Iterator<Item = &'a str> {
    calls.iter().map(|c| c.slug.as_str()).chain(nb.front.related_slugs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn waves_follow_dependencies() {
        // 0 <- 1 <- 2, 3 alone
        let w = waves(&[vec![], vec![0], vec![1, 0], vec![]]).unwrap();
        assert_eq!(w, vec![vec![0, 3], vec![1], vec![2]]);
    }

    #[test]
    fn cycles_name_every_member() {
        let cycle = waves(&[vec![1], vec![2], vec![0], vec![]]).unwrap_err();
        let mut sorted = cycle.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2]);
        assert_eq!(waves(&[vec![0]]).unwrap_err(), vec![0]);
    }

    #[test]
    fn literal_calls_are_dependencies() {
        let text = "---\ntitle: T\n---\n```{rhai}\n//| echo: true\nlet m = results(\"mlops\");\nlet x = my_results(\"no\");\n```\n";
        let nb = crate::notebook::parse(Path::new("a.md"), "a.md", text.into()).unwrap();
        let (deps, computed) = dependencies(&nb);
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0].slug, "mlops");
        assert!(!computed);
        assert_eq!(&nb.source.text[deps[0].span.clone()], "results");
    }

    #[test]
    fn calls_in_comments_and_strings_are_not_dependencies() {
        let text = "---\ntitle: T\n---\n```{rhai}\n// see results(\"a\")\n/* results(x) */ let s = \"results(\\\"b\\\")\";\nlet é = results(\"c\");\n```\n";
        let nb = crate::notebook::parse(Path::new("a.md"), "a.md", text.into()).unwrap();
        let (deps, computed) = dependencies(&nb);
        assert_eq!(deps.len(), 1, "{deps:?}");
        assert!(!computed);
        assert_eq!((deps[0].slug.as_str(), &text[deps[0].span.clone()]), ("c", "results"));
    }

    #[test]
    fn only_a_whole_literal_is_read_before_running() {
        let text = "---\ntitle: T\n---\n```{rhai}\nresults(\"hub\" + \"2\")\n```\n";
        let nb = crate::notebook::parse(Path::new("a.md"), "a.md", text.into()).unwrap();
        assert_eq!(dependencies(&nb), (Vec::new(), true));
    }

    #[test]
    fn computed_slugs_are_found_as_the_notebook_runs() {
        let text = "---\ntitle: T\n---\n```{rhai}\nlet s = \"a\";\nresults(s)\n```\n";
        let nb = crate::notebook::parse(Path::new("a.md"), "a.md", text.into()).unwrap();
        assert_eq!(dependencies(&nb), (Vec::new(), true));
    }
}

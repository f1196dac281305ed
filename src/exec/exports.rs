//! What a notebook passes on: its final values and labelled charts, as the notebooks that
//! call `results("slug")` and the pages that embed its figures read them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use rhai::{Dynamic, EvalAltResult, Map, Scope};

use super::{CellOutput, Held, Value, errors, to_value};
use crate::chart::ChartSpec;
use crate::diag::Code;
use crate::notebook::Notebook;

/// A notebook's final values, shared with the notebooks that call `results("slug")`.
/// Cloning is cheap, and a notebook that reads another's results gets a read-only view:
/// it can neither change them for other readers nor copy chains of them around.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    slug: Arc<str>,
    script: Arc<Map>,
    values: Arc<IndexMap<String, Value>>,
    figures: Arc<IndexMap<String, Figure>>,
    /// What the values hold, as the data limits count it: a reader may hold as much.
    held: Held,
    /// The names of variables that held other notebooks' results, which are not passed on.
    withheld: Arc<[String]>,
}

/// A labelled chart of a notebook, as other pages embed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub spec: ChartSpec,
    /// `figure mo-2`: how the chart is numbered on its own page.
    pub number: String,
    pub caption: Option<String>,
    pub alt: Option<String>,
}

impl Exports {
    pub fn slug(&self) -> &str {
        &self.slug
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The notebook's labelled charts, by label (`fig-bands`), in page order.
    pub fn figures(&self) -> &IndexMap<String, Figure> {
        &self.figures
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.values.iter()
    }

    /// What the values hold, as the data limits count it.
    pub fn held(&self) -> Held {
        self.held
    }
}

impl PartialEq for Exports {
    fn eq(&self, other: &Self) -> bool {
        self.slug == other.slug && Arc::ptr_eq(&self.values, &other.values)
    }
}

/// `results("slug")` in a script: read-only access by property or index.
pub(super) fn results_key(r: &mut Exports, key: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    r.script.get(key).cloned().ok_or_else(|| {
        if r.withheld.iter().any(|w| w == key) {
            return errors::raise(
                Code::ExecMissingKey,
                format!(
                    "results(\"{}\").{key} holds the results of another notebook, which are not passed on; \
                     call results(\"slug\") of that notebook instead",
                    r.slug
                ),
            );
        }
        let hint = crate::diag::did_you_mean(key, r.script.keys().map(|k| k.as_str()))
            .map(|b| format!(" (did you mean `{b}`?)"))
            .unwrap_or_default();
        errors::raise(Code::ExecMissingKey, format!("results(\"{}\") has no value `{key}`{hint}", r.slug))
    })
}

/// The results a notebook may read, by slug: those of the notebooks it depends on.
pub type Results = HashMap<String, Exports>;

/// What the cells of a build can know of its other pages beyond the results handed to them:
/// `site()`'s listing, which slugs are pages and which families, and the results of the
/// notebooks that have run so far (a `results()` call that computes its slug reads them).
#[derive(Default)]
pub struct SiteView {
    listing: rhai::Array,
    kinds: HashMap<String, PageKind>,
    settled: std::sync::RwLock<HashMap<String, Settled>>,
}

/// What a slug of the build names.
#[derive(Debug, Clone)]
pub enum PageKind {
    Page,
    /// A family's landing page: how many pages it has and the first one's slug.
    Family {
        members: usize,
        first: String,
    },
}

/// A page of the site as `site()` lists it: what its frontmatter writes, and for a member of a
/// family, the family's slug and the member's parameters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SitePage {
    pub slug: String,
    pub title: String,
    pub group: Option<String>,
    pub section: Option<String>,
    pub family: Option<String>,
    pub params: IndexMap<String, serde_json::Value>,
}

/// How a notebook's run ended, as a reader that computes its slug finds it.
#[derive(Debug, Clone)]
enum Settled {
    Ran(Exports),
    /// It has errors: the name of its file.
    Failed(String),
}

impl SiteView {
    /// The view of a build: `pages` in site order (what `site()` lists), and every slug with
    /// what it names.
    pub fn new(pages: &[SitePage], kinds: HashMap<String, PageKind>) -> SiteView {
        let listing = pages.iter().map(|p| rhai::serde::to_dynamic(p).unwrap_or(Dynamic::UNIT)).collect();
        SiteView { listing, kinds, settled: Default::default() }
    }

    /// Notebook `slug` ran and left `exports`.
    pub fn ran(&self, slug: &str, exports: Exports) {
        self.settled
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(slug.to_string(), Settled::Ran(exports));
    }

    /// Notebook `slug` (in file `name`) has errors.
    pub fn failed(&self, slug: &str, name: &str) {
        self.settled
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(slug.to_string(), Settled::Failed(name.to_string()));
    }

    fn settled(&self, slug: &str) -> Option<Settled> {
        self.settled.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(slug).cloned()
    }
}

/// What the notebook running on this thread may read, and what it read.
#[derive(Default)]
struct Readable {
    results: Results,
    site: Option<Arc<SiteView>>,
    /// The slugs it read beyond `results`, in the order it first read them.
    read: Vec<String>,
    /// The slug whose notebook had not run when a computed call asked for it.
    waits: Option<String>,
}

thread_local! {
    /// The results the notebook running on this thread may read. Rhai's `results()` is one
    /// function of an engine shared by every notebook of the build, so it finds them here.
    static READABLE: RefCell<Readable> = RefCell::new(Readable::default());
}

/// Makes `results` (and the build's `site`) what the notebook about to run on this thread may
/// read.
pub(super) fn set_readable(results: Results, site: Option<Arc<SiteView>>) {
    READABLE.with(|r| *r.borrow_mut() = Readable { results, site, read: Vec::new(), waits: None });
}

/// What the notebook that ran on this thread read beyond the results it was handed, and the
/// slug it stopped on because that notebook had not run yet (see [`Reads`]).
pub(super) fn take_reads() -> Reads {
    READABLE.with(|r| {
        let mut r = r.borrow_mut();
        let reads = Reads { read: std::mem::take(&mut r.read), waits: r.waits.take() };
        *r = Readable::default();
        reads
    })
}

/// What a run read through `results()` calls that computed their slugs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    /// The slugs read, in the order first read.
    pub read: Vec<String>,
    /// The slug of a notebook that had not run yet: the run stopped there, to run again once
    /// it has.
    pub waits: Option<String>,
}

/// `held`, and what the readable results hold.
pub(super) fn readable_held(held: Held) -> Held {
    READABLE.with(|r| r.borrow().results.values().map(Exports::held).fold(held, Held::and))
}

pub(super) fn results(slug: &str) -> Result<Exports, Box<EvalAltResult>> {
    READABLE.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(exports) = r.results.get(slug) {
            return Ok(exports.clone());
        }
        let Some(site) = r.site.clone() else {
            return Err(errors::raise(
                Code::ExecMissingKey,
                format!("results(\"{slug}\"): no notebook with that slug has run before this one"),
            ));
        };
        match site.kinds.get(slug) {
            None => {
                let known = site.kinds.keys().map(String::as_str);
                let hint = crate::diag::did_you_mean(slug, known).map(|s| format!("did you mean `{s}`?"));
                return Err(errors::raise_hinted(
                    Code::SiteUnknownSlug,
                    format!("results(\"{slug}\"): no notebook has that slug"),
                    Some(hint.as_deref().unwrap_or("a notebook's slug is its `slug:` or its file name without `.md`")),
                ));
            }
            Some(PageKind::Family { members, first }) => {
                return Err(errors::raise_hinted(
                    Code::SiteFamilySlug,
                    format!("results(\"{slug}\"): `{slug}` is a family of {members} pages, and its landing page has no values"),
                    Some(&format!("read one of its pages, such as `results(\"{first}\")`")),
                ));
            }
            Some(PageKind::Page) => {}
        }
        match site.settled(slug) {
            Some(Settled::Ran(exports)) => {
                if !r.read.iter().any(|s| s == slug) {
                    r.read.push(slug.to_string());
                }
                Ok(exports)
            }
            Some(Settled::Failed(name)) => Err(errors::raise_hinted(
                Code::SiteDependencyFailed,
                format!("this notebook reads `results(\"{slug}\")`, but {name} has errors"),
                Some(&format!("fix the errors in {name} first")),
            )),
            None => {
                // Not run yet: the run stops here (no `catch` can keep it going) and runs again
                // once that notebook has.
                r.waits = Some(slug.to_string());
                Err(super::sandbox::Stop::Waits.error())
            }
        }
    })
}

/// `site()`: every page of the build, in site order.
pub(super) fn site() -> rhai::Array {
    READABLE.with(|r| r.borrow().site.as_ref().map(|s| s.listing.clone()).unwrap_or_default())
}

/// The labelled charts of a notebook, numbered as its page numbers them: `fig-` cells in
/// order.
fn figures(notebook: &Notebook, outputs: &[CellOutput]) -> IndexMap<String, Figure> {
    let prefix = notebook.front.prefix.clone().unwrap_or_else(|| notebook.slug());
    let mut figures = IndexMap::new();
    let labelled = notebook.cells().filter_map(|c| c.options.label.as_ref().map(|l| (c, l)));
    for (n, (cell, label)) in labelled.filter(|(_, l)| l.name.starts_with("fig-")).enumerate() {
        let output = outputs.iter().find(|o| o.number == cell.number);
        if let Some(Value::Chart(spec)) = output.map(|o| &o.value) {
            figures.insert(
                label.name.clone(),
                Figure {
                    spec: (**spec).clone(),
                    number: format!("figure {prefix}-{}", n + 1),
                    caption: cell.options.fig_cap.clone(),
                    alt: cell.options.alt.clone(),
                },
            );
        }
    }
    figures
}

/// A notebook's final values (for its page) and its exports (for its readers), from the scope
/// its cells left and their outputs.
pub(super) fn collect(
    notebook: &Notebook,
    scope: &Scope,
    outputs: &[CellOutput],
) -> (Arc<IndexMap<String, Value>>, Exports) {
    let mut final_scope = IndexMap::new();
    let mut script = Map::new();
    let mut withheld = Vec::new();
    for (name, _, value) in scope.iter_raw() {
        let v = to_value(value);
        // Another notebook's results held in a variable are not passed on to this one's
        // readers: they read that notebook themselves. Passed on, a chain of notebooks
        // would nest as deep as it is long.
        if holds_results(&v) {
            withheld.push(name.to_string());
        } else {
            // Variables captured by closures are shared; the results of a notebook are plain data.
            script.insert(name.into(), value.flatten_clone());
        }
        final_scope.insert(name.to_string(), v);
    }
    // One copy of the final values serves both the page and the notebook's readers, unless
    // some are withheld.
    let final_scope = Arc::new(final_scope);
    let values = if withheld.is_empty() {
        Arc::clone(&final_scope)
    } else {
        Arc::new(
            final_scope.iter().filter(|(k, _)| !withheld.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        )
    };
    let held = values.values().map(Held::of_value).fold(Held::default(), Held::and);
    let exports = Exports {
        slug: Arc::from(notebook.slug().as_str()),
        script: Arc::new(script),
        values,
        figures: Arc::new(figures(notebook, outputs)),
        held,
        withheld: withheld.into(),
    };
    (final_scope, exports)
}

/// Whether a value is, or holds, another notebook's results.
fn holds_results(value: &Value) -> bool {
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Results(_) => return true,
            Value::Array(items) => pending.extend(items),
            Value::Map(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    false
}

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

thread_local! {
    /// The results the notebook running on this thread may read. Rhai's `results()` is one
    /// function of an engine shared by every notebook of the build, so it finds them here.
    static RESULTS: RefCell<Results> = RefCell::new(HashMap::new());
}

/// Makes `results` what the notebook about to run on this thread may read.
pub(super) fn set_readable(results: Results) {
    RESULTS.with(|r| *r.borrow_mut() = results);
}

/// `held`, and what the readable results hold.
pub(super) fn readable_held(held: Held) -> Held {
    RESULTS.with(|r| r.borrow().values().map(Exports::held).fold(held, Held::and))
}

pub(super) fn results(slug: &str) -> Result<Exports, Box<EvalAltResult>> {
    RESULTS.with(|r| r.borrow().get(slug).cloned()).ok_or_else(|| {
        errors::raise(
            Code::ExecMissingKey,
            format!("results(\"{slug}\"): no notebook with that slug has run before this one"),
        )
    })
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

//! Stage 3, execute: runs a notebook's cells in one shared Rhai scope, with limits, and
//! returns each cell's output and the final values. Rhai lives here and nowhere else.

pub mod band;
pub mod calls;
pub mod charts;
pub mod errors;
mod exports;
pub mod library;
mod operators;
pub mod sandbox;
pub mod table;
pub mod value;

use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use rhai::{Dynamic, Engine, Scope};

pub use band::Band;
pub use exports::{Exports, Figure, PageKind, Reads, Results, SitePage, SiteView};
pub use sandbox::{Held, Limits};
pub use table::{Column, Table};
pub use value::Value;

use crate::chart::ChartSpec;
use crate::diag::{Code, Diagnostic};
use crate::notebook::{Cell, Notebook};

/// What one cell produced.
#[derive(Debug, Clone, PartialEq)]
pub struct CellOutput {
    pub number: usize,
    /// Everything the cell printed.
    pub stream: String,
    /// The value of its last expression; `Unit` when it ended in a statement or did not run.
    pub value: Value,
}

/// A notebook after its cells ran.
#[derive(Debug, Clone)]
pub struct Executed {
    pub outputs: Vec<CellOutput>,
    /// Every variable at the end, by name: what prose templates see (shared with `exports`).
    pub scope: Arc<IndexMap<String, Value>>,
    /// The same values as other notebooks' `results("slug")` see them.
    pub exports: Exports,
    /// Each cell's lineage (`calls::lineage`), by cell number, read once when first asked for:
    /// a page's frontmatter texts and its body both trace figures, and a kept run keeps it.
    pub lineage: std::sync::OnceLock<std::collections::HashMap<usize, calls::Lineage>>,
    /// The slugs its `results()` calls that compute a slug read, in the order first read.
    pub read: Vec<String>,
}

/// The configured engines: one per build, shared by every notebook, and one more for each set
/// of limits raised for notebooks whose data is larger than the limits.
pub struct Executor {
    engine: Arc<Engine>,
    limits: Limits,
    raised: Mutex<Vec<(Limits, Arc<Engine>)>>,
}

/// How many engines with raised limits a build keeps.
const MAX_RAISED_ENGINES: usize = 64;

/// An engine that runs cells under `limits`.
fn engine(limits: &Limits) -> Engine {
    // Rhai's standard functions, built once and shared: building them is most of the cost of
    // a new engine, and a build makes one per set of raised limits.
    static STANDARD: std::sync::OnceLock<rhai::Shared<rhai::Module>> = std::sync::OnceLock::new();
    let standard = STANDARD.get_or_init(|| {
        use rhai::packages::Package;
        rhai::packages::StandardPackage::new().as_shared_module()
    });
    let mut engine = Engine::new_raw();
    engine.register_global_module(rhai::Shared::clone(standard));
    engine
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        .set_fast_operators(false)
        // Rhai's string interner sits behind one lock in the engine, which every notebook
        // of a build shares across threads: with it, running notebooks on two threads took
        // as long as on one.
        .set_max_strings_interned(0)
        // No compile-time evaluation: with it, the optimizer folds the data and params (scope
        // constants) into expressions before the cell runs, where no limit checks them.
        .set_optimization_level(rhai::OptimizationLevel::None)
        .set_max_operations(limits.max_operations)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_data_depth(limits.max_value_depth)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .on_data_size(sandbox::custom_sizes)
        .on_print(sandbox::print)
        .on_debug(|text, _, _| sandbox::print(text))
        .on_progress(sandbox::progress);
    band::register(&mut engine);
    library::register(&mut engine);
    table::register(&mut engine);
    charts::register(&mut engine);
    errors::register(&mut engine);
    engine
        .register_type_with_name::<Exports>("results")
        .register_fn("results", exports::results)
        .register_fn("site", exports::site)
        .register_indexer_get(exports::results_key)
        .register_fn("to_string", |r: &mut Exports| format!("results(\"{}\")", r.slug()))
        .register_fn("to_debug", |r: &mut Exports| format!("results(\"{}\")", r.slug()));
    engine
}

impl Executor {
    pub fn new(limits: Limits) -> Self {
        Executor { engine: Arc::new(engine(&limits)), limits, raised: Mutex::new(Vec::new()) }
    }

    /// The engine for a notebook whose inputs hold `held`: the build's own when they fit the
    /// limits, else one with the limits raised by what they hold.
    fn engine_for(&self, held: Held) -> (Arc<Engine>, Limits) {
        // The room is rounded up to a power of two, so that notebooks with data of about the
        // same size share an engine: making one takes about a millisecond.
        let room = |n: usize| if n == 0 { 0 } else { n.checked_next_power_of_two().unwrap_or(usize::MAX) };
        let held =
            Held { items: room(held.items), keys: room(held.keys), text: room(held.text), depth: room(held.depth) };
        if held == Held::default() {
            return (Arc::clone(&self.engine), self.limits);
        }
        let limits = self.limits.with_room_for(held);
        let mut raised = self.raised.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, engine)) = raised.iter().find(|(l, _)| *l == limits) {
            return (Arc::clone(engine), limits);
        }
        let engine = Arc::new(engine(&limits));
        // Kept for the notebooks that follow, up to a bound: data of many sizes in one build
        // makes an engine each rather than a pile of them.
        if raised.len() < MAX_RAISED_ENGINES {
            raised.push((limits, Arc::clone(&engine)));
        }
        (engine, limits)
    }

    /// Runs every cell of `notebook` with `inputs` (data tables and params) in scope and
    /// `results` readable through `results("slug")`. Stops at the first failing cell: later
    /// cells depend on what it should have made. Each input is let go of once the cells have
    /// their own copy, so a large table is not held twice while they run.
    pub fn run(
        &self,
        notebook: &Notebook,
        inputs: IndexMap<String, Arc<serde_json::Value>>,
        results: Results,
    ) -> Result<Executed, Diagnostic> {
        self.run_in(notebook, inputs, results, None).0
    }

    /// [`Executor::run`] in a build: `site()` lists `site`'s pages, and a `results()` call
    /// that computes its slug reads the results of the notebooks that have run so far. Also
    /// returns what those calls read, and the slug of a notebook that had not run yet when one
    /// asked for it (the run then stops there).
    pub fn run_in(
        &self,
        notebook: &Notebook,
        inputs: IndexMap<String, Arc<serde_json::Value>>,
        results: Results,
        site: Option<Arc<SiteView>>,
    ) -> (Result<Executed, Diagnostic>, Reads) {
        exports::set_readable(results, site);
        let executed = self.run_cells(notebook, inputs);
        let reads = exports::take_reads();
        let executed = executed.map(|mut e| {
            e.read = reads.read.clone();
            e
        });
        (executed, reads)
    }

    fn run_cells(
        &self,
        notebook: &Notebook,
        inputs: IndexMap<String, Arc<serde_json::Value>>,
    ) -> Result<Executed, Diagnostic> {
        let mut held = inputs.values().map(|v| Held::of_json(v)).fold(Held::default(), Held::and);
        held = exports::readable_held(held);
        let (engine, limits) = self.engine_for(held);
        let before_data = sandbox::Memory::reading();
        let mut scope = Scope::new();
        for (name, value) in inputs {
            let dynamic = rhai::serde::to_dynamic(value.as_ref()).map_err(|err| {
                Diagnostic::error(Code::ExecInput, format!("cannot hand `{name}` to the cells: {err}"))
            })?;
            scope.push_constant_dynamic(name.as_str(), dynamic);
            drop(value);
        }
        let memory = sandbox::Memory::from_now(limits.max_memory, before_data);
        let mut outputs = Vec::new();
        for cell in notebook.cells() {
            if !cell.options.eval {
                outputs.push(CellOutput { number: cell.number, stream: String::new(), value: Value::Unit });
                continue;
            }
            let output = run_cell(&engine, &limits, memory, notebook, cell, &mut scope)?;
            outputs.push(output);
        }
        let (final_scope, exports) = exports::collect(notebook, &scope, &outputs);
        Ok(Executed { outputs, scope: final_scope, exports, lineage: Default::default(), read: Vec::new() })
    }
}

fn run_cell(
    engine: &Engine,
    limits: &Limits,
    memory: sandbox::Memory,
    notebook: &Notebook,
    cell: &Cell,
    scope: &mut Scope,
) -> Result<CellOutput, Diagnostic> {
    let ast = engine
        .compile_with_scope(scope, &cell.script)
        .map_err(|err| errors::parse_error(notebook, cell, scope, &err))?;
    sandbox::start(*limits, memory);
    let result = engine.eval_ast_with_scope::<Dynamic>(scope, &ast);
    let stream = sandbox::finish();
    let value = match result {
        Ok(value) => to_value(&value),
        Err(err) => return Err(errors::eval_error(notebook, cell, scope, &err, limits, memory)),
    };
    if let Some(x) = value.non_finite().filter(|_| cell.options.output) {
        let what = band::non_finite_name(x);
        return Err(Diagnostic::error(Code::ExecRuntime, format!("cell {}'s value holds {what}", cell.number))
            .at(&notebook.source, notebook.source.line_span(cell.fence_line))
            .with_hint(
                "a page never shows a number that is not finite; look for a division by zero or an overflow, \
                 or hide the output with `//| output: false`",
            ));
    }
    Ok(CellOutput { number: cell.number, stream, value })
}

/// Converts a Rhai value to the engine-independent [`Value`]. Reads in place: nested maps
/// and arrays are never cloned just to look at them.
pub fn to_value(d: &Dynamic) -> Value {
    if d.is_unit() {
        return Value::Unit;
    }
    if let Ok(b) = d.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = d.as_int() {
        return Value::Int(i);
    }
    if let Ok(f) = d.as_float() {
        return Value::Float(f);
    }
    if d.is_string() {
        return Value::Str(d.to_string());
    }
    if let Ok(items) = d.as_array_ref() {
        return Value::Array(items.iter().map(to_value).collect());
    }
    if let Ok(map) = d.as_map_ref() {
        return Value::Map(map.iter().map(|(k, v)| (k.to_string(), to_value(v))).collect());
    }
    if d.is::<Band>() {
        return Value::Band(d.clone_cast::<Band>());
    }
    if d.is::<Table>() {
        return Value::Table(d.clone_cast::<Table>());
    }
    if d.is::<ChartSpec>() {
        return Value::Chart(Box::new(d.clone_cast::<ChartSpec>()));
    }
    if d.is::<Exports>() {
        return Value::Results(d.clone_cast::<Exports>());
    }
    Value::Str(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(body: &str) -> Result<Executed, Diagnostic> {
        let text = format!("---\ntitle: T\n---\n{body}");
        let nb = crate::notebook::parse(Path::new("nb.md"), "nb.md", text).unwrap();
        let mut inputs = IndexMap::new();
        inputs.insert(
            "rows".to_string(),
            Arc::new(serde_json::json!([{"k": "a", "lo": 1, "hi": 3}, {"k": "b", "lo": 2, "hi": 5}])),
        );
        Executor::new(Limits::default()).run(&nb, inputs, Results::new())
    }

    fn value_of(body: &str) -> Value {
        run(body).unwrap().outputs.last().unwrap().value.clone()
    }

    #[test]
    fn division_is_float_and_div_is_integer() {
        assert_eq!(value_of("```{rhai}\n5 / 2\n```\n"), Value::Float(2.5));
        assert_eq!(value_of("```{rhai}\ndiv(5, 2)\n```\n"), Value::Int(2));
        assert_eq!(value_of("```{rhai}\n1 + 2.5\n```\n"), Value::Float(3.5));
        assert_eq!(value_of("```{rhai}\nlet c = 7;\nc /= 2;\nc\n```\n"), Value::Float(3.5));
        assert_eq!(value_of("```{rhai}\nlet c = 7;\nc = c / 2;\nc\n```\n"), Value::Float(3.5));
    }

    #[test]
    fn bands_scale_and_add() {
        let v = value_of("```{rhai}\nlet b = band(1, 3) * 2 + band(1, 1);\nb\n```\n");
        assert_eq!(v, Value::Band(Band { lo: 3.0, hi: 7.0 }));
        assert_eq!(value_of("```{rhai}\nband(1, 3).mid\n```\n"), Value::Float(2.0));
        assert_eq!(value_of("```{rhai}\nband_of(column(rows, \"hi\")).hi\n```\n"), Value::Float(5.0));
    }

    #[test]
    fn scope_is_shared_across_cells() {
        let e = run("```{rhai}\nlet x = 2;\n```\ntext\n```{rhai}\nx * 3\n```\n").unwrap();
        assert_eq!(e.outputs[1].value, Value::Int(6));
        assert_eq!(e.scope.get("x"), Some(&Value::Int(2)));
    }

    #[test]
    fn print_is_captured() {
        let e = run("```{rhai}\nprint(\"hi\");\n```\n").unwrap();
        assert_eq!(e.outputs[0].stream, "hi\n");
    }

    #[test]
    fn undefined_variable_points_at_the_file_line() {
        let d = run("\n```{rhai}\nlet total = 1;\ntotl + 1\n```\n").unwrap_err();
        assert_eq!(d.code, Code::ExecUndefinedVariable);
        assert_eq!(d.position().map(|p| (p.1, p.2)), Some((7, 1)));
        assert_eq!(d.hint.as_deref(), Some("did you mean `total`?"));
    }

    #[test]
    fn missing_map_key_is_an_error() {
        let d = run("```{rhai}\nlet m = #{a: 1};\nm.b\n```\n").unwrap_err();
        assert_eq!(d.code, Code::ExecMissingKey);
    }

    #[test]
    fn library_errors_name_row_and_column() {
        let d = run("```{rhai}\ncolumn(rows, \"hj\")\n```\n").unwrap_err();
        assert!(d.message.contains("row 1 has no column `hj`"), "{}", d.message);
        assert!(d.message.contains("did you mean `hi`?"), "{}", d.message);
        assert_eq!(d.position().map(|p| p.1), Some(5));
    }

    #[test]
    fn runaway_loops_hit_the_operation_limit() {
        let nb =
            crate::notebook::parse(Path::new("nb.md"), "nb.md", "---\ntitle: T\n---\n```{rhai}\nloop {}\n```\n".into())
                .unwrap();
        let limits = Limits { max_operations: 10_000, ..Limits::default() };
        let d = Executor::new(limits).run(&nb, IndexMap::new(), Results::new()).unwrap_err();
        assert_eq!(d.code, Code::ExecLimit);
        assert!(d.message.contains("10,000 operations"), "{}", d.message);
    }

    #[test]
    fn cells_cannot_reach_files_processes_the_network_the_clock_or_the_environment() {
        for attempt in [
            r#"import "std" as s;"#,
            r#"open("/etc/passwd")"#,
            r#"read_file("/etc/passwd")"#,
            r#"env("HOME")"#,
            r#"system("ls")"#,
            r#"command("ls")"#,
            r#"http_get("http://example.org")"#,
            "timestamp()",
            r#"load("data.csv")"#,
        ] {
            let d = run(&format!("```{{rhai}}\n{attempt}\n```\n")).unwrap_err();
            assert!(d.code.as_str().starts_with("exec::"), "{attempt}: {} {}", d.code, d.message);
        }
    }

    #[test]
    fn slow_cells_hit_the_cpu_time_limit() {
        let nb =
            crate::notebook::parse(Path::new("nb.md"), "nb.md", "---\ntitle: T\n---\n```{rhai}\nloop {}\n```\n".into())
                .unwrap();
        let limits = Limits {
            max_operations: u64::MAX,
            max_cell_time: std::time::Duration::from_millis(50),
            ..Limits::default()
        };
        let d = Executor::new(limits).run(&nb, IndexMap::new(), Results::new()).unwrap_err();
        assert_eq!(d.message, "cell 1 ran longer than the limit of 0.05 seconds of CPU time");
    }

    #[test]
    fn results_reads_another_notebooks_values() {
        let exec = Executor::new(Limits::default());
        let parse = |t: &str| crate::notebook::parse(Path::new("nb.md"), "nb.md", t.to_string()).unwrap();
        let a = exec
            .run(&parse("---\ntitle: A\n---\n```{rhai}\nlet tc = band(1, 2);\n```\n"), IndexMap::new(), Results::new())
            .unwrap();
        let mut results = Results::new();
        results.insert("a".into(), a.exports);

        let b = exec
            .run(&parse("---\ntitle: B\n---\n```{rhai}\nresults(\"a\").tc.hi * 2\n```\n"), IndexMap::new(), results)
            .unwrap();
        assert_eq!(b.outputs[0].value, Value::Float(4.0));
        let d = exec
            .run(&parse("---\ntitle: C\n---\n```{rhai}\nresults(\"a\")\n```\n"), IndexMap::new(), Results::new())
            .unwrap_err();
        assert!(d.message.contains("no notebook with that slug has run"), "{}", d.message);
    }

    #[test]
    fn results_are_read_only_views_with_clear_errors() {
        let exec = Executor::new(Limits::default());
        let parse = |t: &str| crate::notebook::parse(Path::new("a.md"), "a.md", t.to_string()).unwrap();
        let a = exec
            .run(&parse("---\ntitle: A\n---\n```{rhai}\nlet m = #{ x: 1 };\n```\n"), IndexMap::new(), Results::new())
            .unwrap();
        let mut results = Results::new();
        results.insert("a".into(), a.exports.clone());
        let script =
            "---\ntitle: B\n---\n```{rhai}\nlet r = results(\"a\");\nlet m = r.m;\nm.x = 5;\nr[\"m\"].x\n```\n";
        let b = exec.run(&parse(script), IndexMap::new(), results.clone()).unwrap();
        assert_eq!(b.outputs[0].value, Value::Int(1), "a copy was changed, not a's results");
        let d = exec
            .run(&parse("---\ntitle: C\n---\n```{rhai}\nresults(\"a\").n\n```\n"), IndexMap::new(), results)
            .unwrap_err();
        assert!(d.message.contains("results(\"a\") has no value `n` (did you mean `m`?)"), "{}", d.message);
    }

    #[test]
    fn a_view_of_results_is_not_passed_on() {
        let exec = Executor::new(Limits::default());
        let parse = |t: &str| crate::notebook::parse(Path::new("x.md"), "x.md", t.to_string()).unwrap();
        let a = exec.run(&parse("---\ntitle: A\n---\n```{rhai}\nlet x = 1;\n```\n"), IndexMap::new(), Results::new());
        let mut results = Results::new();
        results.insert("a".into(), a.unwrap().exports);
        let b = "---\ntitle: B\n---\n```{rhai}\nlet a = results(\"a\");\nlet y = [a.x, a];\nlet z = 2;\n```\n";
        let b = exec.run(&parse(b), IndexMap::new(), results).unwrap();
        assert!(b.scope.contains_key("a"), "the notebook's own page sees its view");
        assert!(b.exports.get("a").is_none(), "{:?}", b.exports.get("a"));
        assert!(b.exports.get("y").is_none(), "{:?}", b.exports.get("y"));
        assert!(b.exports.get("z").is_some());
        let mut results = Results::new();
        results.insert("b".into(), b.exports);
        let c = "---\ntitle: C\n---\n```{rhai}\nresults(\"b\").a.x\n```\n";
        let d = exec.run(&parse(c), IndexMap::new(), results).unwrap_err();
        assert!(d.message.contains("holds the results of another notebook, which are not passed on"), "{}", d.message);
    }

    #[test]
    fn assertions_fail_with_their_message() {
        let d = run("```{rhai}\nassert(1 > 2, \"one is big\");\n```\n").unwrap_err();
        assert_eq!(d.code, Code::ExecAssert);
        assert!(d.message.contains("one is big"));
    }

    #[test]
    fn tables_and_charts_are_values() {
        let v =
            value_of("```{rhai}\ntable(rows, [\"k\", #{ key: \"hi\", title: \"High\", format: \"money\" }])\n```\n");
        let Value::Table(t) = v else { panic!("{v:?}") };
        assert_eq!(t.columns[1].title, "High");
        assert_eq!(t.rows.len(), 2);
        let v = value_of("```{rhai}\nband_chart(rows, #{ y: \"k\", lo: \"lo\", hi: \"hi\" })\n```\n");
        assert!(matches!(v, Value::Chart(_)));
        let d = run("```{rhai}\nband_chart(rows, #{ y: \"k\", lo: \"lo\", hi: \"hx\" })\n```\n").unwrap_err();
        assert!(d.message.contains("row 1 has no column `hx`"), "{}", d.message);
    }
}

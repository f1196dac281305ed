//! What a page's figures are computed from, read from the notebook's text: which cell
//! declares each name, which names each cell uses, and the `data:` tables, `params:` and
//! `results()` calls they reach. For the manifest's `sources` and `serve`'s provenance.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::exec::{Executed, Value};
use crate::manifest::{DataUse, Sources};
use crate::notebook::Notebook;

/// Rows of a data table read for its column names: enough for any table whose rows agree.
const ROWS_FOR_COLUMNS: usize = 64;

pub struct Lineage<'a> {
    notebook: &'a Notebook,
    /// Name -> the last cell that declares it (the final value is that cell's).
    declared_by: HashMap<String, usize>,
    /// Cell -> its words (names and string literals).
    words: HashMap<usize, Vec<String>>,
    /// Data table -> its columns, in order.
    columns: HashMap<&'a str, Vec<String>>,
}

impl<'a> Lineage<'a> {
    pub fn of(notebook: &'a Notebook, executed: &'a Executed) -> Self {
        let mut declared_by = HashMap::new();
        let mut words = HashMap::new();
        for cell in notebook.cells() {
            for name in crate::exec::calls::declared_names(&cell.script) {
                declared_by.insert(name, cell.number);
            }
            words.insert(cell.number, crate::exec::calls::words(&cell.script));
        }
        let columns =
            notebook.front.data.keys().map(|name| (name.as_str(), columns_of(executed.scope.get(name)))).collect();
        Lineage { notebook, declared_by, words, columns }
    }

    /// The sources of a `{{ }}` expression.
    pub fn of_expression(&self, expression: &str) -> Sources {
        let (roots, words) = crate::template::expression_names(expression);
        self.trace(roots.into_iter().map(|r| (r, words.clone())).collect(), Vec::new())
    }

    /// The sources of cell `number`'s output.
    pub fn of_cell(&self, number: usize) -> Sources {
        self.trace(Vec::new(), vec![number])
    }

    /// Follows names back to the cells that declare them, and on to what those read.
    fn trace(&self, names: Vec<(String, Vec<String>)>, cells: Vec<usize>) -> Sources {
        let front = &self.notebook.front;
        let mut seen_cells: BTreeSet<usize> = BTreeSet::new();
        let mut data: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut params: BTreeSet<&str> = BTreeSet::new();
        let mut results: BTreeSet<String> = BTreeSet::new();
        let mut pending_cells = cells;
        let mut pending: Vec<(String, Vec<String>)> = names;
        loop {
            while let Some(cell) = pending_cells.pop() {
                if !seen_cells.insert(cell) {
                    continue;
                }
                let words = self.words.get(&cell).cloned().unwrap_or_default();
                if let Some(c) = self.notebook.cells().find(|c| c.number == cell) {
                    results.extend(
                        crate::exec::calls::calls_of(&c.script, "results").into_iter().filter_map(|c| c.literal),
                    );
                }
                pending.extend(words.iter().map(|w| (w.clone(), words.clone())));
            }
            let Some((name, words)) = pending.pop() else { break };
            if let Some((table, columns)) = self.columns.get_key_value(name.as_str()) {
                let named = data.entry(table).or_default();
                named.extend(columns.iter().filter(|c| words.contains(c)).map(String::as_str));
            }
            if let Some((param, _)) = front.params.get_key_value(&name) {
                params.insert(param.as_str());
            }
            if let Some(&cell) = self.declared_by.get(&name)
                && !seen_cells.contains(&cell)
            {
                pending_cells.push(cell);
            }
        }
        let data = data
            .into_iter()
            .map(|(name, named)| DataUse {
                name: name.to_string(),
                file: front.data.get(name).cloned().unwrap_or_default(),
                columns: self.columns[name].iter().filter(|c| named.contains(c.as_str())).cloned().collect(),
            })
            .collect();
        Sources {
            cells: seen_cells.into_iter().collect(),
            data,
            params: params.into_iter().map(str::to_string).collect(),
            results: results.into_iter().collect(),
        }
    }
}

/// The columns of a data table as it was loaded: the keys of its first rows, in order.
fn columns_of(value: Option<&Value>) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    if let Some(Value::Array(rows)) = value {
        for row in rows.iter().take(ROWS_FOR_COLUMNS) {
            if let Value::Map(map) = row {
                columns.extend(map.keys().filter(|k| !columns.contains(k)).cloned().collect::<Vec<_>>());
            }
        }
    }
    columns
}

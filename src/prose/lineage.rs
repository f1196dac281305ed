//! What a page's figures are computed from, read from the notebook's text: which cell
//! declares each name, which names each cell uses, and the `data:` tables, `params:` and
//! `results()` calls they reach. For the manifest's `sources` and `serve`'s provenance.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::exec::{Executed, Value, calls};
use crate::manifest::{DataUse, Sources};
use crate::notebook::Notebook;

/// Rows of a data table read for its column names: enough for any table whose rows agree.
const ROWS_FOR_COLUMNS: usize = 64;

pub struct Lineage<'a> {
    notebook: &'a Notebook,
    /// Name -> the last cell that declares it (the final value is that cell's).
    declared_by: HashMap<&'a str, usize>,
    /// Cell -> its words (names and string literals) and the slugs its `results()` read.
    cells: &'a HashMap<usize, calls::Lineage>,
    /// Data table -> its columns, in order.
    columns: HashMap<&'a str, Vec<String>>,
    /// Sources already traced, by expression: a page quotes the same few values often.
    traced: RefCell<HashMap<String, Sources>>,
}

impl<'a> Lineage<'a> {
    pub fn of(notebook: &'a Notebook, executed: &'a Executed) -> Self {
        let cells = executed.lineage.get_or_init(|| {
            notebook
                .cells()
                .map(|cell| {
                    let mut read = calls::lineage(&cell.script);
                    // A computed slug's notebook is known from the run.
                    if read.computed {
                        read.results.extend(executed.read.iter().cloned());
                    }
                    (cell.number, read)
                })
                .collect()
        });
        let mut declared_by = HashMap::new();
        for cell in notebook.cells() {
            for name in cells.get(&cell.number).map_or(&[][..], |c| &c.declared[..]) {
                declared_by.insert(name.as_str(), cell.number);
            }
        }
        let columns =
            notebook.front.data.keys().map(|name| (name.as_str(), columns_of(executed.scope.get(name)))).collect();
        Lineage { notebook, declared_by, cells, columns, traced: RefCell::new(HashMap::new()) }
    }

    /// The sources of a `{{ }}` expression.
    pub fn of_expression(&self, expression: &str) -> Sources {
        if let Some(known) = self.traced.borrow().get(expression) {
            return known.clone();
        }
        let (roots, words) = crate::template::expression_names(expression);
        let sources = self.trace(&roots, &words, None);
        self.traced.borrow_mut().insert(expression.to_string(), sources.clone());
        sources
    }

    /// The sources of cell `number`'s output.
    pub fn of_cell(&self, number: usize) -> Sources {
        self.trace(&[], &[], Some(number))
    }

    /// Follows names back to the cells that declare them, and on to what those read. A
    /// name's columns are the words named beside it: in the expression, or in the cell.
    fn trace(&self, roots: &[String], words: &[String], cell: Option<usize>) -> Sources {
        let front = &self.notebook.front;
        let none = calls::Lineage::default();
        let mut seen_cells: BTreeSet<usize> = BTreeSet::new();
        let mut data: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut params: BTreeSet<&str> = BTreeSet::new();
        let mut results: BTreeSet<&str> = BTreeSet::new();
        // (a name, the words beside it)
        let mut pending: Vec<(&str, &[String])> = roots.iter().map(|r| (r.as_str(), words)).collect();
        let mut pending_cells: Vec<usize> = cell.into_iter().collect();
        loop {
            while let Some(cell) = pending_cells.pop() {
                if !seen_cells.insert(cell) {
                    continue;
                }
                let read = self.cells.get(&cell).unwrap_or(&none);
                results.extend(read.results.iter().map(String::as_str));
                pending.extend(read.words.iter().map(|w| (w.as_str(), read.words.as_slice())));
            }
            let Some((name, words)) = pending.pop() else { break };
            if let Some((table, columns)) = self.columns.get_key_value(name) {
                let named = data.entry(table).or_default();
                named.extend(columns.iter().filter(|c| words.contains(c)).map(String::as_str));
            }
            if let Some((param, _)) = front.params.get_key_value(name) {
                params.insert(param.as_str());
            }
            if let Some(&cell) = self.declared_by.get(name)
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
            results: results.into_iter().map(str::to_string).collect(),
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

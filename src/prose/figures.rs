//! The figures a page's body publishes, for the manifest: each value inserted into the prose
//! (with its expression, its line, the words around it, its section and, in a Markdown table,
//! its cell), each cell of a cell's output table, each mark of a cell's chart, and each
//! value a cell shows as its output.

use std::collections::HashMap;

use super::expand::Expanded;
use super::lineage::Lineage;
use super::markdown::ValuePlace;
use super::planner::{HeadingAt, Planner};
use crate::chart::{ChartData, ChartSpec, format_tick};
use crate::exec::{Executed, Value};
use crate::manifest::{Found, Place, Section, around, band, number, raw_json};
use crate::notebook::Notebook;
use crate::render::cell::{cell_text, rows_table, scalar_text};
use crate::template::Inserted;

/// Everything the body's figures are read from.
pub(super) struct Sources<'a> {
    pub notebook: &'a Notebook,
    pub executed: &'a Executed,
    pub expanded: &'a Expanded,
    pub places: &'a [ValuePlace],
    pub planner: &'a Planner<'a>,
    /// The notebook's path under the notebooks folder, for `file:line`.
    pub file: &'a str,
}

/// The figures of a page's body, in page order: the prose's values and the cells' outputs,
/// as they stand.
pub(super) fn body_figures(s: &Sources<'_>) -> Vec<Found> {
    let mut figures: Vec<(usize, Found)> = Vec::new();
    let lineage = Lineage::of(s.notebook, s.executed);
    prose_figures(s, &lineage, &mut figures);
    cell_figures(s, &lineage, &mut figures);
    // Stable: figures on one line keep the order they were found in.
    figures.sort_by_key(|(line, _)| *line);
    figures.into_iter().map(|(_, f)| f).collect()
}

/// The section holding expanded line `line`: the last top-level heading at or before it.
fn section_at(headings: &[HeadingAt], line: usize) -> Option<Section> {
    let i = headings.partition_point(|h| h.line <= line);
    headings[..i].iter().rev().find(|h| h.level == 2).map(|h| Section {
        id: h.id.clone(),
        number: h.number,
        title: h.title.clone(),
    })
}

fn prose_figures(s: &Sources<'_>, lineage: &Lineage<'_>, out: &mut Vec<(usize, Found)>) {
    let headings = &s.planner.headings;
    let faq = s.planner.faq;
    let in_faq = |line: usize| faq.is_some_and(|(start, end)| line > start && end.is_none_or(|e| line < e));
    let table_name = |table_line: usize| match s.planner.table_ids.get(&table_line) {
        Some(id) => id.clone(),
        None => {
            let n = s.planner.markdown_tables.iter().position(|&l| l == table_line).map_or(0, |i| i + 1);
            format!("table-{n}")
        }
    };
    for place in s.places {
        let (Some(Inserted::Text(text)), Some(Some(origin))) =
            (s.expanded.values.get(place.value), s.expanded.origins.get(place.value))
        else {
            continue;
        };
        let line = place.line;
        let question = || {
            let i = headings.partition_point(|h| h.line <= line);
            headings[..i].iter().rev().take_while(|h| h.level != 2).find(|h| h.level == 3).map(|h| h.title.clone())
        };
        let placed = match (&place.cell, in_faq(line)) {
            (Some(cell), _) => Place::Table {
                table: table_name(cell.table_line),
                row: cell.row_label.clone(),
                column: cell.header.clone(),
            },
            (None, true) => question().map_or(Place::Prose, |question| Place::Faq { question }),
            (None, false) => Place::Prose,
        };
        out.push((
            line,
            Found {
                section: section_at(headings, line),
                place: placed,
                expression: Some(origin.expression.clone()),
                at: format!("{}:{}", s.file, origin.line),
                value: raw_json(&origin.raw),
                text: text.replace(['\r', '\n'], " "),
                context: Some(around(&place.context, place.at.clone())),
                sources: lineage.of_expression(&origin.expression),
            },
        ));
    }
}

fn cell_figures(s: &Sources<'_>, lineage: &Lineage<'_>, out: &mut Vec<(usize, Found)>) {
    let outputs: HashMap<usize, &Value> = s.executed.outputs.iter().map(|o| (o.number, &o.value)).collect();
    for cell in s.notebook.cells() {
        let (Some(&line), Some(value)) = (s.planner.cell_lines.get(&cell.number), outputs.get(&cell.number)) else {
            continue;
        };
        if !cell.options.output {
            continue;
        }
        let name = cell.options.label.as_ref().map_or_else(|| format!("cell-{}", cell.number), |l| l.name.clone());
        let section = section_at(&s.planner.headings, line);
        let at = format!("{}:{}", s.file, cell.fence_line);
        let sources = lineage.of_cell(cell.number);
        let found = |place: Place, value: serde_json::Value, text: String| Found {
            section: section.clone(),
            place,
            expression: None,
            at: at.clone(),
            value,
            text,
            context: None,
            sources: sources.clone(),
        };
        let mut add = |f: Found| out.push((line, f));
        match value {
            Value::Unit => {}
            Value::Chart(spec) => chart_marks(spec, &name).into_iter().for_each(|(p, v, t)| add(found(p, v, t))),
            Value::Table(t) => table_cells(t, &name).into_iter().for_each(|(p, v, t)| add(found(p, v, t))),
            Value::Array(rows) if !rows.is_empty() && rows.iter().all(|r| matches!(r, Value::Map(_))) => {
                table_cells(&rows_table(rows), &name).into_iter().for_each(|(p, v, t)| add(found(p, v, t)))
            }
            other => add(found(Place::Output { cell: cell.number }, value_json(other), scalar_text(other))),
        }
    }
}

/// A cell's value as the manifest writes it, when it is one a reader reads as a figure.
fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => number(*f),
        Value::Band(b) => band(b.lo, b.hi),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Str(s) => serde_json::Value::String(s.clone()),
        other => serde_json::Value::String(other.display_text()),
    }
}

/// Each cell of a table but those of its first column, which name the rows.
fn table_cells(t: &crate::exec::Table, name: &str) -> Vec<(Place, serde_json::Value, String)> {
    let mut cells = Vec::new();
    let first = usize::from(t.columns.len() > 1);
    for row in &t.rows {
        let label = row.first().map(|v| cell_text(v, t.columns.first().and_then(|c| c.format))).unwrap_or_default();
        for (column, v) in t.columns.iter().zip(row).skip(first) {
            let place = Place::Table { table: name.to_string(), row: label.clone(), column: column.title.clone() };
            cells.push((place, value_json(v), cell_text(v, column.format)));
        }
    }
    cells
}

/// Each mark a chart draws: a band per category, or a value per series and category.
fn chart_marks(spec: &ChartSpec, name: &str) -> Vec<(Place, serde_json::Value, String)> {
    let tick = |x: f64| format_tick(x, spec.format);
    let mark = |series: &str, category: &str| Place::Chart {
        figure: name.to_string(),
        series: series.to_string(),
        category: category.to_string(),
    };
    match &spec.data {
        ChartData::Bands(rows) => rows
            .iter()
            .map(|r| (mark("band", &r.category), band(r.lo, r.hi), format!("{}–{}", tick(r.lo), tick(r.hi))))
            .collect(),
        ChartData::Bars(t) | ChartData::Stacked(t) | ChartData::Lines(t) => t
            .rows
            .iter()
            .flat_map(|r| {
                t.series.iter().zip(&r.values).filter_map(|(series, v)| {
                    let v = (*v)?;
                    Some((mark(series, &r.category), number(v), tick(v)))
                })
            })
            .collect(),
    }
}

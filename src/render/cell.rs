//! A cell as the reader sees it: the `In [n]:` code box and the `Out [n]:` output, which is
//! a figure, a table or formatted text.

use std::collections::HashMap;

use crate::diag::{Code, Diagnostic};
use crate::exec::{CellOutput, Executed, Table, Value};
use crate::format::Filter;
use crate::html::escape_html;
use crate::notebook::{Cell, Notebook};

/// The width, in CSS px, of the extra drawing of each chart shown on phones.
const NARROW_CHART_WIDTH: u32 = 360;

/// PNG downloads are drawn at twice the CSS size, for sharp display on high-density screens.
pub const PNG_SCALE: f64 = 2.0;

/// A chart drawn for the page, also written beside it as `<name>.svg` and, with `--png`,
/// `<name>.png`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    pub name: String,
    pub svg: String,
    pub png: Option<Vec<u8>>,
}

/// A cell's chart, drawn before the prose is planned: the file written beside the page and
/// what the figure shows (the drawings and the download links).
#[derive(Debug, Clone)]
pub struct Drawn {
    pub file: ChartFile,
    pub html: String,
}

/// Draws the chart of every cell that shows one, by cell number, in cell order. A chart that
/// cannot be drawn is an error at its cell's fence; the others are drawn all the same.
pub fn draw_charts(notebook: &Notebook, executed: &Executed, png: bool) -> (HashMap<usize, Drawn>, Vec<Diagnostic>) {
    let mut drawn = HashMap::new();
    let mut problems = Vec::new();
    let outputs: HashMap<usize, &CellOutput> = executed.outputs.iter().map(|o| (o.number, o)).collect();
    for cell in notebook.cells().filter(|c| c.options.output) {
        let Some(Value::Chart(spec)) = outputs.get(&cell.number).map(|o| &o.value) else { continue };
        let name = cell.options.label.as_ref().map_or_else(|| format!("cell-{}", cell.number), |l| l.name.clone());
        match draw(cell, spec, name, png) {
            Ok(d) => {
                drawn.insert(cell.number, d);
            }
            Err(message) => problems.push(
                Diagnostic::error(Code::ChartDraw, format!("cell {}: {message}", cell.number))
                    .at(&notebook.source, notebook.source.line_span(cell.fence_line))
                    .with_hint("check the chart's rows and options"),
            ),
        }
    }
    (drawn, problems)
}

fn draw(cell: &Cell, spec: &crate::chart::ChartSpec, name: String, png: bool) -> Result<Drawn, String> {
    draw_named(spec, &chart_alt(cell, spec), name, png)
}

/// Draws `spec` as the file `name` beside the page and the figure's drawings and download
/// links (a cell's chart, or another notebook's redrawn on the page's bounds).
pub fn draw_named(spec: &crate::chart::ChartSpec, alt: &str, name: String, png: bool) -> Result<Drawn, String> {
    let alt = alt.to_string();
    let svg = crate::chart::to_svg(spec, &alt).map_err(|e| e.message)?;
    let png = match png {
        true => Some(crate::chart::to_png(spec, PNG_SCALE, false).map_err(|e| e.message)?),
        false => None,
    };
    let html = format!("{}{}", drawings_with(spec, &alt, &svg)?, downloads(&name, png.is_some()));
    Ok(Drawn { file: ChartFile { name, svg, png }, html })
}

/// What a cell needs besides itself: its caption line, its anchor and its chart.
pub struct CellFrame<'a> {
    /// `figure mo-1 : band comparison`, when labelled or captioned.
    pub caption: Option<&'a str>,
    /// The label (`fig-bands`) used as the output's id and the chart's file name.
    pub label: Option<&'a str>,
    /// The cell's chart, drawn by [`draw_charts`]; `None` when it could not be drawn.
    pub chart: Option<&'a Drawn>,
}

/// Renders a cell, its chart already drawn.
pub fn cell_html(cell: &Cell, output: &CellOutput, frame: &CellFrame<'_>) -> String {
    let n = cell.number;
    let mut html = format!("<div class=\"cell\" id=\"cell-{n}\">\n");
    if cell.options.echo && !cell.display.is_empty() {
        html.push_str(&format!(
            "<div class=\"cell-input\"><div class=\"prompt prompt-in\">In [{n}]:</div><pre class=\"cell-code\"><code class=\"language-rhai\">{}</code></pre></div>\n",
            escape_html(&cell.display)
        ));
    }
    if cell.options.output {
        if !output.stream.is_empty() {
            html.push_str(&format!(
                "<div class=\"cell-output cell-stream\"><div class=\"prompt\"></div><pre class=\"stream\">{}</pre></div>\n",
                escape_html(output.stream.trim_end_matches('\n'))
            ));
        }
        let body = match &output.value {
            Value::Unit => None,
            // A chart that could not be drawn has its error; the cell shows no output.
            Value::Chart(_) => frame.chart.map(|d| figure("nb-figure", frame, &d.html)),
            Value::Table(t) => Some(figure("nb-table", frame, &table_html(t))),
            Value::Array(rows) if rows.iter().all(|r| matches!(r, Value::Map(_))) && !rows.is_empty() => {
                Some(figure("nb-table", frame, &table_html(&rows_table(rows))))
            }
            other => Some(format!("<pre class=\"output-text\">{}</pre>", escape_html(&scalar_text(other)))),
        };
        if let Some(body) = body {
            // As in a notebook exported without its code: the Out prompt goes with the In prompt.
            let prompt = if cell.options.echo { format!("Out [{n}]:") } else { String::new() };
            let class = if cell.options.echo { "prompt prompt-out" } else { "prompt" };
            html.push_str(&format!(
                "<div class=\"cell-output\"><div class=\"{class}\">{prompt}</div><div class=\"output-body\">{body}</div></div>\n"
            ));
        }
    }
    html.push_str("</div>\n");
    if !html.contains("cell-input") && !html.contains("cell-output") {
        return String::new();
    }
    html
}

/// A chart's accessible name: the cell's `alt`, else its caption, else the chart's title.
pub fn chart_alt(cell: &Cell, spec: &crate::chart::ChartSpec) -> String {
    let options = &cell.options;
    let alt = options.alt.clone().or_else(|| options.fig_cap.clone()).or_else(|| spec.title.clone());
    alt.unwrap_or_else(|| format!("chart of cell {}", cell.number))
}

/// Links to the chart's files beside the page, for reuse in other documents.
/// The download links under a figure: its SVG, and its PNG when one is written.
pub fn downloads(name: &str, png: bool) -> String {
    let name = escape_html(name);
    let mut html = format!("<p class=\"figure-downloads\">download <a href=\"{name}.svg\" download>SVG</a>");
    if png {
        html.push_str(&format!(" <a href=\"{name}.png\" download>PNG</a>"));
    }
    html.push_str("</p>");
    html
}

fn figure(class: &str, frame: &CellFrame<'_>, inner: &str) -> String {
    let id = frame.label.map(|l| format!(" id=\"{}\"", escape_html(l))).unwrap_or_default();
    match frame.caption {
        Some(caption) => format!(
            "<figure class=\"{class}\"{id}><figcaption class=\"xref-label\">{}</figcaption>{inner}</figure>",
            escape_html(caption)
        ),
        None if class == "nb-figure" || !id.is_empty() => format!("<figure class=\"{class}\"{id}>{inner}</figure>"),
        None => inner.to_string(),
    }
}

/// A number or band as output text: thousands separators, bands as `lo to hi`.
pub(crate) fn scalar_text(v: &Value) -> String {
    match v {
        Value::Int(i) => Filter::Num.number(*i as f64),
        Value::Float(f) => Filter::Num.number(*f),
        Value::Band(b) => Filter::Num.band(b.lo, b.hi),
        other => other.display_text(),
    }
}

pub(crate) fn cell_text(v: &Value, format: Option<Filter>) -> String {
    match (format, v) {
        (Some(f), Value::Band(b)) => f.band(b.lo, b.hi),
        (Some(f), v) if v.as_f64().is_some() => f.number(v.as_f64().unwrap_or(0.0)),
        (_, v) => scalar_text(v),
    }
}

pub(crate) fn rows_table(rows: &[Value]) -> Table {
    let mut keys: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Map(m) = row {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let columns = keys.iter().map(|k| crate::exec::Column { key: k.clone(), title: k.clone(), format: None }).collect();
    let rows = rows
        .iter()
        .map(|row| match row {
            Value::Map(m) => keys.iter().map(|k| m.get(k).cloned().unwrap_or(Value::Unit)).collect(),
            _ => Vec::new(),
        })
        .collect();
    Table { columns, rows }
}

/// A table in the style of a pandas DataFrame's HTML.
pub fn table_html(t: &Table) -> String {
    let mut html = String::from("<table class=\"dataframe\">\n<thead><tr>");
    for c in &t.columns {
        html.push_str(&format!("<th>{}</th>", escape_html(&c.title)));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        html.push_str("<tr>");
        for (c, v) in t.columns.iter().zip(row) {
            let numeric = matches!(v, Value::Int(_) | Value::Float(_) | Value::Band(_));
            let class = if numeric { " class=\"num\"" } else { "" };
            html.push_str(&format!("<td{class}>{}</td>", escape_html(&cell_text(v, c.format))));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>");
    html
}

/// A chart drawn for wide screens and, unless its width is fixed, again for phones; CSS
/// shows one of the two.
pub fn chart_drawings(spec: &crate::chart::ChartSpec, alt: &str) -> Result<String, String> {
    let svg = crate::chart::to_svg(spec, alt).map_err(|e| e.message)?;
    drawings_with(spec, alt, &svg)
}

/// As [`chart_drawings`], with the wide drawing already made (a cell writes it to a file too).
fn drawings_with(spec: &crate::chart::ChartSpec, alt: &str, svg: &str) -> Result<String, String> {
    if spec.width.is_some() {
        return Ok(svg.to_string());
    }
    let phone = crate::chart::ChartSpec { width: Some(NARROW_CHART_WIDTH), ..spec.clone() };
    match crate::chart::to_svg(&phone, alt) {
        Ok(narrow) => Ok(format!("<div class=\"chart-wide\">{svg}</div><div class=\"chart-narrow\">{narrow}</div>")),
        Err(_) => Ok(svg.to_string()),
    }
}

//! `table(rows, columns)`: a displayable table with chosen columns, titles and formats.

use rhai::{Array, Dynamic, EvalAltResult, Map};

use crate::diag::Code;
use crate::exec::errors::{OptionAt, placed, raise};
use crate::exec::value::Value;
use crate::format::Filter;

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub key: String,
    pub title: String,
    pub format: Option<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// One value per column, in column order.
    pub rows: Vec<Vec<Value>>,
}

const COLUMN_KEYS: &[&str] = &["key", "title", "format"];

pub fn register(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<Table>("table").register_fn("table", build);
}

/// Builds a table from rows (an array of maps) and column specs (keys or maps).
pub fn build(rows: Array, columns: Array) -> Result<Table, Box<EvalAltResult>> {
    let columns = columns.into_iter().enumerate().map(|(i, c)| column(i, c)).collect::<Result<Vec<_>, _>>()?;
    if columns.is_empty() {
        return Err(raise(Code::TableSpec, "table(rows, columns): columns is empty; name at least one column"));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (r, row) in rows.into_iter().enumerate() {
        let map = row
            .try_cast::<Map>()
            .ok_or_else(|| raise(Code::TableSpec, format!("table(rows, columns): row {} is not a map", r + 1)))?;
        let mut cells = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter().enumerate() {
            let v = map.get(col.key.as_str()).ok_or_else(|| {
                let message = format!(
                    "table(rows, columns): row {} has no column `{}`{}",
                    r + 1,
                    col.key,
                    super::library::keys_hint(&map, &col.key)
                );
                at_column(i, "key", false, message)
            })?;
            let v = super::to_value(v);
            if matches!(v, Value::Table(_) | Value::Chart(_) | Value::Results(_)) {
                let message = format!(
                    "table(rows, columns): row {} holds {} in column `{}`; a table cell shows a number, text or a band",
                    r + 1,
                    v.type_name(),
                    col.key
                );
                return Err(at_column(i, "key", false, message));
            }
            if let Some(x) = v.non_finite() {
                let message = format!(
                    "table(rows, columns): row {} holds {} in column `{}`; a table shows finite numbers only",
                    r + 1,
                    super::band::non_finite_name(x),
                    col.key
                );
                return Err(at_column(i, "key", false, message));
            }
            if let Some(f) = col.format {
                check_format(f, &v, r + 1, &col.key).map_err(|message| at_column(i, "format", false, message))?;
            }
            cells.push(v);
        }
        out.push(cells);
    }
    Ok(Table { columns, rows: out })
}

/// A `table::spec` error about option `key` of column `item` (about the whole column when
/// `key` is empty; at the option's key rather than its value when `at_key`).
fn at_column(item: usize, key: &str, at_key: bool, message: String) -> Box<EvalAltResult> {
    let option = OptionAt { key: key.to_string(), at_key, item: Some(item) };
    placed(Code::TableSpec, option, message.into())
}

fn check_format(f: Filter, v: &Value, row: usize, key: &str) -> Result<(), String> {
    let ok = match v {
        Value::Band(_) => f.takes_band(),
        Value::Int(_) | Value::Float(_) => !f.takes_band(),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wants = if f.takes_band() { "a band" } else { "a number" };
    Err(format!(
        "table(rows, columns): format `{}` of column `{key}` needs {wants}, but row {row} holds {}",
        f.name(),
        v.type_name()
    ))
}

fn column(i: usize, spec: Dynamic) -> Result<Column, Box<EvalAltResult>> {
    if spec.is_string() {
        let key = spec.into_string().unwrap_or_default();
        return Ok(Column { title: key.clone(), key, format: None });
    }
    let Some(map) = spec.try_cast::<Map>() else {
        let message = format!(
            "table(rows, columns): column {} must be a key or a map like #{{ key: \"x\", title: \"X\" }}",
            i + 1
        );
        return Err(at_column(i, "", false, message));
    };
    for k in map.keys() {
        if !COLUMN_KEYS.contains(&k.as_str()) {
            let hint = crate::diag::did_you_mean(k, COLUMN_KEYS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(at_column(i, k, true, format!("table(rows, columns): unknown column option `{k}`{hint}")));
        }
    }
    for (k, v) in &map {
        if !v.is_string() {
            let message = format!(
                "table(rows, columns): column {}'s `{k}` must be text, not {}",
                i + 1,
                super::library::describe(v)
            );
            return Err(at_column(i, k, false, message));
        }
    }
    let text = |name: &str| map.get(name).and_then(|v| v.clone().into_string().ok());
    let key = text("key")
        .ok_or_else(|| at_column(i, "", false, format!("table(rows, columns): column {} needs a `key`", i + 1)))?;
    let format = match text("format") {
        None => None,
        Some(name) => Some(Filter::parse(&name).ok_or_else(|| {
            let hint = crate::diag::did_you_mean(&name, Filter::NAMES.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("formats are {}", Filter::NAMES.join(", ")));
            at_column(
                i,
                "format",
                false,
                format!("table(rows, columns): unknown format `{name}` for column `{key}`; {hint}"),
            )
        })?),
    };
    Ok(Column { title: text("title").unwrap_or_else(|| key.clone()), key, format })
}

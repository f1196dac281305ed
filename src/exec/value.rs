//! What cells leave behind, independent of Rhai: the final scope and each cell's output are
//! converted to [`Value`] so later stages never see a Rhai type.

use indexmap::IndexMap;

use crate::chart::ChartSpec;
use crate::exec::band::Band;
use crate::exec::table::Table;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Map(IndexMap<String, Value>),
    Band(Band),
    Table(Table),
    Chart(Box<ChartSpec>),
    /// Another notebook's values, read through `results("slug")`: shared, not copied.
    Results(crate::exec::Exports),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Unit => "()",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Map(_) => "a map",
            Value::Band(_) => "a band",
            Value::Table(_) => "a table",
            Value::Chart(_) => "a chart",
            Value::Results(_) => "a notebook's results",
        }
    }

    /// Plain text for displaying a scalar: numbers in full, bands as `lo to hi`.
    pub fn display_text(&self) -> String {
        match self {
            Value::Unit => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_text(*f),
            Value::Str(s) => s.clone(),
            Value::Band(b) => format!("{} to {}", float_text(b.lo), float_text(b.hi)),
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(Value::debug_text).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Map(map) => {
                let inner: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", v.debug_text())).collect();
                format!("#{{{}}}", inner.join(", "))
            }
            Value::Table(t) => format!("table of {} rows", t.rows.len()),
            Value::Chart(_) => "chart".to_string(),
            Value::Results(r) => format!("results(\"{}\")", r.slug()),
        }
    }

    fn debug_text(&self) -> String {
        match self {
            Value::Str(s) => format!("{s:?}"),
            other => other.display_text(),
        }
    }
}

/// A float the way a reader expects it: `2.5`, `3.0` for whole floats, no exponent for money.
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{f:.1}") } else { f.to_string() }
}

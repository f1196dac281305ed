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
            Value::Table(t) => {
                let n = t.rows.len();
                format!("table of {n} {}", crate::format::plural(n, "row", "rows"))
            }
            Value::Chart(_) => "chart".to_string(),
            Value::Results(r) => format!("results(\"{}\")", r.slug()),
        }
    }

    /// The first number in the value, nested ones included, that is not finite: a page
    /// never shows infinity or NaN. Tables are checked when they are made, charts when drawn.
    pub fn non_finite(&self) -> Option<f64> {
        let mut pending = vec![self];
        while let Some(v) = pending.pop() {
            match v {
                Value::Float(f) if !f.is_finite() => return Some(*f),
                Value::Array(items) => pending.extend(items),
                Value::Map(map) => pending.extend(map.values()),
                _ => {}
            }
        }
        None
    }

    /// Feeds the value to `h`, nested values included, without recursion: a value may nest as
    /// deep as the limits allow. Another notebook's results count by their slug (their values
    /// are hashed where they were made).
    pub fn hash_into(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        let mut pending = vec![self];
        while let Some(v) = pending.pop() {
            std::mem::discriminant(v).hash(h);
            match v {
                Value::Unit => {}
                Value::Bool(b) => b.hash(h),
                Value::Int(i) => i.hash(h),
                Value::Float(f) => f.to_bits().hash(h),
                Value::Str(s) => s.hash(h),
                Value::Array(items) => {
                    items.len().hash(h);
                    pending.extend(items.iter().rev());
                }
                Value::Map(map) => {
                    map.len().hash(h);
                    for (k, v) in map.iter().rev() {
                        k.hash(h);
                        pending.push(v);
                    }
                }
                Value::Band(b) => (b.lo.to_bits(), b.hi.to_bits()).hash(h),
                Value::Table(t) => {
                    for c in &t.columns {
                        (&c.key, &c.title, c.format.map(|f| f.name())).hash(h);
                    }
                    t.rows.len().hash(h);
                    pending.extend(t.rows.iter().rev().flat_map(|r| r.iter().rev()));
                }
                // Charts hold categories and numbers, never nested values.
                Value::Chart(spec) => format!("{spec:?}").hash(h),
                Value::Results(r) => r.slug().hash(h),
            }
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

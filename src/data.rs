//! Stage 2, load: the tables a notebook declares under `data:`, read from CSV, JSON or YAML
//! into plain values. The csv crate lives here and nowhere else.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Number, Value};

/// Why a data file could not be loaded. The caller locates it at the `data:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DataError {
    pub message: String,
    pub hint: Option<String>,
}

impl DataError {
    fn new(message: impl Into<String>) -> Self {
        DataError { message: message.into(), hint: None }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Resolves a `data:` path relative to the notebook's folder; it may not leave that folder.
pub fn resolve(notebook_dir: &Path, relative: &str) -> Result<PathBuf, DataError> {
    let rel = Path::new(relative);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))) {
        return Err(DataError::new(format!("data path `{relative}` leaves the notebook's folder"))
            .hint("give a path inside the notebooks folder, such as `data/comp.csv`"));
    }
    Ok(notebook_dir.join(rel))
}

/// Loads one data file by its extension.
pub fn load(path: &Path, shown_as: &str) -> Result<Value, DataError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        let e = DataError::new(format!("cannot read data file `{shown_as}`: {err}"));
        if err.kind() == std::io::ErrorKind::NotFound {
            e.hint("check the path: it is relative to the notebook file")
        } else {
            e
        }
    })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "csv" => parse_csv(&text).map_err(|m| DataError::new(format!("in `{shown_as}`: {m}"))),
        "json" => serde_json::from_str(&text).map_err(|err| {
            // serde_json ends its message with the position, which is already said up front.
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            DataError::new(format!(
                "in `{shown_as}`: invalid JSON at line {} column {}: {message}",
                err.line(),
                err.column()
            ))
        }),
        "yaml" | "yml" => crate::yaml::from_str::<Value>(&text).map_err(|err| {
            let at = err.position.map(|(l, c)| format!(" at line {l} column {c}")).unwrap_or_default();
            DataError::new(format!("in `{shown_as}`: invalid YAML{at}: {}", err.message))
        }),
        _ => Err(DataError::new(format!("unsupported data file type `{shown_as}`"))
            .hint("data files are .csv, .json, .yaml or .yml")),
    }
}

/// A CSV file with a header row becomes an array of maps; numeric fields become numbers and
/// empty fields become null.
pub fn parse_csv(text: &str) -> Result<Value, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    if let Some(dup) = headers.iter().enumerate().find(|(i, h)| headers.iter().take(*i).any(|o| o == *h)) {
        return Err(format!("the header names column `{}` twice", dup.1));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("line {line} has {len} fields, but the header has {expected_len}")
                }
                _ => format!("line {line}: {e}"),
            }
        })?;
        let row: Map<String, Value> =
            headers.iter().zip(record.iter()).map(|(h, field)| (h.to_string(), field_value(field))).collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

fn field_value(field: &str) -> Value {
    if field.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = field.parse::<i64>() {
        return Value::Number(i.into());
    }
    match field.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(Number::from_f64) {
        Some(n) if field.bytes().any(|b| b.is_ascii_digit()) => Value::Number(n),
        _ => Value::String(field.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_numbers_become_numbers() {
        let v = parse_csv("name,lo,share,note\nA, 190000 ,0.25,\nB,1,x,\"q, r\"\n").unwrap();
        assert_eq!(v[0]["lo"], 190000);
        assert_eq!(v[0]["share"], 0.25);
        assert_eq!(v[0]["note"], Value::Null);
        assert_eq!(v[1]["share"], "x");
        assert_eq!(v[1]["note"], "q, r");
    }

    #[test]
    fn csv_ragged_rows_report_their_line() {
        let err = parse_csv("a,b\n1,2\n3\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn words_like_inf_and_nan_stay_text() {
        let v = parse_csv("a\ninf\nNaN\n").unwrap();
        assert_eq!(v[0]["a"], "inf");
        assert_eq!(v[1]["a"], "NaN");
    }

    #[test]
    fn paths_cannot_leave_the_folder() {
        assert!(resolve(Path::new("nb"), "../secret.csv").is_err());
        assert!(resolve(Path::new("nb"), "/etc/passwd").is_err());
        assert_eq!(resolve(Path::new("nb"), "data/a.csv").unwrap(), Path::new("nb/data/a.csv"));
    }
}

//! Stage 2, load: the tables a notebook declares under `data:`, read from CSV, JSON or YAML
//! into plain values. The csv crate lives here and nowhere else.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

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

/// How much data one file may bring (`limits:` in `_site.yaml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataLimits {
    pub max_bytes: u64,
    /// Rows of a CSV file, items of a JSON or YAML list.
    pub max_rows: usize,
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits { max_bytes: 64 << 20, max_rows: 250_000 }
    }
}

/// Resolves a `data:` path relative to the notebook's folder; it may not leave that folder,
/// neither by its own words (`..`, an absolute path) nor through a symbolic link.
pub fn resolve(notebook_dir: &Path, relative: &str) -> Result<PathBuf, DataError> {
    confine(notebook_dir, relative).map_err(|escape| match escape {
        Escape::Words => DataError::new(format!("data path `{relative}` leaves the notebook's folder"))
            .hint("give a path inside the notebooks folder, such as `data/comp.csv`"),
        Escape::Link(real) => DataError::new(format!(
            "data path `{relative}` is a symbolic link to `{}`, outside the notebook's folder",
            real.display()
        ))
        .hint("copy the file into the notebooks folder instead of linking to it"),
    })
}

/// How a path written by a site's authors would leave the folder it must stay in.
#[derive(Debug, Clone, PartialEq)]
pub enum Escape {
    /// By its own words: absolute, or with `..`.
    Words,
    /// Through a symbolic link, to this real path.
    Link(PathBuf),
}

/// `relative` under `folder`, provided it stays there: `data:` paths, and the `theme:` folder of
/// `_site.yaml`. A path that does not exist yet stays where it is written; reading it reports it.
pub fn confine(folder: &Path, relative: &str) -> Result<PathBuf, Escape> {
    let rel = Path::new(relative);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))) {
        return Err(Escape::Words);
    }
    let path = folder.join(rel);
    match (path.canonicalize(), folder.canonicalize()) {
        (Ok(real), Ok(root)) if !real.starts_with(&root) => Err(Escape::Link(real)),
        _ => Ok(path),
    }
}

/// Loads one data file by its extension.
pub fn load(path: &Path, shown_as: &str, limits: &DataLimits) -> Result<Value, DataError> {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > limits.max_bytes
    {
        return Err(DataError::new(format!(
            "data file `{shown_as}` is {} bytes, over the limit of {} bytes",
            crate::format::num(meta.len() as f64),
            crate::format::num(limits.max_bytes as f64)
        ))
        .hint("load a smaller extract, or raise `data_bytes` under `limits:` in `_site.yaml`"));
    }
    let table = read(path, shown_as, limits.max_rows)?;
    match &table {
        Value::Array(rows) if rows.len() > limits.max_rows => Err(too_many_rows(shown_as, limits.max_rows)),
        _ => Ok(table),
    }
}

fn too_many_rows(shown_as: &str, max_rows: usize) -> DataError {
    DataError::new(format!(
        "data file `{shown_as}` has more than {} rows, the limit",
        crate::format::num(max_rows as f64)
    ))
    .hint("load a smaller extract, or raise `data_rows` under `limits:` in `_site.yaml`")
}

fn read(path: &Path, shown_as: &str, max_rows: usize) -> Result<Value, DataError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        let e = DataError::new(format!("cannot read data file `{shown_as}`: {err}"));
        if err.kind() == std::io::ErrorKind::NotFound {
            e.hint("check the path: it is relative to the notebook file")
        } else {
            e
        }
    })?;
    if let Some(value) = PARSED.recall(path, &text) {
        return Ok(value);
    }
    let value = parse(path, &text, shown_as, max_rows)?;
    PARSED.remember(path, text, &value);
    Ok(value)
}

/// Data files this process has parsed, by path, with the text each was parsed from. The
/// notebooks of a folder often share a table, and a one-page build also runs the notebooks
/// its page links to: each file is parsed once. A file whose text changed since (a save
/// under `nbrender serve`) is parsed again; only successes are kept, and [`load`] checks
/// the row limit on what is recalled too.
static PARSED: Parsed = Parsed(Mutex::new(None));

struct Parsed(Mutex<Option<HashMap<PathBuf, (String, Value)>>>);

impl Parsed {
    fn recall(&self, path: &Path, text: &str) -> Option<Value> {
        let files = self.0.lock().ok()?;
        let (seen, value) = files.as_ref()?.get(path)?;
        (seen == text).then(|| value.clone())
    }

    fn remember(&self, path: &Path, text: String, value: &Value) {
        if let Ok(mut files) = self.0.lock() {
            files.get_or_insert_with(HashMap::new).insert(path.to_path_buf(), (text, value.clone()));
        }
    }
}

fn parse(path: &Path, text: &str, shown_as: &str, max_rows: usize) -> Result<Value, DataError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "csv" => parse_csv(text, max_rows).map_err(|e| match e {
            CsvError::TooManyRows => too_many_rows(shown_as, max_rows),
            CsvError::Invalid(m) => DataError::new(format!("in `{shown_as}`: {m}")),
        }),
        "json" => serde_json::from_str(text).map_err(|err| {
            // serde_json ends its message with the position, which is already said up front.
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            DataError::new(format!(
                "in `{shown_as}`: invalid JSON at line {} column {}: {message}",
                err.line(),
                err.column()
            ))
        }),
        "yaml" | "yml" => crate::yaml::from_str::<crate::yaml::FiniteJson>(text).map(|v| v.0).map_err(|err| {
            let at = err.position.map(|(l, c)| format!(" at line {l} column {c}")).unwrap_or_default();
            DataError::new(format!("in `{shown_as}`: invalid YAML{at}: {}", err.message))
        }),
        _ => Err(DataError::new(format!("unsupported data file type `{shown_as}`"))
            .hint("data files are .csv, .json, .yaml or .yml")),
    }
}

/// Why a CSV file was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvError {
    Invalid(String),
    /// More rows than the limit: reading stopped there.
    TooManyRows,
}

impl From<String> for CsvError {
    fn from(message: String) -> Self {
        CsvError::Invalid(message)
    }
}

/// A CSV file with a header row becomes an array of maps; numeric fields become numbers and
/// empty fields become null. Reading stops past `max_rows` rows.
pub fn parse_csv(text: &str, max_rows: usize) -> Result<Value, CsvError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    if let Some(dup) = headers.iter().enumerate().find(|(i, h)| headers.iter().take(*i).any(|o| o == *h)) {
        return Err(format!("the header names column `{}` twice", dup.1).into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == max_rows {
            return Err(CsvError::TooManyRows);
        }
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
        let v = parse_csv("name,lo,share,note\nA, 190000 ,0.25,\nB,1,x,\"q, r\"\n", 10).unwrap();
        assert_eq!(v[0]["lo"], 190000);
        assert_eq!(v[0]["share"], 0.25);
        assert_eq!(v[0]["note"], Value::Null);
        assert_eq!(v[1]["share"], "x");
        assert_eq!(v[1]["note"], "q, r");
    }

    #[test]
    fn csv_ragged_rows_report_their_line() {
        let err = parse_csv("a,b\n1,2\n3\n", 10).unwrap_err();
        assert!(matches!(&err, CsvError::Invalid(m) if m.contains("line 3")), "{err:?}");
    }

    #[test]
    fn words_like_inf_and_nan_stay_text() {
        let v = parse_csv("a\ninf\nNaN\n", 10).unwrap();
        assert_eq!(v[0]["a"], "inf");
        assert_eq!(v[1]["a"], "NaN");
    }

    #[test]
    fn reading_stops_past_the_row_limit() {
        assert!(parse_csv("a\n1\n2\n", 2).is_ok());
        assert_eq!(parse_csv("a\n1\n2\n3\n", 2), Err(CsvError::TooManyRows));
    }

    #[test]
    fn a_data_file_that_changed_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let limits = DataLimits::default();
        std::fs::write(&path, "a\n1\n").unwrap();
        assert_eq!(load(&path, "t.csv", &limits).unwrap()[0]["a"], 1);
        assert_eq!(load(&path, "t.csv", &limits).unwrap()[0]["a"], 1);
        std::fs::write(&path, "a\n2\n3\n").unwrap();
        assert_eq!(load(&path, "t.csv", &limits).unwrap()[0]["a"], 2);
        let one_row = DataLimits { max_rows: 1, ..limits };
        assert!(load(&path, "t.csv", &one_row).unwrap_err().message.contains("more than 1 rows"));
        std::fs::write(&path, "a,a\n2,3\n").unwrap();
        assert!(load(&path, "t.csv", &limits).is_err(), "a broken file is not answered from memory");
    }

    #[test]
    fn oversized_files_are_refused_before_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, "[1, 2, 3]").unwrap();
        let small = DataLimits { max_bytes: 4, max_rows: 10 };
        assert!(load(&path, "t.json", &small).unwrap_err().message.contains("over the limit of 4 bytes"));
        let short = DataLimits { max_bytes: 100, max_rows: 2 };
        assert!(load(&path, "t.json", &short).unwrap_err().message.contains("more than 2 rows"));
        assert!(load(&path, "t.json", &DataLimits::default()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (site, outside) = (dir.path().join("site"), dir.path().join("secret.csv"));
        std::fs::create_dir_all(site.join("data")).unwrap();
        std::fs::write(&outside, "a\n1\n").unwrap();
        std::fs::write(site.join("data/ok.csv"), "a\n1\n").unwrap();
        std::os::unix::fs::symlink(&outside, site.join("data/link.csv")).unwrap();
        std::os::unix::fs::symlink(site.join("data/ok.csv"), site.join("data/inside.csv")).unwrap();
        let err = resolve(&site, "data/link.csv").unwrap_err();
        assert!(err.message.contains("symbolic link"), "{}", err.message);
        assert!(resolve(&site, "data/inside.csv").is_ok(), "a link within the folder is fine");
    }

    #[test]
    fn paths_cannot_leave_the_folder() {
        assert!(resolve(Path::new("nb"), "../secret.csv").is_err());
        assert!(resolve(Path::new("nb"), "/etc/passwd").is_err());
        assert_eq!(resolve(Path::new("nb"), "data/a.csv").unwrap(), Path::new("nb/data/a.csv"));
    }
}

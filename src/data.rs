//! Stage 2, load: the tables a notebook declares under `data:`, read from CSV, JSON or YAML
//! into plain values. The csv crate lives here and nowhere else.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Number, Value};

use crate::file::{FileError, over};

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
    /// Columns of a CSV file, keys of a row (a map in the top-level list) of a JSON or YAML
    /// file: a row becomes one map that cells and templates walk.
    pub max_columns: usize,
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits { max_bytes: 64 << 20, max_rows: 250_000, max_columns: 1_000 }
    }
}

/// Resolves a `data:` path relative to the notebook's folder; it may not leave that folder,
/// neither by its own words (`..`, an absolute path) nor through a symbolic link.
pub fn resolve(notebook_dir: &Path, relative: &str) -> Result<PathBuf, DataError> {
    let rel = Path::new(relative);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_))) {
        return Err(DataError::new(format!("data path `{relative}` leaves the notebook's folder"))
            .hint("give a path inside the notebooks folder, such as `data/comp.csv`"));
    }
    let path = notebook_dir.join(rel);
    // (A file that does not exist is reported when it is read.)
    if let (Ok(real), Ok(root)) = (path.canonicalize(), notebook_dir.canonicalize())
        && !real.starts_with(&root)
    {
        return Err(DataError::new(format!(
            "data path `{relative}` is a symbolic link to `{}`, outside the notebook's folder",
            real.display()
        ))
        .hint("copy the file into the notebooks folder instead of linking to it"));
    }
    Ok(path)
}

/// Loads one data file by its extension. It must be a regular file (a link to one is
/// followed), of at most `limits.max_bytes`: a pipe or a device is refused before it is read.
pub fn load(path: &Path, shown_as: &str, limits: &DataLimits) -> Result<Value, DataError> {
    let table = read(path, shown_as, limits)?;
    if let Value::Array(rows) = &table {
        if rows.len() > limits.max_rows {
            return Err(too_many_rows(shown_as, limits.max_rows));
        }
        let wide = rows.iter().enumerate().find_map(|(i, r)| match r {
            Value::Object(row) if row.len() > limits.max_columns => Some((i, row.len())),
            _ => None,
        });
        if let Some((i, columns)) = wide {
            let what = format!("row {} has {} columns", i + 1, crate::format::num(columns as f64));
            return Err(too_many_columns(shown_as, &what, limits.max_columns));
        }
    }
    Ok(table)
}

fn too_many_columns(shown_as: &str, what: &str, max_columns: usize) -> DataError {
    DataError::new(format!(
        "data file `{shown_as}`: {what}, over the limit of {}",
        crate::format::num(max_columns as f64)
    ))
    .hint("load fewer columns, or raise `data_columns` under `limits:` in `_site.yaml`")
}

fn too_many_rows(shown_as: &str, max_rows: usize) -> DataError {
    DataError::new(format!(
        "data file `{shown_as}` has more than {} rows, the limit",
        crate::format::num(max_rows as f64)
    ))
    .hint("load a smaller extract, or raise `data_rows` under `limits:` in `_site.yaml`")
}

fn read(path: &Path, shown_as: &str, limits: &DataLimits) -> Result<Value, DataError> {
    let bytes = crate::file::read(path, limits.max_bytes).map_err(|err| match err {
        FileError::Io(err) => {
            let e = DataError::new(format!("cannot read data file `{shown_as}`: {err}"));
            if err.kind() == std::io::ErrorKind::NotFound {
                e.hint("check the path: it is relative to the notebook file")
            } else {
                e
            }
        }
        FileError::NotRegular(what) => {
            DataError::new(format!("data file `{shown_as}` {}", FileError::not_regular(what)))
                .hint("a data file must be a plain file inside the notebooks folder")
        }
        FileError::TooLarge(size) => DataError::new(format!(
            "data file `{shown_as}` {} the limit of {} bytes",
            over(size),
            crate::format::num(limits.max_bytes as f64)
        ))
        .hint("load a smaller extract, or raise `data_bytes` under `limits:` in `_site.yaml`"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        DataError::new(format!(
            "cannot read data file `{shown_as}`: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
        .hint("save the file as UTF-8")
    })?;
    if let Some(value) = PARSED.recall(path, &text) {
        return Ok(value);
    }
    let value = parse(path, &text, shown_as, limits)?;
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

fn parse(path: &Path, text: &str, shown_as: &str, limits: &DataLimits) -> Result<Value, DataError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "csv" => parse_csv(text, limits).map_err(|e| match e {
            CsvError::TooManyRows => too_many_rows(shown_as, limits.max_rows),
            CsvError::TooManyColumns(n) => too_many_columns(
                shown_as,
                &format!("the header has {} columns", crate::format::num(n as f64)),
                limits.max_columns,
            ),
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
        "yaml" | "yml" => crate::yaml::from_str_within::<Value>(text, u64::MAX).map_err(|err| {
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
    /// More columns than the limit, this many: nothing past the header was read.
    TooManyColumns(usize),
}

impl From<String> for CsvError {
    fn from(message: String) -> Self {
        CsvError::Invalid(message)
    }
}

/// A CSV file with a header row becomes an array of maps; numeric fields become numbers and
/// empty fields become null. Reading stops at the first limit passed.
pub fn parse_csv(text: &str, limits: &DataLimits) -> Result<Value, CsvError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    if headers.len() > limits.max_columns {
        return Err(CsvError::TooManyColumns(headers.len()));
    }
    let mut seen = HashSet::with_capacity(headers.len());
    if let Some(dup) = headers.iter().find(|h| !seen.insert(*h)) {
        return Err(format!("the header names column `{dup}` twice").into());
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == limits.max_rows {
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

    fn rows(max_rows: usize) -> DataLimits {
        DataLimits { max_rows, ..DataLimits::default() }
    }

    #[test]
    fn csv_numbers_become_numbers() {
        let v = parse_csv("name,lo,share,note\nA, 190000 ,0.25,\nB,1,x,\"q, r\"\n", &rows(10)).unwrap();
        assert_eq!(v[0]["lo"], 190000);
        assert_eq!(v[0]["share"], 0.25);
        assert_eq!(v[0]["note"], Value::Null);
        assert_eq!(v[1]["share"], "x");
        assert_eq!(v[1]["note"], "q, r");
    }

    #[test]
    fn csv_ragged_rows_report_their_line() {
        let err = parse_csv("a,b\n1,2\n3\n", &rows(10)).unwrap_err();
        assert!(matches!(&err, CsvError::Invalid(m) if m.contains("line 3")), "{err:?}");
    }

    #[test]
    fn words_like_inf_and_nan_stay_text() {
        let v = parse_csv("a\ninf\nNaN\n", &rows(10)).unwrap();
        assert_eq!(v[0]["a"], "inf");
        assert_eq!(v[1]["a"], "NaN");
    }

    #[test]
    fn a_wide_header_is_checked_in_linear_time() {
        let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        let text = format!("{}\nlast\n", header.join(","));
        let wide = DataLimits { max_columns: 200_000, ..DataLimits::default() };
        let started = std::time::Instant::now();
        assert!(matches!(parse_csv(&text, &wide), Err(CsvError::Invalid(m)) if m.contains("has 1 fields")));
        assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
        let twice = format!("{},c5\n", header.join(","));
        assert!(matches!(parse_csv(&twice, &wide), Err(CsvError::Invalid(m)) if m.contains("column `c5` twice")));
        assert_eq!(parse_csv(&text, &DataLimits::default()), Err(CsvError::TooManyColumns(100_000)));
    }

    #[test]
    fn rows_of_json_and_yaml_have_the_column_limit_too() {
        let dir = tempfile::tempdir().unwrap();
        let narrow = DataLimits { max_columns: 2, ..DataLimits::default() };
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "a,b,c\n1,2,3\n").unwrap();
        let err = load(&csv, "t.csv", &narrow).unwrap_err();
        assert_eq!(err.message, "data file `t.csv`: the header has 3 columns, over the limit of 2");
        assert!(err.hint.unwrap().contains("raise `data_columns` under `limits:`"));
        let json = dir.path().join("t.json");
        std::fs::write(&json, r#"[{"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3}]"#).unwrap();
        let err = load(&json, "t.json", &narrow).unwrap_err();
        assert_eq!(err.message, "data file `t.json`: row 2 has 3 columns, over the limit of 2");
        let yaml = dir.path().join("t.yaml");
        std::fs::write(&yaml, "lookup: {a: 1, b: 2, c: 3}\n").unwrap();
        assert!(load(&yaml, "t.yaml", &narrow).is_ok(), "only rows are held to the column limit");
    }

    #[test]
    fn reading_stops_past_the_row_limit() {
        assert!(parse_csv("a\n1\n2\n", &rows(2)).is_ok());
        assert_eq!(parse_csv("a\n1\n2\n3\n", &rows(2)), Err(CsvError::TooManyRows));
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
        let one_row = rows(1);
        assert!(load(&path, "t.csv", &one_row).unwrap_err().message.contains("more than 1 rows"));
        std::fs::write(&path, "a,a\n2,3\n").unwrap();
        assert!(load(&path, "t.csv", &limits).is_err(), "a broken file is not answered from memory");
    }

    #[test]
    fn oversized_files_are_refused_before_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, "[1, 2, 3]").unwrap();
        let small = DataLimits { max_bytes: 4, ..rows(10) };
        assert!(load(&path, "t.json", &small).unwrap_err().message.contains("over the limit of 4 bytes"));
        let short = DataLimits { max_bytes: 100, ..rows(2) };
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

    /// Runs `f` on a thread and gives up after a few seconds: reading a pipe must not hang.
    #[cfg(unix)]
    fn within_seconds<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(10)).expect("finished without hanging")
    }

    #[cfg(unix)]
    #[test]
    fn data_files_that_are_not_regular_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().to_path_buf();
        std::fs::create_dir(site.join("data")).unwrap();
        let fifo = site.join("data/pipe.csv");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        std::os::unix::fs::symlink(&fifo, site.join("data/to-pipe.csv")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", site.join("data/zero.csv")).unwrap();
        let load_in = move |rel: &'static str| {
            let site = site.clone();
            within_seconds(move || resolve(&site, rel).and_then(|p| load(&p, rel, &DataLimits::default())))
        };
        for rel in ["data/pipe.csv", "data/to-pipe.csv"] {
            let err = load_in(rel).unwrap_err();
            assert_eq!(err.message, format!("data file `{rel}` is not a regular file: it is a named pipe (FIFO)"));
            assert!(err.hint.unwrap().contains("a plain file"));
        }
        let err = load_in("data/zero.csv").unwrap_err();
        assert!(err.message.contains("symbolic link to `/dev/zero`, outside the notebook's folder"), "{}", err.message);
        // A device node inside the folder (making one needs privileges the test may not have).
        let device = dir.path().join("data/null.csv");
        let made = std::process::Command::new("mknod").arg(&device).args(["c", "1", "3"]).status();
        if made.is_ok_and(|s| s.success()) {
            let err = load_in("data/null.csv").unwrap_err();
            assert_eq!(err.message, "data file `data/null.csv` is not a regular file: it is a device");
        }
    }

    #[test]
    fn paths_cannot_leave_the_folder() {
        assert!(resolve(Path::new("nb"), "../secret.csv").is_err());
        assert!(resolve(Path::new("nb"), "/etc/passwd").is_err());
        assert_eq!(resolve(Path::new("nb"), "data/a.csv").unwrap(), Path::new("nb/data/a.csv"));
    }
}

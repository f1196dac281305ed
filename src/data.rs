//! Stage 2, load: the tables a notebook declares under `data:`, read from CSV, JSON or YAML
//! into plain values. The csv crate lives here and nowhere else.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

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
    /// Values below the rows: the fields of a CSV file (rows × columns), and in a JSON or
    /// YAML file every value but the top-level list's items (each list and map counts, and so
    /// does each of its items). Memory grows with them, not with bytes: see [`count_fields`].
    pub max_fields: usize,
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits { max_bytes: 64 << 20, max_rows: 250_000, max_columns: 1_000, max_fields: 2_000_000 }
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

/// Loads one data file by its extension. It must be a regular file (a link to one is
/// followed), of at most `limits.max_bytes`: a pipe or a device is refused before it is read.
/// The table is shared with every other load of the same file (see `PARSED`).
pub fn load(path: &Path, shown_as: &str, limits: &DataLimits) -> Result<Arc<Value>, DataError> {
    let table = read(path, shown_as, limits)?;
    if count_fields(&table) > limits.max_fields as u64 {
        return Err(too_many_fields(shown_as, limits.max_fields));
    }
    if let Value::Array(rows) = &*table {
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

/// The fields of a table: every value below the rows (the items of a top-level list), or
/// below the top-level value when it is not a list. A CSV file has rows × columns.
pub fn count_fields(table: &Value) -> u64 {
    fn inside(v: &Value) -> u64 {
        match v {
            Value::Array(items) => items.iter().map(|i| 1 + inside(i)).sum(),
            Value::Object(map) => map.values().map(|i| 1 + inside(i)).sum(),
            _ => 0,
        }
    }
    match table {
        Value::Array(rows) => rows.iter().map(inside).sum(),
        other => inside(other),
    }
}

fn too_many_fields(shown_as: &str, max_fields: usize) -> DataError {
    DataError::new(format!(
        "data file `{shown_as}` has more than {} fields, the limit",
        crate::format::num(max_fields as f64)
    ))
    .hint("load a smaller extract, or raise `data_fields` under `limits:` in `_site.yaml`")
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

/// A file beside the missing `path` whose name is close to its name (`de_tiers.csv` for
/// `de-tiers.csv`), as the path was written.
fn near_name(path: &Path, shown_as: &str) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let names: Vec<String> = std::fs::read_dir(path.parent()?)
        .ok()?
        .take(10_000)
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let best = crate::diag::did_you_mean(name, names.iter().map(String::as_str))?;
    let written = shown_as.rsplit_once('/').map_or(String::new(), |(dir, _)| format!("{dir}/"));
    Some(format!("{written}{best}"))
}

fn read(path: &Path, shown_as: &str, limits: &DataLimits) -> Result<Arc<Value>, DataError> {
    let bytes = crate::file::read(path, limits.max_bytes).map_err(|err| match err {
        FileError::Io(err) => {
            if err.kind() != std::io::ErrorKind::NotFound {
                return DataError::new(format!("cannot read data file `{shown_as}`: {err}"));
            }
            let e = DataError::new(format!("data file `{shown_as}` does not exist"));
            match near_name(path, shown_as) {
                Some(near) => e.hint(format!("did you mean `{near}`?")),
                None => e.hint("check the path: it is relative to the notebook file"),
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
    // The limits too: a table recalled was parsed, and its limits checked, under the same ones.
    let print = {
        let mut h = DefaultHasher::new();
        text.hash(&mut h);
        (limits.max_bytes, limits.max_rows, limits.max_columns, limits.max_fields).hash(&mut h);
        h.finish()
    };
    if let Some(value) = PARSED.recall(path, print) {
        return Ok(value);
    }
    let value = Arc::new(parse(path, &text, shown_as, limits)?);
    PARSED.remember(path, print, &value, text.len());
    Ok(value)
}

/// The tables in use, by path, with the hash of the text each was parsed from. Notebooks
/// running side by side often load the same table: it is parsed once and shared while any
/// of them holds it. A large one is not kept past that: a run lets go of its tables once its
/// cells have their own copy, and a table kept for later would double the memory of every run
/// after. A small one (up to 64 KiB of text) is kept: many notebooks of a site read the same
/// few small tables, one after another.
/// A file whose text changed since (a save under `nbrender serve`) is parsed again; only
/// successes are kept, and [`load`] checks the limits on what is recalled too.
static PARSED: Parsed = Parsed(Mutex::new(None));

/// By path: the hash of the text and the table made from it.
type InUse = HashMap<PathBuf, (u64, Kept)>;

/// How a parsed table is kept: a small one for good (parsing it again for every notebook
/// that reads it cost a tenth of a site build), a large one only while a notebook uses it.
enum Kept {
    Small(Arc<Value>),
    Large(Weak<Value>),
}

/// The largest data file whose table is kept for good: a few hundred of them hold little.
const KEPT_BYTES: usize = 64 << 10;

impl Kept {
    fn get(&self) -> Option<Arc<Value>> {
        match self {
            Kept::Small(v) => Some(Arc::clone(v)),
            Kept::Large(v) => v.upgrade(),
        }
    }
}

struct Parsed(Mutex<Option<InUse>>);

impl Parsed {
    fn recall(&self, path: &Path, print: u64) -> Option<Arc<Value>> {
        let files = self.0.lock().ok()?;
        let (seen, value) = files.as_ref()?.get(path)?;
        if *seen == print { value.get() } else { None }
    }

    fn remember(&self, path: &Path, print: u64, value: &Arc<Value>, text_bytes: usize) {
        if let Ok(mut files) = self.0.lock() {
            let files = files.get_or_insert_with(HashMap::new);
            files.retain(|_, (_, v)| !matches!(v, Kept::Large(w) if w.strong_count() == 0));
            let kept = if text_bytes <= KEPT_BYTES {
                Kept::Small(Arc::clone(value))
            } else {
                Kept::Large(Arc::downgrade(value))
            };
            files.insert(path.to_path_buf(), (print, kept));
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
            CsvError::TooManyFields => too_many_fields(shown_as, limits.max_fields),
            CsvError::Invalid(m) => DataError::new(format!("in `{shown_as}`: {m}")),
        }),
        "json" | "yaml" | "yml" => {
            let kind = if ext == "json" { "JSON" } else { "YAML" };
            // JSON is YAML: one scan bounds the nesting of either and counts its rows and
            // fields before anything is built.
            let counted =
                crate::yaml::scan(text, values_allowed(limits)).map_err(|e| scan_error(e, shown_as, kind, limits))?;
            if counted.rows > limits.max_rows as u64 {
                return Err(too_many_rows(shown_as, limits.max_rows));
            }
            // YAML's parser holds every key and every value as an event before the table is
            // built: there, keys count as fields too.
            let keys = if kind == "YAML" { counted.keys } else { 0 };
            if counted.values - counted.rows + keys > limits.max_fields as u64 {
                let e = too_many_fields(shown_as, limits.max_fields);
                return Err(if keys > 0 {
                    DataError { message: format!("{} (in YAML, keys count as fields)", e.message), ..e }
                } else {
                    e
                });
            }
            let table = if kind == "JSON" {
                serde_json::from_str::<crate::yaml::Json>(text).map_err(|err| {
                    // serde_json ends its message with the position, which is said up front.
                    let message = err.to_string();
                    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                    DataError::new(format!(
                        "in `{shown_as}`: invalid JSON at line {} column {}: {message}",
                        err.line(),
                        err.column()
                    ))
                })
            } else {
                crate::yaml::from_str_within::<crate::yaml::Json>(text, counted.values)
                    .map_err(|e| scan_error(e, shown_as, kind, limits))
            };
            table.map(|c| c.0)
        }
        _ => Err(DataError::new(format!("unsupported data file type `{shown_as}`"))
            .hint("data files are .csv, .json, .yaml or .yml")),
    }
}

/// How many values a JSON or YAML file may hold before it is parsed: its rows and fields.
fn values_allowed(limits: &DataLimits) -> u64 {
    (limits.max_rows as u64).saturating_add(limits.max_fields as u64)
}

fn scan_error(err: crate::yaml::YamlError, shown_as: &str, kind: &str, limits: &DataLimits) -> DataError {
    let at = err.position.map(|(l, c)| format!(" at line {l} column {c}")).unwrap_or_default();
    if err.too_many_values {
        return DataError::new(format!(
            "data file `{shown_as}` holds more than {} values{at}: more rows and fields than the limits allow together",
            crate::format::num(values_allowed(limits) as f64)
        ))
        .hint("load a smaller extract, or raise `data_fields` (or `data_rows`) under `limits:` in `_site.yaml`");
    }
    DataError::new(format!("in `{shown_as}`: invalid {kind}{at}: {}", err.message))
}

/// Why a CSV file was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvError {
    Invalid(String),
    /// More rows than the limit: reading stopped there.
    TooManyRows,
    /// More columns than the limit, this many: nothing past the header was read.
    TooManyColumns(usize),
    /// More fields than the limit: reading stopped there.
    TooManyFields,
}

impl From<String> for CsvError {
    fn from(message: String) -> Self {
        CsvError::Invalid(message)
    }
}

/// A CSV file with a header row becomes an array of maps; numeric fields become numbers and
/// empty fields become null. Reading stops at the first limit passed.
pub fn parse_csv(text: &str, limits: &DataLimits) -> Result<Value, CsvError> {
    // One reader, rewound after counting: making a reader builds its state machine, which
    // costs more than reading a small file.
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(std::io::Cursor::new(text.as_bytes()));
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let after_headers = reader.position().clone();
    if headers.len() > limits.max_columns {
        return Err(CsvError::TooManyColumns(headers.len()));
    }
    let mut seen = HashSet::with_capacity(headers.len());
    if let Some(dup) = headers.iter().find(|h| !seen.insert(*h)) {
        return Err(format!("the header names column `{dup}` twice").into());
    }
    // Rows are counted first, without keeping them: a file past the limits is refused before
    // its table is built. (A broken row stops the count; the reading below reports it.)
    let mut record = csv::ByteRecord::new();
    let mut count = 0usize;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        count += 1;
        if count > limits.max_rows {
            return Err(CsvError::TooManyRows);
        }
        if count.saturating_mul(headers.len()) > limits.max_fields {
            return Err(CsvError::TooManyFields);
        }
    }
    reader.seek(after_headers).map_err(|e| e.to_string())?;
    let mut rows = Vec::with_capacity(count);
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
        // Not a benchmark: far above what a loaded machine takes, far below the minutes the
        // quadratic check took (474 s on a debug build).
        assert!(started.elapsed().as_secs() < 120, "took {:?}", started.elapsed());
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
    fn fields_are_counted_below_the_rows_and_limited_before_the_table_is_built() {
        let fields = |max_fields: usize| DataLimits { max_fields, ..DataLimits::default() };
        assert!(parse_csv("a,b\n1,2\n3,4\n", &fields(4)).is_ok());
        assert_eq!(parse_csv("a,b\n1,2\n3,4\n5,6\n", &fields(4)), Err(CsvError::TooManyFields));
        assert_eq!(count_fields(&serde_json::json!([{"a": 1, "b": [1, 2]}, [3], 4])), 5);
        assert_eq!(count_fields(&serde_json::json!({"a": 1, "b": [1, 2]})), 4);

        let dir = tempfile::tempdir().unwrap();
        // 7 fields in the JSON and the YAML (whose 4 keys count too), 9 in the CSV.
        for (name, text, count, also) in [
            ("t.json", r#"[{"a": 1, "b": 2}, {"a": 3, "b": [4, 5, 6]}]"#, 7, ""),
            ("t.yaml", "- {a: 1, b: 2}\n- a: 3\n  b: [4, 5, 6]\n", 11, " (in YAML, keys count as fields)"),
            ("t.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9\n", 9, ""),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            assert!(load(&path, name, &fields(count)).is_ok(), "{name}");
            let err = load(&path, name, &fields(count - 1)).unwrap_err();
            let limit = count - 1;
            assert_eq!(err.message, format!("data file `{name}` has more than {limit} fields, the limit{also}"));
            assert!(err.hint.unwrap().contains("raise `data_fields` under `limits:`"));
        }
        // Refused from the scan, before parsing: rows, fields, and both past their sum.
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, "- [1, 2]\n".repeat(10)).unwrap();
        assert!(load(&path, "big.yaml", &rows(9)).unwrap_err().message.contains("more than 9 rows"));
        assert!(load(&path, "big.yaml", &fields(19)).unwrap_err().message.contains("more than 19 fields"));
        assert!(load(&path, "big.yaml", &fields(20)).is_ok());
        let both = DataLimits { max_rows: 5, max_fields: 5, ..DataLimits::default() };
        let err = load(&path, "big.yaml", &both).unwrap_err();
        assert!(err.message.starts_with("data file `big.yaml` holds more than 10 values at line 4"), "{}", err.message);
    }

    #[test]
    fn tables_parse_as_serde_json_would_make_them() {
        let text =
            r#"[{"a": 1, "b": -2, "c": 1.5, "d": "x", "e": null, "f": true, "a": 9}, [], {}, 18446744073709551615]"#;
        let compact: crate::yaml::Json = serde_json::from_str(text).unwrap();
        assert_eq!(compact.0, serde_json::from_str::<Value>(text).unwrap());
        let yaml = "- a: 1\n  b: [x, 'y', ~, .5]\n- !!str 3\n";
        let compact: crate::yaml::Json = crate::yaml::from_str_within(yaml, 100).unwrap();
        assert_eq!(compact.0, crate::yaml::from_str_within::<Value>(yaml, 100).unwrap());
    }

    #[test]
    fn a_large_table_in_use_is_shared_and_not_kept_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.csv");
        let mut text = String::from("a\n");
        while text.len() <= KEPT_BYTES {
            text.push_str("12345\n");
        }
        std::fs::write(&path, &text).unwrap();
        let limits = DataLimits::default();
        let first = load(&path, "shared.csv", &limits).unwrap();
        let second = load(&path, "shared.csv", &limits).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "one table while both runs hold it");
        let weak = Arc::downgrade(&first);
        drop((first, second));
        assert!(weak.upgrade().is_none(), "nothing keeps a large table no run holds");
    }

    #[test]
    fn a_small_table_is_parsed_once_for_every_notebook_that_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.csv");
        std::fs::write(&path, "a\n1\n").unwrap();
        let limits = DataLimits::default();
        let first = load(&path, "small.csv", &limits).unwrap();
        let weak = Arc::downgrade(&first);
        drop(first);
        let again = load(&path, "small.csv", &limits).unwrap();
        assert!(weak.upgrade().is_some_and(|w| Arc::ptr_eq(&w, &again)), "the small table was kept");
        let stricter = DataLimits { max_rows: 1, ..limits };
        assert!(!Arc::ptr_eq(&again, &load(&path, "small.csv", &stricter).unwrap()), "other limits parse again");
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
